"""The IAM policies: current with infra/policies.py, and the matcher that the functional
suite's audit (tests/conftest.py ``container`` fixture) relies on really refuses."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

import app as application
from infra.policies import CHALICE, FUNCTIONS, STAGES, file_name, render
from tests.iam_audit import Call, Recorder, allows, load_policy, required, violations


def test_policy_files_are_current_and_configured_per_function() -> None:
    import json

    config = json.loads((CHALICE / "config.json").read_text())
    for stage in STAGES:
        functions = config["stages"][stage]["lambda_functions"]
        for function in FUNCTIONS:
            assert (CHALICE / file_name(stage, function)).read_text() == render(stage, function)
            assert functions[function]["iam_policy_file"] == file_name(stage, function)
    # Every Lambda function of the app has its own policy.
    assert set(FUNCTIONS) - {"api_handler"} <= set(application.app.handler_map)


def test_no_wildcard_resources_and_no_wildcard_actions() -> None:
    for stage in STAGES:
        for function in FUNCTIONS:
            policy = load_policy(stage, function, "freigabe-" + stage)
            for statement in policy["Statement"]:
                assert "*" not in statement["Resource"]
                assert all("*" not in action for action in statement["Action"])


def test_the_matcher_refuses_what_the_policy_does_not_name() -> None:
    policy = load_policy("dev", "webhook_sender", "freigabe-dev")
    table = "arn:aws:dynamodb:eu-central-1:123456789012:table/freigabe-dev-core"
    assert allows(policy, "dynamodb:GetItem", table)
    assert allows(policy, "dynamodb:Query", table + "/index/due")
    assert not allows(policy, "dynamodb:Scan", table)
    assert not allows(policy, "dynamodb:GetItem", table.replace("freigabe-dev", "freigabe-prod"))
    assert not allows(policy, "dynamodb:GetItem", table.replace("123456789012", "999999999999"))
    # The webhook sender sends no mail; the API does, only from the stage identity and config set.
    identity = "arn:aws:ses:eu-central-1:123456789012:identity/dev.freigabe.example"
    assert not allows(policy, "ses:SendEmail", identity)
    api = load_policy("dev", "api_handler", "freigabe-dev")
    assert allows(api, "ses:SendEmail", identity)
    assert not allows(api, "ses:SendEmail", identity.replace("dev.", "evil."))
    assert not allows(api, "sqs:SendMessage",
                      "arn:aws:sqs:eu-central-1:123456789012:freigabe-dev-failed-events")
    problems = violations([Call("webhook_sender", "sesv2.SendEmail", "ses:SendEmail",
                                identity.replace("dev.freigabe.example", "t.test"))],
                          "freigabe-dev", "t.test")
    assert problems and all("webhook_sender: sesv2.SendEmail" in p for p in problems)


def test_transactions_need_each_item_action_on_each_table() -> None:
    params: dict[str, Any] = {"TransactItems": [
        {"Put": {"TableName": "x-core"}}, {"ConditionCheck": {"TableName": "x-tours"}}]}
    assert list(required("dynamodb", "TransactWriteItems", params)) == [
        ("dynamodb:PutItem", "arn:aws:dynamodb:eu-central-1:123456789012:table/x-core"),
        ("dynamodb:ConditionCheckItem",
         "arn:aws:dynamodb:eu-central-1:123456789012:table/x-tours")]


def test_calls_are_recorded_against_the_function_that_runs(container: Any) -> None:
    recorder = Recorder()
    recorder.hook(container.dynamodb)
    with Client(application.app, stage_name="local") as client:
        client.lambda_.invoke("mail_retry", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=["arn:aws:events:eu-central-1:123456789012:rule/mail_retry"]))
        client.http.get("/health")
    functions = {call.function for call in recorder.calls}
    assert "mail_retry" in functions
    assert all(call.action.startswith("dynamodb:") for call in recorder.calls)


def test_the_log_audit_finds_addresses_phones_and_tokens() -> None:
    import logging

    from tests.conftest import LogAudit

    audit = LogAudit()
    log = logging.getLogger("freigabe.audit-check")
    log.addHandler(audit)
    try:
        log.info("job finished", extra={"date": "2026-11-23", "at": "2026-11-23T09:00:00Z"})
        assert audit.leaks == []
        log.info("mail to %s", "eva@example.org")
        log.info("call", extra={"phone": "+49 171 2345678"})
        log.info("auth", extra={"token": "demo-agency-token"})
    finally:
        log.removeHandler(audit)
    assert len(audit.leaks) == 3


def test_user_pool_admin_calls_need_the_pool_and_the_public_client_api_needs_nothing() -> None:
    assert list(required("cognito-idp", "InitiateAuth", {"ClientId": "c"})) == []
    assert list(required("cognito-idp", "AdminGetUser", {"Username": "a"})) == [
        ("cognito-idp:AdminGetUser", "*")]
    moto_pool = "eu-central-1_Ab12Cd34"
    (action, resource), = required("cognito-idp", "AdminCreateUser",
                                   {"UserPoolId": moto_pool, "Username": "a@b.de"})
    assert action == "cognito-idp:AdminCreateUser"
    calls = [Call(function, "cognito-idp.AdminCreateUser", action, resource)
             for function in ("api_handler", "review_sweep")]
    problems = violations(calls, "freigabe-dev", "t.test")
    # The API administers people; a sweep has no business in the pool (every stage says so).
    assert problems and all("/review_sweep: cognito-idp.AdminCreateUser" in p for p in problems)
    assert len(problems) == 2
