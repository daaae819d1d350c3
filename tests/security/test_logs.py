"""The log check every ``container`` test runs (``tests/conftest.py``, ``LogAudit``) must
catch each kind of personal data and secret, and pass ordinary log lines: otherwise "no
PII in the logs across the whole suite" would be a check that cannot fail."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import LogAudit

LEAKS = {
    "email": "eva@example.org",
    "phone": "+49 171 2345678",
    "ipv4": "81.169.145.10",
    "ipv6": "2001:db8:85a3::8a2e:370:7334",
    "mapped ipv6": "::ffff:81.169.145.10",
    "agency token": "demo-agency-token",
    "viewer token": "abcdefghijklmnopqrstuvwxyz.Zm9vYmFyYmF6cXV4cXV1eHh4eHh4",
    "link path": "/links/unlock/Zm9vYmFyYmF6cXV4cXV1eHh4",
}
CLEAN = ["request", "job finished", "mail sent 2026-11-23T09:00:00.000Z in 13.2 ms",
         "review-sweep item failed", "registration abcdefghijklmnopqrstuvwxyz committed",
         "version 3.11.7 of 2026-11-23 10:00:00,123+0100"]


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("freigabe.test", logging.INFO, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


@pytest.mark.parametrize("kind", sorted(LEAKS))
def test_each_kind_of_secret_is_caught_in_the_message_and_in_extra_fields(kind):
    for entry in (record(f"value {LEAKS[kind]} seen"), record("value", field=LEAKS[kind])):
        audit = LogAudit()
        audit.emit(entry)
        assert audit.leaks, (kind, entry.__dict__)


@pytest.mark.parametrize("line", CLEAN)
def test_ordinary_lines_pass(line):
    audit = LogAudit()
    audit.emit(record(line, route="/links/{purpose}/{token}", status=303, ms=12.5))
    assert audit.leaks == []
