"""The nightly ``retention-sweep``: per agency a German digest with the counts of the three
worklists, and (when the agency switched it on) the deletion of expired addresses.

Reading: the sweep walks the "gdpr" index bucket by bucket. In a bucket the agencies are
found with one probe each (``gdpr_sk > "<previous agency>#~"``, Limit 1); for an agency it
reads only the index ranges that hold worklist members: pending deletions (C), deletion
requested up to today (R, which also holds the expired deletion requests), status none
with a date before today (N, expired) and status none within the next 28 days (N,
consent assistant). Dates further ahead are never read. No Scan.

Checkpoint: one item per Berlin day in the core table (``JOB#retention-sweep#<date>`` /
``RUN``) holds the bucket, the agency, the phase, the last index position and the counts
so far; every write to it is conditional on its version, so two runs never both act.
A run stops when its budget (the Lambda's remaining time, or ``max_items``) is spent and
answers with the checkpoint; the schedule fires every 15 minutes through the night and
each invocation continues where the last stopped. When the day is done, further runs
answer at once with nothing to do (idempotent). A deletion writes the checkpoint inside
its own first transaction, so a run killed at any point loses and repeats nothing: items
examined after the last checkpoint are examined again, deletions already made are no
longer in the index, and the digest of an agency is staged in the same transaction that
marks the agency done (its mail id ``gdpr-digest-<agency>-<date>`` is unique as well).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.clock import Clock, berlin_date, epoch_seconds, iso
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.privacy import mails, rules
from chalicelib.privacy.erasure import Erasure, Refused
from chalicelib.privacy.settings import SettingsRepository
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.retry import Retry, optimistic

log = logging.getLogger("freigabe.retention")

PAGE = 100
STATE_LABEL = "sweep_state"
PHASES = ("cleanup", "requested", "expired", "consent", "digest")
KEEP_STATE_DAYS = 60


class _Stop(Exception):
    """The budget is spent (checkpoint saved) or another run owns the state."""

    def __init__(self, lost: bool = False) -> None:
        super().__init__("stop")
        self.lost = lost


class Budget:
    def __init__(self, should_stop: Callable[[], bool], max_items: int | None) -> None:
        self.should_stop = should_stop
        self.max_items = max_items
        self.items = 0

    def spent(self) -> bool:
        return (self.max_items is not None and self.items >= self.max_items) or self.should_stop()


def _zero_counts() -> dict[str, int]:
    return {"consent-assistant": 0, "deletion-requested": 0, "expired": 0, "deleted": 0}


class RetentionSweep:
    def __init__(self, table: Table, core: Table, erasure: Erasure, settings: SettingsRepository,
                 agency_repo: AgencyRepository, outbox: Outbox, clock: Clock,
                 base_url: str) -> None:
        self.table = table
        self.core = core
        self.erasure = erasure
        self.settings = settings
        self.agency_repo = agency_repo
        self.outbox = outbox
        self.clock = clock
        self.dashboard_url = base_url.rstrip("/") + "/dashboard/"

    # -- entry point -----------------------------------------------------------------------

    def run(self, *, should_stop: Callable[[], bool] = lambda: False,
            max_items: int | None = None) -> dict[str, Any]:
        today = berlin_date(self.clock.now())
        state = self._load(today)
        summary = {"date": today.isoformat(), "agencies": 0, "digests_sent": 0, "deleted": 0}
        if state["status"] == "done":
            return {**summary, "checkpoint": None}
        budget = Budget(should_stop, max_items)
        try:
            while state["status"] != "done":
                if budget.spent():
                    raise _Stop()
                if state["agency"] is None:
                    self._next_agency(state)
                else:
                    self._agency(state, today, budget, summary)
        except _Stop as stop:
            if stop.lost:
                log.warning("retention sweep state taken over by another run")
                return {**summary, "checkpoint": {"status": "taken_over"}}
            return {**summary, "checkpoint": self._checkpoint(state)}
        log.info("retention sweep finished", extra={**summary})
        return {**summary, "checkpoint": None}

    # -- state -----------------------------------------------------------------------------

    @staticmethod
    def state_key(day: date) -> tuple[str, str]:
        return f"JOB#retention-sweep#{day.isoformat()}", "RUN"

    def _load(self, today: date) -> Item:
        pk, sk = self.state_key(today)
        state = self.core.get(pk, sk)
        if state is not None:
            return state
        now = self.clock.now()
        state = {"pk": pk, "sk": sk, "date": today.isoformat(), "status": "running",
                 "bucket": 0, "after_agency": None, "agency": None, "phase": None,
                 "position": None, "counts": _zero_counts(), "totals": {
                     "agencies": 0, "digests_sent": 0, "deleted": 0},
                 "version": 1, "started_at": iso(now), "updated_at": iso(now),
                 "expires_ttl": epoch_seconds(now + timedelta(days=KEEP_STATE_DAYS))}
        try:
            self.core.put(state, Condition("attribute_not_exists({pk})"))
        except ConditionFailed:
            return self.core.get(pk, sk) or state
        return state

    _MUTABLE = ("status", "bucket", "after_agency", "agency", "phase", "position", "counts",
                "totals")

    def _state_update(self, state: Item, changes: dict[str, Any]) -> Update:
        return Update(sets={**{k: changes.get(k, state[k]) for k in self._MUTABLE},
                            "updated_at": iso(self.clock.now())}, adds={"version": 1})

    def _stage_state(self, tx: Transaction, state: Item, changes: dict[str, Any]) -> None:
        tx.update(self.core, state["pk"], state["sk"], self._state_update(state, changes),
                  condition=Condition("{version} = {:v}", v=state["version"]), label=STATE_LABEL)

    def _committed(self, state: Item, changes: dict[str, Any]) -> None:
        state.update(changes)
        state["version"] = int(state["version"]) + 1

    def _save(self, state: Item, **changes: Any) -> None:
        try:
            self.core.update(state["pk"], state["sk"], self._state_update(state, changes),
                             Condition("{version} = {:v}", v=state["version"]))
        except ConditionFailed as exc:
            raise _Stop(lost=True) from exc
        self._committed(state, changes)

    @staticmethod
    def _checkpoint(state: Item) -> dict[str, Any]:
        return {"date": state["date"], "bucket": state["bucket"], "agency": state["agency"],
                "phase": state["phase"], "position": state["position"],
                "counts": dict(state["counts"])}

    # -- walking the index -----------------------------------------------------------------

    def _next_agency(self, state: Item) -> None:
        if int(state["bucket"]) >= rules.GDPR_BUCKETS:
            self._save(state, status="done")
            return
        pk = f"GDPR#{int(state['bucket'])}"
        after = state.get("after_agency")
        key = (Condition("{gdpr_pk} = {:p} AND {gdpr_sk} > {:a}", p=pk, a=f"{after}#~")
               if after else Condition("{gdpr_pk} = {:p}", p=pk))
        items, _ = self.table.query(key, index="gdpr", limit=1)
        if not items:
            self._save(state, bucket=int(state["bucket"]) + 1, after_agency=None)
            return
        agency = rules.agency_of(items[0]["gdpr_sk"])
        self._save(state, agency=agency, phase=PHASES[0], position=None, counts=_zero_counts())

    def _ranges(self, agency: str, phase: str, today: date) -> list[rules.KeyRange]:
        if phase == "requested":
            return rules.list_ranges(agency, "deletion-requested", today)
        if phase == "expired":
            return rules.list_ranges(agency, "expired", today)[:1]  # status none part
        return rules.list_ranges(agency, "consent-assistant", today)

    def _agency(self, state: Item, today: date, budget: Budget, summary: dict[str, Any]) -> None:
        agency = state["agency"]
        settings = self.settings.get(agency)
        # First finish deletions whose clean-up was interrupted (by an earlier day's crash,
        # or by this agency's run that died after a deletion's first transaction).
        for address_id in list(self.erasure.pending(agency)):
            self.erasure.resume(agency, address_id)
        while state["agency"] == agency:
            phase = state["phase"]
            if phase == "cleanup":
                self._save(state, phase="requested", position=None)
            elif phase == "digest":
                self._digest(state, today, settings.auto_delete_expired, summary)
            else:
                self._scan_phase(state, today, budget, summary, settings.auto_delete_expired)

    def _scan_phase(self, state: Item, today: date, budget: Budget, summary: dict[str, Any],
                    auto_delete: bool) -> None:
        agency, phase = state["agency"], state["phase"]
        [key_range] = self._ranges(agency, phase, today)
        pk = rules.bucket(agency)
        while True:
            if budget.spent():
                raise _Stop()
            position = state["position"]
            start = None
            if position:
                start = {"gdpr_pk": pk, "gdpr_sk": position, "pk": f"AGENCY#{agency}",
                         "sk": f"ADDRESS#{position.rsplit('#', 1)[-1]}"}
            limit = PAGE if budget.max_items is None else max(
                1, min(PAGE, budget.max_items - budget.items))
            items, more = self.table.query(
                Condition("{gdpr_pk} = {:p} AND {gdpr_sk} BETWEEN {:lo} AND {:hi}", p=pk,
                          lo=key_range.low, hi=key_range.high),
                index="gdpr", limit=limit, start_key=start)
            for item in items:
                # ``state`` holds the position and counts up to the previous item: what a
                # checkpoint written now (or inside a deletion) must say.
                counts = dict(state["counts"])
                lists = rules.worklists(item, today) if item.get("sk", "").startswith(
                    "ADDRESS#") else set()
                deleting = (auto_delete and phase in ("requested", "expired")
                            and "expired" in lists)
                if deleting and budget.spent():
                    # Stop before a deletion, never in the middle of one.
                    self._save(state, position=state["position"], counts=state["counts"])
                    raise _Stop()
                budget.items += 1
                if phase == "requested" and "deletion-requested" in lists:
                    counts["deletion-requested"] += 1
                if phase == "consent" and "consent-assistant" in lists:
                    counts["consent-assistant"] += 1
                if phase in ("requested", "expired") and "expired" in lists:
                    counts["expired"] += 1
                if deleting:
                    self._delete_expired(state, item, counts, today, summary)
                else:
                    state["position"], state["counts"] = item["gdpr_sk"], counts
            if more is None:
                nxt = PHASES[PHASES.index(phase) + 1]
                self._save(state, phase=nxt, position=None, counts=state["counts"])
                return
            self._save(state, position=state["position"], counts=state["counts"])

    def _delete_expired(self, state: Item, item: Item, counts: dict[str, int], today: date,
                        summary: dict[str, Any]) -> None:
        """Deletes one expired address (``counts`` already include it as listed); its
        first transaction also moves the checkpoint past it, counted as deleted."""
        agency = state["agency"]
        done = {**counts, "deleted": counts["deleted"] + 1}
        totals = {**state["totals"], "deleted": int(state["totals"]["deleted"]) + 1}
        changes = {"position": item["gdpr_sk"], "counts": done, "totals": totals}

        def still_expired(fresh: Mapping[str, Any]) -> str | None:
            # The index copy may be stale and the date may have moved mid-run: decide on
            # the address as it is now (the delete is conditional on its version).
            return None if rules.is_expired(fresh, today) else "no_longer_expired"

        try:
            result = self.erasure.erase(
                agency, item["address_id"], reason="retention_expired", by="retention-sweep",
                check=still_expired, extra=lambda tx: self._stage_state(tx, state, changes))
        except TransactionCancelled as exc:
            if STATE_LABEL in exc.failed:
                raise _Stop(lost=True) from exc
            raise
        if isinstance(result, Refused) or result is None:
            # Not expired any more (or gone): not counted, nothing written.
            state["position"] = item["gdpr_sk"]
            state["counts"] = {**counts, "expired": counts["expired"] - 1}
            return
        self._committed(state, changes)
        summary["deleted"] += 1

    def _digest(self, state: Item, today: date, auto_delete: bool,
                summary: dict[str, Any]) -> None:
        agency = state["agency"]
        counts = state["counts"]
        listed = sum(counts[k] for k in ("consent-assistant", "deletion-requested", "expired"))
        profile = self.agency_repo.get_agency(agency)
        details = mails.agency_details(profile, agency)
        send = bool(listed and details["contact_email"])
        mail_id = f"gdpr-digest-{agency}-{today.isoformat()}"

        def attempt(_number: int) -> None:
            nonlocal send
            totals = {**state["totals"], "agencies": int(state["totals"]["agencies"]) + 1,
                      "digests_sent": int(state["totals"]["digests_sent"]) + int(send)}
            changes = {"agency": None, "after_agency": agency, "phase": None, "position": None,
                       "counts": _zero_counts(), "totals": totals}
            tx = Transaction(self.core.client)
            self._stage_state(tx, state, changes)
            staged: list[OutboxMail] = []
            if send:
                message = mails.digest_mail(details, day=today, counts=counts,
                                            deleted=int(counts["deleted"]),
                                            auto_delete=auto_delete,
                                            dashboard_url=self.dashboard_url)
                staged = self.outbox.stage(tx, [OutboxMail(mail_id, "gdpr_digest", message,
                                                           ref_kind="agency", ref_id=agency)])
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if STATE_LABEL in exc.failed:
                    raise _Stop(lost=True) from exc
                if f"mail:{mail_id}" in exc.failed:
                    send = False  # already staged today: never a second digest
                    raise Retry() from exc
                raise
            self._committed(state, changes)
            summary["agencies"] += 1
            if send:
                summary["digests_sent"] += 1
                self.outbox.deliver(staged)

        # The second attempt stages no mail, so it cannot lose on the mail again.
        optimistic(attempt, attempts=2, exhausted=lambda: None)
