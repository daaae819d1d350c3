"""Routes of the viewing statistics (contract v2: ``POST /tours/{id}/views``) and the
agency's view of one registration with the lead's viewing."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext
from chalicelib.web.tour_routes import _narrowed as narrowed
from chalicelib.web.tour_routes import _origin_policy as origin_policy


def register(api: Api) -> None:
    # text/plain: what navigator.sendBeacon sends for a string body (a simple CORS request).
    @api.route("/tours/{tour_id}/views", methods=["POST"], cors=PUBLIC_CORS, status=202,
               content_types=["application/json", "text/plain"])
    def record_views(ctx: RequestContext) -> Any:
        from chalicelib.tours.viewing import ViewBatch

        origin = origin_policy(ctx)
        answer = ctx.container.viewing.record(
            ctx.params["tour_id"], ctx.body(ViewBatch), ctx.header("x-viewer-token"),
            lambda tour: origin.check(tour.get("allowed_origins")))
        return narrowed(answer, origin, 202)

    @api.route("/agency/registrations/{registration_id}", auth="agency")
    def get_registration(ctx: RequestContext) -> Any:
        return ctx.container.tours.get_registration(ctx.agency_id, ctx.params["registration_id"])
