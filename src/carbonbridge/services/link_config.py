"""The linking agreement and this registry's signing key (CARBONBRIDGE_CONFIG/link-BY-CN.toml
overrides the shipped agreement; the composition root reads CARBONBRIDGE_LINK_KEY, the file with
the hex Ed25519 seed, and hands its path in: `App.signing_key`)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbonbridge.adapters.config import config_document
from carbonbridge.adapters.link_agreement import parse_agreement
from carbonbridge.domain.errors import NotFound, Problem, ValidationFailed
from carbonbridge.domain.link.agreement import LinkAgreement
from carbonbridge.domain.link.messages import private_key, public_key_hex

AGREEMENT_FILE = "BY-CN.toml"


@cache
def load_agreement() -> LinkAgreement:
    found = config_document("link", AGREEMENT_FILE, override_name=f"link-{AGREEMENT_FILE}")
    if found is None:
        raise NotFound(f"no linking agreement link/{AGREEMENT_FILE}")
    data, path = found
    return parse_agreement(data, file=path)


def demo_seed(jurisdiction: str) -> bytes:
    """The documented demo key seed (data/link/BY-CN.toml): public knowledge, demo only."""
    return hashlib.sha256(f"carbonbridge demo link key {jurisdiction}".encode()).digest()


@cache
def signing_key(jurisdiction: str, key_file: Path | None) -> Ed25519PrivateKey:
    """This registry's key: the seed in `key_file` (CARBONBRIDGE_LINK_KEY), or the demo key when
    the agreement ships demo keys. It must match the agreement's public key for the jurisdiction."""
    agreement = load_agreement()
    if key_file is not None:
        key = private_key(bytes.fromhex(key_file.read_text(encoding="ascii").strip()))
    elif agreement.demo_keys:
        key = private_key(demo_seed(jurisdiction))
    else:
        raise ValidationFailed([Problem("set CARBONBRIDGE_LINK_KEY to this registry's Ed25519 seed file")])
    if public_key_hex(key) != agreement.public_keys.get(jurisdiction):
        raise ValidationFailed(
            [Problem(f"the signing key does not match the agreement's public key of {jurisdiction}")]
        )
    return key


def linked_origins(jurisdiction: str) -> frozenset[str]:
    """Jurisdictions whose units this registry may hold (its link partners)."""
    found = config_document("link", AGREEMENT_FILE, override_name=f"link-{AGREEMENT_FILE}")
    if found is None:
        return frozenset()
    agreement = load_agreement()
    return frozenset({agreement.partner_of(jurisdiction)}) if jurisdiction in agreement.parties else frozenset()
