"""The review domain rules with in-memory fakes: the status transitions, the checks, the
lexicon's normalization, the working-day calendar, similarity, sampling and the index
keys that make the lists and the sweep sparse."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.errors import Conflict
from chalicelib.reviews import checks, similarity
from chalicelib.reviews.checks import (
    CHECKS,
    Finding,
    ReviewUnderCheck,
    abusive_words,
    contact_data,
    run_checks,
)
from chalicelib.reviews.lexicon import canonical, default_lexicon, parse, words
from chalicelib.reviews.model import EVENTS, STATUSES, TRANSITIONS, normalize_phone, transition
from chalicelib.reviews.repository import index_attributes
from chalicelib.reviews.signals import AgencyIpLog, agency_ip_key, ip_key, signal_ip
from chalicelib.reviews.views import average
from chalicelib.reviews.workdays import WorkingDays
from chalicelib.storage.dynamo import ConditionFailed

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# -- transitions ---------------------------------------------------------------------------

EXPECTED = {
    ("awaiting_confirmation", "confirm_clean"): "published",
    ("awaiting_confirmation", "confirm_findings"): "in_review",
    ("in_review", "publish"): "published",
    ("in_review", "reject"): "rejected",
    ("published", "report"): "reported",
    ("reported", "keep"): "published",
    ("reported", "block"): "blocked",
    ("reported", "delete"): "deleted",
    ("published", "reverification_unanswered"): "in_review",
    ("published", "phone_check_failed"): "in_review",
    ("in_review", "phone_check_failed"): "in_review",
    ("published", "contact_undeliverable"): "in_review",
    ("published", "takedown"): "blocked",
    ("reported", "takedown"): "blocked",
}


def test_every_status_and_event_pair_is_either_a_transition_or_a_409():
    assert TRANSITIONS == EXPECTED
    for status, event in itertools.product(STATUSES, EVENTS):
        if (status, event) in EXPECTED:
            assert transition(status, event) == EXPECTED[(status, event)]
        else:
            with pytest.raises(Conflict) as raised:
                transition(status, event)
            assert raised.value.status == 409 and raised.value.code == "invalid_status"


def test_final_states_have_no_way_out():
    for final in ("rejected", "blocked", "deleted"):
        assert not [e for (s, e) in TRANSITIONS if s == final]


# -- phone --------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "stored"), [
    ("+49 30 1234567", "+49301234567"), ("030 1234567", "+49301234567"),
    ("0049 30 1234567", "+49301234567"), ("0170 555 01 23", "+491705550123"),
    ("+43 1 5551234", "+4315551234"),
])
def test_phone_numbers_are_stored_normalized(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["030-1234567", "(030) 1234567", "030 CALL", "1234567",
                                 "+49 30", "+49 3 0 1 2 3 4 5 6 7 8 9 1 2 3 4", "49+30 1234567",
                                 "030\n1234567", "+0 30 1234567"])
def test_phone_numbers_are_refused_unless_digits_plus_and_spaces(raw):
    with pytest.raises(ValueError):
        normalize_phone(raw)


# -- lexicon and normalization ----------------------------------------------------------------

@pytest.mark.parametrize(("raw", "canon"), [
    ("Betrüger", "betrueger"), ("BETRUEGER", "betrueger"), ("B3trüg3r", "betrueger"),
    ("Betrüüüüger", "betrueger"), ("Scheiße", "scheise"), ("Scheisse", "scheise"),
    ("4bz0ck3r", "abzocker"), ("L@ber", "laber"), ("Mafiös", "mafioes"), ("Café", "cafe"),
])
def test_canonical_form(raw, canon):
    assert canonical(raw) == canon


def test_split_letters_are_joined_but_short_runs_are_not():
    assert words("B e t r ü g e r") == ["betrueger"]
    assert words("B. e. t. r. ü. g. e. r.") == ["betrueger"]
    assert words("I.d.i.o.t und I-d-i-o-t und I_d_i_o_t") == ["idiot", "und", "idiot", "und",
                                                              "idiot"]
    assert words("z. B. gut") == ["z", "b", "gut"]  # two single letters stay apart


OBFUSCATED = {
    "Betrüger": "betrüger", "BETRÜGER!!!": "betrüger", "Betrueger": "betrüger",
    "B3trug3r": None,  # "ü" written as plain "u" is another word (Betrug, a factual claim)
    "b3trüg3r": "betrüger", "Bettrüüüger": "betrüger", "B e t r ü g e r": "betrüger",
    "B.e.t.r.u.e.g.e.r": "betrüger", "Be-trü-ger": "betrüger", "Oberbetrügerin": "betrüger",
    "Betrügerbande": "betrüger", "Abzocker": "abzocker", "4bz0ck3r": "abzocker",
    "Verbrechern": "verbrecher", "Lügner": "lügner", "LUEGNERIN": "lügner", "1d10t": "idiot",
    "Id!ot": "idiot", "Vollidioten": "idiot", "Arschloch": "arschloch",
    "Arschlöcher": "arschlöcher", "A r s c h l o c h": "arschloch",
    "Halsabschneider": "halsabschneider", "Immobilienmafia": "mafia", "Mafiosi": "mafiosi",
    "Drecksschwein": "schwein", "Hurensohn": "hurensohn", "Gauner": "gauner",
}
HARMLESS = [
    "Leider unzuverlässig.", "Preis zu hoch.", "Die Provision war überteuert.",
    "Er hat uns belogen.", "Das war Betrug am Kunden.", "Reine Abzocke bei den Nebenkosten.",
    "Das Formular war idiotensicher.", "Wir wohnen in Schweinfurt.", "Sauber übergeben.",
    "Verbrechensbekämpfung ist nicht sein Job.", "Der Marsch zur Besichtigung war lang.",
    "Mongolei-Reise verschoben.", "Gefällt mir, Note 1 - 2 - 3 von 5.",
]


@pytest.mark.parametrize(("text", "entry"), OBFUSCATED.items())
def test_insults_are_found_through_obfuscations(text, entry):
    found = abusive_words(f"Der Makler ist ein {text}, wirklich.")
    assert found == ([entry] if entry else [])


@pytest.mark.parametrize("text", HARMLESS)
def test_factual_criticism_and_harmless_words_pass(text):
    assert abusive_words(text) == []


def test_lexicon_file_parses_with_modes_and_allowed_words():
    lexicon = parse(["# Kommentar", "schwein suffix", "idiot prefix suffix", "!idiotensicher",
                     "mongo", ""])
    assert lexicon.find("Drecksschwein, Schweinfurt") == ["schwein"]
    assert lexicon.find("Idiotenverein, idiotensicher") == ["idiot"]
    assert lexicon.find("Mongolei") == [] and lexicon.find("Mongos") == ["mongo"]
    with pytest.raises(ValueError):
        parse(["betrüger anywhere"])
    assert len(default_lexicon().entries) > 50


# -- checks with an in-memory evidence --------------------------------------------------------

@dataclass
class FakeEvidence:
    emails: list[str] = field(default_factory=lambda: ["kontakt@demo-makler.de"])
    ip_seen: bool = False
    same_email: int = 0
    same_phone: int = 0
    ip_count: int = 1
    similar: list[tuple[str, str]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def agency_emails(self) -> list[str]:
        self.asked.append("agency_emails")
        return self.emails

    def agency_ip_seen(self) -> bool:
        self.asked.append("agency_ip_seen")
        return self.ip_seen

    def same_email_reviews(self) -> int:
        self.asked.append("same_email_reviews")
        return self.same_email

    def same_phone_reviews(self) -> int:
        self.asked.append("same_phone_reviews")
        return self.same_phone

    def reviews_from_ip_within_24h(self) -> int:
        self.asked.append("reviews_from_ip_within_24h")
        return self.ip_count

    def similar_texts(self) -> list[tuple[str, str]]:
        self.asked.append("similar_texts")
        return self.similar


def review(**overrides: Any) -> ReviewUnderCheck:
    values: dict[str, Any] = {"review_id": "r1", "agency_id": "demo", "email": "eva@example.org",
                              "text": "Freundliche Beratung und ein fairer Preis, gern wieder.",
                              "submitted_at": NOW}
    values.update(overrides)
    return ReviewUnderCheck(**values)


def names(findings: list[Finding]) -> list[str]:
    return [f.check for f in findings]


def test_the_registry_holds_the_five_checks_in_order():
    assert [name for name, _ in CHECKS] == ["self_review", "multiple_review", "abusive_language",
                                            "duplicate_text", "contact_data_in_text"]


def test_a_clean_review_and_the_questions_it_costs():
    evidence = FakeEvidence()
    result = run_checks(review(), evidence)
    assert result.clean and not result.borderline
    # Without a phone or a recorded IP nobody asks about them.
    assert "same_phone_reviews" not in evidence.asked
    assert "agency_ip_seen" not in evidence.asked
    assert "reviews_from_ip_within_24h" not in evidence.asked


def test_a_new_check_is_one_registration_away():
    def no_caps(r: ReviewUnderCheck, e: Any) -> list[Finding]:
        return [Finding("caps", "GROSS")] if r.text.isupper() else []

    result = run_checks(review(text="ALLES GROSS GESCHRIEBEN ABER SONST OK"), FakeEvidence(),
                        [*CHECKS, ("caps", no_caps)])
    assert names(result.findings) == ["caps"]


@pytest.mark.parametrize(("email", "agency", "flagged"), [
    ("kontakt@demo-makler.de", ["kontakt@demo-makler.de"], True),
    ("KONTAKT@Demo-Makler.de", ["kontakt@demo-makler.de"], True),
    ("chef@demo-makler.de", ["kontakt@demo-makler.de"], True),
    ("chef@mail.demo-makler.de", ["kontakt@demo-makler.de"], True),
    ("chef@demo-makler.com", ["kontakt@demo-makler.de"], False),
    ("eva@gmail.com", ["makler@gmail.com"], False),
    ("eva@hotmail.de", ["makler@hotmail.de"], False),
    ("eva@yahoo.co.uk", ["makler@yahoo.co.uk"], False),
    ("makler@gmail.com", ["kontakt@demo.de", "makler@gmail.com"], True),
    ("eva@web.de", ["makler@web.de"], False), ("eva@posteo.de", ["x@posteo.de"], False),
])
def test_self_review_by_email(email, agency, flagged):
    findings = checks.self_review(review(email=email), FakeEvidence(emails=agency))
    assert names(findings) == (["self_review"] if flagged else [])


def test_self_review_by_ip_needs_a_recorded_ip():
    assert names(checks.self_review(review(ip_hash="h"), FakeEvidence(ip_seen=True))) == \
        ["self_review"]
    assert checks.self_review(review(ip_hash="h"), FakeEvidence(ip_seen=False)) == []
    assert checks.self_review(review(ip_hash=None), FakeEvidence(ip_seen=True)) == []


def test_multiple_review_rules():
    assert checks.multiple_review(review(), FakeEvidence()) == []
    assert names(checks.multiple_review(review(), FakeEvidence(same_email=1))) == \
        ["multiple_review"]
    assert checks.multiple_review(review(phone=None), FakeEvidence(same_phone=2)) == []
    assert names(checks.multiple_review(review(phone="+49301234567"),
                                        FakeEvidence(same_phone=1))) == ["multiple_review"]
    assert checks.multiple_review(review(ip_hash="h"), FakeEvidence(ip_count=2)) == []
    assert names(checks.multiple_review(review(ip_hash="h"), FakeEvidence(ip_count=3))) == \
        ["multiple_review"]
    assert checks.multiple_review(review(ip_hash=None), FakeEvidence(ip_count=9)) == []


TEXT = ("Wir haben unser Haus in Potsdam mit diesem Makler verkauft und waren mit der "
        "Beratung, den Besichtigungen und dem Notartermin rundum zufrieden, vielen Dank dafür.")


def test_duplicate_text_thresholds():
    same = FakeEvidence(similar=[("r2", TEXT.upper())])
    assert names(checks.duplicate_text(review(text=TEXT), same)) == ["duplicate_text"]
    near = TEXT + " Gern jederzeit wieder."
    assert similarity.jaccard(similarity.shingles(TEXT), similarity.shingles(near)) >= 0.8
    assert names(checks.duplicate_text(review(text=TEXT), FakeEvidence(similar=[("r2", near)]))) \
        == ["duplicate_text"]
    half = " ".join(TEXT.split()[:16]) + " leider zog sich danach alles endlos hin und wir " \
                                         "mussten ständig nachfragen was los ist"
    score = similarity.jaccard(similarity.shingles(TEXT), similarity.shingles(half))
    assert 0.3 < score < 0.8
    result = run_checks(review(text=TEXT), FakeEvidence(similar=[("r2", half)]))
    assert result.clean and result.borderline == (score >= 0.6)
    # The review itself is never its own duplicate.
    assert checks.duplicate_text(review(text=TEXT), FakeEvidence(similar=[("r1", TEXT)])) == []


@pytest.mark.parametrize(("text", "kinds"), [
    ("Mail an max@example.org bitte", ["E-Mail-Adresse"]),
    ("max [at] example [dot] org", ["E-Mail-Adresse"]),
    ("Tel 030 1234567", ["Telefonnummer"]), ("+49 (0)171 2345678", ["Telefonnummer"]),
    ("0171/2345678", ["Telefonnummer"]), ("www.beispiel.de", ["Link / Webadresse"]),
    ("https://x.example/a?b=c", ["Link / Webadresse"]), ("makler-vergleich.com", ["Link / Webadresse"]),
    ("Kaufpreis 450.000 €, 3 Zimmer, Baujahr 1998", []), ("Termin am 01.02.2026", []),
    ("Provision 3,57 %, PLZ 10115", []), ("z.B. usw. u.a. d.h.", []), ("Note 1,0", []),
])
def test_contact_data_patterns(text, kinds):
    assert contact_data(text) == kinds


# -- the calendar ------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "saturday", "state", "due"), [
    (date(2026, 12, 24), True, None, date(2026, 12, 29)),   # Christmas, then Sunday
    (date(2026, 12, 24), False, None, date(2026, 12, 29)),
    (date(2026, 11, 26), True, None, date(2026, 11, 28)),   # Saturday counts
    (date(2026, 11, 26), False, None, date(2026, 11, 30)),  # Monday–Friday only
    (date(2026, 11, 27), True, None, date(2026, 11, 30)),   # Sunday never counts
    (date(2026, 4, 2), True, None, date(2026, 4, 7)),       # Good Friday, Easter Monday
    (date(2026, 4, 2), False, None, date(2026, 4, 8)),
    (date(2026, 1, 5), True, None, date(2026, 1, 7)),       # Epiphany is not national
    (date(2026, 1, 5), True, "BY", date(2026, 1, 8)),       # … but Bavarian
    (date(2026, 10, 30), True, None, date(2026, 11, 2)),    # Reformation Day: not national
    (date(2026, 10, 30), True, "BB", date(2026, 11, 3)),    # Brandenburg: 31 Oct is a holiday
    (date(2026, 9, 30), True, None, date(2026, 10, 2)),     # 3 Oct is a Saturday holiday
])
def test_working_days(start, saturday, state, due):
    assert WorkingDays(saturday=saturday, state=state).add(start, 2) == due


def test_working_day_basics():
    calendar = WorkingDays()
    assert calendar.is_working_day(date(2026, 11, 28))       # Saturday
    assert not calendar.is_working_day(date(2026, 11, 29))   # Sunday
    assert not calendar.is_working_day(date(2026, 12, 25))
    assert calendar.add(date(2026, 11, 23), 0) == date(2026, 11, 23)
    with pytest.raises(ValueError):
        calendar.add(date(2026, 11, 23), -1)


# -- similarity, sampling, sums --------------------------------------------------------------

def test_identical_texts_share_every_band_and_near_ones_share_some():
    keys = similarity.band_keys(TEXT)
    assert len(keys) == similarity.BANDS
    assert similarity.band_keys(TEXT.upper().replace(",", "!")) == keys
    near = set(similarity.band_keys(TEXT + " Gern jederzeit wieder."))
    assert near & set(keys)
    other = set(similarity.band_keys("Ganz anderer Text über eine Mietwohnung in Köln mit "
                                     "Balkon und einer sehr langen Suche nach Mietern."))
    assert not other & set(keys)
    assert similarity.shingles("zwei Worte") == frozenset({"zwei worte"})
    assert similarity.band_keys("") == []


@pytest.mark.parametrize(("count", "total", "expected"), [
    (0, 0, None), (1, 5, 5.0), (2, 9, 4.5), (3, 13, 4.3), (4, 13, 3.3), (6, 25, 4.2),
    (20, 65, 3.3),
])
def test_average_has_one_decimal_rounded_half_up(count, total, expected):
    assert average(count, total) == expected


# -- sparse index keys ---------------------------------------------------------------------------

BASE = {"review_id": "r1", "agency_id": "demo", "submitted_at": "2026-11-23T09:00:00.000Z",
        "status_at": "2026-11-23T09:00:00.000Z"}


def present(item: dict[str, Any]) -> set[str]:
    return {k for k, v in index_attributes(item).items() if v is not None}


def test_index_keys_follow_the_status():
    awaiting = {**BASE, "status": "awaiting_confirmation", "purge_at": "2026-12-23T09:00:00.000Z"}
    assert present(awaiting) == {"agency_pk", "agency_sk", "queue_pk", "queue_sk", "due_pk",
                                 "due_sk"}
    assert index_attributes(awaiting)["due_sk"].split("#")[1] == "purge"
    published = {**BASE, "status": "published", "published_at": "2026-11-24T09:00:00.000Z",
                 "reverify_ask_on": "2027-03-08"}
    keys = index_attributes(published)
    assert present(published) == {"pub_pk", "pub_sk", "agency_pk", "agency_sk", "queue_pk",
                                  "queue_sk", "rv_pk", "rv_sk"}
    assert keys["rv_pk"].startswith("REVERIFY#D") and keys["rv_sk"] == "2027-03-08#r1"
    # A pending flag comes first when it is earlier than the sampled day.
    flagged = {**published, "flag": {"on": "2026-12-01", "source": "qa"}}
    assert index_attributes(flagged)["rv_sk"] == "2026-12-01#r1"
    assert "rv_pk" not in present({**published, "reverify_ask_on": None})
    pending = {**published, "reverify_link": "h", "reverify_deadline": "2026-12-22T09:00:00.000Z"}
    assert "rv_pk" not in present(pending) and "due_pk" in present(pending)
    reported = {**published, "status": "reported"}
    assert {"pub_pk", "rv_pk"} & present(reported) == {"pub_pk"}
    in_review = {**BASE, "status": "in_review", "due_by": "2026-11-25"}
    assert index_attributes(in_review)["queue_sk"].startswith("2026-11-25#")
    assert present({**BASE, "status": "blocked"}) == {"agency_pk", "agency_sk", "queue_pk",
                                                      "queue_sk"}
    assert present({**BASE, "status": "deleted"}) == set()


# -- IP signals ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "signal"), [
    ("81.169.145.10", "81.169.145.10"), ("2a01:238:20a:202:1000::5", "2a01:238:20a:202::/64"),
    ("::ffff:81.169.145.10", "81.169.145.10"), ("127.0.0.1", None), ("10.0.0.1", None),
    ("172.16.5.4", None), ("192.168.1.1", None), ("100.64.0.1", None), ("169.254.1.1", None),
    ("::1", None), ("fd00::1", None), ("fe80::1", None), ("not-an-ip", None), ("", None),
    (None, None),
])
def test_only_global_addresses_carry_a_signal(ip, signal):
    assert signal_ip(ip) == signal
    assert (ip_key("k", ip) is None) == (signal is None)


class FakeCore:
    def __init__(self, fail: Exception | None = None) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes = 0
        self.fail = fail

    def update(self, pk: str, sk: str, update: Any, condition: Any = None) -> dict[str, Any]:
        self.writes += 1
        if self.fail:
            raise self.fail
        item = self.items.setdefault((pk, sk), {})
        if item.get("last_seen") and item["last_seen"] >= update.sets["last_seen"]:
            raise ConditionFailed(dict(item))
        item.update(update.sets)
        return dict(item)

    def get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        return self.items.get((pk, sk))


def test_agency_ip_log_writes_once_per_day_and_forgets_after_the_window():
    core, clock = FakeCore(), FixedClock(NOW)
    log = AgencyIpLog(core, clock, "key", 30)  # type: ignore[arg-type]
    for _ in range(5):
        log.record("demo", "81.169.145.10")
    assert core.writes == 1
    log.record("demo", "10.0.0.1")
    log.record(None, "81.169.145.10")
    assert core.writes == 1
    assert "81.169.145.10" not in str(core.items)
    ip_hash = ip_key("key", "81.169.145.10")

    def seen_recently(agency_id: str) -> bool:
        return log.is_recent(core.get(*agency_ip_key(agency_id, ip_hash)))

    assert seen_recently("demo") and not seen_recently("other")
    clock.advance(days=30)
    assert seen_recently("demo")
    clock.advance(days=1)
    assert not seen_recently("demo")
    log.record("demo", "81.169.145.10")
    assert core.writes == 2 and seen_recently("demo")


def test_agency_ip_log_never_raises():
    log = AgencyIpLog(FakeCore(fail=RuntimeError("throttled")), FixedClock(NOW), "key", 30)  # type: ignore[arg-type]
    log.record("demo", "81.169.145.10")  # logged, not raised
