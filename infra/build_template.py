"""Builds the template that ``chalice package --merge-template`` merges into Chalice's SAM
output: the tables from ``infra/tables.json`` (their one definition) plus everything else
from ``infra/resources.json``, with the per-stage settings applied.

``python -m infra.build_template --stage dev --out build/dev/merge.json``
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent
STAGES = ("dev", "prod")
# Chalice's logical ids of the functions that are invoked asynchronously (schedules, SNS).
ASYNC_FUNCTIONS = ("MailRetry", "ReviewSweep", "RetentionSweep", "SesFeedback", "WebhookRetry")
ALL_FUNCTIONS = ("APIHandler", "Ops", "WebhookSender", *ASYNC_FUNCTIONS)
NIGHTLY_JOBS = ("review-sweep", "retention-sweep")
# One instance at a time: the sweeps continue from checkpoints and the mail job claims
# records, so a second concurrent run only burns reads (and, on a stuck run, doubles
# the load on SES). Webhook delivery adds its worker here when it lands.
SINGLE_INSTANCE = ("MailRetry", "ReviewSweep", "RetentionSweep", "WebhookRetry")
# The webhook sender's own reserved concurrency (.chalice/config.json) bounds the load on
# the agencies' endpoints and keeps slow endpoints from taking the account's concurrency.
# API Gateway access log: the route template, never ``$context.path`` (link paths carry
# secret tokens) and no source IP (personal data).
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTimeEpoch",
    "method": "$context.httpMethod", "route": "$context.resourcePath",
    "status": "$context.status", "latencyMs": "$context.responseLatency",
    "integrationMs": "$context.integrationLatency", "bytes": "$context.responseLength",
    "error": "$context.error.responseType",
}, separators=(",", ":"))
ROOT = INFRA.parent
# The dimensions chalicelib/metrics.py puts on every metric: the service (one name for all
# functions, .chalice/config.json) and the stage; the job alarms add ``job``.
METRICS_NAMESPACE = "freigabe"
METRICS_SERVICE = "freigabe-api"


def stack_name(stage: str) -> str:
    """Table names are ``<stack>-<table>``: the stage's FREIGABE_TABLE_PREFIX and the
    IAM policies name the same stack."""
    return f"freigabe-{stage}"


def _load(name: str) -> dict[str, Any]:
    return json.loads((INFRA / name).read_text(encoding="utf-8"))


def api_stage(stage: str) -> str:
    """The API Gateway stage ``chalice package`` generates (``api_gateway_stage``)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return config["stages"][stage].get("api_gateway_stage",
                                       config.get("api_gateway_stage", "api"))


