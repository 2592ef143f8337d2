"""Where things live: the config file, the state directory (and its database), the cache.

The rules (docs/ARCHITECTURE.md §Configuration), each a pure function of an environment
mapping so tests
pass a plain dict instead of patching ``os.environ``:

- config: ``--config``, else ``$IMGUR_SYNC_CONFIG``, else
  ``$XDG_CONFIG_HOME/imgur-sync/config.toml`` (default ``~/.config``);
- state: ``$STATE_DIRECTORY`` (set by systemd's ``StateDirectory=``), else
  ``$XDG_STATE_HOME/imgur-sync`` (default ``~/.local/state``); the account's SQLite
  database is ``DB_FILE`` in it;
- cache: ``$CACHE_DIRECTORY`` (systemd's ``CacheDirectory=``), else
  ``$XDG_CACHE_HOME/imgur-sync`` (default ``~/.cache``);
- the credit ledger every account using one client id shares: ``LEDGER_FILE`` in the last
  directory ``$STATE_DIRECTORY`` names when it names several (``imgur-sync@.service`` lists
  each instance's own, then ``imgur-sync/shared``), else in the state directory.

The XDG base-directory rules are short enough to follow here rather than depend on
platformdirs: an unset, empty or relative ``$XDG_*`` variable is ignored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["APP_NAME", "DB_FILE", "LEDGER_FILE", "cache_dir", "config_path", "database_path",
           "expand_user", "ledger_path", "state_dir"]

APP_NAME = "imgur-sync"
CONFIG_FILENAME = "config.toml"
DB_FILE = "imgur-sync.db"
LEDGER_FILE = "credits.db"


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", "")
    # Without $HOME (a bare service environment) ask the OS, as the shell would.
    return Path(home) if home else Path.home()


def expand_user(path: str | Path, env: Mapping[str, str] | None = None) -> Path:
    """Expand a leading ``~`` using ``$HOME`` from ``env`` (``~user`` asks the OS)."""
    text = os.fspath(path)
    if text == "~" or text.startswith(("~/", "~" + os.sep)):
        return _home(_env(env)) / text[2:]
    return Path(text).expanduser()


def _xdg_home(env: Mapping[str, str], variable: str, default: str) -> Path:
    value = env.get(variable, "")
    # The XDG spec: "If an implementation encounters a relative path in any of these
    # variables it should consider the path invalid and ignore it."
    if value and os.path.isabs(value):
        return Path(value)
    return _home(env) / default


def _systemd_dir(env: Mapping[str, str], variable: str) -> Path | None:
    # systemd passes one path per StateDirectory=/CacheDirectory= entry, colon-separated;
    # the first is the unit's own.
    first = env.get(variable, "").split(":")[0]
    return Path(first) if first else None


def config_path(explicit: str | Path | None = None,
                env: Mapping[str, str] | None = None) -> Path:
    """Return the config file to read: ``explicit``, ``$IMGUR_SYNC_CONFIG`` or the XDG one."""
    env = _env(env)
    if explicit is not None and os.fspath(explicit) != "":
        return expand_user(explicit, env)
    from_env = env.get("IMGUR_SYNC_CONFIG", "")
    if from_env:
        return expand_user(from_env, env)
    return _xdg_home(env, "XDG_CONFIG_HOME", ".config") / APP_NAME / CONFIG_FILENAME


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the state directory (database, tokens, lock): systemd's, else XDG's."""
    env = _env(env)
    return (_systemd_dir(env, "STATE_DIRECTORY")
            or _xdg_home(env, "XDG_STATE_HOME", ".local/state") / APP_NAME)


def database_path(state: Path | None = None) -> Path:
    """Return where the account's SQLite state lives."""
    return (state or state_dir()) / DB_FILE


def ledger_path(state: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Return the credit ledger shared by every account on this machine using one client id.

    Under systemd a unit lists its own state directory first and a shared one last; with
    one directory (or none) the ledger sits in the account's state directory.
    """
    env = _env(env)
    named = [entry for entry in env.get("STATE_DIRECTORY", "").split(":") if entry]
    if len(named) > 1:
        return Path(named[-1]) / LEDGER_FILE
    return (state or state_dir(env)) / LEDGER_FILE


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the cache directory: systemd's, else XDG's."""
    env = _env(env)
    return (_systemd_dir(env, "CACHE_DIRECTORY")
            or _xdg_home(env, "XDG_CACHE_HOME", ".cache") / APP_NAME)
