"""Text from data made safe to print: what file names, titles and server messages may not do.

A drop-folder file named ``"\\x1b[2J.png"`` or a title holding ``"\\r"`` would clear or
rewrite the user's terminal, and a name read with ``os.fsdecode`` from bytes that are not
UTF-8 holds lone surrogates (``"\\udcff"``) that crash ``print`` with UnicodeEncodeError.
``escape`` shows such characters as Python-style escapes instead; the CLI, ``status`` and
the log formatter pass every piece of data through it on the way to the terminal.

Under systemd, stderr goes to the journal, which stamps each line and reads a leading
``<N>`` as the line's syslog priority (sd-daemon(3)): errors then carry ``<3>`` and
``journalctl -p err`` finds them. The journal is recognised as systemd documents it
(systemd.exec(5), ``$JOURNAL_STREAM``): the variable names the device and inode of the
stream, which must be stderr's own, since a child started by a service inherits the
variable with its stderr perhaps sent elsewhere. ``setup_logging`` puts it together.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["EscapingFormatter", "JournalFormatter", "escape", "escape_lines", "json_safe",
           "on_journal", "priority", "setup_logging", "with_priority"]

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


# sd-daemon(3): <2> critical, <3> error, <4> warning, <6> info, <7> debug.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4),
               (logging.INFO, 6))
STAMPED = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UNSTAMPED = "%(levelname)s %(name)s: %(message)s"  # journald stamps every line itself
# Loggers of our dependencies that say too much at INFO: APScheduler logs every job it runs
# ("Running job … executed successfully"), every pull, which buries what matters.
CHATTY = ("apscheduler",)


def priority(level: int) -> int:
    """Return the syslog priority of a logging level."""
    return next((number for floor, number in _PRIORITIES if level >= floor), 7)


def with_priority(text: str, level: int) -> str:
    """Start every line of ``text`` with the syslog priority of ``level``: ``<3>`` and so on.

    journald makes each line an entry of its own, so each carries the prefix.
    """
    prefix = f"<{priority(level)}>"
    return "\n".join(prefix + line for line in text.split("\n"))


class JournalFormatter(EscapingFormatter):
    """Escape each message and mark every line (a traceback's too) with its priority."""

    def format(self, record: logging.LogRecord) -> str:
        return with_priority(super().format(record), record.levelno)


def on_journal(stream: IO[str], env: Mapping[str, str] | None = None) -> bool:
    """True when ``stream`` is the journal stream ``$JOURNAL_STREAM`` names (device:inode)."""
    env = os.environ if env is None else env
    device, _, inode = env.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # no file behind it (a test's StringIO)
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


def setup_logging(stream: IO[str], *, verbose: int = 0, quiet: bool = False,
                  log_file: Path | None = None, env: Mapping[str, str] | None = None) -> None:
    """Log to ``stream`` (warnings only with ``quiet``, debug with ``verbose``) and to
    ``log_file`` too, which gets info (debug with ``verbose``) whatever ``quiet`` says.

    Like ``logging.basicConfig``, leaves a root logger that has handlers already (a host
    program's, pytest's) as it is. Raises OSError when the log file cannot be opened.
    """
    for name in CHATTY:  # -vv shows them too
        logging.getLogger(name).setLevel(logging.NOTSET if verbose >= 2 else logging.WARNING)
    if logging.getLogger().handlers:
        return
    console = logging.StreamHandler(stream)
    console.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(JournalFormatter(UNSTAMPED) if on_journal(stream, env)
                         else EscapingFormatter(STAMPED))  # names and titles are data
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setLevel(logging.DEBUG if verbose else logging.INFO)
        handler.setFormatter(EscapingFormatter(STAMPED))
        handlers.append(handler)
    logging.basicConfig(level=min(h.level for h in handlers), handlers=handlers)
