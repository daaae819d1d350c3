"""``make bench``: work per request, sweep cost, cold start, zip size, handler overhead and
concurrency, measured side by side in one run (issue 7). Not part of ``make test``;
``tests/bench/`` runs the counting part small so this code cannot rot."""
