"""chalicelib/body.py: the body is read only when the service asks, once, and a bad body
fails the same way every time it is asked for."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from chalicelib.body import Body
from chalicelib.errors import ValidationFailed


class Note(BaseModel):
    text: str


def test_nothing_is_read_until_get_and_then_only_once() -> None:
    reads: list[int] = []

    def read() -> Note:
        reads.append(1)
        return Note(text="Hallo")

    body = Body(read)
    assert reads == []
    assert body.get() is body.get()
    assert body.get().text == "Hallo" and reads == [1]


def test_of_validates_on_get_with_the_contracts_fields() -> None:
    body = Body.of(Note, {"text": 3})
    with pytest.raises(ValidationFailed) as first:
        body.get()
    assert set(first.value.fields) == {"text"}
    with pytest.raises(ValidationFailed):
        body.get()
    assert Body.of(Note, {"text": "ok"}).get() == Note(text="ok")
