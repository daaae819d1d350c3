"""Routes of the contract's "Reviews: quality assurance" section."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext, html_response

# The public face is the same for everyone: cacheable for five minutes.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


def register(api: Api) -> None:
    # -- public ----------------------------------------------------------------------------

    @api.route("/agencies/{agency_id}/reviews", methods=["POST"], cors=PUBLIC_CORS,
               status=202)
    def submit_review(ctx: RequestContext) -> Any:
        # The body is parsed once the agency is known: an unknown agency answers 404.
        from chalicelib.reviews.model import ReviewInput

        return ctx.container.reviews.submit(ctx.params["agency_id"], ctx.body(ReviewInput),
                                            ctx.client_ip, ctx.header("user-agent"))

    @api.route("/agencies/{agency_id}/reviews/{review_id}/notices", methods=["POST"],
               cors=PUBLIC_CORS, status=202)
    def review_notice(ctx: RequestContext) -> Any:
        # DSA Art. 16: anyone may report an unlawful review (the review is looked up first).
        return ctx.container.reviews.submit_notice(ctx.params["agency_id"],
                                                   ctx.params["review_id"], ctx.json,
                                                   ctx.client_ip)

    @api.route("/agencies/{agency_id}/profile")
    def agency_profile(ctx: RequestContext) -> Any:
        return html_response(ctx.container.reviews.profile_page(ctx.params["agency_id"]),
                             headers=PUBLIC_CACHE)

    @api.route("/agencies/{agency_id}/badge.svg")
    def agency_badge(ctx: RequestContext) -> Any:
        return Response(body=ctx.container.reviews.badge(ctx.params["agency_id"]),
                        status_code=200,
                        headers={**PUBLIC_CACHE, "Content-Type": "image/svg+xml; charset=utf-8",
                                 "Content-Security-Policy": "default-src 'none'",
                                 "X-Content-Type-Options": "nosniff"})

    @api.route("/agencies/{agency_id}/reviews", cors=PUBLIC_CORS)
    def public_reviews(ctx: RequestContext) -> Any:
        return ctx.container.reviews.public_reviews(ctx.params["agency_id"],
                                                    ctx.page(default=20, maximum=100))

    # -- QA --------------------------------------------------------------------------------

    @api.route("/qa/reviews", auth="qa")
    def qa_reviews(ctx: RequestContext) -> Any:
        return ctx.container.reviews.qa_reviews(ctx.query("status"),
                                                ctx.page(default=50, maximum=200))

    @api.route("/qa/reviews/{review_id}", auth="qa")
    def qa_review(ctx: RequestContext) -> Any:
        return ctx.container.reviews.qa_review(ctx.params["review_id"])

    @api.route("/qa/reviews/{review_id}/decision", methods=["POST"], auth="qa")
    def qa_decision(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import DecisionInput

        return ctx.container.reviews.decide(ctx.params["review_id"], ctx.actor,
                                            ctx.body(DecisionInput))

    @api.route("/qa/reviews/{review_id}/phone-check", methods=["POST"], auth="qa")
    def qa_phone_check(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import PhoneCheckInput

        return ctx.container.reviews.phone_check(ctx.params["review_id"],
                                                 ctx.actor, ctx.body(PhoneCheckInput))

    @api.route("/qa/reviews/{review_id}/flag", methods=["POST"], auth="qa")
    def qa_flag(ctx: RequestContext) -> Any:
        assert ctx.principal is not None
        return ctx.container.reviews.flag(ctx.params["review_id"], ctx.actor,
                                          ctx.json)

    @api.route("/qa/reviews/{review_id}/takedown", methods=["POST"], auth="qa")
    def qa_takedown(ctx: RequestContext) -> Any:
        assert ctx.principal is not None
        return ctx.container.reviews.takedown(ctx.params["review_id"], ctx.actor,
                                              ctx.json)

    @api.route("/qa/notices", auth="qa")
    def qa_notices(ctx: RequestContext) -> Any:
        return ctx.container.reviews.qa_notices(ctx.query("status"),
                                                ctx.page(default=50, maximum=100))

    @api.route("/qa/notices/{notice_id}/resolve", methods=["POST"], auth="qa")
    def qa_resolve_notice(ctx: RequestContext) -> Any:
        assert ctx.principal is not None
        return ctx.container.reviews.resolve_notice(ctx.params["notice_id"],
                                                    ctx.actor, ctx.json)

    @api.route("/qa/reports", auth="qa")
    def qa_reports(ctx: RequestContext) -> Any:
        return ctx.container.reviews.qa_reports(ctx.query("status"),
                                                ctx.page(default=50, maximum=100))

    @api.route("/qa/reports/{report_id}/request-statement", methods=["POST"], auth="qa")
    def qa_request_statement(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import AnswerRequestInput

        return ctx.container.reviews.request_answer(
            ctx.params["report_id"], "statement", ctx.actor,
            ctx.body(AnswerRequestInput, optional=True))

    @api.route("/qa/reports/{report_id}/request-proof", methods=["POST"], auth="qa")
    def qa_request_proof(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import AnswerRequestInput

        return ctx.container.reviews.request_answer(
            ctx.params["report_id"], "proof", ctx.actor,
            ctx.body(AnswerRequestInput, optional=True))

    @api.route("/qa/reports/{report_id}/resolve", methods=["POST"], auth="qa")
    def qa_resolve(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import ResolveInput

        return ctx.container.reviews.resolve(ctx.params["report_id"], ctx.actor,
                                             ctx.body(ResolveInput))

    # -- agency ----------------------------------------------------------------------------

    @api.route("/agency/reviews", auth="agency")
    def agency_reviews(ctx: RequestContext) -> Any:
        return ctx.container.reviews.agency_reviews(ctx.agency_id,
                                                    ctx.page(default=50, maximum=200))

    @api.route("/agency/reviews/{review_id}/comment", methods=["PUT"], auth="agency")
    def agency_comment(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import CommentInput

        return ctx.container.reviews.comment(ctx.agency_id, ctx.params["review_id"],
                                             ctx.body(CommentInput))

    @api.route("/agency/reviews/{review_id}/reports", methods=["POST"], auth="agency",
               status=201)
    def agency_report(ctx: RequestContext) -> Any:
        from chalicelib.reviews.model import ReportInput

        return ctx.container.reviews.report(ctx.agency_id, ctx.params["review_id"],
                                            ctx.body(ReportInput))

    @api.route("/agency/review-invitations", methods=["POST"], auth="agency", status=201)
    def invite_review(ctx: RequestContext) -> Any:
        from chalicelib.reviews.invitations import InvitationInput

        return ctx.container.reviews.invite(ctx.agency_id, ctx.body(InvitationInput),
                                            ctx.actor)

    @api.route("/agency/review-invitations", auth="agency")
    def review_invitations(ctx: RequestContext) -> Any:
        return ctx.container.reviews.agency_invitations(
            ctx.agency_id, ctx.query("address_id"), ctx.page(default=50, maximum=200))