def build(stage: str) -> dict[str, Any]:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    prod = stage == "prod"
    tables = _load("tables.json")
    extra = _load("resources.json")
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"freigabe ({stage}): API, jobs, tables, mail feedback, alarms",
        "Parameters": copy.deepcopy(extra.get("Parameters", {})),
        "Conditions": copy.deepcopy(extra.get("Conditions", {})),
        "Resources": {},
        "Outputs": copy.deepcopy(extra.get("Outputs", {})),
    }
    resources = template["Resources"]
    for logical_id, table in tables["Resources"].items():
        table = copy.deepcopy(table)
        metadata = table.pop("Metadata", None) or {}
        props = table["Properties"]
        props["BillingMode"] = "PAY_PER_REQUEST"
        # Every data table can be restored; the erasure ledger never is (its point is to
        # survive a restore of the others: chalicelib/privacy/ledger.py).
        restorable = metadata.get("freigabe:restore") != "never"
        props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": restorable}
        props["DeletionProtectionEnabled"] = prod
        props["SSESpecification"] = {"SSEEnabled": True}
        policy = "Retain" if prod else "Delete"
        table["DeletionPolicy"] = policy
        table["UpdateReplacePolicy"] = policy
        resources[logical_id] = table
    resources.update(copy.deepcopy(extra["Resources"]))
    media_bucket(template, stage)
    # The user pool (infra/cognito.json, also what devstack creates on moto): kept on a
    # prod stack deletion like the tables, deletable in dev.
    cognito = _load("cognito.json")
    resources.update(copy.deepcopy(cognito["Resources"]))
    template["Outputs"].update(copy.deepcopy(cognito.get("Outputs", {})))
    pool = resources["UserPool"]
    pool["DeletionPolicy"] = pool["UpdateReplacePolicy"] = "Retain" if prod else "Delete"
    pool["Properties"]["DeletionProtection"] = "ACTIVE" if prod else "INACTIVE"
    resources.update(copy.deepcopy(_load("webhooks.json")["Resources"]))

    # Chalice's functions: their log groups, async retry settings, error alarms, and the
    # SNS subscription pointed at the stack's own feedback topic.
    for fn in ALL_FUNCTIONS:
        resources[f"{fn}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{fn}}}"},
                           "RetentionInDays": 30},
        }
        resources[f"{fn}ErrorsAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"{fn}: a function invocation failed (docs/operations.md)",
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": fn}}],
                "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
            },
        }
        # Names that follow from the stack: tables, configuration set, hash key parameter.
        resources[fn] = {"Properties": {"Environment": {"Variables": {
            "FREIGABE_TABLE_PREFIX": {"Ref": "AWS::StackName"},
            "FREIGABE_SES_CONFIGURATION_SET": {"Ref": "SesConfigurationSet"},
            "FREIGABE_HASH_KEY_PARAMETER": {"Fn::Sub": "/${AWS::StackName}/hash-key"},
            "FREIGABE_MEDIA_BUCKET": {"Ref": "MediaBucket"},
            "FREIGABE_COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
            "FREIGABE_COGNITO_CLIENT_ID": {"Ref": "UserPoolClient"},
            "FREIGABE_WEBHOOK_QUEUE_URL": {"Ref": "WebhookQueue"},
            "FREIGABE_WEBHOOK_KMS_KEY_ID": {"Ref": "WebhookSecretsKey"},
        }}}}
    for fn in SINGLE_INSTANCE:
        resources[fn]["Properties"]["ReservedConcurrentExecutions"] = 1
    for fn in ASYNC_FUNCTIONS:
        resources[f"{fn}InvokeConfig"] = {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": {"Ref": fn}, "Qualifier": "$LATEST",
                # The mail job runs every 5 minutes anyway; a failed event is not retried.
                "MaximumRetryAttempts": 0 if fn == "MailRetry" else 2,
                "MaximumEventAgeInSeconds": 3600,
                "DestinationConfig": {"OnFailure": {"Destination": {
                    "Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]}}},
            },
        }
    for job in NIGHTLY_JOBS:
        name = "".join(p.title() for p in job.split("-"))
        resources[f"{name}NotSucceededAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"Nightly job {job} did not finish successfully in the "
                                    "last 24 hours (docs/operations.md)",
                "Namespace": METRICS_NAMESPACE, "MetricName": "JobSucceeded",
                "Dimensions": [{"Name": "service", "Value": METRICS_SERVICE},
                               {"Name": "stage", "Value": stage},
                               {"Name": "job", "Value": job}],
                "Statistic": "Sum", "Period": 86400, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "LessThanThreshold",
                "TreatMissingData": "breaching",
                "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
            },
        }
    # Chalice writes the subscription's topic as {"Fn::Sub": "arn:…:<name in app.py>"}; the
    # deep merge replaces that string with the stack's own topic. DependsOn orders the
    # subscription (which needs the function) after the topic.
    resources["SesFeedback"]["DependsOn"] = ["SesFeedbackTopic"]
    topic = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                        "${AWS::StackName}-ses-feedback"}
    resources["SesFeedback"]["Properties"]["Events"] = {
        "SesFeedbackSnsSubscription": {"Properties": {"Topic": topic}}}

    _webhook_delivery(resources, stage)

    # API Gateway's metrics are keyed by API name and stage. Chalice names every stage's API
    # after the app ("freigabe"), so dev and prod in one account would share one 5xx metric:
    # name the API after the stack (both the SAM Name and the OpenAPI title, whichever API
    # Gateway takes) and point the alarm at that name and Chalice's stage.
    api_name = {"Ref": "AWS::StackName"}
    # The stage throttles all routes together (parameters, docs/deploy.md) and writes an
    # access log; the account-level role for API Gateway's logging comes first.
    resources["RestAPI"] = {"DependsOn": ["ApiGatewayAccount"], "Properties": {
        "Name": api_name, "DefinitionBody": {"info": {"title": api_name}},
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True,
                            "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurst"},
                            "ThrottlingRateLimit": {"Ref": "ApiThrottleRate"}}],
        "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                             "Format": ACCESS_LOG_FORMAT},
    }}
    resources["Api5xxRateAlarm"]["Properties"]["Dimensions"] = [
        {"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": api_stage(stage)}]
    # Alarm names say their stack, so the console lists dev and prod apart.
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            resource["Properties"].setdefault(
                "AlarmName", {"Fn::Sub": f"${{AWS::StackName}}-{logical_id}"})
    return template


