"""Text from data made safe to print: what file names, titles and server messages may not do.

A drop-folder file named ``"\\x1b[2J.png"`` or a title holding ``"\\r"`` would clear or
rewrite the user's terminal, and a name read with ``os.fsdecode`` from bytes that are not
UTF-8 holds lone surrogates (``"\\udcff"``) that crash ``print`` with UnicodeEncodeError.
``escape`` shows such characters as Python-style escapes instead; the CLI, ``status`` and
the log formatter pass every piece of data through it on the way to the terminal.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["EscapingFormatter", "escape", "escape_lines", "json_safe"]

# C0 and C1 controls, DEL, lone surrogates, and the bidi marks, embeddings, overrides and
# isolates that can make a name read as another ("gpj.exe" shown as "exe.jpg").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: object) -> str:
    """Return ``text`` with control, bidi and undecodable characters shown as escapes."""
    return _UNSAFE.sub(_escaped, str(text))


def escape_lines(text: str) -> str:
    """Return ``text`` escaped line by line, keeping its own line breaks (a block of lines)."""
    return "\n".join(escape(line) for line in text.split("\n"))


def json_safe(text: str) -> str:
    """Return JSON text with lone surrogates written as ``\\udcXX`` escapes, which print."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


class EscapingFormatter(logging.Formatter):
    """A log formatter that escapes each message (a traceback keeps its line breaks)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return escape_lines(super().formatException(ei))
