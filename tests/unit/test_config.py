"""The config file and the directory rules (docs/ARCHITECTURE.md §Configuration)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from imgur_sync.errors import ImgurSyncError
from imgur_sync.paths import cache_dir, config_path, expand_user, state_dir
from imgur_sync.settings.config import (
    SECTION_KEYS,
    AlertsConfig,
    ConfigError,
    ImgurConfig,
    UploadConfig,
    load_config,
    mask_secret,
)
from imgur_sync.settings.durations import format_duration, parse_duration
from imgur_sync.settings.sizes import format_size, parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-value-XYZ-123456"
MINIMAL = '[imgur]\nclient_id = "abc123"\n'
FULL = """
[imgur]
client_id = "abc123"
client_secret = "file-secret-0123456789"
refresh_token = "file-refresh-0123456789"
api_url = "http://127.0.0.1:8765/"
rapidapi_key = "rapid-0123456789"

[mirror]
root = "mirror"
include = ["albums", "favorites", "albums"]
on_remote_delete = "trash"
album_links = "symlink"
concurrency = 64
max_download_size = "1.5GB"
sidecars = "json"

[schedule]
pull_every = "1h30m"
reconcile_every = "2d"
stuck_after = "3h"

[[upload]]
path = "~/drop/cats"
album = "Cats"
on_local_delete = "delete_image"

