"""freigabe: HTTP routes, scheduled jobs and operator functions.

Routes live in ``chalicelib/web``; event handlers stay here because Chalice packages
Blueprint event handlers with the blueprint as handler module (aws/chalice#1566).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chalice import Chalice, Rate

from chalicelib.logs import configure_logging
from chalicelib.web import address_routes, dev_routes, link_routes, page_routes, tour_routes
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


JOBS = {"mail-retry": mail_retry}


def run_job(name: str) -> dict[str, Any]:
    """Runs a job through the very handler EventBridge invokes (local stack only)."""
    handler = JOBS[name]
    event = {"version": "0", "id": "local", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "000000000000", "time": "1970-01-01T00:00:00Z",
             "region": "local", "resources": [f"local:{name}"], "detail": {}}
    return handler(event, None)


# -- operators (AWS console test event) ---------------------------------------------------

@app.lambda_function(name="ops")
def ops(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.ops import handle
    from chalicelib.wiring import get_container

    configure_logging()
    return handle(event, get_container())


tour_routes.register(api)
link_routes.register(api)
page_routes.register(api)
address_routes.register(api)
dev_routes.register(api, run_job)
