"""`carbonbridge users`: the administrator's local tool for the multi-user service: the first
administrator, users and their roles, API keys, unlocks. It acts directly on the database (whoever
runs it can open the database); over HTTP the signed-in principal acts instead."""

import io
from typing import Annotated, Any

import typer

from carbonbridge.entrypoints.cli.common import now as _now
from carbonbridge.entrypoints.cli.common import sessions as _sessions
from carbonbridge.entrypoints.cli.errors import cli_errors

app = typer.Typer(
    help="Users, roles and API keys of the HTTP service (a local administrator's tool: it needs database access).",
    no_args_is_help=True,
)
GrantOpt = Annotated[
    list[str],
    typer.Option("--grant", help="ROLE:JURISDICTION[:ACCOUNT-OR-INSTALLATION], e.g. trader:BY:BY-T1 (repeatable)"),
]
Representative = Annotated[
    str | None, typer.Option("--representative", help="Registry representative the user acts as (replaces --by)")
]


def _grants(values: list[str]) -> list[Any]:
    from carbonbridge.domain.auth.principal import Grant, Role
    from carbonbridge.domain.errors import Problem, ValidationFailed

    found = []
    for value in values:
        parts = value.split(":", 2)
        try:
            found.append(Grant(Role(parts[0]), parts[1].upper(), parts[2] if len(parts) > 2 else ""))
        except (ValueError, IndexError):
            raise ValidationFailed([Problem(f"not ROLE:JURISDICTION[:SCOPE]: {value!r}", field="--grant")]) from None
    return found


def _password() -> str:
    return str(typer.prompt("Password (12 or more characters)", hide_input=True, confirmation_prompt=True))


def _show_enrolment(uri: str) -> None:
    import segno

    out = io.StringIO()
    segno.make(uri).terminal(out=out, compact=True)
    typer.echo("Enrol this TOTP seed in an authenticator app (shown once):")
    typer.echo(out.getvalue())
    typer.echo(uri)


def _create(ctx: typer.Context, user_id: str, grants: list[Any], representative: str | None) -> None:
    from carbonbridge.services.auth import create_user

    with cli_errors():
        enrolment = create_user(
            _sessions(ctx), user_id, _password(), grants, now=_now(), representative_id=representative, actor="cli"
        )
    typer.echo(f"user {user_id} created")
    _show_enrolment(enrolment.provisioning_uri)


@app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    user_id: str,
    jurisdiction: Annotated[list[str], typer.Option("--jurisdiction", "-j", help="BY and/or CN (repeatable)")],
    representative: Representative = None,
) -> None:
    """Create the first registry administrator; prints the TOTP provisioning URI and QR code."""
    from carbonbridge.domain.auth.principal import Grant, Role

    _create(ctx, user_id, [Grant(Role.REGISTRY_ADMIN, j.upper()) for j in jurisdiction], representative)


@app.command("create")
def create(ctx: typer.Context, user_id: str, grant: GrantOpt, representative: Representative = None) -> None:
    """Create a user with roles; prints the TOTP provisioning URI and QR code."""
    with cli_errors():
        grants = _grants(grant)
    _create(ctx, user_id, grants, representative)


@app.command("grant")
def grant(ctx: typer.Context, user_id: str, grant: GrantOpt) -> None:
    """Replace a user's roles."""
    from carbonbridge.services.auth import set_grants

    with cli_errors():
        set_grants(_sessions(ctx), user_id, _grants(grant), now=_now(), actor="cli")
    typer.echo(f"{user_id}: {', '.join(grant) or 'no roles'}")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Users with their roles and state."""
    from carbonbridge.services.auth import list_users

    after = None
    while True:
        with cli_errors():
            found = list_users(_sessions(ctx), now=_now(), after=after, limit=200)
        for u in found:
            roles = ", ".join(f"{g.role.value}:{g.jurisdiction}{':' + g.scope if g.scope else ''}" for g in u.grants)
            state = "disabled" if u.disabled else "locked" if u.locked else "active"
            typer.echo(f"{u.id}\t{state}\t{u.representative_id or '-'}\t{roles}")
        if len(found) < 200:
            break
        after = found[-1].id


@app.command("unlock")
def unlock(ctx: typer.Context, user_id: str) -> None:
    """Lift a lockout after failed sign-ins."""
    from carbonbridge.services.auth import set_user_state

    with cli_errors():
        set_user_state(_sessions(ctx), user_id, now=_now(), actor="cli", unlock=True)
    typer.echo(f"{user_id}: unlocked")


@app.command("disable")
def disable(ctx: typer.Context, user_id: str, enable: Annotated[bool, typer.Option("--enable")] = False) -> None:
    """Disable a user (or --enable again); their sessions and keys stop working at once."""
    from carbonbridge.services.auth import set_user_state

    with cli_errors():
        set_user_state(_sessions(ctx), user_id, now=_now(), actor="cli", disable=not enable)
    typer.echo(f"{user_id}: {'enabled' if enable else 'disabled'}")


@app.command("revoke-sessions")
def revoke_sessions(ctx: typer.Context, user_id: str) -> None:
    """Revoke every session of a user (on every worker)."""
    from carbonbridge.services.auth import revoke_user_sessions

    with cli_errors():
        count = revoke_user_sessions(_sessions(ctx), user_id, now=_now(), actor="cli")
    typer.echo(f"{user_id}: {count} sessions revoked")


@app.command("api-key")
def api_key(
    ctx: typer.Context,
    user_id: str,
    name: Annotated[str, typer.Option("--name")],
    grant: GrantOpt,
    moves_units: Annotated[bool, typer.Option("--moves-units", help="May propose and approve unit movements")] = False,
) -> None:
    """Create an API key acting for a user, scoped to some of their roles; prints the secret once."""
    from carbonbridge.services.auth import create_api_key

    with cli_errors():
        issued = create_api_key(
            _sessions(ctx), user_id, name, _grants(grant), now=_now(), moves_units=moves_units, actor="cli"
        )
    typer.echo(f"API key {issued.id} (shown once): {issued.secret}")


@app.command("revoke-key")
def revoke_key(ctx: typer.Context, key_id: str) -> None:
    """Revoke an API key."""
    from carbonbridge.services.auth import revoke_api_key

    with cli_errors():
        revoke_api_key(_sessions(ctx), key_id, now=_now(), actor="cli")
    typer.echo(f"API key {key_id}: revoked")
