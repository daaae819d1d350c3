"""Local-stack-only routes (404 in every deployed stage) and the health check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.clock import parse_iso
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.web.http import Api, RequestContext

JobRunner = Callable[[str], dict[str, Any]]


def register(api: Api, run_job: JobRunner) -> None:
    @api.route("/health")
    def health(ctx: RequestContext) -> Any:
        return {"status": "ok"}

    @api.route("/dev/outbox", dev_only=True)
    def dev_outbox(ctx: RequestContext) -> Any:
        from chalicelib.devtools import read_outbox

        return {"messages": read_outbox(ctx.container.settings.region)}

    @api.route("/dev/clock", methods=["PUT"], dev_only=True)
    def dev_set_clock(ctx: RequestContext) -> Any:
        value = ctx.json().get("now")
        try:
            moment = parse_iso(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationFailed({"now": "Zeitpunkt im Format ISO 8601 mit Zeitzone erwartet."})
        clock = ctx.container.clock
        clock.set(moment)  # type: ignore[attr-defined]
        return {"now": _iso(clock.now())}

    @api.route("/dev/clock", methods=["DELETE"], dev_only=True)
    def dev_reset_clock(ctx: RequestContext) -> Any:
        clock = ctx.container.clock
        clock.reset()  # type: ignore[attr-defined]
        return {"now": _iso(clock.now())}

    @api.route("/dev/jobs/{job}", methods=["POST"], dev_only=True)
    def dev_run_job(ctx: RequestContext) -> Any:
        try:
            return run_job(ctx.params["job"])
        except KeyError as exc:
            raise NotFound("Unbekannter Job.") from exc


def _iso(moment: Any) -> str:
    from chalicelib.clock import iso

    return iso(moment)
