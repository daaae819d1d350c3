"""Point 3: the nightly jobs cost what is due, not what is stored.

Address books of 1k/10k/100k addresses (1 % due) and a review table (1 % due) are seeded
with batch writes of the items the domain code builds (bench/seed.py); then
``retention-sweep`` and ``review-sweep`` run through the handlers EventBridge invokes, and
the three worklists are paged through the API. Items read ÷ items due must stay ≤ 1.2
at every size: the index ranges that can hold due items are all that is read.

moto's TransactWriteItems deep-copies every table of the account, so at large sizes the
review sweep's per-review transactions are answered "OK" without reaching moto
(``dry_writes``): the reads, which are what this measures, are those of a real run. The
retention sweep runs with automatic deletion off (its default), i.e. one transaction per
agency, and keeps real writes at every size."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.counting import Work
from bench.stack import DEMO, BenchStack

AGENCIES = (("demo", DEMO), ("other", "other-agency-token"))
WORKLISTS = ("consent-assistant", "deletion-requested", "expired")
TODAY = date(2026, 11, 23)  # the bench clock's Berlin date (bench.stack.START)
SEEDED_AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
# Above this many reviews the review sweep's per-review transactions run dry (see above).
DRY_ABOVE = 20_000


def dry_writes(stack: BenchStack) -> Any:
    """Answers TransactWriteItems with success without executing it; returns an undo."""
    from botocore.awsrequest import AWSResponse

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        return AWSResponse("", 200, {}, None), {}

    events = stack.container.dynamodb.meta.events
    events.register_first("before-call.dynamodb.TransactWriteItems", answer,
                          unique_id="bench-dry-writes")
    return lambda: events.unregister("before-call.dynamodb.TransactWriteItems",
                                     unique_id="bench-dry-writes")


def _ratio(read: int, due: int) -> float | None:
    return round(read / due, 3) if due else None


# -- retention-sweep ------------------------------------------------------------------------

def _store_until(i: int) -> tuple[str, str | None]:
    """Every 100th address is due: alternately expired and inside the consent
    assistant's 28 days. The others carry a date further ahead (they sit in the same
    index partition, outside the ranges the sweep reads)."""
    if i % 100 == 0:
        if (i // 100) % 2:
            return (TODAY - timedelta(days=3 + i % 20)).isoformat(), "expired"
        return (TODAY + timedelta(days=2 + i % 20)).isoformat(), "consent-assistant"
    return (TODAY + timedelta(days=60 + i % 900)).isoformat(), None


def seed_addresses(stack: BenchStack, size: int) -> dict[str, int]:
    from bench.seed import BatchWriter, seed

    service = stack.container.gdpr.addresses
    table = stack.settings.table("addresses")
    expected = dict.fromkeys(WORKLISTS, 0)
    for i in range(size):
        _, worklist = _store_until(i)
        if worklist:
            expected[worklist] += 1

    def build(i: int) -> None:
        until, _ = _store_until(i)
        agency = AGENCIES[i % len(AGENCIES)][0]
        service.create(agency, {"first_name": "Eva", "last_name": f"Bench{i}",
                                "email": f"bench{i}@example.org", "store_until": until,
                                "store_until_reason": "Bench"})

    stack.clock.set(SEEDED_AT)
    try:
        seed(size, build, BatchWriter(stack.settings.region), {table})
    finally:
        stack.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return expected


def _seed_and_run(stack: BenchStack, seeder: Callable[[BenchStack, int], dict[str, int]],
                  size: int, job: str, dry: bool) -> tuple[dict[str, int], float, Work, Any]:
    """Seeds, then runs ``job`` through its handler with its AWS work counted."""
    import app as application

    started = time.perf_counter()
    due = seeder(stack, size)
    seed_seconds = time.perf_counter() - started
    undo = dry_writes(stack) if dry else None
    try:
        with stack.counter.measure() as work:
            summary = application.run_job(job)
    finally:
        if undo:
            undo()
    return due, seed_seconds, work, summary


def retention(stack: BenchStack, size: int) -> dict[str, Any]:
    # Automatic deletion stays off (the default): the sweep's only transactions are one
    # digest per agency, so it runs with real writes at every size.
    expected, seed_seconds, work, summary = _seed_and_run(
        stack, seed_addresses, size, "retention-sweep", dry=False)
    due = sum(expected.values())
    assert summary.get("checkpoint") is None, summary
    worklists: dict[str, Any] = {}
    for name in WORKLISTS:
        members = 0
        with stack.counter.measure() as list_work:
            for _, token in AGENCIES:
                cursor = None
                while True:
                    path = f"/agency/gdpr/widgets/{name}?limit=100"
                    reply = stack.request("GET", path + (f"&cursor={cursor}" if cursor else ""),
                                          token=token)
                    assert reply.status == 200, reply.body
                    members += len(reply.json["addresses"])
                    cursor = reply.json.get("next_cursor")
                    if not cursor:
                        break
        index_read = list_work.items_by_target.get("Query:gdpr", 0)
        worklists[name] = {"members": members, "expected": expected[name],
                           "index_items_read": index_read,
                           # the total: one COUNT over the list's ranges per walk
                           "total_items_counted": list_work.items_by_target.get(
                               "Query:gdpr#count", 0),
                           "items_read": list_work.items_read,
                           "ratio": _ratio(index_read, members), **list_work.as_dict()}
    index_read = work.items_by_target.get("Query:gdpr", 0)
    search = _search(stack, size)
    return {"size": size, "due": due, "seed_seconds": round(seed_seconds, 1), "search": search,
            "writes_applied": True, "summary": summary,
            "index_items_read": index_read, "ratio": _ratio(index_read, due),
            "total_ratio": _ratio(work.items_read, due), **work.as_dict(),
            "worklists": worklists}


def _search(stack: BenchStack, size: int) -> dict[str, Any]:
    """The "Adressvervollständigung" over the seeded book: the items read follow the
    matches (index items per term, the page's addresses), not the book's size."""
    found: dict[str, Any] = {}
    token = AGENCIES[0][1]
    for label, q in (("one_match", f"bench{size - size % len(AGENCIES) - len(AGENCIES)}"),
                     ("tenth", "bench1"), ("two_terms", "eva bench2")):
        with stack.counter.measure() as work:
            reply = stack.request("GET", f"/agency/addresses?q={q}&limit=100", token=token)
        assert reply.status == 200, reply.body
        matches = len(reply.json["addresses"])
        index_read = sum(n for target, n in work.items_by_target.items()
                         if target.startswith("Query:") and target.endswith("-addresses"))
        found[label] = {"q": q, "page": matches, "more": bool(reply.json["next_cursor"]),
                        "index_items_read": index_read, **work.as_dict()}
    return found


# -- review-sweep ---------------------------------------------------------------------------

def seed_reviews(stack: BenchStack, size: int) -> dict[str, int]:
    """Reviews built by ``ReviewService.submit`` (awaiting confirmation), 99 % then turned
    published with the repository's own index rules. Due: every 100th review,
    alternately an unconfirmed one past its purge date and a published one eligible for
    re-verification today (its sampled day or a pending flag)."""
    from bench.seed import BatchWriter, seed
    from chalicelib.body import Body
    from chalicelib.reviews.model import ReviewInput
    from chalicelib.reviews.repository import index_attributes
    from chalicelib.storage.dynamo import deserialize, serialize

    service = stack.container.reviews
    table = stack.settings.table("reviews")
    counts = {"purge": 0, "reverify": 0}
    texts = ("Gute Beratung und schnelle Rückmeldung", "Besichtigung gut organisiert",
             "Faire Preiseinschätzung, gern wieder", "Freundlich und kompetent")

    def build(i: int) -> None:
        body = Body.of(ReviewInput, {"rating": 1 + i % 5, "title": "Bewertung",
                                     "reviewer_name": f"Person {i}",
                                     "email": f"reviewer{i}@example.org",
                                     "text": f"{texts[i % 4]}, Vorgang {i}."})
        service.submit("demo", body, None, None)

    def transform(i: int, raw: dict[str, Any]) -> dict[str, Any]:
        item = deserialize(raw)
        if item.get("sk") != "REVIEW":
            return raw
        due = i % 100 == 0
        if due and (i // 100) % 2 == 0:
            counts["purge"] += 1  # submitted 40 days before today: past its purge date
            return raw
        if not due:
            # Not due: recent and unconfirmed (purge date ahead) or published with its
            # sampled day ahead (or none drawn within the horizon).
            if i % 10 == 1:
                return raw
            ask_on: date | None = TODAY + timedelta(days=1 + i % 300)
            if i % 3 == 0:
                ask_on = None
        else:
            counts["reverify"] += 1
            ask_on = TODAY
        published = {**{k: v for k, v in item.items() if k != "purge_at"},
                     "status": "published", "confirmed_at": item["submitted_at"],
                     "status_at": item["submitted_at"], "published_at": item["submitted_at"]}
        if ask_on is not None:
            published.update({"reverify_ask_on": ask_on.isoformat(), "reverify_period": 0})
        for key, value in index_attributes(published).items():
            if value is None:
                published.pop(key, None)
            else:
                published[key] = value
        return serialize(published)

    def build_at(i: int) -> None:
        # Due purges were submitted 40 days ago, everything else 10 days ago.
        moment = (datetime(2026, 10, 14, 9, 0, tzinfo=UTC) if i % 200 == 0
                  else datetime(2026, 11, 13, 9, 0, tzinfo=UTC))
        stack.clock.set(moment + timedelta(seconds=i))
        build(i)

    # Every review is for the same agency: read its profile once, not once per review.
    agency = service.ctx.agency("demo")
    service.ctx.agency = lambda _agency_id: agency  # type: ignore[method-assign]
    try:
        seed(size, build_at, BatchWriter(stack.settings.region), {table}, transform)
    finally:
        del service.ctx.agency
        stack.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return counts


def reviews(stack: BenchStack, size: int) -> dict[str, Any]:
    dry = size > DRY_ABOVE
    counts, seed_seconds, work, summary = _seed_and_run(stack, seed_reviews, size,
                                                        "review-sweep", dry=dry)
    due = sum(counts.values())
    index_read = (work.items_by_target.get("Query:due", 0)
                  + work.items_by_target.get("Query:reverify", 0))
    handled = int(summary.get("purged", 0)) + int(summary.get("reverification_requested", 0))
    return {"size": size, "due": due, "due_by_kind": counts, "handled": handled,
            "seed_seconds": round(seed_seconds, 1), "writes_applied": not dry,
            "summary": summary, "index_items_read": index_read,
            "ratio": _ratio(index_read, due), "total_ratio": _ratio(work.items_read, due),
            **work.as_dict()}
