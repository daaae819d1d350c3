"""Routes of the contract's "Tours" section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext, json_response

if TYPE_CHECKING:  # the tour model builds pydantic models at import: not at cold start
    from chalicelib.tours.model import OriginPolicy


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
        from chalicelib.tours.model import TourInput

        return ctx.container.tours.replace_tour(ctx.agency_id, ctx.params["tour_id"],
                                                ctx.body(TourInput))

    @api.route("/agency/tours/{tour_id}/registrations", auth="agency")
    def list_registrations(ctx: RequestContext) -> Any:
        return ctx.container.tours.list_registrations(
            ctx.agency_id, ctx.params["tour_id"], ctx.page(default=100, limit=False))

    @api.route("/agency/tours/{tour_id}/stats", auth="agency")
    def tour_stats(ctx: RequestContext) -> Any:
        return ctx.container.tours.stats(ctx.agency_id, ctx.params["tour_id"])

    @api.route("/agency/registrations/{registration_id}/approve", methods=["POST"],
               auth="agency")
    def approve_registration(ctx: RequestContext) -> Any:
        return ctx.container.tours.decide(ctx.agency_id, ctx.params["registration_id"],
                                          "approve", ctx.actor)

    @api.route("/agency/registrations/{registration_id}/deny", methods=["POST"], auth="agency")
    def deny_registration(ctx: RequestContext) -> Any:
        return ctx.container.tours.decide(ctx.agency_id, ctx.params["registration_id"], "deny",
                                          ctx.actor)

    @api.route("/tours/{tour_id}/protection", cors=PUBLIC_CORS)
    def tour_protection(ctx: RequestContext) -> Any:
        origin = _origin_policy(ctx)
        return _narrowed(ctx.container.tours.protection(ctx.params["tour_id"], origin), origin)

    @api.route("/tours/{tour_id}/registrations", methods=["POST"], cors=PUBLIC_CORS,
               status=202)
    def register_for_tour(ctx: RequestContext) -> Any:
        tours = ctx.container.tours
        origin = _origin_policy(ctx)
        # The body is parsed only after the tour is found and open: 404/409 win over 400/413.
        registered = tours.register(ctx.params["tour_id"], ctx.raw_body(), ctx.client_ip,
                                    origin)
        return _narrowed({"registration_id": registered.registration_id,
                          "viewer_token": registered.viewer_token, "status": registered.status},
                         origin, 202)

    @api.route("/tours/{tour_id}/access", cors=PUBLIC_CORS)
    def tour_access(ctx: RequestContext) -> Any:
        origin = _origin_policy(ctx)
        return _narrowed(ctx.container.tours.access(ctx.params["tour_id"],
                                                    ctx.header("x-viewer-token"), origin), origin)


def _origin_policy(ctx: RequestContext) -> OriginPolicy:
    from chalicelib.tours.model import OriginPolicy, own_origin

    return OriginPolicy(ctx.header("origin"), own_origin(ctx.container.settings.public_base_url))


def _narrowed(body: Any, origin: OriginPolicy, status: int = 200) -> Any:
    """A tour narrowed to its players' origins answers with the caller's origin instead of
    Chalice's ``*`` (Chalice only adds CORS headers a response does not already carry)."""
    if origin.allow_origin is None:
        return body
    return json_response(body, status, {"Access-Control-Allow-Origin": origin.allow_origin,
                                        "Vary": "Origin"})
