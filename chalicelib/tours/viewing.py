"""Viewing statistics: what the tour player reports (tour views, viewpoints shown and for
how long, the registration form opened), counted per tour and viewpoint always and
anonymously, per lead only with the prospect's consent (``viewing_stats_accepted``).

Cost of one ``POST /tours/{id}/views``, whatever the batch size: one BatchGetItem (tour,
the viewer's registration, the tour's viewpoint-id registry), one counter write on a
random stats shard (a two-item transaction with the registry only when the batch names
viewpoint ids never seen before) and, for a consenting lead, one write of the
registration's ``viewing`` map.

Items (tours table):
- ``TOUR#<tour>`` / ``STATS#<n>``  the existing shards gain ``tour_views``, ``form_opened``,
  ``views:<viewpoint>`` and ``seconds:<viewpoint>``
- ``TOUR#<tour>`` / ``VIEWIDS``    the viewpoint ids counted so far (≤ 500, a String Set)
- ``REG#<registration>`` / ``REG`` ``viewing``: the lead's totals and newest visits. Living
  on the registration, it is exported and erased with it (and so with the address).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.body import Body
from chalicelib.clock import Clock, iso
from chalicelib.errors import AppError, NotFound, ValidationFailed
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.tours.model import valid_viewpoint_id
from chalicelib.tours.repository import STATS_SHARDS, registration_key, tour_key

MAX_EVENTS = 50
MAX_VIEWPOINT_IDS = 500
MAX_VISITS = 50  # newest visits kept per lead (the timeline); totals count them all
VIEWS, SECONDS = "views:", "seconds:"


class ViewEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["tour_view", "viewpoint_view", "form_opened"]
    viewpoint_id: str | None = Field(default=None, max_length=100)
    seconds: int = Field(default=0, ge=0, le=3600)

    @field_validator("viewpoint_id")
    @classmethod
    def _viewpoint(cls, value: str | None) -> str | None:
        if value is not None and not valid_viewpoint_id(value):
            raise ValueError("Standpunkt-IDs: 1–100 Zeichen aus Buchstaben, Ziffern, _ . : -")
        return value


class ViewBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    viewer_token: str | None = Field(default=None, max_length=200)
    events: list[ViewEvent] = Field(min_length=1, max_length=MAX_EVENTS)


def _ids_key(tour_id: str) -> tuple[str, str]:
    return f"TOUR#{tour_id}", "VIEWIDS"


TokenParser = Callable[[str | None], tuple[str, str] | None]
TokenCheck = Callable[[str, Item, str], bool]


class ViewingStats:
    def __init__(self, table: Table, clock: Clock, *, parse_token: TokenParser,
                 token_matches: TokenCheck, max_viewpoint_ids: int = MAX_VIEWPOINT_IDS) -> None:
        self.table = table
        self.clock = clock
        self.parse_token = parse_token
        self.token_matches = token_matches
        self.max_viewpoint_ids = max_viewpoint_ids

    # -- the player's beacon ----------------------------------------------------------

    def record(self, tour_id: str, body: Body[ViewBatch], header_token: str | None,
               check_origin: Callable[[Item], None]) -> dict[str, Any]:
        # The body is judged only once the tour is known (404 wins), but read first: a
        # beacon carries its token in the body, and the registration is part of the one read.
        batch: ViewBatch | None = None
        problem: AppError | None = None
        try:
            batch = body.get()
        except AppError as error:
            problem = error
        parsed_token = self.parse_token(header_token or (batch.viewer_token if batch else None))
        keys = [tour_key(tour_id), _ids_key(tour_id)]
        if parsed_token is not None:
            keys.append(registration_key(parsed_token[0]))
        found = {(i["pk"], i["sk"]): i for i in self.table.batch_get(keys)}
        tour = found.get(tour_key(tour_id))
        if tour is None:
            raise NotFound("Rundgang nicht gefunden.")
        check_origin(tour)
        if problem is not None:
            raise problem
        assert batch is not None
        known = set((found.get(_ids_key(tour_id)) or {}).get("ids") or ())
        events, new_ids = self._admitted(batch.events, known)
        self._count(tour_id, events, new_ids)
        registration = found.get(registration_key(parsed_token[0])) if parsed_token else None
        per_lead = bool(registration and parsed_token
                        and registration.get("viewing_stats_accepted")
                        and self.token_matches(tour_id, registration, parsed_token[1]))
        if per_lead and registration is not None:
            self._add_to_lead(registration, events)
        return {"accepted": len(events), "per_lead": per_lead}

    def _admitted(self, events: list[ViewEvent], known: set[str]
                  ) -> tuple[list[ViewEvent], set[str]]:
        """The events to count: viewpoint events only for ids already counted or that
        still fit under the tour's cap (the rest are dropped, not refused)."""
        room = self.max_viewpoint_ids - len(known)
        new: set[str] = set()
        admitted = []
        for event in events:
            if event.type == "viewpoint_view":
                vp = event.viewpoint_id
                if vp is None:
                    raise ValidationFailed({"events": "viewpoint_view braucht viewpoint_id."})
                if vp not in known and vp not in new:
                    if len(new) >= room:
                        continue
                    new.add(vp)
            admitted.append(event)
        return admitted, new

    def _count(self, tour_id: str, events: list[ViewEvent], new_ids: set[str]) -> None:
        adds: dict[str, int] = {}
        for event in events:
            if event.type == "viewpoint_view":
                assert event.viewpoint_id is not None
                adds[VIEWS + event.viewpoint_id] = adds.get(VIEWS + event.viewpoint_id, 0) + 1
                adds[SECONDS + event.viewpoint_id] = (adds.get(SECONDS + event.viewpoint_id, 0)
                                                      + event.seconds)
            else:
                name = "tour_views" if event.type == "tour_view" else "form_opened"
                adds[name] = adds.get(name, 0) + 1
        if not adds:
            return
        shard = f"STATS#{random.randrange(STATS_SHARDS)}"  # noqa: S311 - spreading load
        if not new_ids:
            self.table.update(f"TOUR#{tour_id}", shard, Update(adds=adds))
            return
        tx = Transaction(self.table.client)
        tx.update(self.table, f"TOUR#{tour_id}", shard, Update(adds=adds), label="stats")
        tx.update(self.table, *_ids_key(tour_id), Update(adds={"ids": new_ids}),
                  condition=Condition("attribute_not_exists({ids}) OR size({ids}) <= {:room}",
                                      room=self.max_viewpoint_ids - len(new_ids)),
                  label="ids")
        try:
            tx.execute()
        except TransactionCancelled:
            # A concurrent batch filled the registry: count what is already registered.
            kept = {k: v for k, v in adds.items()
                    if not k.startswith((VIEWS, SECONDS)) or k.split(":", 1)[1] not in new_ids}
            if kept:
                self.table.update(f"TOUR#{tour_id}", shard, Update(adds=kept))

    def _add_to_lead(self, registration: Item, events: list[ViewEvent]) -> None:
        now = iso(self.clock.now())
        viewing = lead_viewing(registration.get("viewing"))
        visits = viewing["visits_list"]
        for event in events:
            if event.type == "tour_view" or not visits:
                visits.append({"started_at": now, "last_seen_at": now, "seconds": 0,
                               "viewpoints": {}})
                viewing["visits"] += 1
            visit = visits[-1]
            visit["last_seen_at"] = now
            if event.type == "viewpoint_view":
                vp = str(event.viewpoint_id)
                entry = viewing["viewpoints"].setdefault(vp, {"views": 0, "seconds": 0})
                entry["views"] += 1
                entry["seconds"] += event.seconds
                visit["seconds"] += event.seconds
                visit["viewpoints"][vp] = visit["viewpoints"].get(vp, 0) + event.seconds
                viewing["seconds"] += event.seconds
        viewing["last_seen_at"] = now
        viewing["visits_list"] = visits[-MAX_VISITS:]
        version = int(registration.get("viewing_version", 0))
        try:
            self.table.update(
                *registration_key(registration["registration_id"]),
                Update(sets={"viewing": viewing}, adds={"viewing_version": 1}),
                Condition("attribute_exists({pk}) AND (attribute_not_exists({viewing_version})"
                          " OR {viewing_version} = {:v})", v=version))
        except ConditionFailed:
            # A concurrent beacon of the same lead won (or the registration was erased):
            # statistics are best effort; the anonymous counters already have this batch.
            return


