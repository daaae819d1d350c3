"""The dashboard's panoramas per viewpoint (issue 14): upload straight to the S3 stand-in with
a progress bar, the thumbnail from a presigned GET, replace, remove; a wrong file type is
refused in the browser before anything is sent."""

from __future__ import annotations

import struct
import urllib.error
import urllib.request
import zlib
from typing import Any

import pytest

from tests.browser.test_dashboard import _go, _sign_in, _tour
from tests.conftest import DEMO
from tests.live_stack import Running

# Records what the section showed while it happened: MutationObserver callbacks run before
# the next network answer, so a disabled button or a progress value cannot slip past.
_WATCH_JS = """() => {
  const section = document.getElementById('tour-media');
  window.__media = {progress: [], disabledWhileBusy: false};
  new MutationObserver(() => {
    const bar = document.getElementById('media-progress');
    window.__media.progress.push(Number(bar.value));
    if (section.getAttribute('aria-busy') === 'true'
        && [...section.querySelectorAll('.media-control')].every((b) => b.disabled)) {
      window.__media.disabledWhileBusy = true;
    }
  }).observe(section, {attributes: true, subtree: true});
}"""


def png(width: int, height: int, shade: int) -> bytes:
    """An RGB PNG with a horizontal gradient (no Pillow needed)."""
    row = bytes(v for x in range(width) for v in (x * 255 // width, shade, 255 - shade))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _media(live: Running, tour_id: str) -> list[dict[str, Any]]:
    listed = live.stack.call("GET", f"/agency/tours/{tour_id}/media", token=DEMO)
    assert listed.status == 200, listed.body
    return list(listed.json["media"])


def _choose(page: Any, button: Any, name: str, mime: str, data: bytes) -> None:
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def _thumbnail_width(page: Any, item: Any) -> int:
    thumb = item.locator("img.media-thumb")
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    return int(thumb.evaluate("img => img.naturalWidth"))


@pytest.fixture
def tour_page(live: Running, page: Any) -> tuple[str, Any]:
    tour_id = _tour(live.stack, "email")["tour_id"]
    _sign_in(page, live)
    _go(page, live, f"#/tours/{tour_id}")
    page.locator("[data-media-viewpoint=wohnzimmer]").wait_for()
    return tour_id, page


def test_upload_thumbnail_replace_and_remove(live: Running, tour_page: tuple[str, Any],
                                            shot: Any, assert_accessible: Any) -> None:
    tour_id, page = tour_page
    item = page.locator("[data-media-viewpoint=wohnzimmer]")
    assert "Noch kein Panorama." in item.inner_text()
    page.evaluate(_WATCH_JS)
    first = png(2048, 1024, 60)
    _choose(page, item.get_by_role("button", name="Panorama hochladen: wohnzimmer"),
            "wohnzimmer.png", "image/png", first)
    page.get_by_text("Das Panorama für „wohnzimmer“ ist gespeichert.").wait_for()
    watched = page.evaluate("window.__media")
    assert watched["disabledWhileBusy"], watched
    assert watched["progress"][-1] == 100, watched
    assert page.locator("#media-progress").evaluate("bar => bar.value") == 100
    assert "hochgeladen: 100 %" in page.locator("#media-upload-status").inner_text()
    assert _thumbnail_width(page, item) == 2048
    assert not page.locator("#tour-media .media-control:disabled").count()
    stored = _media(live, tour_id)
    assert [(m["viewpoint_id"], m["ready"], m["content_type"], m["size"]) for m in stored] == [
        ("wohnzimmer", True, "image/png", len(first))]
    assert_accessible(page, "#tour-media")
    shot(page, "dashboard-tour-media")

    second = png(1024, 512, 200)
    _choose(page, item.get_by_role("button", name="Panorama ersetzen: wohnzimmer"),
            "wohnzimmer-neu.png", "image/png", second)
    page.get_by_text("Das Panorama für „wohnzimmer“ ist gespeichert.").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-media-viewpoint=wohnzimmer] img.media-thumb')"
        "?.naturalWidth === 1024")
    replaced = _media(live, tour_id)
    assert [(m["size"], m["ready"]) for m in replaced] == [(len(second), True)]
    old_url = stored[0]["url"]
    assert replaced[0]["url"] != old_url

    item.get_by_role("button", name="Panorama entfernen: wohnzimmer").click()
    dialog = page.locator("dialog")
    assert "wohnzimmer" in dialog.inner_text()
    dialog.get_by_role("button", name="Entfernen").click()
    page.get_by_text("Das Panorama für „wohnzimmer“ ist entfernt.").wait_for()
    assert "Noch kein Panorama." in item.inner_text()
    assert not item.locator("img").count()
    assert _media(live, tour_id) == []
    # The objects are gone from the bucket too: the last thumbnail URL no longer answers.
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(replaced[0]["url"], timeout=10)
    assert gone.value.code == 404


def test_wrong_file_type_is_refused_before_anything_is_sent(live: Running,
                                                            tour_page: tuple[str, Any]) -> None:
    tour_id, page = tour_page
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url}") if r.method in ("PUT", "POST")
            else None)
    item = page.locator("[data-media-viewpoint=wohnzimmer]")
    _choose(page, item.get_by_role("button", name="Panorama hochladen: wohnzimmer"),
            "grundriss.pdf", "application/pdf", b"%PDF-1.4 kein Bild")
    error = page.locator("#tour-media .notice.error")
    error.wait_for()
    assert error.get_attribute("role") == "alert"
    assert error.inner_text() == ("„grundriss.pdf“ ist kein JPEG-, PNG- oder WebP-Bild. Bitte wählen "
                                  "Sie ein Panorama in einem dieser Formate.")
    assert sent == []
    assert _media(live, tour_id) == []
    assert "Noch kein Panorama." in item.inner_text()


def test_an_assistant_sees_the_panorama_but_no_controls(live: Running, page: Any) -> None:
    tour_id = _tour(live.stack, "email")["tour_id"]
    data = png(512, 256, 120)
    path = f"/agency/tours/{tour_id}/viewpoints/wohnzimmer/media"
    started = live.stack.call("PUT", path, token=DEMO,
                              json_body={"content_type": "image/png", "size": len(data)})
    assert started.status == 200, started.body
    request = urllib.request.Request(started.json["upload_url"], data=data, method="PUT",
                                     headers=started.json["headers"])
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
    assert live.stack.call("POST", path + "/complete", token=DEMO).status == 200
    _sign_in(page, live, email="assistenz@demo-makler.de")
    _go(page, live, f"#/tours/{tour_id}")
    item = page.locator("[data-media-viewpoint=wohnzimmer]")
    assert _thumbnail_width(page, item) == 512
    section = page.locator("#tour-media")
    assert section.get_by_role("button").count() == 0  # hidden controls have no role
    assert not page.get_by_label("Weiterer Standpunkt (ID im Tour-Player)").is_visible()
