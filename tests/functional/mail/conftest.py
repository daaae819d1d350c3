"""Fixtures of the mail tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.mail.support import SentMails, SesFaults


@pytest.fixture
def sent(container: Any) -> SentMails:
    return SentMails(container.ses)


@pytest.fixture
def ses_faults(container: Any) -> SesFaults:
    return SesFaults(container.ses)
