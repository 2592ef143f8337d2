"""`imgur-sync auth --cookies` and `--access-token -`: the real command against the sandbox.

Signing in with the browser's ``accesstoken`` cookie, the refusals that must say one sentence
and store nothing, and the OAuth page's "Error (1024)" told as it is.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from pull_support import ROOT, check_tree, cli_env, run_cli, snapshot_tree, write_config

from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.media import render_tiny_png
from imgur_sync.store import Store


def _home(tmp_path: Path, sb: Sandbox) -> dict[str, str]:
    return cli_env(tmp_path, write_config(tmp_path, sb))


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox("demo")


@pytest.fixture
def home(tmp_path: Path, sb: Sandbox) -> dict[str, str]:
    return _home(tmp_path, sb)


def token_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "imgur-sync" / "tokens.json"


def auth_stdin(env: dict[str, str], answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imgur_sync", "auth", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=90,
                          input=answer)


def refused(result: subprocess.CompletedProcess[str], env: dict[str, str], *words: str) -> None:
    """One sentence naming the fix, exit 2, nothing stored, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "export fresh cookies from a browser signed in to imgur.com" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    for word in words:
        assert word in result.stderr
    assert not token_file(env).exists()


def check_cookie_sign_in(sb: Sandbox, env: dict[str, str],
                         result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    path = token_file(env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["kind"] == "cookie" and stored["access_token"] == sb.cookie_token
    assert stored["account_username"] == sb.username
    status = run_cli(env, "auth", "--status")
    assert status.returncode == 0
    assert f"cookie as {sb.username}" in status.stdout
    assert "mirrored through Imgur's web API" in status.stdout
    assert "an OAuth refresh token is the way" in status.stdout
    overall = run_cli(env, "status", "--json")
    assert overall.returncode == 0, overall.stderr
    assert json.loads(overall.stdout)["token"]["sign_in"] == "cookie"
    for text in (result.stdout, result.stderr, status.stdout, status.stderr, overall.stdout,
                 overall.stderr):
        assert sb.cookie_token not in text


def test_cookies_file_signs_in_and_status_names_the_kind(sb: Sandbox, home: dict[str, str],
                                                         tmp_path: Path) -> None:
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    check_cookie_sign_in(sb, home, run_cli(home, "auth", "--cookies", str(cookies)))


def test_cookies_file_without_the_header_line(sb: Sandbox, home: dict[str, str],
                                              tmp_path: Path) -> None:
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    lines = cookies.read_text().splitlines()
    cookies.write_text("\n".join(line for line in lines if "Netscape" not in line) + "\n")
    check_cookie_sign_in(sb, home, run_cli(home, "auth", "--cookies", str(cookies)))


def test_access_token_from_stdin(sb: Sandbox, home: dict[str, str]) -> None:
    check_cookie_sign_in(sb, home, auth_stdin(home, sb.cookie_token + "\n",
                                              "--access-token", "-"))


def test_access_token_in_argv_is_refused(sb: Sandbox, home: dict[str, str]) -> None:
    result = run_cli(home, "auth", "--access-token", sb.cookie_token)
    assert result.returncode == 2 and "standard input" in result.stderr
    assert sb.cookie_token not in result.stdout + result.stderr
    assert not token_file(home).exists()


def test_garbage_cookies_file(sb: Sandbox, home: dict[str, str], tmp_path: Path) -> None:
    garbage = tmp_path / "cookies.txt"
    garbage.write_text("this is not\ta cookies file at all\n")
    refused(run_cli(home, "auth", "--cookies", str(garbage)), home, str(garbage),
            "not a Netscape cookies.txt")
    garbage.write_bytes(b"\xff\xfe\x00binary")
    refused(run_cli(home, "auth", "--cookies", str(garbage)), home, str(garbage))
    missing = tmp_path / "nowhere.txt"
    refused(run_cli(home, "auth", "--cookies", str(missing)), home, str(missing))


def test_cookies_file_without_the_cookie(sb: Sandbox, home: dict[str, str],
                                         tmp_path: Path) -> None:
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    text = cookies.read_text()
    other = tmp_path / "other.txt"
    other.write_text(text.replace(".imgur.com", ".example.org"))
    refused(run_cli(home, "auth", "--cookies", str(other)), home, str(other), "no accesstoken")
    renamed = tmp_path / "renamed.txt"
    renamed.write_text(text.replace("accesstoken", "sessiontoken"))
    refused(run_cli(home, "auth", "--cookies", str(renamed)), home, "no accesstoken")


def test_expired_cookie_in_the_file(sb: Sandbox, home: dict[str, str], tmp_path: Path) -> None:
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    lines = cookies.read_text().splitlines()
    expired = [line.split("\t") for line in lines]
    for fields in expired:
        if len(fields) == 7:
            fields[4] = "1600000000"  # 2020-09-13
    cookies.write_text("\n".join("\t".join(fields) for fields in expired) + "\n")
    result = run_cli(home, "auth", "--cookies", str(cookies))
    refused(result, home, "expired on 2020-09-13")
    assert sb.cookie_token not in result.stderr


def test_cookie_imgur_refuses(sb: Sandbox, home: dict[str, str], tmp_path: Path) -> None:
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    old = sb.cookie_token  # read before it expires: asking after makes a fresh one
    gone = requests.post(f"{sb.url}/__sandbox__/mutate/expire_cookies", json={}, timeout=10)
    assert gone.json()["data"] == 1
    result = run_cli(home, "auth", "--cookies", str(cookies))
    refused(result, home, "refused the cookie", str(cookies))
    assert old not in result.stdout + result.stderr
    piped = auth_stdin(home, old + "\n", "--access-token", "-")
    refused(piped, home, "refused the cookie")
    assert old not in piped.stdout + piped.stderr


def test_oauth_page_error_1024_points_to_cookies(start_sandbox: Callable[..., Sandbox],
                                                 tmp_path: Path) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(oauth_authorize="broken"))
    env = _home(tmp_path, sb)
    result = auth_stdin(env, "", "--no-browser")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "broken for everyone since mid-2025" in result.stderr
    assert "--cookies" in result.stderr
    assert not token_file(env).exists()


def test_pull_after_a_cookie_sign_in_reads_the_web_api(sb: Sandbox, home: dict[str, str],
                                                       tmp_path: Path) -> None:
    """The cookie reads the account's posts; what /3/ refuses it is said once, not failed."""
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    assert run_cli(home, "auth", "--cookies", str(cookies)).returncode == 0
    before = sb.counters.by_route.copy()
    pulled = run_cli(home, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert any("/post/v1/accounts/me/all_posts" in route and n > before.get(route, 0)
               for route, n in sb.counters.by_route.items()), sb.counters.by_route
    assert "Hidden favorites are not mirrored" in pulled.stdout
    assert "Messages are not mirrored" in pulled.stdout
    assert sb.cookie_token not in pulled.stdout + pulled.stderr


def test_a_wrong_web_client_id_is_named(sb: Sandbox, home: dict[str, str],
                                        tmp_path: Path) -> None:
    config = Path(home["IMGUR_SYNC_CONFIG"])
    config.write_text(config.read_text().replace("[imgur]\n",
                                                 '[imgur]\nweb_client_id = "0000000"\n'))
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    result = run_cli(home, "auth", "--cookies", str(cookies))
    assert result.returncode == 2 and "refused the web client id" in result.stderr
    assert "Traceback" not in result.stderr and sb.cookie_token not in result.stderr
    assert not token_file(home).exists()


def _the_2026_home(start_sandbox: Callable[..., Sandbox], tmp_path: Path,
                   ) -> tuple[Sandbox, dict[str, str], Path]:
    """The sandbox as Imgur is since 2025 (OAuth page broken, the cookie no Bearer token),
    the README's config for the cookie road (no application: only where the mirror goes,
    and the sandbox's address), and the browser's cookies.txt."""
    sb = start_sandbox("demo", options=SandboxOptions(oauth_authorize="broken",
                                                      cookie_bearer="refuse"))
    config = tmp_path / "config.toml"
    config.write_text(f'[imgur]\napi_url = "{sb.url}"\n\n[mirror]\nroot = "{tmp_path}/mirror"\n')
    return sb, cli_env(tmp_path, config), sb.write_cookies(tmp_path / "cookies.txt")


def test_a_new_user_following_the_readme_gets_every_post(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb, env, cookies = _the_2026_home(start_sandbox, tmp_path)
    outputs = [run_cli(env, "auth", "--cookies", str(cookies)), run_cli(env, "-v", "pull"),
               run_cli(env, "status"), run_cli(env, "verify")]
    status = outputs[2]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert sb.cookie_token not in result.stdout + result.stderr
    root = tmp_path / "mirror"
    with Store.open_readonly(database_path(Path(env["XDG_STATE_HOME"]) / "imgur-sync")) as store:
        assert check_tree(root, store, sb.world, sb.username,
                          unmirrored=("favorites", "messages")) == []
        for image in sb.world.images_of(sb.username):  # titles and descriptions too
            row = store.get_image(image.id)
            assert (row["title"], row["description"]) == (image.title, image.description)
    hidden = [a for a in sb.world.albums_of(sb.username) if a.privacy == "hidden"]
    assert hidden and all(list((root / "albums").glob(f"*[[]{a.id}[]]")) for a in hidden)
    assert "Not mirrored" in status.stdout and "need an OAuth token" in status.stdout
    for log in (Path(env["XDG_STATE_HOME"]) / "imgur-sync").rglob("*.log"):
        assert sb.cookie_token not in log.read_text(errors="replace")


def test_a_cookie_that_dies_is_said_in_one_sentence_and_nothing_is_lost(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb, env, cookies = _the_2026_home(start_sandbox, tmp_path)
    assert run_cli(env, "auth", "--cookies", str(cookies)).returncode == 0
    assert run_cli(env, "pull").returncode == 0
    before = snapshot_tree(tmp_path / "mirror")
    old = sb.cookie_token
    requests.post(f"{sb.url}/__sandbox__/mutate/expire_cookies", json={}, timeout=10)
    for args in (("pull",), ("pull", "--full")):
        result = run_cli(env, *args)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "export fresh cookies" in lines[0], result.stderr
        assert old not in result.stdout + result.stderr
    assert snapshot_tree(tmp_path / "mirror") == before


def test_uploads_refused_for_the_cookie_say_so_and_the_files_wait(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb, env, cookies = _the_2026_home(start_sandbox, tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    config = Path(env["IMGUR_SYNC_CONFIG"])
    config.write_text(config.read_text() + f'\n[[upload]]\npath = "{drop}"\n'
                      'album = "Dropped"\n')
    (drop / "cat.png").write_bytes(render_tiny_png(777))
    assert run_cli(env, "auth", "--cookies", str(cookies)).returncode == 0
    uploads = sb.counters.uploads
    pushed = run_cli(env, "push")
    assert pushed.returncode != 0
    assert "Traceback" not in pushed.stderr and sb.cookie_token not in pushed.stderr
    assert "does not take the browser's sign-in cookie" in pushed.stdout + pushed.stderr
    assert sb.counters.uploads == uploads  # never sent anonymously instead
    assert (drop / "cat.png").read_bytes() == render_tiny_png(777)  # it waits in its folder
    assert len([line for line in pushed.stderr.splitlines() if line.strip()]) == 1
