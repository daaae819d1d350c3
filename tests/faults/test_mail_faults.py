"""SES faults on every path that sends mail (issue 8, section 3): every request scenario
whose clean run mails someone, plus the jobs that mail (re-verification sample, report
deadlines, retention digest). With SES throttled or failing for the whole request, the
request answers exactly as without the fault, and after the ``mail-retry`` job the same
mails have gone out exactly once; a permanent refusal is tried once and never again."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.faults.scenarios import SCENARIOS, Scenario, World
from tests.faults.test_write_faults import Reference, mails, settle
from tests.faults.worlds import SesFaults, fresh_world, seeded_randomness

TRANSIENT = ["TooManyRequestsException", "LimitExceededException", "InternalFailure",
             "SendingPausedException", "connection"]
FIGURES: Counter[str] = Counter()


class _Unreachable(SesFaults):
    """SES does not answer at all (a BotoCoreError, not an SES error code)."""

    def _hook(self, **kw: Any) -> Any:
        if self.fail_all == "connection":
            self.attempts += 1
            self.injected["connection"] += 1
            raise EndpointConnectionError(endpoint_url="https://email.eu-central-1.amazonaws.com")
        return super()._hook(**kw)


# -- jobs that mail, as scenarios of their own -----------------------------------------------------

def _job(world: World, name: str) -> Any:
    return lambda: world.http.post(f"/dev/jobs/{name}", {})


def reverify_sample(w: World) -> Any:
    w.flag(w.confirmed_review())
    w.clock.advance(days=15)
    return _job(w, "review-sweep")


def deadline_passed(w: World) -> Any:
    report_id = w.report(w.confirmed_review())
    w.ok(w.http.post(f"/qa/reports/{report_id}/request-statement", {}, token="demo-qa-token"))
    w.clock.advance(days=15)
    return _job(w, "review-sweep")


def retention_digest(w: World) -> Any:
    w.address(store_until="2026-11-20")
    return _job(w, "retention-sweep")


JOB_SCENARIOS = [
    Scenario("review-sweep re-verification", "POST", "job", reverify_sample,
             refusal_notices=1),
    Scenario("review-sweep deadline", "POST", "job", deadline_passed),
    Scenario("retention-sweep digest", "POST", "job", retention_digest),
]
MAILING = SCENARIOS + JOB_SCENARIOS


@pytest.mark.parametrize("scenario", MAILING, ids=str)
def test_ses_faults_never_fail_the_request_and_each_mail_goes_out_once(
        world, faults, container, scenario):
    ses = _Unreachable(container.ses)
    code = TRANSIENT[MAILING.index(scenario) % len(TRANSIENT)]
    with seeded_randomness():
        reference = Reference(world, scenario, faults)
        if not reference.mails:
            pytest.skip(f"{scenario.name} sends no mail")
        expected = sum(reference.mails.values())

        # Transient: kept, and sent once by the job.
        fresh_world(world.container, world.clock)
        act = scenario.prepare(world)
        sent_before, attempts_before = len(world.outbox()), ses.attempts
        ses.fail_all = code
        reply = act()
        ses.fail_all = None
        FIGURES[f"ses {code}"] += ses.attempts - attempts_before
        assert reply.status == scenario.status, (scenario.name, reply.status, reply.body[:300])
        assert ses.attempts - attempts_before == expected
        assert len(world.outbox()) == sent_before, "a failed send reached the outbox"
        settle(world)
        assert mails(world, sent_before) == reference.mails, scenario.name
        # Each mail was tried once in the request and once more by the job: no third try.
        assert ses.attempts - attempts_before == 2 * expected

        # Permanent: tried once, never again, nothing sent (the agency's notice about a
        # review taken off the list is refused too, and given up).
        fresh_world(world.container, world.clock)
        act = scenario.prepare(world)
        sent_before, attempts_before = len(world.outbox()), ses.attempts
        ses.fail_all = "MessageRejected"
        reply = act()
        assert reply.status == scenario.status, (scenario.name, reply.status, reply.body[:300])
        settle(world)
        ses.fail_all = None
        FIGURES["ses MessageRejected"] += ses.attempts - attempts_before
        assert ses.attempts - attempts_before == expected + scenario.refusal_notices
        assert len(world.outbox()) == sent_before
