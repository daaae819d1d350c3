"""Runs the real local stack (``python -m devstack``) in a subprocess on a free port and talks
to it over HTTP. Shared by the e2e, browser, fuzz and soak tests."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Reply

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand the 3xx back to the caller


_opener = urllib.request.build_opener(_NoRedirects())


class Stack:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, *, json_body: Any = None, form: str | None = None,
             token: str | None = None, headers: dict[str, str] | None = None,
             timeout: float = 20) -> Reply:
        sent = dict(headers or {})
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            sent["Content-Type"] = "application/json"
        elif form is not None:
            data = form.encode("ascii")
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with _opener.open(request, timeout=timeout) as response:
                return Reply(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, _lower(error.headers), error.read())

    def outbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """The mails in ``/dev/outbox`` (oldest first), optionally only those to one address."""
        answer = self.call("GET", "/dev/outbox")
        assert answer.status == 200, answer.body
        return [m for m in answer.json["messages"] if to is None or m["to"] == [to]]

    def mail_link(self, purpose: str, to: str) -> str:
        """The newest ``/links/<purpose>/…`` link mailed to ``to``, as an absolute URL."""
        messages = self.outbox(to)
        for message in reversed(messages):
            found = re.findall(rf"{re.escape(self.base)}/links/{purpose}/[A-Za-z0-9_-]+",
                               message["text"])
            if found:
                return found[-1]
        raise AssertionError(f"no {purpose} link for {to} in {len(messages)} mail(s)")


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_env(port: int) -> dict[str, str]:
    # The test session's own settings (conftest) must not leak into the stack.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FREIGABE_", "AWS_", "PYTEST_"))}
    env.update({"PORT": str(port), "PYTHONUNBUFFERED": "1"})
    return env


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process reused the id
        return True
    return True


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    stack: Stack
    log_path: Path
    port: int

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def local_stack() -> Iterator[Running]:
    """Starts ``python -m devstack`` on a free port, waits until it is ready, and always
    kills its whole process group afterwards."""
    port = _free_port()
    fd, name = tempfile.mkstemp(prefix="freigabe-e2e-", suffix=".log")
    log_path = Path(name)
    python = ROOT / ".venv" / "bin" / "python"
    with os.fdopen(fd, "wb") as log_file:
        process = subprocess.Popen(
            [str(python if python.exists() else sys.executable), "-m", "devstack"],
            cwd=ROOT, env=_child_env(port), stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,  # own group: nothing escapes
        )
    run = Running(process, Stack(f"http://127.0.0.1:{port}"), log_path, port)
    try:
        _wait_ready(run)
        yield run
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        if group_alive(process.pid):  # pragma: no cover - only after a failed stop test
            os.killpg(process.pid, signal.SIGKILL)
        log_path.unlink(missing_ok=True)


def _wait_ready(run: Running) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last: Any = None
    while time.monotonic() < deadline:
        if run.process.poll() is not None:
            pytest.fail(f"local stack exited with {run.process.returncode}:\n{run.log()}")
        try:
            answer = run.stack.call("GET", "/health")
            if answer.status == 200:
                assert answer.json == {"status": "ok"}
                return
            last = answer.status
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(0.2)
    pytest.fail(f"local stack not ready after {READY_TIMEOUT}s (last: {last}):\n{run.log()}")


