"""The config file (docs/ARCHITECTURE.md §Configuration): TOML parsed once into frozen dataclasses.

Every problem is collected and raised together as one :class:`ConfigError`, each line
naming the key (``upload[2].on_local_delete``; ``[[upload]]`` tables count from 1), the
file and the fix. Secrets are layered file < environment (``IMGUR_CLIENT_SECRET``,
``IMGUR_REFRESH_TOKEN``, ``IMGUR_RAPIDAPI_KEY``); an empty variable counts as unset.
Relative paths are taken relative to the config file's folder, so a config means the same
thing whatever directory a command or service starts in.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shlex
import shutil
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from .. import sections
from ..errors import ImgurSyncError
from .checks import Checker, describe
from .durations import format_duration, parse_duration
from .sizes import format_size, parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "AlertsConfig", "BudgetConfig", "Config", "ConfigError", "ImgurConfig", "MirrorConfig",
    "ScheduleConfig", "UploadConfig", "load_config", "mask_secret",
]

Include = str  # a section's name: imgur_sync.sections lists them
OnRemoteDelete = Literal["keep", "trash"]
AlbumLinks = Literal["hardlink", "symlink", "copy"]
OnLocalDelete = Literal["keep", "remove_from_album", "delete_image"]
OnLocalChange = Literal["keep", "upload"]
Sidecars = Literal["xmp", "json", "none"]  # the metadata file beside each mirrored image

DEFAULT_API_URL = "https://api.imgur.com"
MIN_EVERY = 60  # seconds, for both intervals; see _schedule
MAX_EVERY = 365 * 86_400
# gallery-dl's default: the client id imgur.com's own pages send; Imgur can change it.
DEFAULT_WEB_CLIENT_ID = "546c25a59c58ad7"
DEFAULT_MAX_DOWNLOAD = "250MB"  # Imgur takes videos of up to 200 MB
DEFAULT_RETRIES, MAX_RETRIES = 9, 30  # nine retries ride out about two minutes of trouble
DEFAULT_TIMEOUT, MAX_TIMEOUT = "60s", 600  # the wait for an answer; a connection gets 10 s
MIN_DOWNLOAD, MAX_DOWNLOAD = 1000, 100 * 1000**3
SECRET_ENV = {"client_secret": "IMGUR_CLIENT_SECRET", "refresh_token": "IMGUR_REFRESH_TOKEN",
              "rapidapi_key": "IMGUR_RAPIDAPI_KEY"}
SECTION_KEYS = {
    "imgur": ("client_id", "client_secret", "refresh_token", "api_url", "rapidapi_key",
              "mashape_key", "web_client_id", "retries", "timeout"),
    "mirror": ("root", "include", "on_remote_delete", "album_links", "concurrency",
               "max_download_size", "sidecars", "gallery"),
    "schedule": ("pull_every", "reconcile_every", "full_every", "stuck_after"),
    "budget": ("share", "reserve"),
    "upload": ("path", "album", "on_local_delete", "on_local_change"),
    "alerts": ("on_failure", "ping_url", "metrics_file", "stale_after", "exit_after_failures"),
}
STALE_PULLS = 3  # [alerts] stale_after defaults to this many pull_every
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
# A syntax error quotes its line, but never the value of a secret written there.
_SECRET_KEY = re.compile(r"client_secret|refresh_token|rapidapi_key|mashape_key")
_WARNED: set[Path] = set()  # config files already warned about being readable by others

log = logging.getLogger(__name__)


class ConfigError(ImgurSyncError):
    """The config file is missing, unreadable or invalid; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], path: Path) -> None:
        super().__init__(problems, path)
        self.problems = list(problems)
        self.path = path

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{self.path}: {count} problem{'s' if count != 1 else ''} in the imgur-sync config"
        return "\n".join([head, *(f"  {self.path}: {problem}" for problem in self.problems)])


