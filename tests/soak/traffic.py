"""Mixed traffic against the real local stack (loopback only) for a bounded time, and the
checks at the end: every accepted registration exists once, every unlock mail went out
once, no 5xx, no link usable twice, the server's memory flat.

Used by ``tests/soak/test_soak.py`` (about a minute in ``make test``) and ``make soak``
(``FREIGABE_SOAK_SECONDS=600``)."""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.error
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import DEMO, QA, Reply, registration_payload, tour_payload
from tests.live_stack import Running

TOURS_PER_MODE = 8          # registrations spread over tours: 30 per IP, tour and hour
CLOCK_STEP = timedelta(minutes=30)
CLIENT_TIMEOUT = 60.0      # seconds; moto's Query and transactions slow down as tables grow
OUTBOX_EVERY = 15.0         # seconds between reads of /dev/outbox (it grows with the run)
LINK = re.compile(r"http://127\.0\.0\.1:\d+/links/([a-z-]+)/([A-Za-z0-9_-]+)")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class TimeGate:
    """Clock steps happen between requests, never during one. On AWS a request lives at most
    29 s while an outbox claim lasts 2 minutes; a 30-minute jump in the middle of a request
    would let ``mail-retry`` take over a mail its request is still sending, which real time
    cannot do. Writer-preferring, so the operator is not starved by six busy clients."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._stepping = False

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._stepping)
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def step(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._stepping)
            self._stepping = True
            self._cond.wait_for(lambda: self._active == 0)
        try:
            yield
        finally:
            with self._cond:
                self._stepping = False
                self._cond.notify_all()


@dataclass
class Ledger:
    """What the clients saw, shared by the threads (one lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # registration id →
    viewers: list[tuple[str, str]] = field(default_factory=list)        # (tour, viewer token)
    pending_manual: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)          # (purpose, url)
    seen_links: set[str] = field(default_factory=set)
    link_successes: Counter[str] = field(default_factory=Counter)
    replays: Counter[int] = field(default_factory=Counter)
    reviews: int = 0

    def note(self, kind: str, reply: Any) -> None:
        with self.lock:
            self.requests[(kind, reply.status)] += 1
            if reply.status >= 500:
                self.server_errors.append(f"{kind}: {reply.status} {reply.body[:200]!r}")


