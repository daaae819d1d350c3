"""The optimistic-retry loop, once: read → decide → conditional write or transaction, and
again when the state moved in between. Every state change is a conditional write (a lost
race fails its condition); the loser reads again and decides on what it finds now, and
after ``attempts`` tries the request answers 503 with ``Retry-After`` instead of spinning.

An attempt signals "read again" by raising ``Retry`` (or returning normally, which ends
the loop with its value); any other exception ends the loop and propagates. A site whose
last lost race means something other than 503 (a batch that skips the item and goes on)
passes ``exhausted``: its value (or error) is the answer then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.errors import Unavailable

T = TypeVar("T")
ATTEMPTS = 3


class Retry(Exception):
    """The state changed between read and write: read again and decide again."""


def optimistic(attempt: Callable[[int], T], *, attempts: int = ATTEMPTS,
               retry_after: int = 1, exhausted: Callable[[], T] | None = None) -> T:
    """Runs ``attempt(n)`` for n = 0, 1, … until it returns; once ``attempts`` attempts
    raised ``Retry``, ``exhausted()`` when given, else ``Unavailable``."""
    for number in range(attempts):
        try:
            return attempt(number)
        except Retry:
            continue
    if exhausted is not None:
        return exhausted()
    raise Unavailable(retry_after=retry_after)
