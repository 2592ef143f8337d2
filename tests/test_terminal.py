"""Data on its way to the terminal: control characters and undecodable names shown escaped."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support import sandbox_config

from imgur_sync.sandbox import Sandbox
from imgur_sync.terminal import EscapingFormatter, escape, escape_lines, json_safe

ROOT = Path(__file__).resolve().parents[1]
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


# ---- the real command -----------------------------------------------------------------------


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    # Bytes, not text: text mode would turn a raw "\r" into a line break before we look.
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                          env=env, cwd=ROOT, timeout=90)


def test_hostile_drop_file_names_reach_the_terminal_escaped(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    drop = tmp_path / "drop"
    drop.mkdir()
    config = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror",
                            uploads=[(drop, "Drops", "keep")])
    (drop / HOSTILE).write_bytes(b"not an image")  # refused, so its name is printed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    push = _run(env, "push")
    status = _run(env, "status")
    assert push.returncode == 3 and status.returncode == 0
    for output in (push.stderr, status.stdout):
        assert escape(HOSTILE).encode() in output
        assert not any(byte in output for byte in (b"\x1b", b"\r", b"\x07"))


def test_an_undecodable_config_path_is_shown_as_its_bytes(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path) + b"/caf\xe9/config.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "imgur_sync", "--config", path, "config",
                             "check"], capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert b"/caf\\xe9/config.toml: file not found" in result.stderr
    assert b"udce9" not in result.stderr and b"Traceback" not in result.stderr
