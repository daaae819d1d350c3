"""A request body parsed at the edge but on demand (``RequestContext.body(Model)``).

The route names the model; the service asks for the value once it has looked up the
record, so an unknown id (404) or a refused state (409) answers before a malformed (400/413)
or invalid (422) body (contract, Conventions). No pydantic import here: web/http.py loads
this at cold start."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


class Body(Generic[T]):
    """The first ``get()`` parses and validates; later ones return the same value (a failed
    parse raises its error again)."""

    __slots__ = ("_read", "_value")

    def __init__(self, read: Callable[[], T]) -> None:
        self._read = read
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._read()
        return self._value

    @staticmethod
    def of(model: type[M], data: Any) -> Body[M]:
        """A body from data at hand (jobs, ops, tests), validated on ``get()`` as over HTTP."""
        return Body(lambda: validated(model, data))


def validated(model: type[M], data: Any) -> M:
    from chalicelib.validation import validate_model

    return validate_model(model, data)
