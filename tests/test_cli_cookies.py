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
from pull_support import ROOT, cli_env, run_cli, write_config

from imgur_sync.sandbox import Sandbox, SandboxOptions


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
    assert "not yet used by `pull`" in status.stdout and "need an OAuth token" in status.stdout
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


def test_pull_after_a_cookie_sign_in_keeps_the_config_token(sb: Sandbox, home: dict[str, str],
                                                            tmp_path: Path) -> None:
    """The cookie is no API v3 token: the pull must not send it as Bearer (Imgur refuses it)."""
    cookies = sb.write_cookies(tmp_path / "cookies.txt")
    assert run_cli(home, "auth", "--cookies", str(cookies)).returncode == 0
    pulled = run_cli(home, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert "does not use for Imgur's API v3 yet" in pulled.stderr
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
