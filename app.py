"""freigabe: HTTP routes, scheduled jobs and operator functions.

Routes live in ``chalicelib/web``; event handlers stay here because Chalice packages
Blueprint event handlers with the blueprint as handler module (aws/chalice#1566).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from chalice import Chalice, Cron, Rate

from chalicelib.logs import configure_logging
from chalicelib.web import (
    account_routes,
    address_routes,
    auth_routes,
    dev_routes,
    gdpr_routes,
    link_routes,
    media_routes,
    page_routes,
    privacy_routes,
    profile_routes,
    review_routes,
    tour_routes,
    ui_routes,
    viewing_routes,
    webhook_routes,
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


@app.middleware("all")
def publish_metrics(event: Any, get_response: Any) -> Any:
    """Every function (API, jobs, SES feedback, ops) writes the invocation's metrics once,
    at its end, also when the handler failed (chalicelib/metrics.py)."""
    try:
        return get_response(event)
    finally:
        from chalicelib.wiring import current

        container = current()
        if container is not None:
            container.metrics.flush()


@app.middleware("all")
def dispatch_webhooks(event: Any, get_response: Any) -> Any:
    """Hands the webhook deliveries this invocation's transactions staged to the sender's
    queue, once, at its end (chalicelib/webhooks/events.py)."""
    try:
        return get_response(event)
    finally:
        from chalicelib.wiring import current

        container = current()
        if container is not None and "events" in container.__dict__:
            container.events.flush()


# -- scheduled jobs ---------------------------------------------------------------------

def _job(name: str, event: Any, work: Callable[[Any], dict[str, Any]],
         finished: Callable[[dict[str, Any]], bool] = lambda summary: True) -> dict[str, Any]:
    """Runs a job's work and records its duration; ``JobSucceeded`` (the nightly-job
    alarms fire when a day passes without it) once ``finished`` says the run is complete
    and it had no errors. A run for a past date (ops ``run_job`` with ``date``) does not
    stand in for today's run."""
    from chalicelib.metrics import JOB_DURATION, JOB_SUCCEEDED
    from chalicelib.wiring import get_container

    configure_logging()
    container = get_container()
    started = time.perf_counter()
    summary = {"job": name, **work(container)}
    for_date = (getattr(event, "detail", None) or {}).get("for_date")
    if for_date:
        summary["for_date"] = for_date
    container.metrics.duration(JOB_DURATION, (time.perf_counter() - started) * 1000, job=name)
    if finished(summary) and not summary.get("errors") and not for_date:
        container.metrics.count(JOB_SUCCEEDED, job=name)
    log.info("job finished", extra={k: v for k, v in summary.items() if k != "checkpoint"})
    return summary


@app.schedule(Rate(5, unit=Rate.MINUTES), name="mail_retry")
def mail_retry(event: Any) -> dict[str, Any]:
    return _job("mail-retry", event, lambda c: c.outbox.retry_due().as_dict())


def _time_left(event: Any) -> Callable[[], bool]:
    """``should_stop`` for a job that continues in its next run: true once less than a
    minute of a 15-minute Lambda (a tenth of a shorter one) is left."""
    context = getattr(event, "context", None)
    if context is None:
        return lambda: False
    margin = min(60_000.0, context.get_remaining_time_in_millis() / 10)
    return lambda: context.get_remaining_time_in_millis() < margin


# Every 15 minutes from 01:05 to 04:50 UTC: the first run usually does the night's work;
# what a run leaves for lack of time is still in the due indexes, and the next run takes
# it from there (a run with nothing due costs a few empty Queries).
@app.schedule(Cron("5/15", "1-4", "*", "*", "?", "*"), name="review_sweep")
def review_sweep(event: Any) -> dict[str, Any]:
    """Nightly: purge unconfirmed reviews, expire unanswered re-verifications and
    statement/proof requests, sample published reviews for re-verification."""
    should_stop = _time_left(event)
    return _job("review-sweep", event,
                lambda c: c.reviews.sweep(should_stop=should_stop).as_dict(),
                finished=lambda summary: not summary.get("stopped_for_time"))


# The scheduled handlers by job name: each takes (event, context) and answers its summary.
JOBS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "mail-retry": mail_retry, "review-sweep": review_sweep}


# Every 15 minutes through the night (01:00–04:45 UTC, 02:00–06:45 in Berlin): the first
# run does the day's sweep, a run that hits the Lambda limit is continued by the next one
# from its checkpoint, and once the day is done the rest answer at once.
@app.schedule(Cron("0/15", "1-4", "*", "*", "?", "*"), name="retention_sweep")
def retention_sweep(event: Any) -> dict[str, Any]:
    should_stop = _time_left(event)
    # Succeeded once the day is done (now or by an earlier run): no checkpoint left.
    return _job("retention-sweep", event, lambda c: c.gdpr.sweep.run(should_stop=should_stop),
                finished=lambda summary: summary.get("checkpoint") is None)


JOBS["retention-sweep"] = retention_sweep


# -- webhooks (issue 16) ------------------------------------------------------------------

# The queue name is a placeholder: the merge template (infra/build_template.py) points the
# event source at the stack's own queue. One message per invocation: each attempt has its
# own 10-second budget and a slow endpoint holds one sender, not a batch.
@app.on_sqs_message(queue="freigabe-webhooks", batch_size=1, name="webhook_sender")
def webhook_sender(event: Any) -> dict[str, Any]:
    from chalicelib.wiring import get_container

    configure_logging()
    summary = get_container().webhook_sender.handle_messages([r.body for r in event])
    log.info("webhook sender", extra=summary)
    return summary


# Every 5 minutes: retries longer than SQS's 15-minute delay wait in the due index, and so
# does any delivery whose message was lost.
@app.schedule(Rate(5, unit=Rate.MINUTES), name="webhook_retry")
def webhook_retry(event: Any) -> dict[str, Any]:
    should_stop = _time_left(event)
    return _job("webhook-retry", event,
                lambda c: c.webhook_sender.retry_due(should_stop=should_stop))


JOBS["webhook-retry"] = webhook_retry


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
    return handle(event, get_container(), lambda job, day: _ops_job(job, day, context),
                  remaining_ms=getattr(context, "get_remaining_time_in_millis", None))


def _ops_job(job: str, day: Any, context: Any) -> dict[str, Any]:
    """The very handler EventBridge invokes, now or (``day``) with the clock on that date."""
    from chalicelib import wiring
    from chalicelib.errors import AppError
    from chalicelib.ops import backfill_clock

    if job not in JOBS:
        raise AppError("job: " + " | ".join(sorted(JOBS)), code="unknown_job")
    event = _scheduled_event(job, "ops")
    if day is None:
        return JOBS[job](event, context)
    event["detail"] = {"for_date": day.isoformat()}
    container = wiring.get_container()
    wiring.install(container.at(backfill_clock(day)))
    try:
        return JOBS[job](event, context)
    finally:
        wiring.install(container)


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
media_routes.register(api)
viewing_routes.register(api)
link_routes.register(api)
page_routes.register(api)
address_routes.register(api)
gdpr_routes.register(api)
profile_routes.register(api)
privacy_routes.register(api)
review_routes.register(api)
account_routes.register(api)
auth_routes.register(api)
ui_routes.register(api)
webhook_routes.register(api)
dev_routes.register(api, run_job)
