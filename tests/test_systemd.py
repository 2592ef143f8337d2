"""The shipped units pass `systemd-analyze verify`, and are hardened (system and user)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "imgur_sync" / "data" / "systemd"
# Where pip puts the console script next to this interpreter; the units name the usual
# /usr/local/bin (system) and ~/.local/bin (user) paths, which verify insists exist.
INSTALLED = Path(sys.executable).parent / "imgur-sync"
ALL_UNITS = sorted(p for p in UNITS.rglob("*") if p.suffix in (".service", ".timer"))


def _staged(tmp_path: Path, unit: Path) -> Path:
    """Copy a unit with ExecStart= pointing at this machine's imgur-sync."""
    name = unit.name.replace("@.", "@example.")
    if unit.parent.name == "user":
        name = "user-" + name
    text = unit.read_text().replace("/usr/local/bin/imgur-sync", str(INSTALLED))
    text = text.replace("%h/.local/bin/imgur-sync", str(INSTALLED))
    staged = tmp_path / name
    staged.write_text(text)
    companion = unit.with_suffix(".service")
    if unit.suffix == ".timer" and companion.exists():  # a timer needs its service beside it
        (tmp_path / companion.name).write_text(
            companion.read_text().replace("/usr/local/bin/imgur-sync", str(INSTALLED)))
    return staged


def test_every_unit_is_there() -> None:
    names = {p.relative_to(UNITS).as_posix() for p in ALL_UNITS}
    assert names == {"imgur-sync.service", "imgur-sync@.service", "user/imgur-sync.service",
                     "imgur-sync-pull.service", "imgur-sync-pull.timer",
                     "imgur-sync-failure@.service"}
    assert INSTALLED.exists(), "pip install -e . puts the imgur-sync script there"


@pytest.mark.parametrize("unit", ALL_UNITS, ids=lambda p: p.relative_to(UNITS).as_posix())
def test_systemd_analyze_verify(tmp_path: Path, unit: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed to check the units (apt install systemd)"
    result = subprocess.run([analyze, "verify", str(_staged(tmp_path, unit))],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


# The exposure `systemd-analyze security` may give each: the bar for the system units,
# and for the user unit what a user manager allows (it rated 9.4 before its hardening).
EXPOSURE = {"imgur-sync.service": 2.5, "imgur-sync@.service": 2.5,
            "imgur-sync-pull.service": 2.5, "user/imgur-sync.service": 5.0}


@pytest.mark.parametrize("name", sorted(EXPOSURE))
def test_units_are_hardened(tmp_path: Path, name: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd; .ci/run does)")
    result = subprocess.run([analyze, "security", "--offline=yes", "--no-pager",
                             str(_staged(tmp_path, UNITS / name))],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level.group(1)) <= EXPOSURE[name]


def test_the_system_units_share_the_mirror_with_their_group() -> None:
    """UMask=0027: the group reads the mirror (the README's group steps rely on it)."""
    for name in ("imgur-sync.service", "imgur-sync@.service", "imgur-sync-pull.service"):
        text = (UNITS / name).read_text()
        assert re.findall(r"^UMask=(\S+)$", text, re.MULTILINE) == ["0027"], name
        assert "Group=imgur-sync" in text and "install -d -m 2770" in (
            UNITS / "imgur-sync.service").read_text()
