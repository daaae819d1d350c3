"""freigabe: HTTP routes, scheduled jobs and operator functions.

Routes live in ``chalicelib/web``; event handlers stay here because Chalice packages
Blueprint event handlers with the blueprint as handler module (aws/chalice#1566).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chalice import Chalice, Cron, Rate

from chalicelib.logs import configure_logging
from chalicelib.web import (
    address_routes,
    dev_routes,
    gdpr_routes,
    link_routes,
    page_routes,
    review_routes,
    tour_routes,
)
from chalicelib.web.http import Api

app = Chalice(app_name="freigabe", configure_logs=False)
api = Api(app)
log = logging.getLogger("freigabe")


@app.middleware("http")
def access_log(event: Any, get_response: Any) -> Any:
    configure_logging()
    started = time.perf_counter()
    response = get_response(event)
    # The route template, never the path itself: link paths carry secret tokens.
    context = event.context or {}
    logging.getLogger("freigabe.access").info(
        "request",
        extra={"method": event.method, "route": context.get("resourcePath"),
               "status": response.status_code,
               "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return response


# -- scheduled jobs ---------------------------------------------------------------------

@app.schedule(Rate(5, unit=Rate.MINUTES), name="mail_retry")
def mail_retry(event: Any) -> dict[str, Any]:
    from chalicelib.wiring import get_container

    configure_logging()
    report = get_container().outbox.retry_due()
    summary = {"job": "mail-retry", **report.as_dict()}
    log.info("job finished", extra=summary)
    return summary


@app.schedule(Cron(30, 2, "*", "*", "?", "*"), name="review_sweep")
def review_sweep(event: Any) -> dict[str, Any]:
    """Nightly: purge unconfirmed reviews, expire unanswered re-verifications and
    statement/proof requests, sample published reviews for re-verification."""
    from chalicelib.wiring import get_container

    configure_logging()
    report = get_container().reviews.sweep()
    summary = {"job": "review-sweep", **report.as_dict()}
    log.info("job finished", extra=summary)
    _job_succeeded("review-sweep", summary)
    return summary


def _job_succeeded(job: str, summary: dict[str, Any]) -> None:
    """The nightly-job alarm fires when a day passes without this metric (EMF)."""
    from chalicelib.metrics import emit

    if not summary.get("errors"):
        emit("JobSucceeded", 1, job=job)


JOBS = {"mail-retry": mail_retry, "review-sweep": review_sweep}


# Every 15 minutes through the night (01:00–04:45 UTC, 02:00–06:45 in Berlin): the first
# run does the day's sweep, a run that hits the Lambda limit is continued by the next one
# from its checkpoint, and once the day is done the rest answer at once.
@app.schedule(Cron("0/15", "1-4", "*", "*", "?", "*"), name="retention_sweep")
def retention_sweep(event: Any) -> dict[str, Any]:
    from chalicelib.wiring import get_container

    configure_logging()
    context = getattr(event, "context", None)
    # Stop with a checkpoint while there is time left: a minute of a 15-minute run, a
    # tenth of a shorter one.
    margin = (min(60_000.0, context.get_remaining_time_in_millis() / 10)
              if context is not None else 0.0)

    def should_stop() -> bool:
        return context is not None and context.get_remaining_time_in_millis() < margin

    summary = {"job": "retention-sweep", **get_container().gdpr.sweep.run(should_stop=should_stop)}
    log.info("job finished", extra={k: v for k, v in summary.items() if k != "checkpoint"})
    if summary.get("checkpoint") is None:  # the day is done (now or by an earlier run)
        _job_succeeded("retention-sweep", summary)
    return summary


JOBS["retention-sweep"] = retention_sweep


def run_job(name: str) -> dict[str, Any]:
    """Runs a job through the very handler EventBridge invokes (local stack only)."""
    return JOBS[name](_scheduled_event(name, "local"), None)


def _scheduled_event(name: str, source: str) -> dict[str, Any]:
    return {"version": "0", "id": source, "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000", "time": "1970-01-01T00:00:00Z",
            "region": source, "resources": [f"{source}:{name}"], "detail": {}}


# -- operators (AWS console test event) ---------------------------------------------------

@app.lambda_function(name="ops")
def ops(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.ops import handle
    from chalicelib.wiring import get_container

    configure_logging()
    if event.get("action") == "run_job":
        # The very handler EventBridge invokes, now (docs/operations.md).
        job = str(event.get("job", ""))
        if job not in JOBS:
            return {"ok": False, "error": {"code": "unknown_job",
                                           "message": "job: " + " | ".join(sorted(JOBS))}}
        return {"ok": True, "summary": JOBS[job](_scheduled_event(job, "ops"), context)}
    return handle(event, get_container())


# -- SES feedback (bounces and complaints through the configuration set's SNS topic) -------

# The topic name is a placeholder: the merge template (infra/build_template.py) points the
# subscription at the stack's own topic.
@app.on_sns_message(topic="freigabe-ses-feedback", name="ses_feedback")
def ses_feedback(event: Any) -> dict[str, Any]:
    from chalicelib.wiring import get_container

    configure_logging()
    summary = get_container().feedback.handle(event.message)
    log.info("ses feedback", extra=summary)
    return summary


tour_routes.register(api)
link_routes.register(api)
page_routes.register(api)
address_routes.register(api)
gdpr_routes.register(api)
review_routes.register(api)
dev_routes.register(api, run_job)