@dataclass(frozen=True)
class ImgurConfig:
    """The ``[imgur]`` section: which application, whose account, which endpoint."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    rapidapi_key: str | None = field(default=None, repr=False)
    #: Names of the secrets above that came from the environment rather than the file.
    from_env: frozenset[str] = frozenset()
    #: The client id imgur.com's own pages send to the web API (not a secret; Imgur may change it).
    web_client_id: str = DEFAULT_WEB_CLIENT_ID
    #: How often a failed request is tried again (so ``retries + 1`` tries in all).
    retries: int = DEFAULT_RETRIES
    #: Seconds to wait for an answer (connecting: at most 10 of them).
    timeout: int = 60


@dataclass(frozen=True)
class MirrorConfig:
    """The ``[mirror]`` section: where the copy lives and how it treats deletions."""

    root: Path
    include: tuple[Include, ...] = field(default_factory=sections.defaults)
    on_remote_delete: OnRemoteDelete = "keep"
    album_links: AlbumLinks = "hardlink"
    concurrency: int = 8
    max_download_size: int = parse_size(DEFAULT_MAX_DOWNLOAD)  # bytes, for unknown sizes
    sidecars: Sidecars = "xmp"
    gallery: bool = True  # keep the offline gallery (index.html, .gallery/) in the root


@dataclass(frozen=True)
class ScheduleConfig:
    """The ``[schedule]`` section, in seconds."""

    pull_every: int = 15 * 60
    reconcile_every: int = 7 * 86400  # a rolling reconcile covers the account this often
    stuck_after: int = 2 * 3600  # a pull with no progress for this long is stuck


@dataclass(frozen=True)
class BudgetConfig:
    """The ``[budget]`` section: this account's part of the client id's daily credits."""

    share: float = 0.25  # of the client's daily credits, for this account's reads
    reserve: int = 500  # daily credits reads leave for uploads


@dataclass(frozen=True)
class UploadConfig:
    """One ``[[upload]]`` table: a drop folder and the album it feeds."""

    path: Path
    album: str
    on_local_delete: OnLocalDelete = "remove_from_album"
    on_local_change: OnLocalChange = "keep"


@dataclass(frozen=True)
class AlertsConfig:
    """The ``[alerts]`` section: how a broken backup makes itself known."""

    stale_after: int  # seconds without a successful pull before `status --check` fails
    on_failure: tuple[str, ...] = ()  # the command run once per incident, split like a shell
    ping_url: str | None = field(default=None, repr=False)  # its path may be a secret
    metrics_file: Path | None = None
    exit_after_failures: int = 5  # failed pulls in a row that end `run`; 0 never


@dataclass(frozen=True)
class Config:
    """The whole validated config; ``path`` is the file it came from."""

    imgur: ImgurConfig
    mirror: MirrorConfig
    schedule: ScheduleConfig
    uploads: tuple[UploadConfig, ...]
    path: Path
    alerts: AlertsConfig = AlertsConfig(STALE_PULLS * ScheduleConfig.pull_every)
    budget: BudgetConfig = field(default_factory=BudgetConfig)

    def masked(self) -> str:
        """Render the resolved settings as TOML, secrets masked, for ``config check``."""
        return _render(self)


def mask_secret(value: str) -> str:
    """Return ``****`` plus the last 4 characters, those only if ``value`` is over 12 long."""
    return "****" + value[-4:] if len(value) > 12 else "****"


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config at ``path``; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    path = Path(path).absolute()
    data = _read_toml(path)
    check = Checker()
    check.unknown_keys(data, tuple(SECTION_KEYS), "", SECTION_KEYS)
    base = path.parent
    imgur = _imgur(check, check.table(data, "imgur"), env)
    mirror = _mirror(check, check.table(data, "mirror"), base, env)
    schedule = _schedule(check, check.table(data, "schedule"), _is_local(imgur.api_url))
    uploads = _uploads(check, data.get("upload", []), base, env)
    alerts = _alerts(check, check.table(data, "alerts"), base, env, schedule,
                     _is_local(imgur.api_url))
    budget = _budget(check, check.table(data, "budget"))
    if mirror.root.parts:
        _check_overlaps(check, mirror.root, uploads)
    if check.problems:
        raise ConfigError(check.problems, path)
    if not _is_local(imgur.api_url):  # a sandbox's credentials are made up: nothing to leak
        _warn_if_readable(path, [name for name in SECRET_ENV
                                 if getattr(imgur, name) and name not in imgur.from_env])
    return Config(imgur, mirror, schedule, tuple(uploads.values()), path, alerts, budget)


def _warn_if_readable(path: Path, secrets: list[str]) -> None:
    """Warn, once per file, when a config holding secrets is readable by other users."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not secrets or not mode & (stat.S_IRWXG | stat.S_IRWXO) or path in _WARNED:
        return
    _WARNED.add(path)
    # Not fixed for the user, unlike the token file: the config is theirs, and may be shared
    # on purpose with the secrets moved to the environment.
    log.warning("%s holds %s and is readable by other users (mode %04o); make it private "
                "with `chmod 600 %s`", path, " and ".join(secrets), stat.S_IMODE(mode), path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([
            "file not found. Fix: create it with `imgur-sync config init` (every key "
            "explained) and fill it in, or run `imgur-sync sandbox`, which "
            "prints an [imgur] section to paste (or point --config / $IMGUR_SYNC_CONFIG at "
            "an existing file)"], path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"not UTF-8 text ({exc.reason} at byte {exc.start}). Fix: save "
                           "the file as UTF-8"], path) from None
    except OSError as exc:
        raise ConfigError([f"cannot read the file ({exc.strerror}). Fix: check that it is a "
                           "file this user may read"], path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(str(exc), text)], path) from None


