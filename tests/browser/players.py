"""The real 360° players' browser tests (examples/<player>/): a static server for an example
folder on its own origin, generated panoramas, the media upload through the API's presigned
URL, and the fixtures every player module shares. A player module names its ``PLAYER``; the
fixtures read it from there (the scenarios themselves: ``player_scenarios.py``)."""

from __future__ import annotations

import base64
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.chromium import watched_page
from tests.conftest import DEMO
from tests.live_stack import ROOT, Running, Stack

EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Player:
    """What differs between the example pages; the glue is alike: ``#panorama`` is the
    player's element (made fullscreen, the dialog's container), ``#status`` says the gate's
    status, ``body[data-loaded]`` names the scene the player has drawn and
    ``body[data-scene]`` the protected one the glue opened."""

    name: str  # the folder in examples/
    hotspot: str  # the protected room's hotspot in the entrance
    canvas: str  # the player's WebGL canvas
    fullscreen: str  # the control that makes #panorama fullscreen
    error: str | None = None  # the player's own "cannot draw this" message (stays hidden)


@pytest.fixture(scope="module")
def player_pictures(webgl_browser: Any) -> dict[str, bytes]:
    context = webgl_browser.new_context()
    try:
        page = context.new_page()
        return {"eingang": panorama(page, "EINGANG", "#1d4ed8"),
                "wohnzimmer": panorama(page, "WOHNZIMMER", "#b45309")}
    finally:
        context.close()


@pytest.fixture(scope="module")
def player_site(request: pytest.FixtureRequest, player_pictures: dict[str, bytes]) -> Iterator[str]:
    player: Player = request.module.PLAYER
    with example_site(player.name, {"/eingang.jpg": player_pictures["eingang"]}) as url:
        yield url


@pytest.fixture
def player_tab(webgl_browser: Any) -> Iterator[Any]:
    with watched_page(webgl_browser, locale="de-DE",
                      viewport={"width": 1280, "height": 800}) as tab:
        yield tab


@pytest.fixture
def player_tour(live: Running, player_site: str, player_pictures: dict[str, bytes]) -> str:
    """A tour with the protected "wohnzimmer", its panorama uploaded to the private bucket."""
    tour_id = make_player_tour(live.stack, player_site, ["wohnzimmer"])
    upload_media(live.stack, tour_id, "wohnzimmer", player_pictures["wohnzimmer"])
    return tour_id


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

