"""Debian's Chromium for the browser tests, driven by one Playwright per test process.

Playwright's sync API keeps its asyncio loop marked as running between calls, so a second
``sync_playwright()`` in the same process fails with "It looks like you are using Playwright
Sync API inside the asyncio loop": with ``--dist loadfile`` a player test file that started
its own Playwright errored whenever an earlier file on the same xdist worker had started the
session's browser. Everything here takes the one ``playwright`` of the session instead.

Two browsers: the plain one Playwright launches (``--disable-gpu``), and a WebGL-capable one
(ANGLE on SwiftShader, TRAPS.md) for the real 360° players, which this code starts itself and
drives over CDP, so that a close that hangs ends with a kill of that process only."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium's own connections (updates, sync,
# QUIC probes) are refused by the closed network and can stall the start.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# WebGL without a GPU: ANGLE on SwiftShader (TRAPS.md); --disable-gpu would turn it off.
WEBGL_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
DEFAULT_TIMEOUT_MS = 10_000
CLOSE_TIMEOUT_S = 20
# An API answering 4xx is a normal outcome the pages must show (422 field errors, 409, 410);
# Chromium still logs each one as a console error, so only these are tolerated.
_EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


def require_chromium() -> None:
    # Fail, never skip: these tests must run in CI (``make test`` installs Chromium).
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")


@contextmanager
def watched_page(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A fresh context and page; console errors, uncaught exceptions and 5xx answers fail
    the test once it is done."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda msg: problems.append(f"console.{msg.type}: {msg.text}")
           if msg.type == "error" and not _EXPECTED_HTTP_ERROR.search(msg.text) else None)
    tab.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    tab.on("response", lambda r: problems.append(f"{r.status} for {r.request.method} {r.url}")
           if r.status >= 500 else None)
    try:
        yield tab
    finally:
        bounded(context.close)
    assert not problems, "browser reported problems:\n" + "\n".join(problems)


def bounded(call: Any, seconds: int = CLOSE_TIMEOUT_S) -> bool:
    """TRAPS.md: a headless Chromium was seen hanging for minutes on close. Runs ``call``
    with a time limit: an alarm in this, the main thread (Playwright's sync API must not be
    called from another). False when it ran out of time."""

    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutError("browser close")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        call()
        return True
    except TimeoutError:
        return False
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def launched_chromium(playwright: Any) -> Iterator[Any]:
    """Playwright's launch of Debian's Chromium; a close that hangs ends with a kill of the
    Chromium processes below this test process, by their ids."""
    require_chromium()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        if not bounded(chromium.close):
            for pid in _descendants(os.getpid()):
                try:
                    if "chrom" in Path(f"/proc/{pid}/comm").read_text():
                        os.kill(pid, signal.SIGKILL)
                except OSError:
                    continue


def _descendants(pid: int) -> list[int]:
    """The ids of the processes below ``pid`` (from /proc: no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def webgl_chromium(playwright: Any) -> Iterator[Any]:
    """A WebGL-capable Chromium started here (remote debugging on a free port) and driven
    over CDP: the test owns the process and its profile."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="freigabe-chromium-")
    process = subprocess.Popen(
        [str(CHROMIUM), *WEBGL_ARGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        browser = playwright.chromium.connect_over_cdp(_devtools_endpoint(process),
                                                       timeout=20_000)
        try:
            yield browser
        finally:
            bounded(browser.close)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_endpoint(process: subprocess.Popen[bytes]) -> str:
    assert process.stderr is not None
    for _ in range(200):
        line = process.stderr.readline().decode("utf-8", "replace")
        if not line and process.poll() is not None:
            break
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            # Drain the rest so Chromium never blocks on a full pipe.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return found.group(1)
    pytest.fail("Chromium did not start its DevTools endpoint")
