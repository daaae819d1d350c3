"""Local stack helpers: read back what went through the SES stand-in (moto, in-process)."""

from __future__ import annotations

import email
from email import policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from chalicelib.clock import iso

if TYPE_CHECKING:
    from joserfc.jwk import KeySetSerialization


def parse_raw_mail(message_id: str, raw: str, destinations: list[str]) -> dict[str, Any]:
    parsed = email.message_from_string(raw, policy=policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    # moto adds the To: addresses to the destinations again; show each bare address once.
    to = list(dict.fromkeys(addr for _, addr in getaddresses(destinations) if addr))
    date = parsed.get("Date")
    return {
        "id": message_id,
        "to": to,
        "from": str(parsed.get("From", "")),
        "reply_to": str(parsed.get("Reply-To", "")) or None,
        "subject": str(parsed.get("Subject", "")),
        "text": text_part.get_content() if text_part is not None else "",
        "html": html_part.get_content() if html_part is not None else "",
        "sent_at": iso(parsedate_to_datetime(date)) if date else None,
    }


def read_outbox(region: str) -> list[dict[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][region]
    messages = []
    for sent in list(backend.sent_messages):
        raw = getattr(sent, "raw_data", None)
        if raw is None:
            continue
        messages.append(parse_raw_mail(sent.id, raw, list(sent.destinations)))
    return messages


def user_pool_name(prefix: str) -> str:
    """The pool's name: ``<stack>-users`` in the template (infra/cognito.json)."""
    return f"{prefix}-users"


def local_user_pool(client: Any, prefix: str) -> tuple[str | None, str | None]:
    """The pool and app client devstack created on moto (found by name, once per
    container; deployed stages get both ids from the template instead)."""
    name = user_pool_name(prefix)
    pools = client.list_user_pools(MaxResults=60).get("UserPools", [])
    pool_id = next((p["Id"] for p in pools if p["Name"] == name), None)
    if pool_id is None:
        return None, None
    clients = client.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)
    client_id = next((c["ClientId"] for c in clients.get("UserPoolClients", [])), None)
    return pool_id, client_id


def moto_jwks() -> KeySetSerialization:
    """The public keys moto signs its Cognito tokens with (TRAPS.md: kid "dummy")."""
    import gzip
    from importlib import resources

    from chalicelib.auth.jwt_verify import jwks_document

    path = resources.files("moto.cognitoidp") / "resources" / "jwks-public.json.gz"
    return jwks_document(gzip.decompress(path.read_bytes()))
