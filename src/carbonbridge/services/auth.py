"""Use cases of sign-in: users with Argon2id passwords and a TOTP second factor, revocable sessions
with short-lived access tokens, API keys for machine clients. Secrets are stored hashed, shown once,
never logged or audited.

Tokens: a session token is `cbs_<random>`, an API key `cbk_<id>_<random>`; the database keeps their
SHA-256, so any worker can check or revoke them (the service keeps no state between requests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from carbonbridge.adapters.db.auth_models import API_KEYS, GRANTS, SESSIONS, USERS
from carbonbridge.adapters.db.autocommit import fetch_all, is_postgres
from carbonbridge.adapters.db.guard import Guard
from carbonbridge.adapters.db.registry.ledger import Sessions
from carbonbridge.adapters.db.uow import audit, unit_of_work
from carbonbridge.domain.auth.errors import LockedOut, Unauthenticated
from carbonbridge.domain.auth.factors import (
    LockoutPolicy,
    accepts_step,
    after_failure,
    candidate_steps,
    is_code_shaped,
    is_locked,
)
from carbonbridge.domain.auth.principal import Grant, Principal, Role
from carbonbridge.domain.errors import Conflict, NotFound, Problem, ValidationFailed

ISSUER = "CarbonBridge"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_HASHER = PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory defaults (64 MiB, 3 passes)
_DUMMY_HASH = _HASHER.hash("carbonbridge-timing-equaliser")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the Argon2id parameters (tests use cheap ones; production keeps the defaults)."""
    global _HASHER, _DUMMY_HASH
    _HASHER, _DUMMY_HASH = hasher, hasher.hash("carbonbridge-timing-equaliser")


INVALID = "invalid user name, password or one-time code"
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            [Problem(f"a password has {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters", field="password")]
        )
    return _HASHER.hash(password)