[[upload]]
path = "/srv/drop/dogs"
album = "a1B2c3D"
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fake home folder, so ``~`` never reaches the real one."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    """An environment with no imgur-sync variables."""
    return {"HOME": str(home)}


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env)
    return caught.value


# --- valid configs -------------------------------------------------------------------


def test_minimal_config_fills_in_every_default(tmp_path: Path, home: Path,
                                               env: dict[str, str]) -> None:
    path = write(tmp_path, MINIMAL)
    config = load_config(path, env)
    assert config.path == path
    assert config.imgur == ImgurConfig(client_id="abc123")
    assert config.imgur.api_url == "https://api.imgur.com"
    assert config.imgur.client_secret is config.imgur.refresh_token is None
    assert config.mirror.root == home / "Imgur"
    assert config.mirror.include == ("albums", "images", "favorites", "gallery_favorites",
                                     "messages")
    assert (config.mirror.on_remote_delete, config.mirror.album_links) == ("keep", "hardlink")
    assert config.mirror.concurrency == 8
    assert (config.schedule.pull_every, config.schedule.reconcile_every) == (900, 7 * 86_400)
    assert config.schedule.stuck_after == 7200
    assert config.mirror.max_download_size == 250_000_000
    assert config.mirror.sidecars == "xmp"
    assert config.uploads == ()


def test_full_config_loads_every_key(tmp_path: Path, home: Path, env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, FULL), env)
    imgur = config.imgur
    assert imgur.client_secret == "file-secret-0123456789"
    assert imgur.refresh_token == "file-refresh-0123456789"
    assert imgur.rapidapi_key == "rapid-0123456789"
    assert imgur.api_url == "http://127.0.0.1:8765"
    assert imgur.from_env == frozenset()
    # A relative root is relative to the config file's folder, and stored absolute.
    assert config.mirror.root == tmp_path / "mirror"
    assert config.mirror.include == ("albums", "favorites")
    assert config.mirror.on_remote_delete == "trash"
    assert config.mirror.album_links == "symlink"
    assert config.mirror.concurrency == 64
    assert (config.schedule.pull_every, config.schedule.reconcile_every) == (5400, 172_800)
    assert config.schedule.stuck_after == 3 * 3600
    assert config.mirror.max_download_size == 1_500_000_000
    assert config.mirror.sidecars == "json"
    assert config.uploads == (
        UploadConfig(home / "drop" / "cats", "Cats", "delete_image"),
        UploadConfig(Path("/srv/drop/dogs"), "a1B2c3D", "remove_from_album"),
    )


def test_full_every_is_still_read_as_reconcile_every_with_a_warning(
        tmp_path: Path, env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[schedule]\nfull_every = "3d"\n'), env)
    assert config.schedule.reconcile_every == 3 * 86_400
    assert "full_every is deprecated" in caplog.text and "reconcile_every" in caplog.text


def test_config_is_frozen_and_its_repr_holds_no_secret(tmp_path: Path,
                                                       env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, FULL), env)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.mirror.concurrency = 1  # type: ignore[misc]
    assert "file-secret" not in repr(config)
    assert "file-refresh" not in repr(config)
    assert "rapid-0123" not in repr(config)


def test_a_cookie_user_needs_no_client_id(tmp_path: Path, env: dict[str, str]) -> None:
    """Imgur registers no applications since 2025: /3/'s public reads use the website's id."""
    config = load_config(write(tmp_path, '[mirror]\nroot = "/m"\n'), env)
    assert config.imgur.client_id == config.imgur.web_client_id == "546c25a59c58ad7"
    mine = load_config(write(tmp_path, MINIMAL + 'web_client_id = "w1"\n'), env)
    assert (mine.imgur.client_id, mine.imgur.web_client_id) == ("abc123", "w1")


def test_the_example_config_is_valid_and_documents_every_key(env: dict[str, str]) -> None:
    example = ROOT / "imgur_sync" / "data" / "config.example.toml"
    config = load_config(example, env)
    assert config.imgur.client_id
    text = example.read_text(encoding="utf-8")
    keys = ["client_id", "client_secret", "refresh_token", "api_url", "rapidapi_key",
            "root", "include", "on_remote_delete", "album_links", "concurrency",
            "max_download_size", "sidecars", "gallery", "pull_every", "reconcile_every",
            "stuck_after", "path", "album", "on_local_delete", "on_local_change", "on_failure",
            "ping_url", "metrics_file", "stale_after", "exit_after_failures"]
    assert [key for key in keys if f"{key} = " not in text] == []
    assert "mashape_key" in text and "full_every" in text  # old names, named as such
    assert [key for table in SECTION_KEYS.values() for key in table
            if key not in ("mashape_key", "full_every") and f"{key} = " not in text] == []


def test_alerts_default_to_nothing_but_a_stale_after_of_three_pulls(
        tmp_path: Path, env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[schedule]\npull_every = "20m"\n'), env)
    assert config.alerts == AlertsConfig(stale_after=3 * 20 * 60)
    assert (config.alerts.on_failure, config.alerts.ping_url, config.alerts.metrics_file,
            config.alerts.exit_after_failures) == ((), None, None, 5)


def test_alerts_are_read_and_their_ping_url_is_masked(tmp_path: Path, env: dict[str, str]
                                                      ) -> None:
    text = (MINIMAL + '[alerts]\non_failure = "/bin/echo \'backup broke\' now"\n'
            'ping_url = "https://hc-ping.com/secret-uuid-1234/"\nstale_after = "2h"\n'
            'metrics_file = "textfile/imgur-sync.prom"\nexit_after_failures = 0\n')
    config = load_config(write(tmp_path, text), env)
    assert config.alerts == AlertsConfig(
        stale_after=7200, on_failure=("/bin/echo", "backup broke", "now"),
        ping_url="https://hc-ping.com/secret-uuid-1234",
        metrics_file=tmp_path / "textfile" / "imgur-sync.prom", exit_after_failures=0)
    shown = config.masked()
    assert "secret-uuid" not in shown and "secret-uuid" not in repr(config)
    assert 'ping_url = "https://hc-ping.com/****"' in shown
    assert "on_failure = \"/bin/echo 'backup broke' now\"" in shown
    assert load_config(write(tmp_path, shown, "again.toml"), env).alerts.stale_after == 7200


# --- secrets from the environment ------------------------------------------------------


def test_environment_overrides_and_fills_secrets(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, FULL)
    config = load_config(path, {**env, "IMGUR_CLIENT_SECRET": SECRET,
                                "IMGUR_RAPIDAPI_KEY": "rapid-from-env"})
    assert config.imgur.client_secret == SECRET
    assert config.imgur.rapidapi_key == "rapid-from-env"
    assert config.imgur.refresh_token == "file-refresh-0123456789"
    assert config.imgur.from_env == {"client_secret", "rapidapi_key"}

    minimal = write(tmp_path, MINIMAL, "minimal.toml")
    filled = load_config(minimal, {**env, "IMGUR_CLIENT_SECRET": SECRET,
                                   "IMGUR_REFRESH_TOKEN": "refresh-from-env"})
    assert (filled.imgur.client_secret, filled.imgur.refresh_token) == (SECRET,
                                                                         "refresh-from-env")


def test_empty_environment_variables_count_as_unset(tmp_path: Path,
                                                    env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, FULL), {**env, "IMGUR_CLIENT_SECRET": ""})
    assert config.imgur.client_secret == "file-secret-0123456789"


def test_mashape_key_is_an_alias_of_rapidapi_key(tmp_path: Path, env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, MINIMAL + 'mashape_key = "old-name-key"\n'), env)
    assert config.imgur.rapidapi_key == "old-name-key"


# --- masking -----------------------------------------------------------------------------


@pytest.mark.parametrize(("secret", "shown"), [
    ("short", "****"), ("exactly12chr", "****"), ("thirteen-char", "****char"),
    (SECRET, "****3456"),
])
def test_mask_secret_shows_at_most_the_last_four(secret: str, shown: str) -> None:
    assert mask_secret(secret) == shown


def test_masked_settings_are_toml_without_secrets(tmp_path: Path, env: dict[str, str]) -> None:
    config = load_config(write(tmp_path, FULL), {**env, "IMGUR_REFRESH_TOKEN": SECRET})
    text = config.masked()
    for secret in (SECRET, "file-secret-0123456789", "rapid-0123456789"):
        assert secret not in text
    assert "from $IMGUR_REFRESH_TOKEN" in text
    shown = tomllib.loads(text)
    assert shown["imgur"]["refresh_token"] == "****3456"
    assert shown["imgur"]["client_secret"] == "****6789"
    assert shown["imgur"]["client_id"] == "abc123"
    assert shown["mirror"]["root"] == str(tmp_path / "mirror")
    assert shown["schedule"] == {"pull_every": "1h30m", "reconcile_every": "2d",
                                  "stuck_after": "3h"}
    assert shown["mirror"]["max_download_size"] == "1.5 GB"
    assert [upload["album"] for upload in shown["upload"]] == ["Cats", "a1B2c3D"]


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1h 30m", 5400), ("2d", 172_800),
    ("1d2h3m4s", 93_784),
])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59, "59s"), (900, "15m"), (5400, "1h30m"), (86_400, "1d"), (93_784, "1d2h3m4s"),
])
def test_format_duration_gives_the_shortest_form(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (999, "999 bytes"), (1500, "1.5 KB"), (250_000_000, "250.0 MB"),
    (3_000_000_000_000, "3000.0 GB"),
])
def test_format_size_uses_powers_of_1000(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize("text", ["", "15", "m", "15 minutes", "30m1h", "1h1h", "-5m", "1.5h"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [
    ("200MB", 200_000_000), ("1.5 GB", 1_500_000_000), ("512KiB", 524_288), ("94", 94),
    ("94 B", 94), ("2 mib", 2 * 1024**2), ("250.0 MB", 250_000_000),
])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size
    assert parse_size(format_size(size)) == pytest.approx(size, rel=0.05)  # shown to 0.1


@pytest.mark.parametrize("text", ["", "MB", "1e9", "-1MB", "5 parsecs", "1,5MB"])
def test_parse_size_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


# --- paths -----------------------------------------------------------------------------------


def test_config_path_prefers_explicit_then_env_then_xdg() -> None:
    env = {"HOME": "/home/u", "IMGUR_SYNC_CONFIG": "/etc/imgur-sync.toml",
           "XDG_CONFIG_HOME": "/xdg"}
    assert config_path("/given.toml", env) == Path("/given.toml")
    assert config_path("~/given.toml", env) == Path("/home/u/given.toml")
    assert config_path(None, env) == Path("/etc/imgur-sync.toml")
    del env["IMGUR_SYNC_CONFIG"]
    assert config_path(None, env) == Path("/xdg/imgur-sync/config.toml")
    assert config_path(None, {"HOME": "/home/u"}) == Path(
        "/home/u/.config/imgur-sync/config.toml")
    # The XDG spec says to ignore relative values.
    assert config_path(None, {"HOME": "/home/u", "XDG_CONFIG_HOME": "rel"}) == Path(
        "/home/u/.config/imgur-sync/config.toml")


def test_state_dir_takes_systemds_first_directory() -> None:
    assert state_dir({"STATE_DIRECTORY": "/var/lib/imgur-sync:/var/lib/other",
                      "HOME": "/home/u"}) == Path("/var/lib/imgur-sync")
    assert state_dir({"STATE_DIRECTORY": "/var/lib/one"}) == Path("/var/lib/one")
    assert state_dir({"XDG_STATE_HOME": "/st", "HOME": "/home/u"}) == Path("/st/imgur-sync")
    assert state_dir({"HOME": "/home/u", "STATE_DIRECTORY": ""}) == Path(
        "/home/u/.local/state/imgur-sync")


def test_cache_dir_follows_the_same_rules() -> None:
    assert cache_dir({"CACHE_DIRECTORY": "/var/cache/a:/var/cache/b"}) == Path("/var/cache/a")
    assert cache_dir({"XDG_CACHE_HOME": "/c", "HOME": "/home/u"}) == Path("/c/imgur-sync")
    assert cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/imgur-sync")


def test_expand_user_uses_home_from_the_mapping() -> None:
    assert expand_user("~", {"HOME": "/h"}) == Path("/h")
    assert expand_user("~/x/y", {"HOME": "/h"}) == Path("/h/x/y")
    assert expand_user("/abs/~x", {"HOME": "/h"}) == Path("/abs/~x")


# --- malformed configs ----------------------------------------------------------------------

UPLOAD = '[[upload]]\npath = "/srv/drop"\nalbum = "Cats"\n'
MALFORMED = [
    # (config text, the key named, a fragment of the fix)
    ('[imgur]\nclient_secret = "s"\n', "imgur.client_id: missing", 'add client_id = "'),
    ('[imgur]\nclient_id = 12345\n', "imgur.client_id: expected a string, got an integer",
     "double quotes"),
    (MINIMAL + 'client_secrt = "x"\n', "imgur.client_secrt: unknown key",
     'did you mean "client_secret"?'),
    (MINIMAL + '[mirorr]\nroot = "/m"\n', "mirorr: unknown key", 'did you mean "mirror"?'),
    ('client_id = "abc"\n[imgur]\nclient_id = "abc"\n', "client_id: unknown key",
     "move it below the [imgur] header"),
    (MINIMAL + 'api_url = "api.imgur.com"\n', "imgur.api_url", "https://api.imgur.com"),
    (MINIMAL + 'mashape_key = "a"\nrapidapi_key = "b"\n', "imgur.mashape_key",
     "keep only rapidapi_key"),
    (MINIMAL + 'refresh_token = "r"\n', "imgur.client_secret: missing",
     "$IMGUR_CLIENT_SECRET"),
    (MINIMAL + '[mirror]\ninclude = ["albums", "favourites"]\n', "mirror.include",
     'did you mean "favorites"?'),
    (MINIMAL + '[mirror]\ninclude = "albums"\n', "mirror.include: expected an array",
     'include = ["albums"'),
    (MINIMAL + '[mirror]\non_remote_delete = "delete"\n', "mirror.on_remote_delete",
     "use one of keep, trash"),
    (MINIMAL + '[mirror]\nalbum_links = "junction"\n', "mirror.album_links",
     "use one of hardlink, symlink, copy"),
    (MINIMAL + '[mirror]\nsidecars = "exif"\n', "mirror.sidecars",
     "use one of xmp, json, none"),
    (MINIMAL + '[mirror]\nconcurrency = 100\n', "mirror.concurrency: 100 is out of range",
     "from 1 to 64"),
    (MINIMAL + '[mirror]\nconcurrency = "8"\n', "mirror.concurrency: expected an integer",
     "without quotes"),
    (MINIMAL + '[mirror]\nconcurrency = true\n', "mirror.concurrency: expected an integer",
     "concurrency = 8"),
    (MINIMAL + '[schedule]\npull_every = "30s"\n', "schedule.pull_every",
     'at least "1m"'),
    (MINIMAL + '[schedule]\nstuck_after = "30s"\n', "schedule.stuck_after: \"30s\" is "
     "shorter than the 1 minute minimum: a pull may wait minutes", 'at least "1m"'),
    (MINIMAL + '[mirror]\nmax_download_size = "lots"\n', "mirror.max_download_size: "
     "\"lots\" is not a size", 'max_download_size = "250MB"'),
    (MINIMAL + '[mirror]\nmax_download_size = "10B"\n', "mirror.max_download_size: \"10B\" "
     "is out of range", 'from "1kB" to "100GB"'),
    (MINIMAL + '[mirror]\nmax_download_size = 1000\n', "mirror.max_download_size: expected "
     "a string", 'max_download_size = "250MB"'),
    (MINIMAL + '[schedule]\npull_every = "0s"\n', "schedule.pull_every", 'at least "1m"'),
    (MINIMAL + '[schedule]\npull_every = ""\n', "schedule.pull_every: \"\" is not",
     "a number and a unit"),
    (MINIMAL + 'api_url = ""\n', "imgur.api_url", "https://api.imgur.com"),
    (MINIMAL + '[schedule]\nfull_every = "daily"\n', "schedule.full_every: \"daily\" is not",
     "a number and a unit"),
    (MINIMAL + '[schedule]\nfull_every = 3600\n', "schedule.full_every: expected a string",
     'full_every = "7d"'),
    (MINIMAL + '[schedule]\nfull_every = "1d"\nreconcile_every = "2d"\n',
     "schedule.full_every: set together with reconcile_every", "keep only reconcile_every"),
    (MINIMAL + '[upload]\npath = "/srv/drop"\nalbum = "Cats"\n', "upload: is a single",
     "[[upload]] (double brackets)"),
    (MINIMAL + UPLOAD + '[[upload]]\nalbum = "Dogs"\n', "upload[2].path: missing",
     "to the 2nd [[upload]] table"),
    (MINIMAL + UPLOAD + 'on_local_delete = "trash"\n', "upload[1].on_local_delete",
     "use one of keep, remove_from_album, delete_image"),
    (MINIMAL + UPLOAD + UPLOAD, "upload[2].path: is the same folder as upload[1].path",
     "its own folder"),
    (MINIMAL + UPLOAD + '[[upload]]\npath = "/srv/drop/sub"\nalbum = "Dogs"\n',
     "upload[2].path", "none inside another"),
    (MINIMAL + '[mirror]\nroot = "/srv/imgur"\n[[upload]]\npath = "/srv/imgur/in"\n'
     'album = "A"\n', "upload[1].path: /srv/imgur/in is inside mirror.root",
     "outside mirror.root"),
    (MINIMAL + '[mirror]\nroot = "/srv/drop/imgur"\n' + UPLOAD,
     "mirror.root: /srv/drop/imgur is inside upload[1].path", "outside every drop folder"),
    (MINIMAL + UPLOAD + 'album_id = "x"\n', "upload[1].album_id: unknown key",
     'did you mean "album"?'),
    (MINIMAL + '[alerts]\non_failure = "no-such-program-here --now"\n',
     'alerts.on_failure: "no-such-program-here" is not an executable', "full path"),
    (MINIMAL + '[alerts]\non_failure = "/bin/echo \'unclosed"\n',
     "alerts.on_failure: cannot be split", "close the quotes"),
    (MINIMAL + '[alerts]\nping_url = "hc-ping.com/abc"\n', "alerts.ping_url: is not an http",
     "/start and /fail are added"),
    (MINIMAL + '[alerts]\nping_url = "https://hc-ping.com/abc?x=1"\n', "alerts.ping_url",
     "/start and /fail are added"),
    (MINIMAL + '[alerts]\nmetrics_file = "/tmp/imgur-sync.txt"\n',
     "alerts.metrics_file: /tmp/imgur-sync.txt does not end in .prom", "imgur-sync.prom"),
    (MINIMAL + '[alerts]\nstale_after = "10m"\n', "alerts.stale_after: 10m is not longer "
     "than schedule.pull_every (15m)", 'stale_after = "45m"'),
    (MINIMAL + '[alerts]\nstale_after = "often"\n', 'alerts.stale_after: "often" is not',
     "a number and a unit"),
    (MINIMAL + '[alerts]\nexit_after_failures = -1\n', "alerts.exit_after_failures: -1 is "
     "out of range", "from 0 to 10000"),
    (MINIMAL + '[alerts]\nping = "https://hc-ping.com/abc"\n', "alerts.ping: unknown key",
     'did you mean "ping_url"?'),
]


@pytest.mark.parametrize(("text", "key", "fix"), MALFORMED,
                         ids=[key.split(":")[0] + f"-{n}" for n, (_, key, _) in
                              enumerate(MALFORMED)])
def test_malformed_config_names_the_key_the_file_and_the_fix(
        tmp_path: Path, env: dict[str, str], text: str, key: str, fix: str) -> None:
    path = write(tmp_path, text)
    error = problems_of(path, env)
    assert isinstance(error, ImgurSyncError)
    assert error.path == path
    assert len(error.problems) == 1, error.problems
    [line] = [line for line in str(error).splitlines() if key in line]
    assert line.strip().startswith(f"{path}: {key}")
    assert "Fix:" in line
    assert fix in line.split("Fix:", 1)[1]


def test_every_problem_is_reported_together(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, """
[imgur]
client_secret = "abc"

