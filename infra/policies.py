"""The least-privilege IAM policies of every function, per stage, written to
``.chalice/policy-<stage>-<function>.json`` (``.chalice/config.json`` names them per
function). Resources are ``Fn::Sub`` strings: ``chalice package`` copies the policy into
the template verbatim, so CloudFormation fills in the account, region and stack name.

``python -m infra.policies`` rewrites the files; tests/deploy/test_policies.py checks they
are current and that every AWS call the functional suite makes is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHALICE = Path(__file__).resolve().parent.parent / ".chalice"
STAGES = {"dev": "dev.freigabe.example", "prod": "freigabe.example"}  # stage: mail domain
TABLES = ("core", "tours", "addresses", "reviews", "ledger")
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                 "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                 "dynamodb:ConditionCheckItem"]
# function: (sends mail, invoked asynchronously). Every function may touch every table:
# the mail-failure handlers (registration, review, address flags) run in whichever
# function gives a mail up or receives the bounce.
FUNCTIONS = {
    "api_handler": (True, False),
    "mail_retry": (True, True),
    "review_sweep": (True, True),
    "retention_sweep": (True, True),
    "ses_feedback": (True, True),  # a bounced reviewer: the agency hears why the review is hidden
    "ops": (True, False),  # runs jobs on request (docs/operations.md)
    "webhook_sender": (False, False),  # SQS event source
    "webhook_retry": (False, True),
}
# Functions that reach the private media bucket (presigning, upload checks, deletes).
MEDIA_FUNCTIONS = frozenset({"api_handler"})
# Webhooks (issue 16): who queues deliveries (every function whose changes emit events),
# who reads the queue (the sender's event source), who seals and who opens secrets.
WEBHOOK_QUEUE_SENDERS = ("api_handler", "retention_sweep", "review_sweep", "ops",
                         "webhook_sender", "webhook_retry")
WEBHOOK_QUEUE_CONSUMERS = ("webhook_sender",)
SECRET_SEALERS = ("api_handler",)
SECRET_OPENERS = ("webhook_sender", "webhook_retry", "ops")
WEBHOOK_QUEUE = "${AWS::StackName}-webhooks"
ARN = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
# Who administers the user pool's people (invitations, roles, disables, resets, sign-out):
# the API and the ops function (create_agency, QA members). InitiateAuth and
# RespondToAuthChallenge are the pool's public client API and need no IAM permission.
PEOPLE_ADMINS = ("api_handler", "ops")
USER_POOL_ACTIONS = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminSetUserPassword",
                     "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
                     "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminDeleteUser",
                     "cognito-idp:AdminGetUser"]


def policy(stage: str, function: str) -> dict[str, Any]:
    sends, is_async = FUNCTIONS[function]
    statements: list[dict[str, Any]] = [
        {"Sid": "Logs", "Effect": "Allow",
         # The log groups are in the template (30-day retention); the function only writes.
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": {"Fn::Sub": ARN % ("logs", "log-group:/aws/lambda/${AWS::StackName}-*:*")}},
        {"Sid": "Tables", "Effect": "Allow", "Action": TABLE_ACTIONS,
         "Resource": [{"Fn::Sub": ARN % ("dynamodb", f"table/${{AWS::StackName}}-{t}{suffix}")}
                      for t in TABLES for suffix in ("", "/index/*")]},
        {"Sid": "HashKey", "Effect": "Allow", "Action": "ssm:GetParameter",
         # SecureString under the AWS-managed key aws/ssm: no kms statement needed.
         "Resource": {"Fn::Sub": ARN % ("ssm", "parameter/${AWS::StackName}/hash-key")}},
    ]
    if function in PEOPLE_ADMINS:
        statements.append({
            "Sid": "UserPool", "Effect": "Allow", "Action": USER_POOL_ACTIONS,
            # The stack's own pool (infra/cognito.json), never another stack's.
            "Resource": {"Fn::Sub": "${UserPool.Arn}"}})
    if sends:
        statements.append({
            "Sid": "Mail", "Effect": "Allow", "Action": "ses:SendEmail",
            "Resource": [{"Fn::Sub": ARN % ("ses", f"identity/{STAGES[stage]}")},
                         {"Fn::Sub": ARN % ("ses", "configuration-set/${AWS::StackName}")}],
        })
    if function in MEDIA_FUNCTIONS:
        statements.extend(media_statements())
    if is_async:
        statements.append({
            "Sid": "OnFailureDestination", "Effect": "Allow", "Action": "sqs:SendMessage",
            "Resource": {"Fn::Sub": ARN % ("sqs", "${AWS::StackName}-failed-events")}})
    statements.extend(_webhook_statements(function))
    return {"Version": "2012-10-17", "Statement": statements}


def media_statements() -> list[dict[str, Any]]:
    # A presigned URL acts with the signer's permissions: GetObject/PutObject here are what
    # the player's and the dashboard's URLs may do, for their one key and ≤ 15 minutes.
    return [
        {"Sid": "MediaObjects", "Effect": "Allow",
         "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
         "Resource": {"Fn::Sub": "${MediaBucket.Arn}/*"}},
        {"Sid": "MediaList", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": {"Fn::Sub": "${MediaBucket.Arn}"}},
    ]


def _webhook_statements(function: str) -> list[dict[str, Any]]:
    queue = {"Fn::Sub": ARN % ("sqs", WEBHOOK_QUEUE)}
    key = {"Fn::Sub": "${WebhookSecretsKey.Arn}"}
    statements: list[dict[str, Any]] = []
    if function in WEBHOOK_QUEUE_SENDERS:
        statements.append({"Sid": "WebhookQueue", "Effect": "Allow",
                           "Action": ["sqs:SendMessage", "sqs:GetQueueUrl"],
                           "Resource": queue})
    if function in WEBHOOK_QUEUE_CONSUMERS:
        statements.append({"Sid": "WebhookQueueSource", "Effect": "Allow",
                           "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                      "sqs:GetQueueAttributes"], "Resource": queue})
    # The encryption context names the webhook: a ciphertext opens only for its own.
    context = {"Null": {"kms:EncryptionContext:webhook_id": "false"}}
    if function in SECRET_SEALERS:
        statements.append({"Sid": "WebhookSecretsSeal", "Effect": "Allow",
                           "Action": "kms:Encrypt", "Resource": key, "Condition": context})
    if function in SECRET_OPENERS:
        statements.append({"Sid": "WebhookSecretsOpen", "Effect": "Allow",
                           "Action": "kms:Decrypt", "Resource": key, "Condition": context})
    return statements


def file_name(stage: str, function: str) -> str:
    return f"policy-{stage}-{function.replace('_', '-')}.json"


def render(stage: str, function: str) -> str:
    return json.dumps(policy(stage, function), indent=2) + "\n"


def main() -> int:
    for stage in STAGES:
        for function in FUNCTIONS:
            (CHALICE / file_name(stage, function)).write_text(render(stage, function))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
