"""`imgur-sync demo`: the README's first command, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "imgur_sync", "demo", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_demo_runs_the_whole_tour(tmp_path: Path) -> None:
    result = run_demo(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "imgur-sync-demo"
    dropped = list((folder / "mirror" / "albums").glob("Dropped in the demo */001 *.png"))
    assert len(dropped) == 1 and dropped[0].stat().st_size > 1000
    # The mirror holds the upload as a copy of its own, not a link to the dropped file.
    drop = folder / "drop" / "hello-from-the-demo.png"
    backup = next((folder / "mirror" / "images").glob("hello-from-the-demo *.png"))
    assert backup.read_bytes() == drop.read_bytes() and not backup.samefile(drop)
    assert list((folder / "mirror" / "messages").glob("*.md"))
    # The gallery was brought up to date after the upload, too.
    assert "Dropped in the demo" in (folder / "mirror" / "index.html").read_text()
    assert "is on Imgur as" in result.stdout and "Where to look" in result.stdout
    assert "Traceback" not in result.stderr
    # Signed in as a new user must since 2025: with the browser's cookies, no refresh token.
    assert "Signed in with the browser's cookies" in result.stdout
    assert "refresh_token" not in (folder / "config.toml").read_text()
    tokens = json.loads((folder / "state" / "tokens.json").read_text())
    assert tokens["kind"] == "cookie" and tokens["access_token"] not in result.stdout
    again = run_demo(cwd=tmp_path)  # a second run replaces the first
    assert again.returncode == 0, again.stderr


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = run_demo(str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"