[mirror]
concurency = 4
on_remote_delete = "purge"

[schedule]
pull_every = "10s"

[[upload]]
path = "/srv/a"

[[upload]]
path = "/srv/b"
album = "B"
on_local_delete = "trash"
""")
    error = problems_of(path, env)
    keys = [problem.split(":")[0] for problem in error.problems]
    assert sorted(keys) == sorted(["imgur.client_id", "mirror.concurency",
                                   "mirror.on_remote_delete", "schedule.pull_every",
                                   "upload[1].album", "upload[2].on_local_delete"])
    lines = str(error).splitlines()
    assert lines[0] == f"{path}: 6 problems in the imgur-sync config"
    assert all(line.startswith(f"  {path}: ") and "Fix: " in line for line in lines[1:])


def test_pull_every_floor_explains_api_credits(tmp_path: Path, env: dict[str, str]) -> None:
    error = problems_of(write(tmp_path, MINIMAL + '[schedule]\npull_every = "59s"\n'), env)
    assert "API credits" in str(error)


def test_toml_syntax_error_gives_the_line_and_hides_secrets(tmp_path: Path,
                                                           env: dict[str, str]) -> None:
    path = write(tmp_path, f'[imgur]\nclient_id = "abc"\nclient_secret = "{SECRET}\n')
    error = problems_of(path, env)
    assert error.problems[0].startswith("line 3: TOML syntax error")
    assert "Fix:" in error.problems[0]
    assert SECRET not in str(error)

    inline = write(tmp_path, f'imgur = {{ client_id = "abc", client_secret = "{SECRET} }}\n')
    assert SECRET not in str(problems_of(inline, env))

    error = problems_of(write(tmp_path, '[imgur]\nclient_id "abc"\n'), env)
    assert "line 2" in str(error) and 'client_id "abc"' in str(error)


def test_wrongly_typed_secret_is_not_echoed(tmp_path: Path, env: dict[str, str]) -> None:
    error = problems_of(write(tmp_path, MINIMAL + "client_secret = 987654321987\n"), env)
    assert "imgur.client_secret: expected a string" in str(error)
    assert "987654321987" not in str(error)


def test_missing_file_says_how_to_create_one(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "absent.toml"
    error = problems_of(path, env)
    assert str(path) in str(error)
    assert "file not found" in str(error)
    assert "imgur-sync config init" in str(error) and "imgur-sync sandbox" in str(error)


def test_unreadable_or_binary_file_is_a_config_error(tmp_path: Path,
                                                     env: dict[str, str]) -> None:
    assert "cannot read" in str(problems_of(tmp_path, env))  # a directory
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[imgur]")
    assert "not UTF-8" in str(problems_of(binary, env))


# --- a config readable by others -------------------------------------------------------------


def test_a_config_readable_by_others_that_holds_a_secret_is_warned_about_once(
        tmp_path: Path, env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, MINIMAL + f'client_secret = "{SECRET}"\n')
    path.chmod(0o644)
    load_config(path, env)
    load_config(path, env)  # the daemon may load it again: the warning is said once
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"{path} holds client_secret and is readable by other users (mode "
                        f"0644); make it private with `chmod 600 {path}`"]
    assert SECRET not in caplog.text
    assert path.stat().st_mode & 0o777 == 0o644  # the user's file: told, not changed


@pytest.mark.parametrize("case", ["private", "secret_from_env", "no_secret", "sandbox"])
def test_no_warning_when_nothing_secret_is_readable(
        tmp_path: Path, env: dict[str, str], caplog: pytest.LogCaptureFixture,
        case: str) -> None:
    text = MINIMAL + ("" if case in ("secret_from_env", "no_secret") else
                      f'client_secret = "{SECRET}"\n')
    if case == "sandbox":
        text += 'api_url = "http://127.0.0.1:8765"\n'
    path = write(tmp_path, text)
    path.chmod(0o600 if case == "private" else 0o644)
    if case == "secret_from_env":
        env = {**env, "IMGUR_CLIENT_SECRET": SECRET}
    load_config(path, env)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
