"""Routes of the contract's "Tours" section."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext


def register(api: Api) -> None:
    @api.route("/agency/tours", methods=["POST"], auth="agency", status=201)
    def create_tour(ctx: RequestContext) -> Any:
        return ctx.container.tours.create_tour(ctx.agency_id, ctx.json())

    @api.route("/agency/tours", auth="agency")
    def list_tours(ctx: RequestContext) -> Any:
        return {"tours": ctx.container.tours.list_tours(ctx.agency_id)}

    @api.route("/agency/tours/{tour_id}", auth="agency")
    def get_tour(ctx: RequestContext) -> Any:
        return ctx.container.tours.get_tour(ctx.agency_id, ctx.params["tour_id"])

    @api.route("/agency/tours/{tour_id}", methods=["PUT"], auth="agency")
    def replace_tour(ctx: RequestContext) -> Any:
        # The body is parsed only once the tour is found: 404 wins over 400/413/422.
        return ctx.container.tours.replace_tour(ctx.agency_id, ctx.params["tour_id"], ctx.json)

    @api.route("/agency/tours/{tour_id}/registrations", auth="agency")
    def list_registrations(ctx: RequestContext) -> Any:
        return ctx.container.tours.list_registrations(
            ctx.agency_id, ctx.params["tour_id"], ctx.query("cursor"))

    @api.route("/agency/tours/{tour_id}/stats", auth="agency")
    def tour_stats(ctx: RequestContext) -> Any:
        return ctx.container.tours.stats(ctx.agency_id, ctx.params["tour_id"])

    @api.route("/agency/registrations/{registration_id}/approve", methods=["POST"],
               auth="agency")
    def approve_registration(ctx: RequestContext) -> Any:
        return ctx.container.tours.decide(ctx.agency_id, ctx.params["registration_id"],
                                          "approve")

    @api.route("/agency/registrations/{registration_id}/deny", methods=["POST"], auth="agency")
    def deny_registration(ctx: RequestContext) -> Any:
        return ctx.container.tours.decide(ctx.agency_id, ctx.params["registration_id"], "deny")

    @api.route("/tours/{tour_id}/protection", cors=PUBLIC_CORS)
    def tour_protection(ctx: RequestContext) -> Any:
        return ctx.container.tours.protection(ctx.params["tour_id"])

    @api.route("/tours/{tour_id}/registrations", methods=["POST"], cors=PUBLIC_CORS,
               status=202)
    def register_for_tour(ctx: RequestContext) -> Any:
        tours = ctx.container.tours
        # The body is parsed only after the tour is found and open: 404/409 win over 400/413.
        registered = tours.register(ctx.params["tour_id"], ctx.json, ctx.client_ip)
        return {"registration_id": registered.registration_id,
                "viewer_token": registered.viewer_token, "status": registered.status}

    @api.route("/tours/{tour_id}/access", cors=PUBLIC_CORS)
    def tour_access(ctx: RequestContext) -> Any:
        return ctx.container.tours.access(ctx.params["tour_id"], ctx.header("x-viewer-token"))
