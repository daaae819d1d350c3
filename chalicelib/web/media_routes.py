"""Routes of the contract's media part ("Tours: the gate protects the pictures")."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext
from chalicelib.web.tour_routes import _narrowed as narrowed
from chalicelib.web.tour_routes import _origin_policy as origin_policy

_VIEWPOINT_MEDIA = "/agency/tours/{tour_id}/viewpoints/{viewpoint_id}/media"


def register(api: Api) -> None:
    @api.route(_VIEWPOINT_MEDIA, methods=["PUT"], auth="agency")
    def start_media_upload(ctx: RequestContext) -> Any:
        from chalicelib.tours.media import MediaUpload

        # The body is parsed only once the tour is found: 404 wins over 400/422.
        return ctx.container.media.start_upload(ctx.agency_id, ctx.params["tour_id"],
                                                ctx.params["viewpoint_id"],
                                                ctx.body(MediaUpload))

    @api.route(_VIEWPOINT_MEDIA + "/complete", methods=["POST"], auth="agency")
    def complete_media_upload(ctx: RequestContext) -> Any:
        return ctx.container.media.complete(ctx.agency_id, ctx.params["tour_id"],
                                            ctx.params["viewpoint_id"])

    @api.route(_VIEWPOINT_MEDIA, methods=["DELETE"], auth="agency")
    def delete_media(ctx: RequestContext) -> Any:
        return ctx.container.media.delete(ctx.agency_id, ctx.params["tour_id"],
                                          ctx.params["viewpoint_id"])

    @api.route("/agency/tours/{tour_id}", methods=["DELETE"], auth="agency")
    def delete_tour(ctx: RequestContext) -> Any:
        # The tour with its media and mail links; the registrations stay with the addresses.
        return ctx.container.tour_deletion.delete(ctx.agency_id, ctx.params["tour_id"])

    @api.route("/agency/tours/{tour_id}/media", auth="agency")
    def list_media(ctx: RequestContext) -> Any:
        return ctx.container.media.list(ctx.agency_id, ctx.params["tour_id"])

    @api.route("/tours/{tour_id}/viewpoints/{viewpoint_id}/media", cors=PUBLIC_CORS)
    def viewpoint_media(ctx: RequestContext) -> Any:
        origin = origin_policy(ctx)
        answer = ctx.container.media.player_url(
            ctx.params["tour_id"], ctx.params["viewpoint_id"], ctx.header("x-viewer-token"),
            lambda tour: origin.check(tour.get("allowed_origins")))
        return narrowed(answer, origin)