def _syntax_problem(message: str, text: str) -> str:
    position = _SYNTAX_POSITION.search(message)
    fix = ("Fix: correct the TOML there (text values need quotes, sections are [name], "
           "drop folders [[upload]], each key once per table)")
    if position is None:
        return f"TOML syntax error: {message}. {fix}"
    line, column = int(position[1]), int(position[2])
    lines = text.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    secret = _SECRET_KEY.search(shown)
    if secret:
        shown = shown[:secret.end()] + " …"
    near = f" in `{shown}`" if shown else ""
    return (f"line {line}: TOML syntax error: {message[:position.start()]} (column {column})"
            f"{near}. {fix}")


def _imgur(check: Checker, table: dict[str, Any], env: Mapping[str, str]) -> ImgurConfig:
    check.unknown_keys(table, SECTION_KEYS["imgur"], "imgur", SECTION_KEYS)
    # Optional: who signs in with the browser's cookie has no application of their own
    # (Imgur registers none since 2025); /3/'s public reads then go with the website's id.
    client_id = check.string(table, "client_id", "imgur",
                             sample='client_id = "your application\'s Client ID"')
    secrets: dict[str, str | None] = {}
    from_env: set[str] = set()
    for name in SECRET_ENV:
        secrets[name] = check.string(table, name, "imgur", sample=f'{name} = "..."',
                                     secret=True) or None
    mashape = check.string(table, "mashape_key", "imgur", sample='mashape_key = "..."',
                           secret=True)
    if mashape and secrets["rapidapi_key"]:
        check.add("imgur.mashape_key", "set together with rapidapi_key, its newer name",
                  "keep only rapidapi_key")
    secrets["rapidapi_key"] = secrets["rapidapi_key"] or mashape or None
    for name, variable in SECRET_ENV.items():
        if env.get(variable):
            secrets[name] = env[variable]
            from_env.add(name)
    if secrets["refresh_token"] and not secrets["client_secret"]:
        check.add("imgur.client_secret",
                  "missing, but refresh_token needs it to get access tokens",
                  "set client_secret under [imgur] or in $IMGUR_CLIENT_SECRET")
    api_url = check.string(table, "api_url", "imgur", sample=f'api_url = "{DEFAULT_API_URL}"')
    api_url = (DEFAULT_API_URL if api_url is None else api_url).rstrip("/")
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        check.add("imgur.api_url", f"{json.dumps(api_url)} is not an http(s) URL",
                  f'use "{DEFAULT_API_URL}", the commercial endpoint, or the URL '
                  "`imgur-sync sandbox` prints")
    web_client_id = check.string(table, "web_client_id", "imgur",
                                 sample=f'web_client_id = "{DEFAULT_WEB_CLIENT_ID}"')
    web_client_id = web_client_id or DEFAULT_WEB_CLIENT_ID
    if client_id is None and secrets["client_secret"]:
        check.add("imgur.client_id", "missing, but client_secret is set",
                  "add client_id = \"…\" (your application's Client ID) under [imgur]")
    return ImgurConfig(client_id or web_client_id, secrets["client_secret"],
                       secrets["refresh_token"], api_url, secrets["rapidapi_key"],
                       frozenset(from_env), web_client_id,
                       retries=check.integer(table, "retries", "imgur", 0, MAX_RETRIES,
                                             default=DEFAULT_RETRIES,
                                             why="tries after a failed request"),
                       timeout=_timeout(check, table))


