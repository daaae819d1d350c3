"""Random ids and secret tokens. Only hashes of secrets are ever stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_id() -> str:
    """An opaque 128-bit id (26 lowercase base32 chars)."""
    return _b32(secrets.token_bytes(16))


def new_secret() -> str:
    """A 192-bit URL-safe secret."""
    return secrets.token_urlsafe(24)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _b32(raw: bytes) -> str:
    import base64

    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()
