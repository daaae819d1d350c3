"""The local stack's stand-in for the SQS event source mapping: a thread that takes the
webhook queue's messages off moto's SQS and invokes the very handler Lambda invokes
(``app.webhook_sender``), one message per invocation, deleting a message only after the
handler returned (as Lambda does), so the first attempt happens within a second or two of
the change without anyone running a job."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("devstack.webhooks")
IDLE_SECONDS = 0.3


def _event(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"], "attributes": message.get("Attributes", {}),
        "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "local"}]}


def poll_once(container: Any, handler: Any) -> int:
    queue = container.webhook_queue
    # WaitTimeSeconds=0: a long poll would hold the local stack's moto lock.
    messages = container.sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=0).get("Messages", [])
    for message in messages:
        try:
            handler(_event(message, f"arn:aws:sqs:local:000000000000:{queue.name}"), None)
        except Exception:
            log.exception("webhook sender failed; the message comes back")
            continue
        container.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def start(container: Any, handler: Any, stopping: threading.Event) -> threading.Thread:
    def run() -> None:
        while not stopping.is_set():
            try:
                busy = poll_once(container, handler)
            except Exception:
                log.exception("webhook queue poll failed")
                busy = 0
            if not busy:
                stopping.wait(IDLE_SECONDS)

    thread = threading.Thread(target=run, name="webhook-sender", daemon=True)
    thread.start()
    return thread
