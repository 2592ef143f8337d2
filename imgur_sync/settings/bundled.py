"""The files that ship inside the package: the commented example config and the systemd units.

They live in ``imgur_sync/data/`` (one copy, in the wheel and the sdist), so ``imgur-sync
config init`` and ``imgur-sync systemd print`` work after ``pipx install`` with no clone of
the sources. A printed unit's ``ExecStart=`` names this machine's ``imgur-sync``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["example_config", "hidden_from_system_units", "installed_command", "unit_names",
           "unit_text"]

_EXEC_START = re.compile(r"^ExecStart=(\S+)", re.MULTILINE)
_SCRIPT = "imgur-sync"
# What the system units' ProtectHome=yes makes empty for the service.
_HOMES = ("/home", "/root", "/run/user")


def _data() -> Traversable:
    return resources.files("imgur_sync") / "data"


def example_config() -> str:
    """Return the example config: every key, commented, with its default."""
    return (_data() / "config.example.toml").read_text(encoding="utf-8")


def _units(user: bool) -> Traversable:
    folder = _data() / "systemd"
    return folder / "user" if user else folder


def unit_names(user: bool = False) -> list[str]:
    """Return the names of the system units (``user``: the user units), sorted."""
    return sorted(entry.name for entry in _units(user).iterdir()
                  if entry.name.endswith((".service", ".timer")))


def unit_text(name: str, *, user: bool = False, command: str | None = None) -> str:
    """Return unit ``name`` with ``ExecStart=`` running ``command`` (this machine's script).

    Raise LookupError for a name that is not one of :func:`unit_names`.
    """
    if name not in unit_names(user):
        raise LookupError(name)
    text = (_units(user) / name).read_text(encoding="utf-8")
    command = installed_command() if command is None else command
    return _EXEC_START.sub(lambda _: "ExecStart=" + command, text)


def installed_command(argv0: str | None = None, executable: str | None = None) -> str:
    """Return how to start this imgur-sync from a unit: an absolute path, quoted if need be.

    The script being run (pipx's ``~/.local/bin/imgur-sync``, a venv's ``bin/imgur-sync``),
    else the one beside this Python, else the one on ``$PATH``, else ``python -m``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    beside = os.path.join(os.path.dirname(executable), _SCRIPT)
    for candidate in (argv0 if os.path.basename(argv0) == _SCRIPT else None,
                      beside if os.access(beside, os.X_OK) else None,
                      shutil.which(_SCRIPT)):
        if candidate:
            return _quoted(os.path.abspath(candidate))
    return f"{_quoted(executable)} -m imgur_sync"


def _quoted(path: str) -> str:
    """Quote ``path`` for a unit's command line when it holds a space or a quote."""
    path = path.replace("%", "%%")  # a % starts a specifier in a unit file
    if re.fullmatch(r"[^\s\"'\\]+", path):
        return path
    # systemd reads C-style escapes inside double quotes.
    escaped = path.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def hidden_from_system_units(command: str) -> bool:
    """True when ``command`` lies in a home folder, which ProtectHome=yes hides from them."""
    path = command.strip('"')
    return any(path == home or path.startswith(home + "/") for home in _HOMES)
