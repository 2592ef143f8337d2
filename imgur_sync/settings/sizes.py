"""Byte sizes as people write them in a config (``"200MB"``, ``"512KiB"``) and read them."""

from __future__ import annotations

import json
import re

__all__ = ["format_size", "parse_size"]

# kB, MB, GB are powers of 1000 (as format_size writes them), KiB, MiB, GiB of 1024.
_SIZE_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_size(text: str) -> int:
    """Return the bytes in ``text`` (``"200MB"``, ``"1.5 GB"``, ``"512KiB"``); raise ValueError."""
    match = _SIZE.fullmatch(text.strip().lower())
    if match is None or match[2] not in _SIZE_UNITS:
        raise ValueError(f'{json.dumps(text)} is not a size like "200MB", "1.5GB" or "512KiB"')
    return int(float(match[1]) * _SIZE_UNITS[match[2]])


def format_size(n: float) -> str:
    """Return a byte count the way people read it (kB, MB, GB: powers of 1000)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"
