"""Routes of the contract's "Webhooks" section (owner-only by the accounts policy)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    @api.route("/agency/webhooks", methods=["POST"], auth="agency", status=201)
    def create_webhook(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.create(ctx.agency_id, ctx.json())

    @api.route("/agency/webhooks", auth="agency")
    def list_webhooks(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.list_webhooks(ctx.agency_id)

    @api.route("/agency/webhooks/{webhook_id}", methods=["DELETE"], auth="agency")
    def delete_webhook(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.delete(ctx.agency_id, ctx.params["webhook_id"])

    @api.route("/agency/webhooks/{webhook_id}/rotate-secret", methods=["POST"], auth="agency")
    def rotate_webhook_secret(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.rotate_secret(ctx.agency_id, ctx.params["webhook_id"])

    @api.route("/agency/webhooks/{webhook_id}/ping", methods=["POST"], auth="agency",
               status=202)
    def ping_webhook(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.ping(ctx.agency_id, ctx.params["webhook_id"])

    @api.route("/agency/webhooks/{webhook_id}/deliveries", auth="agency")
    def webhook_deliveries(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.deliveries(ctx.agency_id, ctx.params["webhook_id"],
                                                 ctx.page(default=50, maximum=100))

    @api.route("/agency/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
               methods=["POST"], auth="agency", status=202)
    def retry_webhook_delivery(ctx: RequestContext) -> Any:
        return ctx.container.webhooks.retry(ctx.agency_id, ctx.params["webhook_id"],
                                            ctx.params["delivery_id"])