class Soak:
    def __init__(self, run: Running, seconds: float, threads: int = 6, seed: int = 8) -> None:
        self.run = run
        self.stack = run.stack
        self.seconds = seconds
        self.threads = threads
        self.ledger = Ledger()
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible traffic mix
        self.counter = iter(range(10**9))
        self.counter_lock = threading.Lock()
        self.stop = threading.Event()
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.tours: dict[str, list[str]] = {}
        self.rss: dict[str, int] = {}
        self.clock_steps = 0
        self.jobs: Counter[str] = Counter()
        self.gate = TimeGate()

    # -- helpers ----------------------------------------------------------------------------

    def call(self, kind: str, method: str, path: str, **kw: Any) -> Any:
        try:
            if kind == "clock":  # the operator holds the gate's step already
                reply = self.stack.call(method, path, timeout=CLIENT_TIMEOUT, **kw)
            else:
                with self.gate.request():
                    reply = self.stack.call(method, path, timeout=CLIENT_TIMEOUT, **kw)
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            # The client gave up: not an answer of the server, and for a write the outcome
            # is unknown; counted, and allowed for in the checks below.
            reply = Reply(0, {}, repr(exc).encode())
        self.ledger.note(kind, reply)
        return reply

    def unique(self) -> int:
        with self.counter_lock:
            return next(self.counter)

    def set_clock(self) -> None:
        reply = self.call("clock", "PUT", "/dev/clock",
                          json_body={"now": self.now.strftime("%Y-%m-%dT%H:%M:%SZ")})
        assert reply.status == 200, reply.body

    # -- setup ---------------------------------------------------------------------------------

    def setup(self) -> None:
        self.set_clock()
        for mode in ("email", "manual"):
            self.tours[mode] = []
            for n in range(TOURS_PER_MODE):
                reply = self.call("setup", "POST", "/agency/tours", token=DEMO,
                                  json_body=tour_payload(mode, title=f"Soak {mode} {n}"))
                assert reply.status == 201, reply.body
                self.tours[mode].append(reply.json["tour_id"])

    # -- the kinds of traffic ----------------------------------------------------------------

    def register(self, mode: str) -> None:
        n = self.unique()
        tour_id = self.rng.choice(self.tours[mode])
        email = f"soak{n}@example.org"
        reply = self.call(f"register {mode}", "POST", f"/tours/{tour_id}/registrations",
                          json_body=registration_payload(email=email, first_name=f"Eva{n}"))
        if reply.status == 202:
            body = reply.json
            with self.ledger.lock:
                self.ledger.accepted[body["registration_id"]] = {
                    "tour_id": tour_id, "email": email, "mode": mode}
                self.ledger.viewers.append((tour_id, body["viewer_token"]))
                if mode == "manual":
                    self.ledger.pending_manual.append(body["registration_id"])

    def poll_access(self) -> None:
        with self.ledger.lock:
            if not self.ledger.viewers:
                return
            tour_id, viewer = self.rng.choice(self.ledger.viewers)
        self.call("access", "GET", f"/tours/{tour_id}/access", headers={"X-Viewer-Token": viewer})

    def use_link(self) -> None:
        with self.ledger.lock:
            if not self.ledger.links:
                return
            purpose, url = self.ledger.links.pop(self.rng.randrange(len(self.ledger.links)))
        self.call(f"link GET {purpose}", "GET", url)
        first = self.call(f"link POST {purpose}", "POST", url, form="confirm=1")
        if first.status == 0:
            return  # unknown whether it was used: no replay check
        if first.status in (200, 303):
            with self.ledger.lock:
                self.ledger.link_successes[url] += 1
        replay = self.call(f"link replay {purpose}", "POST", url, form="confirm=1")
        with self.ledger.lock:
            self.ledger.replays[replay.status] += 1
            if replay.status != 410:
                self.ledger.server_errors.append(f"replay of a used link: {replay.status}")

    def decide_by_api(self) -> None:
        with self.ledger.lock:
            if not self.ledger.pending_manual:
                return
            registration_id = self.ledger.pending_manual.pop()
        decision = self.rng.choice(("approve", "deny"))
        self.call(f"API {decision}", "POST", f"/agency/registrations/{registration_id}/{decision}",
                  token=DEMO)

    def agency_reads(self) -> None:
        tour_id = self.rng.choice(self.tours[self.rng.choice(("email", "manual"))])
        path = self.rng.choice((f"/agency/tours/{tour_id}/registrations",
                                f"/agency/tours/{tour_id}/stats", "/agency/tours",
                                "/agency/reviews", "/agency/addresses"))
        self.call("agency read", "GET", path, token=DEMO)

    def submit_review(self) -> None:
        n = self.unique()
        words = " ".join(self.rng.choice(("Beratung", "Termin", "Wohnung", "Verkauf", "Preis",
                                          "schnell", "freundlich", "gründlich", "Exposé",
                                          "Besichtigung", "Notar", "Übergabe"))
                         for _ in range(14))
        reply = self.call("review submit", "POST", "/agencies/demo/reviews", json_body={
            "rating": 1 + n % 5, "title": f"Erfahrung {n}", "reviewer_name": f"Kunde {n}",
            "email": f"review{n}@example.org", "text": f"Bewertung {n}: {words}."})
        if reply.status == 202:
            with self.ledger.lock:
                self.ledger.reviews += 1

    def public_reads(self) -> None:
        tour_id = self.rng.choice(self.tours["email"])
        path = self.rng.choice((f"/tours/{tour_id}/protection", "/agencies/demo/reviews",
                                "/health"))
        self.call("public read", "GET", path)

    def qa_reads(self) -> None:
        self.call("QA read", "GET", "/qa/reviews?status=in_review", token=QA)

    KINDS = (("register email", 6), ("register manual", 3), ("access", 5), ("link", 6),
             ("api decision", 1), ("agency read", 3), ("review", 2), ("public read", 2),
             ("qa read", 1))

    def one(self) -> None:
        self.one_of(self.rng.choices([k for k, _ in self.KINDS], [w for _, w in self.KINDS])[0])

    def one_of(self, kind: str) -> None:
        {"register email": lambda: self.register("email"),
         "register manual": lambda: self.register("manual"),
         "access": self.poll_access, "link": self.use_link, "api decision": self.decide_by_api,
         "agency read": self.agency_reads, "review": self.submit_review,
         "public read": self.public_reads, "qa read": self.qa_reads}[kind]()

    # -- background: mail reader, clock and jobs -----------------------------------------------

    def read_outbox(self) -> list[dict[str, Any]]:
        reply = self.call("outbox", "GET", "/dev/outbox")
        assert reply.status == 200
        messages = reply.json["messages"]
        fresh: list[tuple[str, str]] = []
        for message in messages:
            for match in LINK.finditer(message["text"]):
                url = match.group(0)
                if url not in self.ledger.seen_links:
                    self.ledger.seen_links.add(url)
                    fresh.append((match.group(1), url))
        with self.ledger.lock:
            self.ledger.links.extend(fresh)
        return messages

    def operate(self) -> None:
        """The night shift: outbox reader, clock steps and the three jobs."""
        last_outbox = 0.0
        while not self.stop.wait(1.0):
            if time.monotonic() - last_outbox > OUTBOX_EVERY:
                self.read_outbox()
                last_outbox = time.monotonic()
            with self.gate.step():
                self.now += CLOCK_STEP
                self.set_clock()
            self.clock_steps += 1
            for job in ("mail-retry", "review-sweep", "retention-sweep"):
                if job == "mail-retry" or self.clock_steps % 6 == 0:
                    # A failed job shows in the summary (a 5xx fails the test; a client
                    # timeout is counted): the night shift goes on either way.
                    self.call(f"job {job}", "POST", f"/dev/jobs/{job}", json_body={})
                    self.jobs[job] += 1

    def warm_up(self) -> None:
        """Every kind of request and job once, so lazy imports, caches and the stand-ins'
        first allocations are in the baseline."""
        for _ in range(2):
            self.register("email")
            self.register("manual")
            self.submit_review()
        self.read_outbox()
        for kind, _weight in self.KINDS:
            self.one_of(kind)
        for job in ("mail-retry", "review-sweep", "retention-sweep"):
            assert self.call(f"job {job}", "POST", f"/dev/jobs/{job}", json_body={}).status == 200

    def worker(self, errors: list[BaseException]) -> None:
        try:
            while not self.stop.is_set():
                self.one()
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)
            self.stop.set()

    # -- the run -----------------------------------------------------------------------------------

    def execute(self) -> dict[str, Any]:
        pid = self.run.process.pid
        self.rss["start"] = rss_kib(pid)
        self.setup()
        self.warm_up()
        self.rss["warm"] = rss_kib(pid)
        samples = [self.rss["warm"]]
        errors: list[BaseException] = []
        threads = [threading.Thread(target=self.worker, args=(errors,), daemon=True)
                   for _ in range(self.threads)]
        operator = threading.Thread(target=self.operate, daemon=True)
        started = time.monotonic()
        for thread in [*threads, operator]:
            thread.start()
        while time.monotonic() - started < self.seconds and not self.stop.is_set():
            time.sleep(1.0)
            samples.append(rss_kib(pid))
        self.stop.set()
        for thread in [*threads, operator]:
            thread.join(timeout=60)
        if errors:
            raise errors[0]
        self.rss["end"] = rss_kib(pid)
        self.rss["max"] = max(samples)
        # The middle of the run: growth from there to the end says more than a single point.
        self.rss["half"] = samples[len(samples) // 2]
        self.elapsed = time.monotonic() - started
        return self.verify()

    def verify(self) -> dict[str, Any]:
        # Anything still staged goes out now; then every link the run could have used.
        self.now += timedelta(minutes=10)
        self.set_clock()
        self.call("job mail-retry", "POST", "/dev/jobs/mail-retry", json_body={})
        messages = self.read_outbox()
        ledger = self.ledger

        listed: Counter[str] = Counter()
        for tour_id in self.tours["email"] + self.tours["manual"]:
            cursor = None
            while True:
                path = f"/agency/tours/{tour_id}/registrations" + (
                    f"?cursor={cursor}" if cursor else "")
                page = self.call("verify", "GET", path, token=DEMO)
                assert page.status == 200, page.body
                listed.update(r["registration_id"] for r in page.json["registrations"])
                cursor = page.json.get("next_cursor")
                if not cursor:
                    break
        mails_to: dict[str, Counter[str]] = defaultdict(Counter)
        for message in messages:
            kinds = {m.group(1) for m in LINK.finditer(message["text"])}
            for address in message["to"]:
                mails_to[address]["unlock" if "unlock" in kinds else "other"] += 1
        email_mode = [r for r in ledger.accepted.values() if r["mode"] == "email"]
        unlock_counts = Counter(mails_to[r["email"]]["unlock"] for r in email_mode)
        summary = {
            "seconds": round(self.elapsed),
            "threads": self.threads,
            "requests": sum(ledger.requests.values()),
            "by_kind": dict(sorted(
                (f"{kind} {status}", n) for (kind, status), n in ledger.requests.items())),
            "accepted_registrations": len(ledger.accepted),
            "listed_once": sum(1 for r in ledger.accepted if listed[r] == 1),
            "listed_twice_or_missing": sum(1 for r in ledger.accepted if listed[r] != 1),
            "unknown_listed": sum(1 for r in listed if r not in ledger.accepted),
        "client_timeouts": {kind: n for (kind, status), n in ledger.requests.items()
                            if status == 0},
            "unlock_mails_per_email_registration": dict(unlock_counts),
            "mails": len(messages),
            "links_used": len(ledger.link_successes),
            "links_used_twice": sum(1 for n in ledger.link_successes.values() if n > 1),
            "replays": dict(ledger.replays),
            "reviews_submitted": ledger.reviews,
            "clock_steps": self.clock_steps,
            "jobs": dict(self.jobs),
            "server_errors": len(ledger.server_errors),
            "rss_kib": dict(self.rss),
        }
        return summary