def _mirror(check: Checker, table: dict[str, Any], base: Path,
            env: Mapping[str, str]) -> MirrorConfig:
    check.unknown_keys(table, SECTION_KEYS["mirror"], "mirror", SECTION_KEYS)
    root = check.path(table, "root", "mirror", base, env, default="~/Imgur",
                      sample='root = "~/Imgur"')
    include = check.choices(table, "include", "mirror", sections.names(),
                            default=sections.defaults())
    on_remote_delete = check.choice(table, "on_remote_delete", "mirror",
                                    get_args(OnRemoteDelete), default="keep")
    album_links = check.choice(table, "album_links", "mirror", get_args(AlbumLinks),
                               default="hardlink")
    concurrency = check.integer(table, "concurrency", "mirror", 1, 64, default=8,
                                why="parallel downloads")
    sidecars = check.choice(table, "sidecars", "mirror", get_args(Sidecars), default="xmp")
    return MirrorConfig(root or Path(), include, on_remote_delete, album_links, concurrency,
                        _max_download_size(check, table), sidecars=sidecars,
                        gallery=check.boolean(table, "gallery", "mirror", default=True))


def _max_download_size(check: Checker, table: dict[str, Any]) -> int:
    """Read ``max_download_size``: how large a download of unknown size may grow."""
    return _measure(check, table, "mirror.max_download_size", parse_size, DEFAULT_MAX_DOWNLOAD,
                    (MIN_DOWNLOAD, MAX_DOWNLOAD), '"1kB" to "100GB"')


def _timeout(check: Checker, table: dict[str, Any]) -> int:
    """Read ``[imgur] timeout``: how long a request waits for Imgur's answer, in seconds."""
    return _measure(check, table, "imgur.timeout", parse_duration, DEFAULT_TIMEOUT,
                    (1, MAX_TIMEOUT), '"1s" to "10m"')


def _measure(check: Checker, table: dict[str, Any], key: str, parse: Callable[[str], int],
             default: str, bounds: tuple[int, int], shown: str) -> int:
    """Read the amount ``key`` ("table.name"), written as a number and a unit."""
    where, name = key.split(".")
    sample = f'{name} = "{default}"'
    text = check.string(table, name, where, sample=sample)
    try:
        amount = parse(default if text is None else text)
    except ValueError as exc:
        check.add(key, str(exc), f"write a number and a unit, like {sample}")
        return parse(default)
    if not bounds[0] <= amount <= bounds[1]:
        check.add(key, f"{json.dumps(text)} is out of range",
                  f'use from {shown}; the default is "{default}"')
        return parse(default)
    return amount


def _is_local(api_url: str) -> bool:
    """True for an API on this machine (the sandbox), where no credits are at stake."""
    return urlsplit(api_url).hostname in ("127.0.0.1", "localhost", "::1")


