"""Records every AWS call the code makes (operation + resource, per function) and checks
it against the hand-written IAM policies in .chalice/ — a small IAM matcher: Allow
statements, action and resource globs, Fn::Sub resolved with the test stack's names."""

from __future__ import annotations

import contextvars
import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from infra.policies import FUNCTIONS, STAGES, file_name

CHALICE = Path(__file__).resolve().parent.parent / ".chalice"
ACCOUNT = "123456789012"
REGION = "eu-central-1"
WEBHOOK_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/webhook-secrets"

# The Lambda function whose code is running: HTTP requests run in api_handler; the test
# client's lambda_.invoke and the /dev/jobs runner set the job's function.
current_function: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_function", default="api_handler")


@dataclass(frozen=True)
class Call:
    function: str
    operation: str  # botocore operation, e.g. dynamodb.TransactWriteItems
    action: str  # IAM action, e.g. dynamodb:PutItem
    resource: str  # ARN


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _table(name: str, index: str | None = None) -> str:
    return _arn("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))


PUBLIC_POOL_OPERATIONS = {"InitiateAuth", "RespondToAuthChallenge"}
# devtools.local_user_pool finds the local stack's pool by name; it runs only when the dev
# routes are on (stage local), deployed stages are given the pool's id.
LOCAL_POOL_LOOKUPS = {"ListUserPools", "ListUserPoolClients"}

_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem"}


def required(service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(IAM action, resource ARN) pairs that AWS authorizes for one API call."""
    if service == "dynamodb":
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan"):
            yield f"dynamodb:{operation}", _table(params["TableName"])
        elif operation == "Query":
            yield "dynamodb:Query", _table(params["TableName"], params.get("IndexName"))
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            for table in params["RequestItems"]:
                yield f"dynamodb:{operation}", _table(table)
        elif operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                (kind, op), = item.items()
                yield f"dynamodb:{_TRANSACT[kind]}", _table(op["TableName"])
        elif operation == "TransactGetItems":
            for item in params["TransactItems"]:
                yield "dynamodb:GetItem", _table(item["Get"]["TableName"])
        else:
            yield f"dynamodb:{operation}", "*"
    elif service == "sesv2" and operation == "SendEmail":
        sender = params["FromEmailAddress"]
        domain = re.sub(r".*@", "", sender).rstrip(">").strip()
        yield "ses:SendEmail", _arn("ses", f"identity/{domain}")
        if params.get("ConfigurationSetName"):
            yield "ses:SendEmail", _arn("ses", f"configuration-set/{params['ConfigurationSetName']}")
    elif service == "s3":
        yield from _s3(operation, params)
    elif service == "sqs" and "QueueUrl" in params:
        action = "SendMessage" if operation == "SendMessageBatch" else operation
        yield f"sqs:{action}", _arn("sqs", params["QueueUrl"].rsplit("/", 1)[-1])
    elif service == "sqs" and operation == "GetQueueUrl":
        yield "sqs:GetQueueUrl", _arn("sqs", params["QueueName"])
    elif service == "kms" and operation in ("Encrypt", "Decrypt"):
        # The webhook key (the audit's stand-in for the template's WebhookSecretsKey).
        yield f"kms:{operation}", WEBHOOK_KEY_ARN
    elif service == "cognito-idp":
        # InitiateAuth and RespondToAuthChallenge are the pool's public client API (no IAM);
        # the Admin* calls are authorized on the pool.
        if operation in LOCAL_POOL_LOOKUPS:
            return
        if "UserPoolId" in params:
            yield f"cognito-idp:{operation}", _arn("cognito-idp",
                                                   f"userpool/{params['UserPoolId']}")
        elif operation not in PUBLIC_POOL_OPERATIONS:
            yield f"cognito-idp:{operation}", "*"
    elif service == "ssm" and operation == "GetParameter":
        yield "ssm:GetParameter", _arn("ssm", "parameter/" + params["Name"].lstrip("/"))
    else:
        prefix = "ses" if service == "sesv2" else service
        yield f"{prefix}:{operation}", "*"


_S3_OBJECT_ACTIONS = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject",
                      "HeadObject": "s3:GetObject", "DeleteObject": "s3:DeleteObject"}


def _s3(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    bucket = f"arn:aws:s3:::{params.get('Bucket')}"
    if operation in _S3_OBJECT_ACTIONS:
        yield _S3_OBJECT_ACTIONS[operation], f"{bucket}/{params['Key']}"
    elif operation == "CopyObject":
        source = params["CopySource"]  # botocore may have made it "bucket/key" already
        if isinstance(source, dict):
            source = f"{source['Bucket']}/{source['Key']}"
        yield "s3:GetObject", f"arn:aws:s3:::{unquote(source.split('?')[0])}"
        yield "s3:PutObject", f"{bucket}/{params['Key']}"
    elif operation == "DeleteObjects":
        for entry in params["Delete"]["Objects"]:
            yield "s3:DeleteObject", f"{bucket}/{entry['Key']}"
    elif operation in ("ListObjectsV2", "ListObjects"):
        yield "s3:ListBucket", bucket
    else:
        yield f"s3:{operation}", "*"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def hook(self, client: Any) -> Any:
        service = client.meta.service_model.service_name
        client.meta.events.register(f"before-parameter-build.{service}", self._record)
        return client

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        for action, resource in required(service, model.name, params):
            self.calls.append(Call(current_function.get(), f"{service}.{model.name}", action,
                                   resource))


def _sub(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    return value


def load_policy(stage: str, function: str, stack: str) -> dict[str, Any]:
    names = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
             "AWS::StackName": stack, "MediaBucket.Arn": f"arn:aws:s3:::{stack}-media",
             # The template's user pool (infra/cognito.json): the test stack's pool ARN.
             "UserPool.Arn": _arn("cognito-idp", f"userpool/{REGION}_{stack}"),
             "WebhookSecretsKey.Arn": WEBHOOK_KEY_ARN}
    doc = json.loads((CHALICE / file_name(stage, function)).read_text())
    for statement in doc["Statement"]:
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        statement["Resource"] = [_sub(r, names) for r in resources]
        actions = statement["Action"]
        statement["Action"] = actions if isinstance(actions, list) else [actions]
    return doc


def allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in statement["Action"]):
            continue
        # IAM's resource globs: * and ? match across ":" and "/" as fnmatch does.
        if any(fnmatch.fnmatchcase(resource, r) for r in statement["Resource"]):
            return True
    return False


def violations(calls: list[Call], stack: str, test_sender_domain: str) -> list[str]:
    """Every recorded call the deployed policies would refuse, for every stage. The test
    stack sends from its own domain; the deployed stage sends from its own: the identity
    resource is checked with the stage's domain. moto names the pool at random (anew on
    every reset); the template's pool stands in for it (``UserPool.Arn`` in ``load_policy``)."""
    problems: list[str] = []
    for stage, domain in STAGES.items():
        policies = {fn: load_policy(stage, fn, stack) for fn in FUNCTIONS}
        for call in dict.fromkeys(calls):
            resource = call.resource.replace(f"identity/{test_sender_domain}",
                                             f"identity/{domain}")
            resource = re.sub(r"userpool/[^/]+$", f"userpool/{REGION}_{stack}", resource)
            if not allows(policies[call.function], call.action, resource):
                problems.append(f"{stage}/{call.function}: {call.operation} needs "
                                f"{call.action} on {resource}")
    return problems
