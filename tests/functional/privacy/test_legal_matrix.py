"""docs/legal.md maps every legal duty to its feature and its test: every required duty has
a row, every row names at least one test, and every named test exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "legal.md"
REQUIRED = (
    "GDPR Art. 5(1)(e)", "GDPR Art. 6 ", "GDPR Art. 7(1)", "GDPR Art. 7(3)", "GDPR Art. 12(3)",
    "GDPR Art. 13 ", "GDPR Art. 14 ", "GDPR Art. 15 ", "GDPR Art. 17 ", "GDPR Art. 20 ",
    "GDPR Art. 25 ", "GDPR Art. 30 ", "GDPR Art. 32 ", "UWG §5b(3)", "UWG Annex No. 23b",
    "UWG §7(2)/(3)", "UWG §7a", "TDDDG §25", "BGH I ZR 164/09", "BGH VI ZR 34/15",
    "DSA Art. 16", "DSA Art. 17", "ISO 20488",
)
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def rows(text: str) -> list[list[str]]:
    found = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| Duty") and "---" not in line:
            found.append([c.strip() for c in line.strip("|").split("|")])
    return found


def missing_tests(text: str, root: Path) -> list[str]:
    problems = []
    for cells in rows(text):
        refs = TEST_REF.findall(cells[-1])
        if not refs:
            problems.append(f"{cells[0]}: no test")
        for path, name in refs:
            source = root / path
            if not source.exists() or not re.search(
                    rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M):
                problems.append(f"{cells[0]}: {path}::{name} does not exist")
    return problems


def test_every_required_duty_has_a_row() -> None:
    duties = [cells[0] + " " for cells in rows(DOC.read_text(encoding="utf-8"))]
    for duty in REQUIRED:
        assert any(d.startswith(duty) for d in duties), duty


def test_every_row_names_existing_tests() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(len(cells) == 4 for cells in rows(text))
    assert missing_tests(text, ROOT) == []


@pytest.mark.parametrize("cell", ["", "`tests/functional/privacy/test_vocabulary.py::test_nope`",
                                  "`tests/nowhere.py::test_x`"])
def test_the_check_catches_a_missing_or_unknown_test(cell: str) -> None:
    sample = f"| Duty | What | Code | Test |\n| --- | --- | --- | --- |\n| X | y | z | {cell} |\n"
    assert missing_tests(sample, ROOT)
