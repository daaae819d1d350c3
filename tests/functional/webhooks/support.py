"""A real HTTP receiver on 127.0.0.1 for webhook tests (it only records: the tests verify
the signatures with the ``standardwebhooks`` package), and the SQS drain that runs the
sender function on what the app queued (moto's queue, the app's own handler)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers ``status`` (a list is used up one per request, then 200)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    always: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail_next(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.json["type"] == event_type]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()},
                                              body))
            status = receiver.statuses.pop(0) if receiver.statuses else (receiver.always or 200)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def receiver_fixture() -> Iterator[Receiver]:
    receiver = start_receiver()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def queued(container: Any) -> list[str]:
    """Takes every visible message off the sender's queue (moto), as the sender's event
    source mapping does (with the sender's role, for the IAM audit)."""
    from tests.iam_audit import current_function

    token = current_function.set("webhook_sender")
    try:
        return _receive_all(container)
    finally:
        current_function.reset(token)


def _receive_all(container: Any) -> list[str]:
    queue = container.webhook_queue
    bodies: list[str] = []
    while True:
        got = container.sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.append(message["Body"])
            container.sqs.delete_message(QueueUrl=queue.url,
                                         ReceiptHandle=message["ReceiptHandle"])


def run_sender(http: Any, bodies: list[str]) -> list[dict[str, Any]]:
    """The sender function, invoked as Lambda invokes it, once per message (batch size 1)."""
    client = http.client
    results = []
    for body in bodies:
        event = client.events.generate_sqs_event(message_bodies=[body],
                                                 queue_name="freigabe-webhooks")
        results.append(client.lambda_.invoke("webhook_sender", event).payload)
    return results


def drain(http: Any, container: Any) -> list[dict[str, Any]]:
    return run_sender(http, queued(container))
