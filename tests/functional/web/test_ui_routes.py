"""The dashboard, the QA console and their shared assets: content types, the strict CSP,
the asset whitelist and path traversal attempts."""

from __future__ import annotations

import pytest

from chalicelib.web import ui_routes

STRICT_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
              "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def assert_hardened(headers: dict[str, str], csp: str = STRICT_CSP) -> None:
    assert headers["content-security-policy"] == csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-cache"
    assert headers["etag"].startswith('"')


def dashboard_csp(container) -> str:
    """The strict CSP plus the media bucket's origin (where the dashboard uploads panoramas
    and loads their thumbnails), taken from a URL the bucket really signs."""
    from urllib.parse import urlsplit

    signed = urlsplit(container.media.bucket.presign_get("media/t/x", 60))
    origin = f"{signed.scheme}://{signed.netloc}"
    return STRICT_CSP.replace("connect-src 'self';", f"connect-src 'self' {origin};").replace(
        "img-src 'self' data:;", f"img-src 'self' data: {origin};")


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard"])
def test_dashboard_page_with_and_without_slash(http, container, path):
    reply = http.get(path)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert_hardened(reply.headers, dashboard_csp(container))
    assert "amazonaws.com" in reply.headers["content-security-policy"]
    html = reply.text
    assert '<html lang="de">' in html
    # Absolute asset paths: the page loads the same under /dashboard and /dashboard/.
    assert '<script type="module" src="/dashboard/app.js"></script>' in html
    assert '<link rel="stylesheet" href="/ui/common.css">' in html
    # No inline script or style that the CSP would block anyway.
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_mail_deep_link_with_query_serves_the_page(http):
    reply = http.get("/dashboard/?review=abc123")
    assert reply.status == 200 and "Makler-Dashboard" in reply.text


ASSETS = {
    "/ui/common.css": "text/css; charset=utf-8",
    "/ui/common.js": "text/javascript; charset=utf-8",
    "/dashboard/app.js": "text/javascript; charset=utf-8",
    "/dashboard/tours.js": "text/javascript; charset=utf-8",
    "/dashboard/csv.js": "text/javascript; charset=utf-8",
}


def test_assets_have_their_content_type(http):
    for path, content_type in ASSETS.items():
        reply = http.get(path)
        assert reply.status == 200, path
        assert reply.headers["content-type"] == content_type, path
        assert_hardened(reply.headers)
        assert reply.body, path


def test_every_module_the_dashboard_imports_is_served(http):
    import re

    for name in ("app.js", "tours.js", "reviews.js", "addresses.js", "views.js", "csv.js",
                 "labels.js", "printable.js", "media.js"):
        source = http.get(f"/dashboard/{name}").text
        for imported in re.findall(r'from "(/[^"]+)"', source):
            assert http.get(imported).status == 200, (name, imported)


def test_unchanged_asset_answers_304_for_its_etag(http):
    first = http.get("/ui/common.js")
    again = http.get("/ui/common.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.body == b""
    stale = http.get("/ui/common.js", headers={"If-None-Match": '"something-else"'})
    assert stale.status == 200 and stale.body == first.body


def test_whitelist_is_the_shipped_assets_only():
    assert set(ui_routes.assets("ui")) == {"common.css", "common.js", "plural.js"}
    assert "index.html" not in ui_routes.assets("dashboard")
    assert ui_routes.assets("no-such-directory") == {}


OUTSIDE = [
    "/ui/missing.js",
    "/ui/COMMON.JS",
    "/ui/common.js.map",
    "/ui/..%2f..%2fapp.py",
    "/ui/%2e%2e%2fui_routes.py",
    "/ui/..%5c..%5capp.py",
    "/ui/%2fetc%2fpasswd",
    "/ui/.common.js",
    "/dashboard/index.html",
    "/dashboard/..%2f..%2fhttp.py",
    "/dashboard/%2e%2e",
    "/qa-console/..%2fdashboard%2fapp.js",
    "/qa-console/index.html",
]


def test_anything_outside_the_whitelist_is_404(http):
    for path in OUTSIDE:
        reply = http.get(path)
        assert reply.status == 404, path
        assert reply.json["error"]["code"] == "not_found", path


def test_traversal_through_real_path_segments_matches_no_asset(http):
    # "/ui/../app.py" never reaches a handler with a joined path: the router either
    # normalises it away or matches nothing.
    reply = http.get("/ui/../app.py")
    assert reply.status in (403, 404)
    assert b"app_name" not in reply.body and b"import" not in reply.body


def test_qa_console_page_is_served_with_the_same_headers(http):
    reply = http.get("/qa-console/")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert_hardened(reply.headers)
    assert '<html lang="de">' in reply.text


def test_pages_need_no_token_but_the_api_still_does(http):
    assert http.get("/dashboard/").status == 200
    assert http.get("/agency/tours").status == 401
