"""The bench's moto speed-up: Query reads one partition instead of sorting the whole table
(without it one Query costs seconds at 100k items and the worklists would not finish).

The patch lives in ``devstack/fastmoto.py``, where ``make run`` uses it too. The bench takes
only the Query patch, not the transaction one: point 5 times handler overhead against a
minimal route on the same moto, and that comparison should keep moto's transaction cost
as it was measured so far. Counting is unaffected either way: ``tests/unit/test_fastmoto.py``
and ``tests/bench/test_bench_smoke.py`` check that patched and unpatched moto answer alike."""

from __future__ import annotations

from devstack.fastmoto import install_queries as install
from devstack.fastmoto import uninstall_queries as uninstall

__all__ = ["install", "uninstall"]
