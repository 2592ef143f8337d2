"""The files shipped in the package, and the ExecStart= a printed unit gets."""

from __future__ import annotations

import os
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

from imgur_sync.settings import load_config
from imgur_sync.settings.bundled import (
    example_config,
    hidden_from_system_units,
    installed_command,
    unit_names,
    unit_text,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "imgur_sync" / "data"


def test_the_units_and_the_example_are_found_in_the_package() -> None:
    assert unit_names() == ["imgur-sync-failure@.service", "imgur-sync-pull.service",
                            "imgur-sync-pull.timer", "imgur-sync.service",
                            "imgur-sync@.service"]
    assert unit_names(user=True) == ["imgur-sync.service"]
    assert example_config() == (DATA / "config.example.toml").read_text(encoding="utf-8")


def test_every_file_in_the_data_folder_is_package_data() -> None:
    """A unit added to imgur_sync/data/ must ship: pyproject's globs cover every file."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["imgur_sync"]
    files = [p.relative_to(ROOT / "imgur_sync").as_posix() for p in DATA.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) >= 6
    assert [f for f in files if not any(fnmatch(f, glob) for glob in globs)] == []


def test_the_shipped_files_have_no_second_copy_in_the_sources() -> None:
    """One copy: units and the example config live in imgur_sync/data/ only."""
    strays = [p for pattern in ("*.service", "*.timer", "config.example.toml")
              for p in ROOT.rglob(pattern)
              if not p.is_relative_to(DATA) and not any(part.startswith(".") or part in (
                  "build", "dist", "tests") for part in p.relative_to(ROOT).parts)]
    assert strays == []


def test_the_example_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(example_config(), encoding="utf-8")
    config = load_config(path, {"HOME": str(tmp_path)})
    assert config.mirror.root == tmp_path / "Imgur"
    assert config.uploads == ()  # its [[upload]] is an example to uncomment: none must exist


@pytest.mark.parametrize(("user", "name", "line"), [
    (False, "imgur-sync.service", "ExecStart=/opt/x/bin/imgur-sync run"),
    (False, "imgur-sync@.service", "ExecStart=/opt/x/bin/imgur-sync run"),
    (False, "imgur-sync-pull.service", "ExecStart=/opt/x/bin/imgur-sync pull"),
    (True, "imgur-sync.service", "ExecStart=/opt/x/bin/imgur-sync run"),
])
def test_a_printed_unit_runs_the_given_command(user: bool, name: str, line: str) -> None:
    text = unit_text(name, user=user, command="/opt/x/bin/imgur-sync")
    assert [x for x in text.splitlines() if x.startswith("ExecStart=")] == [line]
    assert "/usr/local/bin/imgur-sync run" not in text.split("[Unit]")[1]
    assert "%h/.local/bin" not in text


def test_a_unit_that_is_not_shipped_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        unit_text("nope.service")
    with pytest.raises(LookupError):
        unit_text("imgur-sync-pull.timer", user=True)


def _script(folder: Path) -> Path:
    folder.mkdir(parents=True)
    script = folder / "imgur-sync"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return script


def test_the_command_is_the_running_script_else_the_one_beside_python(tmp_path: Path) -> None:
    pipx = _script(tmp_path / "home" / ".local" / "bin")
    assert installed_command(str(pipx), "/usr/bin/python3") == str(pipx)
    venv = _script(tmp_path / "venv" / "bin")
    # `python -m imgur_sync`: argv[0] is __main__.py; the venv's script is beside its python.
    assert installed_command("/x/imgur_sync/__main__.py", str(venv.parent / "python")) == (
        str(venv))
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert installed_command("venv/bin/imgur-sync", "/usr/bin/python3") == str(venv)
    finally:
        os.chdir(cwd)


def test_an_odd_path_is_quoted_for_systemd(tmp_path: Path) -> None:
    odd = _script(tmp_path / "my tools" / "100%")
    assert installed_command(str(odd), "/usr/bin/python3") == (
        '"' + str(odd).replace("%", "%%") + '"')


@pytest.mark.parametrize(("command", "hidden"), [
    ("/home/alice/.local/bin/imgur-sync", True), ('"/root/my tools/imgur-sync"', True),
    ("/run/user/1000/imgur-sync", True), ("/usr/local/bin/imgur-sync", False),
    ("/homestead/bin/imgur-sync", False), ("/opt/pipx/venvs/imgur-sync/bin/imgur-sync", False),
])
def test_a_command_in_a_home_folder_is_hidden_from_system_units(command: str,
                                                                 hidden: bool) -> None:
    assert hidden_from_system_units(command) is hidden
