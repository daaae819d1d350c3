"""CPU time of every automatic review check (chalicelib/reviews/checks.py) on a plain
review and on adversarial 16 KB texts (issue 19): the worst case per check next to the
plain-text median. Target: ≤ 50 ms per check and input on this machine.

The adversarial texts repeat the units that make backtracking regexes and per-token loops
blow up (separators, dots, ``@``, spelled-out "at"/"dot", digits, combining marks,
leetspeak) to 16 KB, the API's body limit; ``duplicate_text`` compares against 25
candidates (a full MinHash band) of the same kind of text, each as long as a stored review
text can be (5,000 characters: candidates are reviews that passed validation).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

SIZE = 16 * 1024
TARGET_MS = 50.0
CANDIDATES = 25
STORED_TEXT_MAX = 5000
UNITS = (
    "a.", "a@", "a.a@", "a ", "a at ", " at ", "a(dot)", "a dot ", "a punkt ", ".", "-", "@",
    "_", "*", "www.", "a-", "a.de.", "x", "B.", "B3", "a_", "a\u0308", "u\u0308\u0308",
    "0 ", "+0", "0/", "1.", "0-", "(0)", "a@b.", "a(at)", "ab.c", "w.w", "!", "a!", "B|",
    "aa", "ab", "Id.i.o.t ", "B e t r ü g e r ", "ä", "ß", "\u200b", "ﬁ", "𝓐", "a\u00a0",
    "1,0 ", "01.02.", "a.b@c.", "x@y.z ", "https://", "a.a.a.de ", "max [at] ", "[dot]",
)
PLAIN = ("Wir haben unsere Wohnung in Leipzig mit diesem Makler verkauft. Die Beratung war "
         "ehrlich, die Preiseinschätzung realistisch und die Besichtigungen gut organisiert. "
         "Rückfragen wurden meist am selben Tag beantwortet, der Notartermin lief reibungslos. "
         ) * 18  # ≈ 4,900 characters: the longest review text the API accepts is 5,000


def adversarial(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


class FakeEvidence:
    """Every storage answer the checks may ask for, with ``texts`` as the candidates."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def agency_emails(self) -> list[str]:
        return ["kontakt@demo-makler.de", "dana@demo-makler.de"]

    def agency_ip_seen(self) -> bool:
        return False

    def same_email_reviews(self) -> int:
        return 0

    def same_phone_reviews(self) -> int:
        return 0

    def reviews_from_ip_within_24h(self) -> int:
        return 1

    def similar_texts(self) -> list[tuple[str, str]]:
        return [(f"other-{i}", text) for i, text in enumerate(self.texts)]


def review_with(text: str) -> Any:
    from chalicelib.reviews.checks import ReviewUnderCheck

    return ReviewUnderCheck(review_id="bench", agency_id="demo", email="eva@example.org",
                            text=text, submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
                            phone="+49 170 1234567", ip_hash="0" * 32)


def cpu_ms(function: Any, *args: Any) -> float:
    started = time.process_time()
    function(*args)
    return (time.process_time() - started) * 1000


def measure(repeat: int = 3) -> list[dict[str, Any]]:
    from chalicelib.reviews.checks import CHECKS

    rows = []
    for name, function in CHECKS:
        plain_review = review_with(PLAIN)
        plain_evidence = FakeEvidence([PLAIN] * CANDIDATES)
        plain = [cpu_ms(function, plain_review, plain_evidence) for _ in range(9)]
        worst, worst_unit = 0.0, ""
        for unit in UNITS:
            text = adversarial(unit)
            evidence = FakeEvidence([adversarial(unit, STORED_TEXT_MAX)] * CANDIDATES)
            spent = min(cpu_ms(function, review_with(text), evidence) for _ in range(repeat))
            if spent > worst:
                worst, worst_unit = spent, unit
        rows.append({"check": name, "plain_median_ms": round(statistics.median(plain), 2),
                     "worst_ms": round(worst, 2), "worst_input": f"{worst_unit!r} × {SIZE} B",
                     "target_ms": TARGET_MS, "meets_target": worst <= TARGET_MS})
    return rows