def media_bucket(template: dict[str, Any], stage: str) -> None:
    """The private media bucket (infra/media.json): the dashboard's origin may PUT uploads;
    prod keeps the bucket when the stack goes (it cannot delete a full bucket anyway)."""
    media = _load("media.json")
    template["Resources"].update(copy.deepcopy(media["Resources"]))
    template["Outputs"].update(copy.deepcopy(media.get("Outputs", {})))
    bucket = template["Resources"]["MediaBucket"]
    policy = "Retain" if stage == "prod" else "Delete"
    bucket["DeletionPolicy"] = bucket["UpdateReplacePolicy"] = policy
    origin = public_origin(stage)
    for rule in bucket["Properties"]["CorsConfiguration"]["CorsRules"]:
        rule["AllowedOrigins"] = [origin if o == "freigabe:public-origin" else o
                                  for o in rule["AllowedOrigins"]]


def public_origin(stage: str) -> str:
    """The stage's public origin (the dashboard's), from .chalice/config.json."""
    from urllib.parse import urlsplit

    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    url = config["stages"][stage]["environment_variables"]["FREIGABE_PUBLIC_BASE_URL"]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _webhook_delivery(resources: dict[str, Any], stage: str) -> None:
    """The sender reads the stack's own queue (Chalice writes the event source with the
    placeholder name from app.py), and an alarm on the share of failed attempts."""
    # (The function's FREIGABE_WEBHOOK_QUEUE_URL Ref orders it after the queue.)
    resources["WebhookSender"]["Properties"]["Events"] = {
        "WebhookSenderSqsEventSource": {"Properties": {"Queue": {
            "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                       "${AWS::StackName}-webhooks"}}}}
    dimensions = [{"Name": "service", "Value": METRICS_SERVICE},
                  {"Name": "stage", "Value": stage}]

    def metric(metric_id: str, name: str) -> dict[str, Any]:
        return {"Id": metric_id, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": METRICS_NAMESPACE, "MetricName": name,
                       "Dimensions": dimensions},
            "Period": 900, "Stat": "Sum"}}

    resources["WebhookFailureRateAlarm"] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "More than half of the webhook attempts failed in 15 minutes "
                                "(at least 20 attempts; docs/operations.md)",
            "Metrics": [
                metric("failed", "WebhookAttemptFailed"),
                metric("delivered", "WebhookDelivered"),
                {"Id": "rate", "ReturnData": True, "Label": "failed share",
                 "Expression": "IF(failed + delivered >= 20, failed / (failed + delivered), 0)"},
            ],
            "EvaluationPeriods": 1, "Threshold": 0.5,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", required=True, choices=STAGES)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(args.stage), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
