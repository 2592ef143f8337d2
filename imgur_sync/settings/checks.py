"""Typed reads from parsed TOML that collect problems instead of stopping at the first.

``config.py`` says what the keys are; this module says how a value is checked and how a
problem is worded: ``<key>: <what is wrong>. Fix: <what to do>``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..paths import expand_user

__all__ = ["Checker", "describe", "ordinal"]

_MISSING = object()


def ordinal(number: int) -> str:
    """Return ``1st``, ``2nd``, ``3rd``, ``4th``… for ``number``."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"


def _place(where: str) -> str:
    """Return where a key of table ``where`` goes, in words: ``under [imgur]``."""
    if where.startswith("upload["):
        return f"to the {ordinal(int(where[7:-1]))} [[upload]] table"
    return f"under [{where}]" if where else "at the top of the file"


def _table_name(where: str) -> str:
    if where.startswith("upload["):
        return "[[upload]]"
    return f"[{where}]" if where else "the file"


def describe(value: Any, *, secret: bool = False) -> str:
    """Name a TOML value's type (and the value itself when short and not ``secret``)."""
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int):
        kind = "an integer"
    elif isinstance(value, float):
        kind = "a float"
    elif isinstance(value, str):
        kind = "a string"
    elif isinstance(value, (dt.date, dt.time)):
        kind = "a date/time"
    elif isinstance(value, list):
        return "an array"
    else:
        return "a table"
    shown = json.dumps(value) if isinstance(value, (bool, int, float, str)) else str(value)
    return kind if secret or len(shown) > 40 else f"{kind} ({shown})"


class Checker:
    """Collects problems while reading values out of parsed TOML tables."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, key: str, what: str, fix: str) -> None:
        """Record that ``key`` has a problem, and how to fix it."""
        self.problems.append(f"{key}: {what}. Fix: {fix}")

    def table(self, data: Mapping[str, Any], name: str) -> dict[str, Any]:
        """Return section ``[name]`` of ``data`` ({} when absent or not a table)."""
        value = data.get(name, _MISSING)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.add(name, f"expected a [{name}] section, got {describe(value)}",
                     f"write it as a section: [{name}] on a line of its own, its keys below")
            return {}
        return value

    def unknown_keys(self, table: Mapping[str, Any], allowed: Sequence[str], where: str,
                     sections: Mapping[str, Sequence[str]]) -> None:
        """Report every key of ``table`` not in ``allowed``, suggesting what was meant."""
        for name in table:
            if name in allowed:
                continue
            key = f"{where}.{name}" if where else name
            homes = [section for section, keys in sections.items()
                     if name in keys and section != where.split("[")[0]]
            close = difflib.get_close_matches(name, allowed, n=1)
            if homes:
                home = "[[upload]]" if homes[0] == "upload" else f"[{homes[0]}]"
                fix = (f"move it below the {home} header (a key belongs to the section "
                       "header above it)")
            elif close:
                fix = f'did you mean "{close[0]}"? Rename it, or remove it'
            else:
                fix = f"remove it; {_table_name(where)} takes {', '.join(allowed)}"
            self.add(key, "unknown key", fix)

    def string(self, table: Mapping[str, Any], name: str, where: str, *, sample: str,
               required: bool = False, secret: bool = False) -> str | None:
        """Return string ``name`` of ``table``, or None when absent or wrong."""
        key = f"{where}.{name}"
        value = table.get(name, _MISSING)
        if value is _MISSING or (required and value == ""):
            if required:
                if value is _MISSING:
                    self.add(key, "missing", f"add {sample} {_place(where)}")
                else:
                    self.add(key, "is empty", f"give it a value, like {sample}")
            return None
        if not isinstance(value, str):
            self.add(key, f"expected a string, got {describe(value, secret=secret)}",
                     f"write it in double quotes, like {sample}")
            return None
        return value

    def path(self, table: Mapping[str, Any], name: str, where: str, base: Path,
             env: Mapping[str, str], *, sample: str, default: str | None = None,
             required: bool = False) -> Path | None:
        """Return folder ``name`` made absolute: ``~`` expanded, relative to ``base``."""
        text = self.string(table, name, where, sample=sample, required=required)
        if text is None:
            if default is None or name in table:
                return None
            text = default
        elif not text:
            self.add(f"{where}.{name}", "is empty", f"give a folder, like {sample}")
            return None
        path = expand_user(text, env)
        # Normalise "a/../b" without resolving symlinks: the folder stays as the user wrote it.
        return Path(os.path.normpath(base / path))

    def choice(self, table: Mapping[str, Any], name: str, where: str, choices: Sequence[str],
               *, default: str) -> str:
        """Return ``name`` if it is one of ``choices`` (``default`` when absent or wrong)."""
        value = self.string(table, name, where, sample=f'{name} = "{default}"')
        if value is None:
            return default
        if value not in choices:
            self._not_a_choice(f"{where}.{name}", value, choices)
            return default
        return value

    def choices(self, table: Mapping[str, Any], name: str, where: str, choices: Sequence[str],
                *, default: Sequence[str]) -> tuple[str, ...]:
        """Return array ``name`` of ``choices`` without repeats (``default`` if absent)."""
        key = f"{where}.{name}"
        value = table.get(name, _MISSING)
        if value is _MISSING:
            return tuple(default)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.add(key, f"expected an array of strings, got {describe(value)}",
                     f"write it like {name} = {json.dumps(list(choices))}")
            return tuple(default)
        for item in value:
            if item not in choices:
                self._not_a_choice(key, item, choices)
        return tuple(dict.fromkeys(item for item in value if item in choices))

    def boolean(self, table: Mapping[str, Any], name: str, where: str, *,
                default: bool) -> bool:
        """Return boolean ``name`` (``default`` when absent or not a boolean)."""
        value = table.get(name, default)
        if not isinstance(value, bool):
            self.add(f"{where}.{name}", f"expected true or false, got {describe(value)}",
                     f"write {name} = {json.dumps(default)} (no quotes)")
            return default
        return value

    def integer(self, table: Mapping[str, Any], name: str, where: str, low: int, high: int,
                *, default: int, why: str) -> int:
        """Return integer ``name`` within ``low``..``high`` (``default`` if absent or wrong)."""
        key = f"{where}.{name}"
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, f"expected an integer ({why}), got {describe(value)}",
                     f"write a whole number without quotes, like {name} = {default}")
            return default
        if not low <= value <= high:
            self.add(key, f"{value} is out of range ({why})",
                     f"use a number from {low} to {high}; the default is {default}")
            return default
        return value

    def _not_a_choice(self, key: str, value: str, choices: Sequence[str]) -> None:
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f'did you mean "{close[0]}"? Use' if close else "use"
        self.add(key, f"{json.dumps(value)} is not one of {', '.join(choices)}",
                 f"{hint} one of {', '.join(choices)}")
