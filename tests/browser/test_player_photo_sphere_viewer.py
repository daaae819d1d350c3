"""A real 360° player with the embed: Photo Sphere Viewer 5.15 with its markers plugin from
npm (examples/photo-sphere-viewer, ES modules and three.js through an import map, installed by
`make examples`) on a page of its own, WebGL in headless Chromium (player_scenarios.py)."""

from __future__ import annotations

from tests.browser.player_scenarios import PlayerScenarios
from tests.browser.players import Player

PLAYER = Player(name="photo-sphere-viewer", hotspot=".psv-marker.geschuetzt",
                canvas=".psv-canvas-container canvas", fullscreen=".psv-fullscreen-button",
                error=".psv-overlay:visible")


class TestPhotoSphereViewer(PlayerScenarios):
    player = PLAYER
