"""A real 360° player with the embed: Marzipano 0.10.2 from npm (examples/marzipano, its
dist bundle, installed by `make examples`) on a page of its own, WebGL in headless Chromium
(player_scenarios.py). Marzipano has no fullscreen control of its own: the page's button
makes the viewer's element fullscreen."""

from __future__ import annotations

from tests.browser.player_scenarios import PlayerScenarios
from tests.browser.players import Player

PLAYER = Player(name="marzipano", hotspot=".raum.geschuetzt", canvas="#panorama canvas",
                fullscreen="#vollbild")


class TestMarzipano(PlayerScenarios):
    player = PLAYER
