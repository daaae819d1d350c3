"""The one pluralisation rule of German copy: "0 Tage", "1 Tag", "2 Tage". Every
capability's count-bearing text goes through ``counted`` (the pages' twin is
``static/ui/plural.js``); it sits below the capabilities so tours, reviews and privacy
share it without depending on each other."""

from __future__ import annotations


def counted(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def days(n: int) -> str:
    return counted(n, "Tag", "Tage")
