"""Personal data behind one registry: every capability that stores data about a person
implements ``Holder`` and registers it in ``wiring.Container.person_data``.

A holder says which item kinds it holds (``kinds``, key prefixes per table: the coverage
test ``tests/functional/test_person_data_coverage.py`` fails when the suite writes a kind
that no holder claims and that no owning module declared ``neutral``), who is the controller
(the agency, or the platform for reviews and report answers), its Art. 30 facts, and how
to find, export and erase one person's data.

A person (``Subject``) is an email within one agency. Some data is reached only through
another holder's records (a tour registration through the address book's inquiry
activity, a mail through the registration that sent it): a holder's ``find`` returns the
ids it learned as ``refs``, and holders are asked in registration order, each seeing the
refs of those before it. Register a holder after the ones whose refs it reads.

Who may ask: an agency's export and erasure iterate only ``controller == AGENCY``
(``Registry.agency()``); the platform's data (who wrote a review, what they answered to
a report) goes only through the operator's paths (``chalicelib/ops.py``), so an agency
never learns who wrote a review and cannot delete one by creating and deleting an
address with the reviewer's email.

Adding a holder (e.g. webhooks, accounts, viewing data): write a class with the five
attributes/methods below in the capability's own package (``<capability>/holder.py``),
add it in ``Container.person_data`` in the order its refs need, and list its key prefixes
in docs/architecture.md. ``Found``'s ``keys`` are what an erasure deletes; the address
book's erasure puts the agency holders' keys into its crash-safe clean-up plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Controller(StrEnum):
    AGENCY = "agency"
    PLATFORM = "platform"


# Logical table names, as in ``Settings.table(name)``.
StoredKey = tuple[str, str, str]  # table, pk, sk


@dataclass(frozen=True)
class ItemKind:
    """Items whose keys start with ``pk`` and ``sk`` in ``table``."""

    table: str
    pk: str
    sk: str = ""
    what: str = ""

    def matches(self, table: str, pk: str, sk: str) -> bool:
        return table == self.table and pk.startswith(self.pk) and sk.startswith(self.sk)


@dataclass(frozen=True)
class ProcessingRecord:
    """The Art. 30(1) facts of one processing activity."""

    purpose: str
    data_categories: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: str
    legal_basis: str = ""


@dataclass(frozen=True)
class Subject:
    """One person: an email within one agency, plus ids earlier holders found for them
    (``refs["registration"]`` = registration ids, ``refs["mail"]`` = outbox mail ids…)."""

    agency_id: str
    email: str
    refs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def ref(self, name: str) -> tuple[str, ...]:
        return tuple(self.refs.get(name, ()))

    def adding(self, refs: Mapping[str, Iterable[str]]) -> Subject:
        merged = {k: tuple(v) for k, v in self.refs.items()}
        for name, ids in refs.items():
            merged[name] = tuple(dict.fromkeys((*merged.get(name, ()), *ids)))
        return Subject(self.agency_id, self.email, merged)


@dataclass
class Found:
    """What one holder has about a subject: the keys an erasure deletes, and ids other
    holders may need (``refs``). ``empty`` when the holder knows nothing of the person."""

    keys: list[StoredKey] = field(default_factory=list)
    refs: dict[str, list[str]] = field(default_factory=dict)
    # The holder's own handle for export/erase (e.g. the address item), opaque to others.
    handle: Any = None
    # What the erasure's proof counts (``{"registrations": 2}``), by name.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.keys and self.handle is None


@runtime_checkable
class Holder(Protocol):
    name: str
    controller: Controller
    record: ProcessingRecord

    # Read-only: a holder may declare its kinds as a fixed tuple (a class attribute).
    @property
    def kinds(self) -> tuple[ItemKind, ...]: ...

    def find(self, subject: Subject) -> Found: ...

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        """Sections of the person's export (merged into one JSON object)."""
        ...

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        """Erases what ``found`` names; answers what the caller reports."""
        ...


@dataclass
class Located:
    """The outcome of asking every holder in order."""

    subject: Subject
    found: list[tuple[Holder, Found]]

    @property
    def empty(self) -> bool:
        return all(f.empty for _, f in self.found)

    def keys(self) -> list[StoredKey]:
        return list(dict.fromkeys(k for _, f in self.found for k in f.keys))

    def count(self, name: str) -> int:
        return sum(f.counts.get(name, 0) for _, f in self.found)


def locate(holders: Iterable[Holder], subject: Subject) -> Located:
    """Asks each holder in order; a holder sees the refs of the ones before it."""
    found: list[tuple[Holder, Found]] = []
    for holder in holders:
        result = holder.find(subject)
        found.append((holder, result))
        subject = subject.adding(result.refs)
    return Located(subject, found)


class Registry:
    def __init__(self, holders: Sequence[Holder], neutral: Iterable[ItemKind] = ()) -> None:
        """``neutral``: item kinds without personal data (ids, counters, settings, the
        agency's business data), each declared by its owning module."""
        names = [h.name for h in holders]
        if len(set(names)) != len(names):
            raise ValueError(f"holder names must be unique: {names}")
        self._holders = tuple(holders)
        self.neutral = tuple(neutral)

    def __iter__(self) -> Iterator[Holder]:
        return iter(self._holders)

    def get(self, name: str) -> Holder:
        for holder in self._holders:
            if holder.name == name:
                return holder
        raise KeyError(name)

    def agency(self) -> list[Holder]:
        """The holders an agency's export and erasure may use."""
        return [h for h in self._holders if h.controller is Controller.AGENCY]

    def kinds(self) -> list[tuple[Holder, ItemKind]]:
        return [(h, k) for h in self._holders for k in h.kinds]

    def claim(self, table: str, pk: str, sk: str) -> list[Holder]:
        return [h for h, k in self.kinds() if k.matches(table, pk, sk)]

    def is_neutral(self, table: str, pk: str, sk: str) -> bool:
        return any(k.matches(table, pk, sk) for k in self.neutral)

    def locate(self, subject: Subject, holders: Iterable[Holder] | None = None) -> Located:
        """Asks each holder (default: all, in order) for the subject."""
        return locate(self._holders if holders is None else holders, subject)

    def export(self, located: Located) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for holder, found in located.found:
            out.update(holder.export(located.subject, found))
        return out

    def erase(self, located: Located, *, by: str, reason: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for holder, found in located.found:
            out.update(holder.erase(located.subject, found, by=by, reason=reason))
        return out


def delete_keys(tables: Mapping[str, Any], keys: Sequence[StoredKey], chunk: int = 100
                ) -> None:
    """Deletes ``keys`` in transactions of at most ``chunk`` deletes (idempotent: a
    missing item is no error). ``tables`` maps logical table names to ``Table``s."""
    from chalicelib.storage.dynamo import Transaction

    if not keys:
        return
    client = next(iter(tables.values())).client
    for start in range(0, len(keys), chunk):
        tx = Transaction(client)
        for table, pk, sk in keys[start:start + chunk]:
            tx.delete(tables[table], pk, sk, label="cleanup")
        tx.execute()