def _schedule(check: Checker, table: dict[str, Any], local: bool = False) -> ScheduleConfig:
    check.unknown_keys(table, SECTION_KEYS["schedule"], "schedule", SECTION_KEYS)
    every: dict[str, int] = {}
    # full_every is the old name, from when the daemon ran a daily full pull: still read.
    old = "full_every" in table and "reconcile_every" not in table
    if old:
        log.warning("[schedule] full_every is deprecated: the daemon runs no full pulls any "
                    "more, and the rolling reconcile reads it as reconcile_every; rename it "
                    "to reconcile_every")
    elif "full_every" in table:
        check.add("schedule.full_every", "set together with reconcile_every, its new name",
                  "keep only reconcile_every")
    for key, default in (("pull_every", "15m"), ("reconcile_every", "7d"),
                         ("stuck_after", "2h")):
        # Each pull costs API credits, and an application gets ~12,500 a day, shared by
        # every user of its client_id; a shorter interval would burn them for nothing.
        why = ("a pull may wait minutes for a slow answer or a rate limit"
               if key == "stuck_after" else "every pull spends Imgur API credits (about "
               "12,500 a day per application)")
        name = "full_every" if old and key == "reconcile_every" else key
        every[key] = _duration(check, table, "schedule", name, default, why, local)
    return ScheduleConfig(every["pull_every"], every["reconcile_every"], every["stuck_after"])


def _duration(check: Checker, table: dict[str, Any], where: str, key: str, default: str,
              why: str, local: bool) -> int:
    """Read duration ``key``: from 1 minute (1 s against a local sandbox) to 365 days."""
    text = check.string(table, key, where, sample=f'{key} = "{default}"')
    text = default if text is None else text
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        check.add(f"{where}.{key}", str(exc), f'write a number and a unit (s, m, h, d), e.g. '
                                              f'{key} = "{default}"')
        return parse_duration(default)
    if seconds < (1 if local else MIN_EVERY):
        check.add(f"{where}.{key}",
                  f"{json.dumps(text)} is shorter than the 1 minute minimum: {why}",
                  f'use at least "1m"; the default is "{default}"')
    elif seconds > MAX_EVERY:
        check.add(f"{where}.{key}", f"{json.dumps(text)} is longer than the 365 day maximum",
                  'use at most "365d"')
    return seconds


def _alerts(check: Checker, table: dict[str, Any], base: Path, env: Mapping[str, str],
            schedule: ScheduleConfig, local: bool) -> AlertsConfig:
    check.unknown_keys(table, SECTION_KEYS["alerts"], "alerts", SECTION_KEYS)
    default = format_duration(STALE_PULLS * schedule.pull_every)
    stale_after = STALE_PULLS * schedule.pull_every
    if "stale_after" in table:  # the default follows pull_every, already checked
        stale_after = _duration(check, table, "alerts", "stale_after", default,
                                "a pull takes time, and runs only every pull_every", local)
        if stale_after <= schedule.pull_every:
            check.add("alerts.stale_after", f"{format_duration(stale_after)} is not longer than "
                      f"schedule.pull_every ({format_duration(schedule.pull_every)}), so "
                      "`status --check` would fail between two good pulls",
                      f'use a few times pull_every, like stale_after = "{default}" (the default)')
    metrics = check.path(table, "metrics_file", "alerts", base, env,
                         sample='metrics_file = "/var/lib/node_exporter/imgur-sync.prom"')
    if metrics is not None and metrics.suffix != ".prom":
        check.add("alerts.metrics_file", f"{metrics} does not end in .prom, so node_exporter's "
                  "textfile collector would not read it", "name the file like imgur-sync.prom")
    return AlertsConfig(
        stale_after, _command(check, table), _ping_url(check, table), metrics,
        check.integer(table, "exit_after_failures", "alerts", 0, 10_000, default=5,
                      why="failed pulls in a row before `run` exits; 0 never"))


def _command(check: Checker, table: dict[str, Any]) -> tuple[str, ...]:
    """Read ``on_failure``: a command split as a shell would, run without one."""
    sample = 'on_failure = "/usr/local/bin/notify-me --subject imgur-sync"'
    text = check.string(table, "on_failure", "alerts", sample=sample)
    if not text:
        return ()
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        check.add("alerts.on_failure", f"cannot be split into words ({exc})",
                  f"close the quotes, like {sample}")
        return ()
    if not argv:
        return ()
    if shutil.which(argv[0]) is None:
        check.add("alerts.on_failure", f"{json.dumps(argv[0])} is not an executable program "
                  "here", "give the full path of an executable file (no shell runs it: "
                  "write pipes and redirections in a script)")
    return argv