def _password_ok(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _code_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code matches, trying the current step first (constant-time compares)."""
    if not is_code_shaped(code):
        return None
    totp = pyotp.TOTP(secret)
    for step in candidate_steps(now):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Shown once when a user is created: the TOTP seed as an otpauth:// URI (for a QR code)."""

    user_id: str
    provisioning_uri: str


def _validate_user_id(user_id: str) -> None:
    if not (0 < len(user_id) <= 64) or not all(c.isalnum() or c in "-_.@" for c in user_id):
        raise ValidationFailed([Problem("a user id has 1-64 letters, digits or - _ . @", field="user_id")])


def create_user(
    sessions: Sessions,
    user_id: str,
    password: str,
    grants: Iterable[Grant],
    *,
    now: dt.datetime,
    representative_id: str | None = None,
    actor: str = "registry",
    totp_secret: str | None = None,
) -> Enrolment:
    """A user with grants; returns the TOTP provisioning URI (the only time the seed leaves the server).
    `totp_secret` provisions a given seed instead of a random one (the demo's reproducible users)."""
    _validate_user_id(user_id)
    wanted = sorted(set(grants))
    for grant in wanted:
        grant.validate()
    if totp_secret is not None and not (len(totp_secret) >= 16 and set(totp_secret) <= set(_BASE32)):
        raise ValidationFailed([Problem("a TOTP seed is at least 16 base32 characters", field="totp_secret")])
    hashed, secret = hash_password(password), totp_secret or pyotp.random_base32()
    with unit_of_work(sessions) as session:
        if session.execute(select(USERS.c.id).where(USERS.c.id == user_id)).first() is not None:
            raise Conflict(f"user {user_id!r} exists")
        session.execute(
            insert(USERS).values(
                id=user_id,
                password_hash=hashed,
                totp_secret=secret,
                totp_last_step=None,
                failed_signins=0,
                locked_until=None,
                disabled=False,
                representative_id=representative_id,
                created_at=now,
            )
        )
        _store_grants(session, user_id, wanted)
        detail: dict[str, object] = {"grants": [_grant_json(g) for g in wanted], "representative": representative_id}
        audit(session, at=now, actor=actor, action="auth.user.created", subject=user_id, detail=detail)
    return Enrolment(user_id, pyotp.TOTP(secret).provisioning_uri(name=user_id, issuer_name=ISSUER))


def _store_grants(session: Session, user_id: str, grants: list[Grant]) -> None:
    """A user's grants as rows (what queries filter on) and, in the same transaction, as the one
    text on the user's row that authentication reads on every request (`_held`)."""
    rows = [(g.role.value, g.jurisdiction, g.scope) for g in grants]
    if rows:
        session.execute(
            insert(GRANTS), [{"user_id": user_id, "role": r, "jurisdiction": j, "scope": s} for r, j, s in rows]
        )
    session.execute(update(USERS).where(USERS.c.id == user_id).values(grants=_held(rows)))


def _grant_json(grant: Grant) -> dict[str, str]:
    return {"role": grant.role.value, "jurisdiction": grant.jurisdiction, "scope": grant.scope}


def _grant_of(data: dict[str, str]) -> Grant:
    return Grant(Role(data["role"]), data["jurisdiction"], data["scope"])


def set_grants(sessions: Sessions, user_id: str, grants: Iterable[Grant], *, now: dt.datetime, actor: str) -> None:
    """Replace a user's grants (their API keys keep only what the user still holds)."""
    wanted = sorted(set(grants))
    for grant in wanted:
        grant.validate()
    with unit_of_work(sessions) as session:
        _user(session, user_id)
        session.execute(delete(GRANTS).where(GRANTS.c.user_id == user_id))
        _store_grants(session, user_id, wanted)
        detail: dict[str, object] = {"grants": [_grant_json(g) for g in wanted]}
        audit(session, at=now, actor=actor, action="auth.user.grants", subject=user_id, detail=detail)


def _user(session: Session, user_id: str) -> Any:
    row = session.execute(select(USERS).where(USERS.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"unknown user {user_id!r}")
    return row


def grants_of(session: Session, user_id: str) -> frozenset[Grant]:
    found = session.execute(select(GRANTS).where(GRANTS.c.user_id == user_id))
    return frozenset(Grant(Role(g.role), g.jurisdiction, g.scope) for g in found)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    session_id: str
    expires_at: dt.datetime


def sign_in(
    sessions: Sessions,
    user_id: str,
    password: str,
    code: str,
    *,
    now: dt.datetime,
    ttl: dt.timedelta,
    lockout: LockoutPolicy = LockoutPolicy(),
) -> IssuedToken:
    """Both factors or nothing; every failure counts towards the lockout, a locked user stays out
    (even with the right password) until the lock ends or an administrator unlocks them."""
    with unit_of_work(sessions) as session:
        row = session.execute(select(USERS).where(USERS.c.id == user_id)).first()
        if row is None:
            _password_ok(_DUMMY_HASH, password)  # same work as for a known user
            raise Unauthenticated(INVALID)
        if is_locked(_utc(row.locked_until), now):
            raise LockedOut(f"user {user_id!r} is locked out after repeated failed sign-ins")
        step = _code_step(row.totp_secret, code, now)
        ok = not row.disabled and _password_ok(row.password_hash, password) and step is not None
        if ok and _consume(session, user_id, step):  # type: ignore[arg-type]
            return _open_session(session, user_id, now=now, ttl=ttl)
        failures, until = after_failure(row.failed_signins, now, lockout)
        session.execute(update(USERS).where(USERS.c.id == user_id).values(failed_signins=failures, locked_until=until))
        audit(session, at=now, actor=user_id, action="auth.signin.failed", subject=user_id, detail={})
    # committed: the failure counts even though the sign-in is refused
    if until is not None:
        raise LockedOut(f"user {user_id!r} is now locked out after repeated failed sign-ins")
    raise Unauthenticated(INVALID)


def _consume(session: Session, user_id: str, step: int) -> bool:
    """Accept `step` once: the update succeeds only if no later-or-equal step was accepted (atomic)."""
    changed = session.execute(
        update(USERS)
        .where(USERS.c.id == user_id, or_(USERS.c.totp_last_step.is_(None), USERS.c.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount  # type: ignore[attr-defined]
    return bool(changed)


def _open_session(session: Any, user_id: str, *, now: dt.datetime, ttl: dt.timedelta) -> IssuedToken:
    token, session_id = f"cbs_{secrets.token_urlsafe(32)}", secrets.token_hex(16)
    session.execute(update(USERS).where(USERS.c.id == user_id).values(failed_signins=0, locked_until=None))
    session.execute(
        insert(SESSIONS).values(
            id=session_id, token_hash=_sha256(token), user_id=user_id, created_at=now, expires_at=now + ttl
        )
    )
    audit(session, at=now, actor=user_id, action="auth.signin", subject=user_id, detail={"session": session_id})
    return IssuedToken(token, session_id, now + ttl)


def consume_code(sessions: Sessions, user_id: str, code: str, *, now: dt.datetime) -> bool:
    """Check a one-time code that signs a command; True only the first time its step is used."""
    with unit_of_work(sessions) as session:
        row = session.execute(select(USERS.c.totp_secret, USERS.c.totp_last_step).where(USERS.c.id == user_id)).first()
        if row is None:
            return False
        step = _code_step(row.totp_secret, code, now)
        if step is None or not accepts_step(step, row.totp_last_step):
            return False
        return _consume(session, user_id, step)


def revoke_session(sessions: Sessions, token: str, *, now: dt.datetime) -> None:
    with unit_of_work(sessions) as session:
        session.execute(
            update(SESSIONS)
            .where(SESSIONS.c.token_hash == _sha256(token), SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def revoke_user_sessions(sessions: Sessions, user_id: str, *, now: dt.datetime, actor: str) -> int:
    with unit_of_work(sessions) as session:
        _user(session, user_id)
        count = session.execute(
            update(SESSIONS)
            .where(SESSIONS.c.user_id == user_id, SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount  # type: ignore[attr-defined]
        audit(session, at=now, actor=actor, action="auth.sessions.revoked", subject=user_id, detail={"count": count})
        return int(count)


def set_user_state(
    sessions: Sessions, user_id: str, *, now: dt.datetime, actor: str, unlock: bool = False, disable: bool | None = None
) -> None:
    """An administrator unlocks a locked-out user and/or disables / re-enables them."""
    values: dict[str, object] = {}
    if unlock:
        values.update(failed_signins=0, locked_until=None)
    if disable is not None:
        values["disabled"] = disable
    with unit_of_work(sessions) as session:
        _user(session, user_id)
        if values:
            session.execute(update(USERS).where(USERS.c.id == user_id).values(**values))
        detail: dict[str, object] = {"unlock": unlock, "disable": disable}
        audit(session, at=now, actor=actor, action="auth.user.state", subject=user_id, detail=detail)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: str
    secret: str  # shown once


def create_api_key(
    sessions: Sessions,
    user_id: str,
    name: str,
    grants: Iterable[Grant],
    *,
    now: dt.datetime,
    moves_units: bool = False,
    actor: str,
) -> IssuedKey:
    """A key for a machine client acting for `user_id`, scoped to some of the user's grants."""
    wanted = sorted(set(grants))
    if not (0 < len(name) <= 120):
        raise ValidationFailed([Problem("an API key has a name of 1-120 characters", field="name")])
    with unit_of_work(sessions) as session:
        _user(session, user_id)
        extra = set(wanted) - grants_of(session, user_id)
        if not wanted or extra:
            raise ValidationFailed([Problem("an API key's grants are some of its user's grants", field="grants")])
        key_id = secrets.token_hex(8)
        secret = f"cbk_{key_id}_{secrets.token_urlsafe(32)}"
        session.execute(
            insert(API_KEYS).values(
                id=key_id,
                key_hash=_sha256(secret),
                user_id=user_id,
                name=name,
                grants=json.dumps([_grant_json(g) for g in wanted], sort_keys=True),
                moves_units=moves_units,
                created_at=now,
                revoked_at=None,
            )
        )
        detail: dict[str, object] = {"key": key_id, "name": name, "moves_units": moves_units}
        audit(session, at=now, actor=actor, action="auth.api_key.created", subject=user_id, detail=detail)
    return IssuedKey(key_id, secret)


def revoke_api_key(sessions: Sessions, key_id: str, *, now: dt.datetime, actor: str, owner: str | None = None) -> None:
    """Revoke a key (of `owner` only, when given: another user's key is unknown to them)."""
    with unit_of_work(sessions) as session:
        query = update(API_KEYS).where(API_KEYS.c.id == key_id)
        if owner is not None:
            query = query.where(API_KEYS.c.user_id == owner)
        if not session.execute(query.values(revoked_at=now)).rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"unknown API key {key_id!r}")
        audit(session, at=now, actor=actor, action="auth.api_key.revoked", subject=key_id, detail={})


_FIELD, _GRANT = "\x1f", "\x1e"  # unit and record separators: never in a role, jurisdiction or scope


def _credential_query(is_key: bool) -> Select[Any]:
    """The credential's row and its user's, the user's grants as the one text on the user's row."""
    credential = API_KEYS if is_key else SESSIONS
    hashed = credential.c.key_hash if is_key else credential.c.token_hash
    extra = (credential.c.id, credential.c.grants, credential.c.moves_units) if is_key else (credential.c.expires_at,)
    head = (credential.c.user_id, credential.c.revoked_at, USERS.c.disabled, USERS.c.representative_id, USERS.c.grants)
    joined = credential.join(USERS, USERS.c.id == credential.c.user_id)
    return select(*head, *extra).select_from(joined).where(hashed == bindparam("digest"))


_CREDENTIAL_QUERIES = {is_key: _credential_query(is_key) for is_key in (True, False)}
_CREDENTIAL_SQL_PG: dict[bool, str] = {}
"""The statements as psycopg text (compiled once): run on the driver in autocommit, one round trip."""


def _held(rows: Iterable[tuple[str, str, str]]) -> str:
    """Grants (role, jurisdiction, scope) as one text: sorted, fields and grants separated by
    control characters (`auth_users.grants`, migration 0013)."""
    return _GRANT.join(sorted(_FIELD.join(g) for g in rows))


@lru_cache(maxsize=4096)
def _principal(
    user_id: str,
    representative_id: str | None,
    held: str,
    key: tuple[str, str, bool] | None,
) -> Principal:
    """The principal of a credential's rows; a pure function of them, so memoised (a user with
    grants on many accounts would otherwise rebuild the same frozensets on every request, and
    parse its grants: they arrive as one text, `_held`)."""
    grants = frozenset(
        Grant(Role(role), jurisdiction, scope)
        for role, jurisdiction, scope in (g.split(_FIELD) for g in held.split(_GRANT) if g)
    )
    if key is None:
        return Principal(user_id, "user", grants, representative_id, user_id)
    key_id, key_grants, moves_units = key
    own = frozenset(_grant_of(g) for g in json.loads(key_grants))
    return Principal(f"key:{key_id}", "api_key", grants & own, representative_id, user_id, moves_units)


def authenticate(sessions: Sessions, token: str, *, now: dt.datetime) -> Principal:
    """The principal a bearer token stands for; Unauthenticated if unknown, expired or revoked.
    One query on every request (never a cache: a revoked session or key, a disabled user or a
    withdrawn grant counts from the next request, on every worker): the token's row and its user's,
    whose grants are one text on the row (a desk trading for 50 accounts neither fetches 50 rows nor
    has them aggregated a request); on PostgreSQL in autocommit (one round trip). The one exception,
    `recall_key`, commits nothing on what it recalls without checking it in the same transaction."""
    return _read_credential(sessions, token, now=now)[0]


def _read_credential(sessions: Sessions, token: str, *, now: dt.datetime) -> tuple[Principal, Guard | None]:
    """The principal and, for an API key, the guard that checks it still stands (what `recall_key` keeps)."""
    digest, is_key = _sha256(token), token.startswith("cbk_")
    engine = sessions.kw["bind"]
    if is_postgres(engine):
        if is_key not in _CREDENTIAL_SQL_PG:
            _CREDENTIAL_SQL_PG[is_key] = str(_CREDENTIAL_QUERIES[is_key].compile(dialect=engine.dialect))
        found: Sequence[Any] = fetch_all(engine, _CREDENTIAL_SQL_PG[is_key], {"digest": digest})
    else:
        with engine.connect() as connection:  # Core: no ORM session on the per-request path
            found = connection.execute(_CREDENTIAL_QUERIES[is_key], {"digest": digest}).all()
    if not found or found[0][1] is not None:
        _forget(digest)
        raise Unauthenticated("the token is unknown, expired or revoked; sign in again")
    user_id, _, disabled, representative_id, held, *extra = found[0]
    if not is_key and ((_utc(extra[0]) or now) <= now):
        raise Unauthenticated("the token is unknown, expired or revoked; sign in again")
    if disabled:
        _forget(digest)
        raise Unauthenticated("the user is disabled")
    key = (extra[0], extra[1], bool(extra[2])) if is_key else None
    principal = _principal(user_id, representative_id, held or "", key)
    if not is_key:
        return principal, None
    params = {
        "guard_key": digest,
        "guard_id": extra[0],
        "guard_user": user_id,
        "guard_key_grants": extra[1],
        "guard_moves": bool(extra[2]),
        "guard_grants": held or "",
        "guard_rep": representative_id or "",
    }
    return principal, Guard(_KEY_GUARD, params)


_KEY_GUARD = (
    "SELECT count(*) FROM auth_api_keys k JOIN auth_users u ON u.id = k.user_id WHERE k.key_hash = :guard_key"
    " AND k.id = :guard_id AND k.user_id = :guard_user AND k.grants = :guard_key_grants"
    " AND k.moves_units = :guard_moves AND k.revoked_at IS NULL AND NOT u.disabled AND u.grants = :guard_grants"
    " AND coalesce(u.representative_id, '') = :guard_rep"
)
"""An API key's principal still stands: every input it was built from is as it was read (the key's
row, its user's grants and representative), the key unrevoked and its user enabled."""

_RECALLED: OrderedDict[str, tuple[Principal, Guard]] = OrderedDict()
_RECALLED_LOCK = threading.Lock()
RECALLED_KEYS = 4096


def recall_key(sessions: Sessions, token: str, *, now: dt.datetime) -> tuple[Principal, Guard | None]:
    """For a command that checks a guard in its own transaction (adapters/db/guard.py): an API key's
    principal as this process last read it, with the guard that the command's transaction must find
    to hold before it commits; or, for a key not read before and for every user session, the
    principal read now (guard None: nothing to check). What is recalled only lets the command be
    decided without a round trip of its own; a refusal decided on it must be decided again on
    `authenticate` (entrypoints/http/routes_registry.py does), so a revoked key always gets 401."""
    if token.startswith("cbk_"):
        digest = _sha256(token)
        with _RECALLED_LOCK:
            found = _RECALLED.get(digest)
            if found is not None:
                _RECALLED.move_to_end(digest)
                return found
    principal, guard = _read_credential(sessions, token, now=now)
    if guard is not None:
        with _RECALLED_LOCK:
            _RECALLED[str(guard.params["guard_key"])] = (principal, guard)
            while len(_RECALLED) > RECALLED_KEYS:
                _RECALLED.popitem(last=False)
    return principal, None


def forget_key(token: str) -> None:
    """Drop what `recall_key` holds for a token (its guard failed: it is read afresh next time)."""
    _forget(_sha256(token))


def _forget(digest: str) -> None:
    with _RECALLED_LOCK:
        _RECALLED.pop(digest, None)


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    grants: tuple[Grant, ...]
    representative_id: str | None
    locked: bool
    disabled: bool


def list_users(
    sessions: Sessions, *, now: dt.datetime, after: str | None, limit: int, jurisdictions: Collection[str] | None = None
) -> list[UserView]:
    """Users by id; with `jurisdictions`, only those holding a grant in one of them, or no grant at
    all (a user without grants belongs to no jurisdiction yet; every administrator may manage them)."""
    with sessions() as session:
        query = select(USERS).order_by(USERS.c.id).limit(limit)
        if after:
            query = query.where(USERS.c.id > after)
        if jurisdictions is not None:
            mine = select(GRANTS.c.user_id).where(GRANTS.c.jurisdiction.in_(sorted(jurisdictions)))
            granted = select(GRANTS.c.user_id)
            query = query.where(or_(USERS.c.id.in_(mine), USERS.c.id.not_in(granted)))
        found = session.execute(query).all()
        return [
            UserView(
                u.id,
                tuple(sorted(grants_of(session, u.id))),
                u.representative_id,
                is_locked(_utc(u.locked_until), now),
                bool(u.disabled),
            )
            for u in found
        ]


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    id: str
    name: str
    grants: tuple[Grant, ...]
    moves_units: bool
    created_at: dt.datetime
    revoked: bool


def list_api_keys(sessions: Sessions, user_id: str, *, after: str | None, limit: int) -> list[ApiKeyView]:
    """A user's keys (never their secrets, which are not stored)."""
    query = select(API_KEYS).where(API_KEYS.c.user_id == user_id).order_by(API_KEYS.c.id).limit(limit)
    if after:
        query = query.where(API_KEYS.c.id > after)
    with sessions() as session:
        return [
            ApiKeyView(
                k.id,
                k.name,
                tuple(sorted(_grant_of(g) for g in json.loads(k.grants))),
                bool(k.moves_units),
                _utc(k.created_at) or k.created_at,
                k.revoked_at is not None,
            )
            for k in session.execute(query)
        ]


def user_jurisdictions(sessions: Sessions, user_id: str) -> frozenset[str]:
    """The jurisdictions a user holds grants in (who may manage them); NotFound if unknown."""
    with sessions() as session:
        _user(session, user_id)
        return frozenset(g.jurisdiction for g in grants_of(session, user_id))
