"""``imgur-sync config check``, run as a command: exit codes, output, and no secret shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-value-XYZ-123456"
MINIMAL = '[imgur]\nclient_id = "abc123"\n'


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with no imgur-sync variables and a fake home folder."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home)}


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_check(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("IMGUR_", "XDG_"))}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args, "config", "check"],
                          capture_output=True, text=True, cwd=ROOT, env={**base, **environ},
                          timeout=60)


def test_check_of_a_bad_config_exits_2_with_the_problems(tmp_path: Path,
                                                         env: dict[str, str]) -> None:
    path = write(tmp_path, '[imgur]\nclient_id = "abc"\n[mirror]\nconcurrency = 0\n'
                           '[[upload]]\npath = "/srv/a"\nalbum = "A"\non_local_delete = "x"\n')
    result = run_check("--config", str(path), environ=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}: mirror.concurrency: 0 is out of range" in result.stderr
    assert f"{path}: upload[1].on_local_delete" in result.stderr
    assert result.stdout == ""


def test_check_of_a_missing_config_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_check("--config", str(tmp_path / "nope.toml"), environ=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "file not found" in result.stderr and "imgur-sync sandbox" in result.stderr


def test_check_prints_settings_and_never_a_secret(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, MINIMAL + f'client_secret = "{SECRET}"\n')
    result = run_check("--config", str(path),
                       environ={**env, "IMGUR_REFRESH_TOKEN": "refresh-" + SECRET})
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    shown = tomllib.loads(result.stdout)
    assert shown["imgur"]["client_secret"] == "****3456"
    assert shown["imgur"]["refresh_token"] == "****3456"
    assert shown["mirror"]["root"] == str(Path(env["HOME"]) / "Imgur")


def test_check_finds_the_config_through_the_environment(tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "imgur-sync").mkdir(parents=True)
    write(xdg / "imgur-sync", MINIMAL)
    result = run_check(environ={**env, "XDG_CONFIG_HOME": str(xdg)})
    assert result.returncode == 0, result.stderr
    assert str(xdg / "imgur-sync" / "config.toml") in result.stdout

    other = write(tmp_path, '[imgur]\nclient_id = "from-env-var"\n', "other.toml")
    result = run_check(environ={**env, "IMGUR_SYNC_CONFIG": str(other)})
    assert result.returncode == 0, result.stderr
    assert 'client_id = "from-env-var"' in result.stdout


def test_check_warns_about_a_readable_config_without_the_secret(
        tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, MINIMAL + f'client_secret = "{SECRET}"\nrefresh_token = "r-{SECRET}"\n')
    path.chmod(0o640)
    result = run_check("--config", str(path), environ=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(f"`chmod 600 {path}`") == 1
    assert "holds client_secret and refresh_token" in result.stderr
    assert SECRET not in result.stdout + result.stderr
