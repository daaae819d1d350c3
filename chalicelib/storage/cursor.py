"""Opaque pagination cursors. A cursor carries only the sort-key position; the server
rebuilds the full key from what it already knows, so a forged cursor can never move a
query into another tenant's partition."""

from __future__ import annotations

import base64
import binascii
import re

from chalicelib.errors import ValidationFailed


def encode(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str | None, prefix: str) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise ValidationFailed({"cursor": "Ungültiger Cursor."}) from exc
    if not position.startswith(prefix) or len(position) > 300:
        raise ValidationFailed({"cursor": "Ungültiger Cursor."})
    return position


_LIMIT = re.compile(r"[0-9]{1,4}")


def page_limit(raw: str | None, default: int = 50, maximum: int = 100) -> int:
    """``?limit=``: absent or empty → ``default``; otherwise ASCII digits from 1 to ``maximum``
    (``str.isdigit`` would let "²" through to ``int()``)."""
    if raw is None or raw == "":
        return default
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ValidationFailed({"limit": f"Eine ganze Zahl von 1 bis {maximum}."})
    return int(raw)