def lead_viewing(stored: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"visits": 0, "seconds": 0, "last_seen_at": None,
                            "viewpoints": {}, "visits_list": []}
    if isinstance(stored, dict):
        base.update(stored)
    return base


def viewing_view(registration: Mapping[str, Any], *, timeline: bool) -> dict[str, Any]:
    """The agency's view of a lead's viewing (contract: accepted, visits, seconds,
    last_seen_at, viewpoints; the timeline of visits newest first)."""
    viewing = lead_viewing(registration.get("viewing"))
    view: dict[str, Any] = {
        "accepted": bool(registration.get("viewing_stats_accepted", False)),
        "visits": int(viewing["visits"]), "seconds": int(viewing["seconds"]),
        "last_seen_at": viewing["last_seen_at"],
        "viewpoints": sorted(({"viewpoint_id": vp, "views": int(v["views"]),
                               "seconds": int(v["seconds"])}
                              for vp, v in viewing["viewpoints"].items()),
                             key=lambda v: (-v["seconds"], v["viewpoint_id"])),
    }
    if timeline:
        view["timeline"] = [
            {"started_at": v["started_at"], "last_seen_at": v["last_seen_at"],
             "seconds": int(v["seconds"]),
             "viewpoints": [{"viewpoint_id": vp, "seconds": int(s)}
                            for vp, s in v["viewpoints"].items()]}
            for v in reversed(viewing["visits_list"])]
    return view


def tour_viewing(shards: list[Item]) -> dict[str, Any]:
    """The funnel's player part and the per-viewpoint totals from the stats shards."""
    totals: dict[str, int] = {}
    for shard in shards:
        for name, value in shard.items():
            if name in ("tour_views", "form_opened") or name.startswith((VIEWS, SECONDS)):
                totals[name] = totals.get(name, 0) + int(value)
    ids = sorted({k.split(":", 1)[1] for k in totals if k.startswith((VIEWS, SECONDS))})
    return {
        "tour_views": totals.get("tour_views", 0), "form_opened": totals.get("form_opened", 0),
        "viewpoints": [{"viewpoint_id": vp, "views": totals.get(VIEWS + vp, 0),
                        "seconds": totals.get(SECONDS + vp, 0)} for vp in ids],
    }
