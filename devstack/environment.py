"""Starts moto in-process and prepares it like a fresh AWS account for freigabe."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from chalicelib.config import Settings
from devstack.cognito import create_user_pool
from devstack.tables import create_tables

DEMO_AGENCIES = (
    {"agency_id": "demo", "name": "Demo Makler GmbH", "contact_email": "kontakt@demo-makler.de",
     "contact_name": "Dana Demo", "phone": "+49 30 1234567", "token": "demo-agency-token"},
    {"agency_id": "other", "name": "Other Makler GmbH",
     "contact_email": "kontakt@other-makler.de", "contact_name": "Otto Other",
     "phone": "+49 40 7654321", "token": "other-agency-token"},
)
DEMO_QA_TOKEN = "demo-qa-token"
# The contract's seeded people (v2 "Accounts"), all with this password.
DEMO_PASSWORD = "Freigabe-Demo-2026!"
DEMO_USERS = (
    ("demo", "inhaber@demo-makler.de", "Ines Inhaber", "owner"),
    ("demo", "makler@demo-makler.de", "Mark Makler", "agent"),
    ("demo", "assistenz@demo-makler.de", "Anna Assistenz", "assistant"),
    ("other", "inhaber@other-makler.de", "Olaf Other", "owner"),
    (None, "qa@freigabe.example", "Quentin Prüfer", None),
)
# The controller details (contract: "The seeded agencies have complete profiles").
DEMO_PROFILES = {
    "demo": {"legal_name": "Demo Makler GmbH", "street": "Kastanienallee 12", "zip": "10435",
             "city": "Berlin", "email": "datenschutz@demo-makler.de", "phone": "+49 30 1234567",
             "privacy_url": "https://demo-makler.de/datenschutz",
             "dpo_contact": "Dr. Daniela Schutz, dsb@demo-makler.de",
             "supervisory_authority": "Berliner Beauftragte für Datenschutz und "
                                      "Informationsfreiheit, Alt-Moabit 59–61, 10555 Berlin"},
    "other": {"legal_name": "Other Makler GmbH", "street": "Jungfernstieg 7", "zip": "20354",
              "city": "Hamburg", "email": "datenschutz@other-makler.de",
              "phone": "+49 40 7654321", "privacy_url": "https://other-makler.de/datenschutz"},
}

_serial_lock = threading.RLock()
_patched = False


def serialize_moto_calls() -> None:
    """moto's conditional writes and transactions are not atomic across threads, while the
    local server is threaded: run every call into the stand-ins under one process-wide lock,
    so concurrent requests race the way they would against DynamoDB."""
    global _patched
    if _patched:
        return
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.model_instances import model_data

    original = BotocoreStubber.__call__
    # moto remembers every model object it ever made for its dashboard, including the
    # deep copy of each table that every TransactWriteItems takes for a rollback: the
    # local stack grew by about 1 MB per registration (issue 8's soak). Nothing here reads
    # that list, so it is emptied after each call; the tables themselves are untouched.
    dynamodb_models = model_data["dynamodb"]

    def locked(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _serial_lock:
            try:
                return original(self, event_name, request, **kwargs)
            finally:
                for model in dynamodb_models.values():
                    model.instances_tracked.clear()  # type: ignore[attr-defined]

    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    _patched = True


def fake_credentials() -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)  # inside mock_aws an endpoint breaks boto3
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_SECURITY_TOKEN", "testing"), ("AWS_SESSION_TOKEN", "testing")):
        os.environ.setdefault(key, value)


@dataclass
class Stack:
    settings: Settings
    mock: Any


def prepare_aws(settings: Settings) -> None:
    """Tables and the media bucket from infra/, and the sender identity verified in the
    SES stand-in."""
    import boto3

    from chalicelib.tours.model import own_origin
    from devstack.buckets import create_media_bucket

    create_tables(boto3.client("dynamodb", region_name=settings.region), settings.table_prefix)
    create_media_bucket(boto3.client("s3", region_name=settings.region), settings.media_bucket,
                        settings.region, own_origin(settings.public_base_url))
    create_user_pool(boto3.client("cognito-idp", region_name=settings.region),
                     settings.table_prefix)
    sender = parseaddr(settings.mail_sender)[1]
    boto3.client("ses", region_name=settings.region).verify_email_identity(EmailAddress=sender)
    prepare_webhooks(settings)


def prepare_webhooks(settings: Settings) -> None:
    """The sender's queue with its dead-letter queue, and the key that seals the signing
    secrets under the alias the settings name (infra/resources.json deployed)."""
    import json

    import boto3

    sqs = boto3.client("sqs", region_name=settings.region)
    dlq = sqs.create_queue(QueueName=f"{settings.webhook_queue_name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=settings.webhook_queue_name, Attributes={
        "VisibilityTimeout": "180",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})})
    kms = boto3.client("kms", region_name=settings.region)
    key = kms.create_key(Description="freigabe webhook signing secrets")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=settings.webhook_kms_key_id, TargetKeyId=key)


def seed_demo(container: Any, *, people: bool = True) -> list[str]:
    """The contract's demo world; ``people=False`` leaves out the user pool's people
    (the functional suite seeds them only where a test asks: tests/functional/accounts)."""
    lines = []
    for agency in DEMO_AGENCIES:
        data = {k: v for k, v in agency.items() if k != "token"}
        container.agencies.create_agency(data)
        # The v1 token is one of the agency's API keys now.
        container.agencies.issue_token("agency", agency["agency_id"], label="v1-Token (Demo)",
                                       token=agency["token"])
        container.agency_profiles.put(agency["agency_id"], DEMO_PROFILES[agency["agency_id"]])
        lines.append(f"agency {agency['agency_id']:<6} token {agency['token']:<20} "
                     f"contact {agency['contact_email']}")
    container.agencies.issue_token("qa", label="demo", token=DEMO_QA_TOKEN)
    lines.append(f"QA team      token {DEMO_QA_TOKEN}")
    if people:
        lines.extend(seed_people(container))
    return lines


def seed_people(container: Any) -> list[str]:
    lines = []
    for agency_id, email, name, role in DEMO_USERS:
        container.staff.seed(agency_id, email, name, role, DEMO_PASSWORD)
        lines.append(f"user {email:<26} {role or 'QA':<9} {agency_id or '':<6} "
                     f"password {DEMO_PASSWORD}")
    return lines


def start_s3_server(host: str = "127.0.0.1", port: int = 0) -> tuple[Any, str]:
    """moto's server mode in this process (same backends as the in-process mock): the
    S3 stand-in a browser can reach, so presigned URLs really answer. Call after
    ``start_mock`` (which resets the backends)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return server, f"http://{bound_host}:{bound_port}"


def start_mock() -> Any:
    fake_credentials()
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    serialize_moto_calls()
    return mock
