"""Opaque pagination cursors. A cursor carries only the sort-key position; the server
rebuilds the full key from what it already knows, so a forged cursor can never move a
query into another tenant's partition.

A route hands its service a ``Page`` (``RequestContext.page``): the list's ``?limit=`` range
is named at the edge, the cursor's shape by the service that knows its sort keys."""

from __future__ import annotations

import base64
import binascii
import re
from functools import cached_property

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


class Page:
    """A list request's ``?limit=`` and ``?cursor=``, each parsed when the service first asks
    for it (like ``chalicelib.body.Body``): the service looks its record up first, so an
    unknown id answers 404 before a bad limit or cursor answers 422."""

    def __init__(self, limit: str | None = None, cursor: str | None = None, *,
                 default: int = 50, maximum: int = 100) -> None:
        self._limit = limit
        self._cursor = cursor
        self.default = default
        self.maximum = maximum

    @cached_property
    def limit(self) -> int:
        return page_limit(self._limit, self.default, self.maximum)

    def after(self, prefix: str = "", shape: re.Pattern[str] | None = None) -> str | None:
        """The sort-key position the cursor carries (``None`` for the first page): 422 unless
        it starts with ``prefix`` and, if given, matches ``shape`` in full."""
        position = decode(self._cursor, prefix)
        if position is not None and shape is not None and not shape.fullmatch(position):
            raise ValidationFailed({"cursor": "Ungültiger Cursor."})
        return position
