"""Tours, registrations and registration counters in the tours table.

- ``TOUR#<tour>`` / ``TOUR``            the tour (gsi1: ``AGENCY#<agency>`` / ``TOUR#<created>#<tour>``)
- ``TOUR#<tour>`` / ``STATS#<n>``        one of STATS_SHARDS counter shards
- ``REG#<registration>`` / ``REG``      a registration (gsi1: ``TOUR#<tour>`` / ``REG#<created>#<id>``)

Counters are sharded because every registration and decision bumps them inside its
transaction; one hot counter item would make concurrent transactions conflict.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any, cast

from chalicelib.storage.dynamo import Condition, ConditionFailed, Item, Table, Transaction, Update
from chalicelib.tours.items import RegistrationItem

STATS_SHARDS = 10
COUNTERS = ("registrations", "unlocked", "pending_email", "pending_approval", "denied")


def counter_totals(shards: list[Item]) -> dict[str, int]:
    return {name: sum(int(i.get(name, 0)) for i in shards) for name in COUNTERS}


def tour_key(tour_id: str) -> tuple[str, str]:
    return f"TOUR#{tour_id}", "TOUR"


def registration_key(registration_id: str) -> tuple[str, str]:
    return f"REG#{registration_id}", "REG"


class TourRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get_tour(self, tour_id: str) -> Item | None:
        return self.table.get(*tour_key(tour_id)) if tour_id else None

    def create_tour(self, tour: dict[str, Any]) -> None:
        pk, sk = tour_key(tour["tour_id"])
        self.table.put({
            "pk": pk, "sk": sk, "gsi1pk": f"AGENCY#{tour['agency_id']}",
            "gsi1sk": f"TOUR#{tour['created_at']}#{tour['tour_id']}", **tour,
        }, Condition("attribute_not_exists({pk})"))

    def replace_tour(self, tour: dict[str, Any], expected_version: int) -> None:
        pk, sk = tour_key(tour["tour_id"])
        self.table.put({
            "pk": pk, "sk": sk, "gsi1pk": f"AGENCY#{tour['agency_id']}",
            "gsi1sk": f"TOUR#{tour['created_at']}#{tour['tour_id']}", **tour,
        }, Condition("{version} = {:v} AND {agency_id} = {:a}", v=expected_version,
                     a=tour["agency_id"]))

    def list_tours(self, agency_id: str, limit: int = 200) -> list[Item]:
        items, _ = self.table.query(
            Condition("{gsi1pk} = {:p} AND begins_with({gsi1sk}, {:s})",
                      p=f"AGENCY#{agency_id}", s="TOUR#"),
            index="gsi1", forward=False, limit=limit,
        )
        return items

    def set_agency_privacy_url(self, agency_id: str, url: str) -> int:
        """Refresh the copy of the agency profile's privacy URL on every tour of the agency
        (the gate reads it with the tour, one read). Queries the agency's tours index page
        by page; each update is conditional on the tour still being the agency's."""
        start: dict[str, Any] | None = None
        changed = 0
        while True:
            items, start = self.table.query(
                Condition("{gsi1pk} = {:p} AND begins_with({gsi1sk}, {:s})",
                          p=f"AGENCY#{agency_id}", s="TOUR#"),
                index="gsi1", start_key=start,
            )
            for item in items:
                if item.get("agency_privacy_url") == url:
                    continue
                try:
                    self.table.update(*tour_key(item["tour_id"]),
                                      Update(sets={"agency_privacy_url": url}),
                                      Condition("{agency_id} = {:a}", a=agency_id))
                    changed += 1
                except ConditionFailed:
                    continue  # deleted meanwhile
            if not start:
                return changed

    def get_registration(self, registration_id: str) -> RegistrationItem | None:
        item = self.table.get(*registration_key(registration_id)) if registration_id else None
        return cast("RegistrationItem | None", item)

    def tour_and_registration(self, tour_id: str, registration_id: str
                              ) -> tuple[Item | None, RegistrationItem | None]:
        """Both in one BatchGetItem round trip (the viewer's access check)."""
        items = self.table.batch_get([tour_key(tour_id), registration_key(registration_id)])
        tour = next((i for i in items if i["sk"] == "TOUR"), None)
        registration = next((i for i in items if i["sk"] == "REG"), None)
        return tour, cast("RegistrationItem | None", registration)

    def list_registrations(self, tour_id: str, limit: int, after: str | None
                           ) -> tuple[list[RegistrationItem], str | None]:
        start = None
        if after:
            registration_id = after.rsplit("#", 1)[-1]
            start = {"gsi1pk": f"TOUR#{tour_id}", "gsi1sk": after,
                     "pk": f"REG#{registration_id}", "sk": "REG"}
        items, last = self.table.query(
            Condition("{gsi1pk} = {:p} AND begins_with({gsi1sk}, {:s})",
                      p=f"TOUR#{tour_id}", s="REG#"),
            index="gsi1", forward=False, limit=limit, start_key=start,
        )
        return cast("list[RegistrationItem]", items), (last["gsi1sk"] if last else None)

    def stats(self, tour_id: str) -> dict[str, int]:
        return counter_totals(self.stat_shards(tour_id))

    def stat_shards(self, tour_id: str) -> list[Item]:
        items, _ = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"TOUR#{tour_id}", s="STATS#"),
            consistent=True,
        )
        return items

    # -- writes staged into a caller's transaction -------------------------------------

    def stage_registration(self, tx: Transaction, registration: RegistrationItem) -> None:
        pk, sk = registration_key(registration["registration_id"])
        tx.put(self.table, {
            "pk": pk, "sk": sk, "gsi1pk": f"TOUR#{registration['tour_id']}",
            "gsi1sk": f"REG#{registration['created_at']}#{registration['registration_id']}",
            **registration,
        }, condition=Condition("attribute_not_exists({pk})"), label="registration")

    def stage_counters(self, tx: Transaction, tour_id: str, deltas: dict[str, int]) -> None:
        shard = random.randrange(STATS_SHARDS)  # noqa: S311 - spreading load, not security
        tx.update(self.table, f"TOUR#{tour_id}", f"STATS#{shard}", Update(adds=deltas),
                  label="stats")

    def stage_status_change(self, tx: Transaction, registration_id: str, *, expected: str,
                            new: str, sets: dict[str, Any], viewer_hash: str | None) -> None:
        update = Update(sets={"status": new, **sets}, adds={"version": 1})
        if viewer_hash:
            update.adds["viewer_hashes"] = {viewer_hash}
        tx.update(self.table, *registration_key(registration_id), update,
                  condition=Condition("{status} = {:s}", s=expected), label="registration")

    def mark_undeliverable(self, registration_id: str) -> None:
        # A registration deleted meanwhile has nothing left to flag.
        with contextlib.suppress(ConditionFailed):
            self.table.update(*registration_key(registration_id),
                              Update(sets={"undeliverable": True}),
                              Condition("attribute_exists({pk})"))
