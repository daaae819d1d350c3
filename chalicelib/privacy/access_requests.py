"""The log of access requests (GDPR Art. 12(3): answer "without undue delay and in any event
within one month of receipt"): the agency records "Auskunftsersuchen erhalten am …", the
product computes the deadline and lists the request until it is marked answered (usually
after sending the export of ``GET /agency/addresses/{id}/export``).

``AGENCY#<agency>`` / ``ACCESSREQ#OPEN#<due>#<id>`` while open (so the open ones are one
Query, soonest deadline first), moved to ``ACCESSREQ#DONE#<id>`` in one transaction when
answered. The item names the address by id only; a free-text note is not kept.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.body import Body
from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.errors import Conflict, NotFound, Unavailable
from chalicelib.privacy.model import IsoDate, RecordId
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction, TransactionCancelled
from chalicelib.validation import validate_model

PUBLIC = ("request_id", "address_id", "received_on", "due_on", "status", "answered_on",
          "created_at")


def one_month_after(day: date) -> date:
    """Art. 12(3) with Art. 3(2)(c) of Regulation 1182/71: the same day of the next month,
    or that month's last day when it has no such day (31 January → 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class NewAccessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    address_id: RecordId | None = None
    received_on: IsoDate | None = None


class AnswerInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    answered_on: IsoDate | None = None


def public(item: Item) -> dict[str, Any]:
    return {k: item.get(k) for k in PUBLIC}


class AccessRequests:
    def __init__(self, table: Table, book: Any, clock: Clock) -> None:
        self.table = table
        self.book = book
        self.clock = clock

    def create(self, agency_id: str, payload: Any) -> dict[str, Any]:
        data = validate_model(NewAccessRequest, payload)
        today = berlin_date(self.clock.now())
        received = date.fromisoformat(data.received_on) if data.received_on else today
        if received > today:
            from chalicelib.errors import ValidationFailed

            raise ValidationFailed({"received_on": "Darf nicht in der Zukunft liegen."})
        if data.address_id is not None:
            self.book.require(agency_id, data.address_id)
        request_id = new_id()
        due = one_month_after(received).isoformat()
        item = {"pk": f"AGENCY#{agency_id}", "sk": f"ACCESSREQ#OPEN#{due}#{request_id}",
                "request_id": request_id, "address_id": data.address_id,
                "received_on": received.isoformat(), "due_on": due, "status": "open",
                "answered_on": None, "created_at": iso(self.clock.now())}
        self.table.put(item, Condition("attribute_not_exists({pk})"))
        return public(item)

    def open(self, agency_id: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"AGENCY#{agency_id}",
                          s="ACCESSREQ#OPEN#"), limit=200, start_key=start, consistent=True)
            found += [public(i) for i in items]
            if start is None:
                break
        today = berlin_date(self.clock.now()).isoformat()
        for entry in found:
            entry["overdue"] = entry["due_on"] < today
        return {"requests": found, "total": len(found)}

    def answer(self, agency_id: str, request_id: str, body: Body[AnswerInput]
               ) -> dict[str, Any]:
        open_item = next((i for i in self._open_items(agency_id)
                          if i["request_id"] == request_id), None)
        if open_item is None:
            if self.table.get(f"AGENCY#{agency_id}", f"ACCESSREQ#DONE#{request_id}"):
                raise Conflict("Dieses Auskunftsersuchen ist bereits beantwortet.",
                               code="already_answered")
            raise NotFound("Auskunftsersuchen nicht gefunden.")
        data = body.get()
        answered = data.answered_on or berlin_date(self.clock.now()).isoformat()
        done = {**open_item, "sk": f"ACCESSREQ#DONE#{request_id}", "status": "answered",
                "answered_on": answered}
        tx = Transaction(self.table.client)
        tx.delete(self.table, open_item["pk"], open_item["sk"],
                  condition=Condition("attribute_exists({pk})"), label="open")
        tx.put(self.table, done, condition=Condition("attribute_not_exists({pk})"),
               label="done")
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise Conflict("Dieses Auskunftsersuchen ist bereits beantwortet.",
                           code="already_answered") from exc
        return public(done)

    def _open_items(self, agency_id: str) -> list[Item]:
        items, _ = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"AGENCY#{agency_id}",
                      s="ACCESSREQ#OPEN#"), limit=500, consistent=True)
        return items

