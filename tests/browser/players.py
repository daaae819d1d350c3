"""Helpers for the real 360° players' browser tests (examples/<player>/): a WebGL-capable
headless Chromium that this code starts itself (so its close is bounded and its own process
is killed if it hangs, TRAPS.md), a static server for an example folder on its own origin,
generated panoramas and the media upload through the API's presigned URL."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import DEMO
from tests.live_stack import ROOT, Stack

EXAMPLES = ROOT / "examples"
# WebGL without a GPU: ANGLE on SwiftShader (TRAPS.md); --disable-gpu would turn it off.
WEBGL_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
CLOSE_TIMEOUT = 10.0


@contextmanager
def webgl_chromium(playwright: Any) -> Iterator[Any]:
    """Chromium started here (remote debugging on a free port) and driven over CDP: the
    test owns the process, so a close that hangs ends with a kill of this browser only."""
    profile = tempfile.mkdtemp(prefix="freigabe-chromium-")
    process = subprocess.Popen(
        [str(CHROMIUM), *WEBGL_ARGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        endpoint = _devtools_endpoint(process)
        browser = playwright.chromium.connect_over_cdp(endpoint, timeout=20_000)
        try:
            yield browser
        finally:
            closer = threading.Thread(target=browser.close, daemon=True)
            closer.start()
            closer.join(CLOSE_TIMEOUT)
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


@contextmanager
def example_site(player: str, extra: dict[str, bytes]) -> Iterator[str]:
    """``examples/<player>/`` (with its installed node_modules) on its own loopback origin;
    ``extra`` maps paths to generated files (the player's own public pictures)."""
    folder = EXAMPLES / player
    if not (folder / "node_modules" / ".installed").exists():
        pytest.fail(f"{folder}/node_modules missing: run `make examples` (make test does)")

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in extra:
                body = extra[path]
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_PANORAMA_JS = """([width, label, color]) => {
  const canvas = document.createElement('canvas');
  canvas.width = width; canvas.height = width / 2;
  const g = canvas.getContext('2d');
  g.fillStyle = color; g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#ffffff'; g.font = `${width / 16}px sans-serif`;
  for (let x = 0; x < canvas.width; x += canvas.width / 4) { g.fillText(label, x + 20, canvas.height / 2); }
  return canvas.toDataURL('image/jpeg', 0.8).split(',')[1];
}"""


def panorama(page: Any, label: str, color: str, width: int = 1024) -> bytes:
    """An equirectangular JPEG (width × width/2, ≤ 2048 × 1024) drawn by the browser."""
    assert width <= 2048
    return base64.b64decode(page.evaluate(_PANORAMA_JS, [width, label, color]))


def upload_media(stack: Stack, tour_id: str, viewpoint: str, data: bytes) -> None:
    """The agency's upload: presigned PUT straight to the S3 stand-in, then complete."""
    path = f"/agency/tours/{tour_id}/viewpoints/{viewpoint}/media"
    started = stack.call("PUT", path, json_body={"content_type": "image/jpeg", "size": len(data)},
                         token=DEMO)
    assert started.status == 200, started.body
    request = urllib.request.Request(started.json["upload_url"], data=data, method="PUT",
                                     headers=started.json["headers"])
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
    done = stack.call("POST", path + "/complete", token=DEMO)
    assert done.status == 200, done.body


def make_player_tour(stack: Stack, player_url: str, protected: list[str]) -> str:
    """An email-mode tour whose ``tour_url`` is the player page (with api and tour id)."""
    payload: dict[str, Any] = {
        "title": "Altbauwohnung mit Rundgang", "tour_url": "https://touren.example/altbau",
        "protection": {"mode": "email", "required_fields": ["first_name"],
                       "protected_viewpoints": protected},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"},
        "privacy_url": "https://demo-makler.example/datenschutz",
    }
    created = stack.call("POST", "/agency/tours", json_body=payload, token=DEMO)
    assert created.status == 201, created.body
    tour_id = created.json["tour_id"]
    payload["tour_url"] = f"{player_url}/index.html?api={stack.base}&tour={tour_id}"
    replaced = stack.call("PUT", f"/agency/tours/{tour_id}", json_body=payload, token=DEMO)
    assert replaced.status == 200, replaced.body
    return tour_id