def _ping_url(check: Checker, table: dict[str, Any]) -> str | None:
    text = check.string(table, "ping_url", "alerts",
                        sample='ping_url = "https://hc-ping.com/your-check-uuid"')
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        check.add("alerts.ping_url", "is not an http(s) URL without a query",
                  'use the check\'s ping URL, like "https://hc-ping.com/your-check-uuid"; '
                  "/start and /fail are added to it")
        return None
    return text.rstrip("/")


def _budget(check: Checker, table: dict[str, Any]) -> BudgetConfig:
    """Read ``[budget]``: ``share = "25%"`` of the client's daily credits, ``reserve``."""
    check.unknown_keys(table, SECTION_KEYS["budget"], "budget", SECTION_KEYS)
    text = check.string(table, "share", "budget", sample='share = "25%"')
    share = BudgetConfig.share
    if text is not None:
        number = text.strip()
        try:  # NaN, "0.25" (no %) and "x%" all fail the range check below
            share = float(number[:-1]) / 100 if number.endswith("%") else math.nan
        except ValueError:
            share = math.nan
        if not 0 < share <= 1:
            check.add("budget.share", f"{json.dumps(text)} is not a percentage above 0 and at "
                      "most 100", 'write it like share = "25%" (the default): every account '
                      "using the client id needs its part of the daily credits")
            share = BudgetConfig.share
    reserve = check.integer(table, "reserve", "budget", 0, 100_000,
                            default=BudgetConfig.reserve, why="daily credits kept for uploads")
    return BudgetConfig(share, reserve)


def _uploads(check: Checker, tables: Any, base: Path,
             env: Mapping[str, str]) -> dict[int, UploadConfig]:
    """Return the ``[[upload]]`` tables with a valid path, by their 1-based number."""
    if isinstance(tables, dict):
        check.add("upload", "is a single [upload] table",
                  "write [[upload]] (double brackets): there may be several")
        tables = [tables]
    if not isinstance(tables, list):
        check.add("upload", f"expected [[upload]] tables, got {describe(tables)}",
                  'write each drop folder as [[upload]] with path = "..." and album = "..."')
        return {}
    uploads: dict[int, UploadConfig] = {}
    for number, table in enumerate(tables, start=1):
        where = f"upload[{number}]"
        if not isinstance(table, dict):
            check.add(where, f"expected a [[upload]] table, got {describe(table)}",
                      'write it as [[upload]] with path = "..." and album = "..."')
            continue
        check.unknown_keys(table, SECTION_KEYS["upload"], where, SECTION_KEYS)
        path = check.path(table, "path", where, base, env, required=True,
                          sample='path = "~/Pictures/to-imgur/cats" (the drop folder)')
        album = check.string(table, "album", where, required=True,
                             sample='album = "Cats" (an album title or id)')
        on_delete = check.choice(table, "on_local_delete", where, get_args(OnLocalDelete),
                                 default="remove_from_album")
        on_change = check.choice(table, "on_local_change", where, get_args(OnLocalChange),
                                 default="keep")
        if path is not None:  # album "" only when a problem is recorded: never returned
            uploads[number] = UploadConfig(path, album or "", on_delete, on_change)
    return uploads


def _check_overlaps(check: Checker, root: Path, uploads: dict[int, UploadConfig]) -> None:
    seen: dict[int, UploadConfig] = {}
    for number, upload in uploads.items():
        key = f"upload[{number}].path"
        if _within(upload.path, root):
            check.add(key, f"{upload.path} is inside mirror.root {root}, so pulled files "
                           "would be uploaded again", "use a drop folder outside mirror.root")
        elif _within(root, upload.path):
            check.add("mirror.root", f"{root} is inside {key} {upload.path}, so pulled "
                                     "files would be uploaded again",
                      "put mirror.root outside every drop folder")
        for other, earlier in seen.items():
            if _within(upload.path, earlier.path) or _within(earlier.path, upload.path):
                same = _within(upload.path, earlier.path) and _within(earlier.path, upload.path)
                what = (f"is the same folder as upload[{other}].path" if same else
                        f"{upload.path} and upload[{other}].path {earlier.path} contain one "
                        "another, so a file would belong to two albums")
                check.add(key, what, "give each [[upload]] its own folder, none inside another")
        seen[number] = upload


