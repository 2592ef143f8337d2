"""Data on its way to the terminal: control characters and undecodable names shown escaped."""

from __future__ import annotations

import io
import json
import logging
import os

from imgur_sync.terminal import EscapingFormatter, escape, escape_lines, json_safe

# What a hostile name may carry: clear the screen, rewrite the line, ring, set the title.
HOSTILE = "\x1b[2J\rclear\x07\x1b]0;owned\x07.png"


def test_escape_shows_control_characters_as_escapes() -> None:
    assert escape(HOSTILE) == "\\x1b[2J\\rclear\\x07\\x1b]0;owned\\x07.png"
    assert escape("a\nb\tc\x00d\x7fe\x9bf") == "a\\nb\\tc\\x00d\\x7fe\\x9bf"


def test_escape_shows_an_undecodable_byte_as_that_byte() -> None:
    name = os.fsdecode(b"bad\xff\xfe.png")  # what listing a folder gives for such a name
    assert escape(name) == "bad\\xff\\xfe.png"
    escape(name).encode("utf-8")  # prints anywhere: no lone surrogate left


def test_escape_shows_bidi_overrides_and_keeps_ordinary_text() -> None:
    assert escape("photo\u202egpj.exe") == "photo\\u202egpj.exe"
    text = "Café ☕ 猫 👩\u200d👩\u200d👧 Ω [abc123].jpg"
    assert escape(text) == text


def test_escape_lines_keeps_the_line_breaks_of_a_block() -> None:
    assert escape_lines("one\r\ntwo\x1b[K") == "one\\r\ntwo\\x1b[K"


def test_json_safe_keeps_the_value_and_prints() -> None:
    name = os.fsdecode(b"bad\xff.png")
    text = json_safe(json.dumps({"path": name, "title": "\x1b[2J"}, ensure_ascii=False))
    text.encode("utf-8")
    assert json.loads(text) == {"path": name, "title": "\x1b[2J"}


def test_the_log_formatter_escapes_messages_but_not_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EscapingFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test_terminal")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("skipped %s", os.fsdecode(b"drop/" + HOSTILE.encode() + b"\xff"))
        try:
            raise ValueError("boom")
        except ValueError:
            log.error("failed", exc_info=True)
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "WARNING skipped drop/" + escape(HOSTILE) + "\\xff"
    assert lines[1:3] == ["ERROR failed", "Traceback (most recent call last):"]
    assert lines[-1] == "ValueError: boom"
