"""Issue 19, hole 5: an ops event killed by its Lambda timeout (no handler left to remove
its idempotency record) can be retried once the invocation's time is over, not after 24 h."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

import app as application
from tests.conftest import owner_fields


class _Killed(BaseException):
    """The Lambda runtime ending the process: no ``except Exception`` runs after it."""


@pytest.fixture
def ops(container: Any) -> Any:
    with Client(application.app, stage_name="local") as client:
        yield lambda event: client.lambda_.invoke("ops", event).payload


EVENT = {"action": "create_agency", **owner_fields(7), "idempotency_key": "onboarding-4711",
         "agency": {"agency_id": "zeitlos", "name": "Zeitlos Immobilien",
                    "contact_email": "info@zeitlos.example"}}


def test_a_timed_out_event_can_be_retried_once_its_invocation_time_is_over(
        ops: Any, container: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = container.agencies.create_agency

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise _Killed()

    monkeypatch.setattr(container.agencies, "create_agency", killed)
    with pytest.raises(_Killed):
        ops(EVENT)
    monkeypatch.setattr(container.agencies, "create_agency", real)

    # Still inside the first invocation's time (the test client's Lambda has 3 s): a
    # concurrent repetition must not run the action twice.
    clock.advance(seconds=1)
    busy = ops(EVENT)
    assert busy["ok"] is False and busy["error"]["code"] == "in_progress"

    # The invocation is certainly over: the retry runs, once.
    clock.advance(minutes=2)
    retried = ops(EVENT)
    assert retried["ok"] is True and retried["agency"]["agency_id"] == "zeitlos"
    again = ops(EVENT)
    assert again["ok"] is True and again["repeated"] is True


def test_a_finished_event_still_answers_from_its_record_for_the_whole_window(
        ops: Any, clock: Any) -> None:
    event = {**EVENT, "idempotency_key": "onboarding-4712",
             "agency": {**EVENT["agency"], "agency_id": "fertig"}}
    assert ops(event)["ok"] is True
    clock.advance(hours=23)
    repeated = ops(event)
    assert repeated["ok"] is True and repeated["repeated"] is True
