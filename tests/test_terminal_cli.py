"""Data on its way to the terminal, through the real command: hostile names shown escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support import sandbox_config

from imgur_sync.sandbox import Sandbox
from imgur_sync.terminal import escape

ROOT = Path(__file__).resolve().parents[1]
# What a hostile name may carry: clear the screen, rewrite the line, ring, set the title.
HOSTILE = "\x1b[2J\rclear\x07\x1b]0;owned\x07.png"


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
