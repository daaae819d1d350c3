"""Browser tests: Playwright driving Debian's Chromium against the real local stack.

Fixtures (documented in ``tests/browser/README.md``): ``live``, ``browser``, ``page``,
``shot``, ``mail_link``, ``assert_accessible``, ``assert_focus_visible``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_stack import ROOT, Running, local_stack

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium's own connections (updates, sync,
# QUIC probes) are refused by the closed network and can stall the start.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
# An API answering 4xx is a normal outcome the pages must show (422 field errors, 409, 410);
# Chromium still logs each one as a console error, so only these are tolerated.
_EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@pytest.fixture(scope="session")
def live() -> Iterator[Running]:
    """The real local stack (``python -m devstack``) on a free port, one per test session."""
    with local_stack() as run:
        yield run


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


def _bounded_close(chromium: Any, seconds: int = 20) -> None:
    """TRAPS.md: a headless Chromium was seen hanging for minutes on close (its
    on_device_model utility process). Close with a time limit (an alarm in this, the main
    thread: Playwright's sync API must not be called from another), then kill the
    Chromium processes this test process started, by their ids."""
    import signal

    def expired(_signum: int, _frame: Any) -> None:
        raise TimeoutError("browser close")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        chromium.close()
        return
    except TimeoutError:
        pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" in Path(f"/proc/{pid}/comm").read_text():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            continue


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # Fail, never skip: these tests must run in CI (``make test`` installs Chromium).
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            _bounded_close(chromium)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context and page (German locale); console errors, uncaught exceptions and
    5xx answers fail the test."""
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin",
                                  viewport={"width": 1280, "height": 900})
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
        context.close()
    assert not problems, "browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page PNG: into ``$FREIGABE_SCREENSHOTS`` (``make
    screenshots`` → docs/screenshots) or else build/screenshots, so tests never dirty git."""
    target = Path(os.environ.get("FREIGABE_SCREENSHOTS") or ROOT / "build" / "screenshots")
    if not target.is_absolute():
        target = ROOT / target
    target.mkdir(parents=True, exist_ok=True)

    def save(tab: Any, name: str) -> Path:
        path = target / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return save


@pytest.fixture
def mail_link(live: Running) -> Callable[[str, str], str]:
    """``mail_link("unlock", "eva@example.org")`` → the newest such link from /dev/outbox."""
    return live.stack.mail_link


# Every visible form control, and how a screen reader would name it.
_UNNAMED_CONTROLS_JS = """
(root) => {
  const scope = root || document;
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el ? (el.textContent || '').trim() : '');
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (by.some((id) => text(document.getElementById(id)))) return true;
    if (Array.from(el.labels || []).some((label) => text(label))) return true;
    return false;
  };
  return Array.from(scope.querySelectorAll('input, select, textarea'))
    .filter((el) => el.type !== 'hidden' && visible(el) && !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}
"""


@pytest.fixture
def assert_accessible() -> Callable[..., None]:
    """``assert_accessible(page, selector=None)``: every visible input/select/textarea (in
    the selector's element, or the page) has an accessible name: a label, aria-label or
    aria-labelledby with text."""

    def check(tab: Any, selector: str | None = None) -> None:
        root = tab.query_selector(selector) if selector else None
        if selector:
            assert root is not None, f"{selector} not on the page"
        unnamed = tab.evaluate(_UNNAMED_CONTROLS_JS, root)
        assert not unnamed, f"controls without an accessible name: {unnamed}"

    return check


# The focused element's focus indicator compared with an unfocused copy of it (same classes,
# same place in the tree, so the same rules apply except :focus/:focus-visible).
_FOCUS_STYLE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const pick = (s) => ({outline: s.outlineStyle === 'none' ? 'none'
      : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow,
      border: s.borderColor, background: s.backgroundColor});
  const focused = pick(getComputedStyle(el));
  const copy = el.cloneNode(false);
  copy.removeAttribute('id');
  copy.removeAttribute('autofocus');
  copy.setAttribute('aria-hidden', 'true');
  el.parentNode.insertBefore(copy, el.nextSibling);
  const plain = pick(getComputedStyle(copy));
  copy.remove();
  return {tag: el.outerHTML.slice(0, 120), focusVisible: el.matches(':focus-visible'),
          focused, plain};
}
"""


def focus_indicator_visible(style: dict[str, Any]) -> bool:
    focused, plain = style["focused"], style["plain"]
    outline = focused["outline"] != "none" and not focused["outline"].split()[1].startswith("0")
    return style["focusVisible"] and (
        (outline and focused["outline"] != plain["outline"])
        or (focused["shadow"] != "none" and focused["shadow"] != plain["shadow"]))


@pytest.fixture
def assert_focus_visible() -> Callable[..., list[str]]:
    """``assert_focus_visible(page, tabs=N)`` presses Tab N times; each element that gets
    focus must show a visible indicator (outline or box-shadow that its unfocused twin lacks).
    Returns the focused elements' HTML, so the caller can also check the focus order."""

    def check(tab: Any, tabs: int = 5) -> list[str]:
        seen = []
        for _ in range(tabs):
            tab.keyboard.press("Tab")
            style = tab.evaluate(_FOCUS_STYLE_JS)
            assert style is not None, "Tab moved focus nowhere"
            assert focus_indicator_visible(style), f"focus not visible on {style}"
            seen.append(style["tag"])
        return seen

    return check
