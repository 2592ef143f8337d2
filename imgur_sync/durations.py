"""Durations as people write them in a config (``"90s"``, ``"1h30m"``), and byte sizes."""

from __future__ import annotations

import json
import re

__all__ = ["format_duration", "format_size", "parse_duration", "parse_size"]

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
# Units largest first, each at most once: "1h30m" and "1h 30m", not "30m1h" or "1h1h",
# so a typo reads as an error instead of as a surprising sum.
_PATTERN = re.compile(r"\s*".join(rf"(?:(?P<{unit}>\d+)\s*{unit})?" for unit, _ in _UNITS))
# Sizes: kB, MB, GB are powers of 1000 (as format_size writes them), KiB, MiB, GiB of 1024.
_SIZE_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_duration(text: str) -> int:
    """Return the seconds in ``text``; raise ValueError if it is not a duration."""
    match = _PATTERN.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(f'{json.dumps(text)} is not a duration like "90s", "15m", "1h30m" '
                         'or "2d"')
    return sum(int(match[unit] or 0) * size for unit, size in _UNITS)


def parse_size(text: str) -> int:
    """Return the bytes in ``text`` (``"200MB"``, ``"1.5 GB"``, ``"512KiB"``); raise ValueError."""
    match = _SIZE.fullmatch(text.strip().lower())
    if match is None or match[2] not in _SIZE_UNITS:
        raise ValueError(f'{json.dumps(text)} is not a size like "200MB", "1.5GB" or "512KiB"')
    return int(float(match[1]) * _SIZE_UNITS[match[2]])


def format_duration(seconds: int) -> str:
    """Return ``seconds`` in the shortest form ``parse_duration`` reads back (``0s`` for 0)."""
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def format_size(n: float) -> str:
    """Return a byte count the way people read it (kB, MB, GB: powers of 1000)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"
