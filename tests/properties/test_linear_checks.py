"""Issue 19, hole 2: every automatic review check stays linear on adversarial 16 KB texts
(repeated separators, dots, ``@``, spelled-out "at"/"dot", digits, unicode marks).

Before the fix ``contact_data("a." * 2500)`` alone took 3-4 s (quadratic backtracking);
16 KB took far longer. Each call here runs under a CPU-time budget of 1 s (SIGVTALRM on
the process's own CPU time, so a busy machine does not make it flaky): a termination
bound 20× above the target, not the performance figure. The figures (≤ 50 ms worst case
per check, next to the plain-text median) are ``make bench BENCH_ARGS="--only checks"``.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.checks import (
    CANDIDATES,
    SIZE,
    STORED_TEXT_MAX,
    UNITS,
    FakeEvidence,
    adversarial,
    review_with,
)
from chalicelib.reviews import lexicon
from chalicelib.reviews.checks import CHECKS, contact_data

BUDGET_SECONDS = 1.0


class OverBudget(Exception):
    pass


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: Any) -> None:
        raise OverBudget(f"more than {seconds} s of CPU time")

    previous = signal.signal(signal.SIGVTALRM, expired)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def run_every_check(text: str, candidates: list[str]) -> None:
    review = review_with(text)
    evidence = FakeEvidence(candidates)
    for name, function in CHECKS:
        try:
            with cpu_budget(BUDGET_SECONDS):
                findings = function(review, evidence)
        except OverBudget as exc:
            pytest.fail(f"{name} on {text[:24]!r}… ({len(text)} chars): {exc}")
        assert all(f.check == name for f in findings)


@pytest.mark.parametrize("unit", UNITS)
def test_every_check_on_a_repeated_unit(unit: str) -> None:
    text = adversarial(unit)
    assert len(text) == SIZE
    run_every_check(text, [adversarial(unit, STORED_TEXT_MAX)] * CANDIDATES)


def test_the_reported_case_is_fast_and_still_finds_contact_data() -> None:
    with cpu_budget(BUDGET_SECONDS):
        assert contact_data("a." * 2500) == []
        assert contact_data("a." * 8000 + " max@example.org") == ["E-Mail-Adresse"]
        assert contact_data("a." * 8000 + " www.beispiel.de") == ["Link / Webadresse"]


_unit = st.sampled_from(UNITS)
_pattern = st.lists(st.one_of(_unit, st.text(min_size=1, max_size=3)), min_size=1,
                    max_size=4).map("".join)


@settings(max_examples=40)
@given(pattern=_pattern, prefix=st.text(max_size=40), suffix=st.text(max_size=40))
def test_every_check_on_generated_adversarial_texts(pattern: str, prefix: str,
                                                    suffix: str) -> None:
    body = adversarial(pattern, SIZE - len(prefix) - len(suffix))
    run_every_check(prefix + body + suffix, [adversarial(pattern, STORED_TEXT_MAX)] * 3)


def _reference_find(lex: lexicon.Lexicon, text: str) -> list[str]:
    """The lexicon's former matching: every entry in order, first match wins."""
    found: dict[str, None] = {}
    for token in lexicon.words(text):
        if len(token) < 3 or token in lex.allowed:
            continue
        for entry in lex.entries:
            if entry.matches(token):
                found.setdefault(entry.word)
                break
    return list(found)


_words = st.lists(st.one_of(
    st.sampled_from([e.word for e in lexicon.default_lexicon().entries]),
    st.sampled_from(["Betrügerbande", "Erzbetrüger", "Idioten", "Saftladen", "Hausverwaltung",
                     "nett", "Schweinerei", "Volldepp", "a", "B e t r ü g e r"]),
    st.text(max_size=12)), max_size=30).map(" ".join)


@given(text=_words)
def test_the_indexed_lexicon_finds_what_the_entry_loop_found(text: str) -> None:
    lex = lexicon.default_lexicon()
    assert lex.find(text) == _reference_find(lex, text)


def test_cpu_budget_really_interrupts() -> None:
    """The guard itself can fail: a busy loop over the budget is interrupted."""
    def spin() -> None:
        while True:
            pass

    with pytest.raises(OverBudget), cpu_budget(0.05):
        spin()
