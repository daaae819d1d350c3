"""The three GDPR worklists (onOffice's widgets), read from the sparse "gdpr" index: only
the index range that can hold a list's members is queried, page by page; each candidate
is then checked against the pure rule (the index is eventually consistent, and the
consent assistant's "mailed in the last 14 days" is not part of the key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock, berlin_date
from chalicelib.errors import NotFound
from chalicelib.privacy import rules
from chalicelib.privacy.addresses import AddressBook, gdpr_state, public_activity, public_address
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import (
    Condition,
    Item,
    serialize_value,
    translate_throttling,
)

PREVIEW_ACTIVITIES = 5
MEMBERSHIP = {
    "consent-assistant": rules.in_consent_assistant,
    "deletion-requested": rules.in_deletion_requested,
    "expired": rules.is_expired,
}


class Worklists:
    def __init__(self, book: AddressBook, clock: Clock) -> None:
        self.book = book
        self.table = book.table
        self.clock = clock

    def candidates(self, agency_id: str, name: str, after: str | None, limit: int
                   ) -> tuple[list[Item], str | None]:
        """Up to ``limit`` members of the list after index position ``after``, and the
        position to continue from (None at the end)."""
        today = berlin_date(self.clock.now())
        member = MEMBERSHIP[name]
        members: list[Item] = []
        # One member more than the page: a next cursor only when there is a next page.
        wanted = limit + 1
        for key_range in rules.list_ranges(agency_id, name, today):
            if after and after > key_range.high:
                continue  # this range was finished on an earlier page
            low = key_range.low
            start: dict[str, Any] | None = None
            if after and after >= low:
                start = _start_key(agency_id, after)
            while len(members) < wanted:
                items, start = self.table.query(
                    Condition("{gdpr_pk} = {:p} AND {gdpr_sk} BETWEEN {:lo} AND {:hi}",
                              p=rules.bucket(agency_id), lo=low, hi=key_range.high),
                    index="gdpr", limit=wanted - len(members), start_key=start)
                for item in items:
                    if item.get("sk", "").startswith("ADDRESS#") and member(item, today):
                        members.append(item)
                if start is None:
                    break
            if len(members) >= wanted:
                return members[:limit], members[limit - 1]["gdpr_sk"]
        return members, None

    def page(self, agency_id: str, name: str, page: Page) -> dict[str, Any]:
        limit = page.limit
        if name not in MEMBERSHIP:
            raise NotFound("Unbekannte Liste.")
        position = page.after(f"{agency_id}#")
        # The total is counted once, for the first page, and carried in the cursor: the
        # same on every page, and walking a long list costs no COUNT per page.
        after, total = _split(position)
        members, last = self.candidates(agency_id, name, after, limit)
        if total is None:
            total = self.total(agency_id, name)
        return {"addresses": [self.preview_item(agency_id, m) for m in members],
                "next_cursor": cursor.encode(f"{last}{TOTAL_SEP}{total}") if last else None,
                "total": total}

    def total(self, agency_id: str, name: str) -> int:
        """The size of the whole list now, whatever the page: a COUNT over the list's
        index ranges (cost ∝ the list; nothing is returned but the number). The key
        ranges decide membership except the consent assistant's "not mailed in the last
        14 days", which is the filter."""
        today = berlin_date(self.clock.now())
        filter_: Condition | None = None
        if name == "consent-assistant":
            cutoff = (today - timedelta(days=rules.RECONTACT_DAYS)).isoformat()
            filter_ = Condition("attribute_not_exists({last_consent_request_on}) OR "
                                "{last_consent_request_on} <= {:c}", c=cutoff)
        total = 0
        for key_range in rules.list_ranges(agency_id, name, today):
            total += count(self.table, Condition(
                "{gdpr_pk} = {:p} AND {gdpr_sk} BETWEEN {:lo} AND {:hi}",
                p=rules.bucket(agency_id), lo=key_range.low, hi=key_range.high),
                index="gdpr", filter_=filter_)
        return total

    def preview_item(self, agency_id: str, item: Item) -> dict[str, Any]:
        activities = self.book.activities(agency_id, item["address_id"],
                                          limit=PREVIEW_ACTIVITIES)
        return {**public_address(item), **gdpr_state(item),
                "activities": [public_activity(a) for a in activities]}


TOTAL_SEP = "\x1f"


def _split(position: str | None) -> tuple[str | None, int | None]:
    """A cursor's index position and the list's total of the first page."""
    if position is None:
        return None, None
    after, sep, total = position.rpartition(TOTAL_SEP)
    if not sep:
        return position, None  # a cursor of an older version: count again
    if not total.isascii() or not total.isdigit() or len(total) > 9:
        from chalicelib.errors import ValidationFailed

        raise ValidationFailed({"cursor": "Ungültiger Cursor."})
    return after, int(total)


def count(table: Any, key: Condition, *, index: str, filter_: Condition | None) -> int:
    """Query with ``Select=COUNT``, page by page (a page stops at 1 MB read)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    args: dict[str, Any] = {"TableName": table.name, "IndexName": index, "Select": "COUNT",
                            "KeyConditionExpression": key.render(names, values)}
    if filter_ is not None:
        args["FilterExpression"] = filter_.render(names, values)
    args["ExpressionAttributeNames"] = names
    args["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in values.items()}
    total = 0
    while True:
        with translate_throttling():
            resp = table.client.query(**args)
        total += int(resp.get("Count", 0))
        if not resp.get("LastEvaluatedKey"):
            return total
        args["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def _start_key(agency_id: str, position: str) -> dict[str, Any]:
    """Rebuilds the index's ExclusiveStartKey from the sort-key position alone (the
    partition comes from the agency, never from the cursor)."""
    address_id = position.rsplit("#", 1)[-1]
    return {"gdpr_pk": rules.bucket(agency_id), "gdpr_sk": position,
            "pk": f"AGENCY#{agency_id}", "sk": f"ADDRESS#{address_id}"}