def _within(inner: Path, outer: Path) -> bool:
    # Compare both as written and with symlinks resolved: either way it is the same folder.
    return any(a == b or b in a.parents
               for a, b in ((inner, outer), (inner.resolve(), outer.resolve())))


def _render(config: Config) -> str:
    imgur, mirror, schedule = config.imgur, config.mirror, config.schedule
    lines = [f"# imgur-sync settings from {config.path}", "# defaults filled in, secrets masked",
             "", "[imgur]", f"client_id = {_toml(imgur.client_id)}",
             f"web_client_id = {_toml(imgur.web_client_id)}"]
    for name in ("client_secret", "refresh_token", "api_url", "rapidapi_key"):
        value = getattr(imgur, name)
        if value is None:
            lines.append(f"# {name} is not set")
            continue
        shown = value if name == "api_url" else mask_secret(value)
        source = f"  # from ${SECRET_ENV[name]}" if name in imgur.from_env else ""
        lines.append(f"{name} = {_toml(shown)}{source}")
    lines += [f"retries = {imgur.retries}",
              f"timeout = {_toml(format_duration(imgur.timeout))}  # {imgur.timeout} seconds"]
    lines += ["", "[mirror]", f"root = {_toml(str(mirror.root))}",
              f"include = {_toml(list(mirror.include))}",
              f"on_remote_delete = {_toml(mirror.on_remote_delete)}",
              f"album_links = {_toml(mirror.album_links)}",
              f"concurrency = {mirror.concurrency}",
              f"max_download_size = {_toml(format_size(mirror.max_download_size))}  "
              f"# {mirror.max_download_size} bytes",
              f"sidecars = {_toml(mirror.sidecars)}",
              f"gallery = {_toml(mirror.gallery)}",
              "", "[schedule]"]
    for name in ("pull_every", "reconcile_every", "stuck_after"):
        seconds = getattr(schedule, name)
        lines.append(f"{name} = {_toml(format_duration(seconds))}  # {seconds} seconds")
    lines += ["", "[budget]", f"share = {_toml(f'{config.budget.share * 100:g}%')}",
              f"reserve = {config.budget.reserve}"]
    for upload in config.uploads:
        lines += ["", "[[upload]]", f"path = {_toml(str(upload.path))}",
                  f"album = {_toml(upload.album)}",
                  f"on_local_delete = {_toml(upload.on_local_delete)}",
                  f"on_local_change = {_toml(upload.on_local_change)}"]
    if not config.uploads:
        lines += ["", "# no [[upload]] drop folders"]
    return "\n".join(lines + _render_alerts(config.alerts)) + "\n"


def _render_alerts(alerts: AlertsConfig) -> list[str]:
    lines = ["", "[alerts]", f"stale_after = {_toml(format_duration(alerts.stale_after))}  "
             f"# {alerts.stale_after} seconds",
             f"exit_after_failures = {alerts.exit_after_failures}"]
    lines.append(f"on_failure = {_toml(shlex.join(alerts.on_failure))}" if alerts.on_failure
                 else "# on_failure is not set")
    if alerts.ping_url:  # the check's path is what lets anyone ping it: shown masked
        parts = urlsplit(alerts.ping_url)
        lines.append(f"ping_url = {_toml(f'{parts.scheme}://{parts.netloc}/****')}")
    else:
        lines.append("# ping_url is not set")
    lines.append(f"metrics_file = {_toml(str(alerts.metrics_file))}" if alerts.metrics_file
                 else "# metrics_file is not set")
    return lines


def _toml(value: object) -> str:
    # JSON strings and arrays of strings are valid TOML basic strings and arrays.
    return json.dumps(value, ensure_ascii=False)
