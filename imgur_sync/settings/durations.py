"""Durations as people write them in a config (``"90s"``, ``"1h30m"``)."""

from __future__ import annotations

import json
import re

__all__ = ["format_duration", "parse_duration"]

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
# Units largest first, each at most once: "1h30m" and "1h 30m", not "30m1h" or "1h1h",
# so a typo reads as an error instead of as a surprising sum.
_PATTERN = re.compile(r"\s*".join(rf"(?:(?P<{unit}>\d+)\s*{unit})?" for unit, _ in _UNITS))


def parse_duration(text: str) -> int:
    """Return the seconds in ``text``; raise ValueError if it is not a duration."""
    match = _PATTERN.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(f'{json.dumps(text)} is not a duration like "90s", "15m", "1h30m" '
                         'or "2d"')
    return sum(int(match[unit] or 0) * size for unit, size in _UNITS)


def format_duration(seconds: int) -> str:
    """Return ``seconds`` in the shortest form ``parse_duration`` reads back (``0s`` for 0)."""
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
