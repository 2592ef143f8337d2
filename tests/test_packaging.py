"""What a user gets from the package alone: `config init`, `systemd print`, and the built wheel.

The slow test builds the wheel from a copy of the sources, installs it into a new virtualenv
(the stand-in for `pipx install`, which does the same in a venv of its own) with a new
$HOME, and runs both commands from a folder with no clone in sight.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from imgur_sync.settings import load_config
from imgur_sync.settings.bundled import example_config, hidden_from_system_units

ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path, **more: str) -> dict[str, str]:
    """An environment with a new $HOME and none of imgur-sync's or Python's variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IMGUR_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, "HOME": str(home), **more}


def _cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                          text=True, env=_env(home, PYTHONPATH=str(ROOT), **env), cwd=home,
                          timeout=60)


def test_config_init_writes_the_commented_example_where_commands_look(tmp_path: Path) -> None:
    first = _cli(tmp_path, "config", "init")
    assert first.returncode == 0, first.stderr
    written = tmp_path / ".config" / "imgur-sync" / "config.toml"
    assert str(written) in first.stdout and "config check" in first.stdout
    assert written.read_text(encoding="utf-8") == example_config()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # secrets may be added to it
    assert load_config(written, {"HOME": str(tmp_path)}).mirror.root == tmp_path / "Imgur"
    checked = _cli(tmp_path, "config", "check")
    assert checked.returncode == 0, checked.stderr


def test_config_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "imgur.toml"
    assert _cli(tmp_path, "config", "init", str(target)).returncode == 0
    target.write_text("# mine\n")
    again = _cli(tmp_path, "config", "init", str(target))
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert f"{target} exists already; give --force to overwrite it" in again.stderr
    assert target.read_text() == "# mine\n"
    forced = _cli(tmp_path, "--config", str(target), "config", "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8") == example_config()


def test_config_init_where_it_cannot_write_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    result = _cli(tmp_path, "config", "init", str(blocker / "config.toml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (f"Cannot write {blocker / 'config.toml'}: its folder is a file; give a PATH this "
            "user may write") in result.stderr


def test_systemd_print_names_this_machines_imgur_sync(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "imgur-sync"
    if not os.access(script, os.X_OK):
        pytest.skip(f"no imgur-sync script beside {sys.executable} (pip install -e . puts it)")
    system = _cli(tmp_path, "systemd", "print")
    assert system.returncode == 0, system.stderr
    assert f"\nExecStart={script} run\n" in system.stdout and "User=imgur-sync" in system.stdout
    # ProtectHome=yes hides a script in a home folder (/root here, under pyenv): said so.
    assert ("in a home folder, which the system unit hides" in system.stderr) is (
        hidden_from_system_units(str(script)))
    timer = _cli(tmp_path, "systemd", "print", "imgur-sync-pull.timer")
    assert "OnCalendar=" in timer.stdout and "ExecStart" not in timer.stdout
    user = _cli(tmp_path, "systemd", "print", "--user")
    assert f"\nExecStart={script} run\n" in user.stdout and "User=" not in user.stdout
    wrong = _cli(tmp_path, "systemd", "print", "--user", "imgur-sync@.service")
    assert wrong.returncode == 2
    assert "'imgur-sync@.service' is not one of the user units: imgur-sync.service" in (
        wrong.stderr)


def _sources(target: Path) -> Path:
    """Copy what a build reads (no tests, caches or virtualenvs) to ``target``."""
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".*", "__pycache__", "*.egg-info", "build", "dist", "tests", "bench",
        "imgur-sync-demo"))
    return target


@pytest.mark.slow
def test_the_wheel_alone_gives_config_init_and_systemd_print(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    home, elsewhere, venv = tmp_path / "home", tmp_path / "elsewhere", tmp_path / "venv"
    home.mkdir()
    elsewhere.mkdir()
    env = _env(home)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(_sources(tmp_path / "src"))], check=True, env=env, cwd=elsewhere,
                   timeout=300)
    (wheel,) = wheels.glob("imgur_sync-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert {"imgur_sync/data/config.example.toml", "imgur_sync/data/systemd/imgur-sync.service",
            "imgur_sync/data/systemd/user/imgur-sync.service",
            "imgur_sync/mirror/gallery_static/gallery.css",
            "imgur_sync/mirror/gallery_static/gallery.js"} <= set(names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert b"\nLicense-Expression: MIT\n" in metadata and b"\nProject-URL: Source, " in metadata
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=120)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True,
                   env=env, cwd=elsewhere, timeout=300)
    script = venv / "bin" / "imgur-sync"

    def run(*args: str) -> str:
        result = subprocess.run([str(script), *args], capture_output=True, text=True, env=env,
                                cwd=elsewhere, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import imgur_sync; print(imgur_sync.__file__)"], env=env,
                           cwd=elsewhere, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the wheel's copy, not the clone
    run("config", "init")
    config = home / ".config" / "imgur-sync" / "config.toml"
    assert load_config(config, {"HOME": str(home)}).mirror.root == home / "Imgur"
    assert f"\nExecStart={script} run\n" in run("systemd", "print")
    assert f"\nExecStart={script} run\n" in run("systemd", "print", "--user")
    assert f"\nExecStart={script} pull\n" in run("systemd", "print", "imgur-sync-pull.service")
