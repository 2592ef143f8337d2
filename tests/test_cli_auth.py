"""`imgur-sync auth` end to end: the real command in a subprocess, the sandbox's authorize page."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from pull_support import cli_env

from imgur_sync.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox("demo")


@pytest.fixture
def home(tmp_path: Path, sb: Sandbox) -> dict[str, str]:
    """An environment with its own state dir and a config pointing at the sandbox."""
    config = tmp_path / "config.toml"
    config.write_text(f'[imgur]\nclient_id = "{sb.client_id}"\n'
                      f'client_secret = "{sb.client_secret}"\napi_url = "{sb.url}"\n'
                      f'[mirror]\nroot = "{tmp_path / "mirror"}"\n')
    return cli_env(tmp_path, config)


def start_auth(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "imgur_sync", "auth", "--no-browser", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def authorize_url(proc: subprocess.Popen[str]) -> str:
    """Read the command's output up to the authorization address it prints."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if "/oauth2/authorize?" in line:
            return line.strip()
    raise AssertionError("auth never printed the authorization address")


def finish(proc: subprocess.Popen[str], answer: str) -> tuple[int, str, str]:
    out, err = proc.communicate(answer + "\n", timeout=60)
    return proc.returncode, out, err


def token_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "imgur-sync" / "tokens.json"


def check_signed_in(sb: Sandbox, env: dict[str, str], code: int, out: str, err: str) -> None:
    assert code == 0, err
    assert f"Signed in as {sb.username}" in out
    path = token_file(env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text()
    access = re.search(r'"access_token": "([0-9a-f]{40})"', stored)
    assert access and sb.world.token_for(access.group(1)) is not None
    status = subprocess.run([sys.executable, "-m", "imgur_sync", "auth", "--status"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert status.returncode == 0 and f"Signed in as {sb.username}" in status.stdout
    assert "expires" in status.stdout and str(path) in status.stdout
    for secret in (access.group(1), sb.client_secret):
        assert secret not in status.stdout + status.stderr + out + err


def test_token_flow_with_the_pasted_redirect(sb: Sandbox, home: dict[str, str]) -> None:
    proc = start_auth(home)
    url = authorize_url(proc)
    assert "response_type=token" in url and "state=" in url
    redirect = requests.get(url, allow_redirects=False, timeout=10)
    assert redirect.status_code in (302, 303) and "#access_token=" in redirect.headers["Location"]
    check_signed_in(sb, home, *finish(proc, redirect.headers["Location"]))


def test_pin_flow(sb: Sandbox, home: dict[str, str]) -> None:
    proc = start_auth(home, "--pin")
    page = requests.get(authorize_url(proc), timeout=10).text
    pin = re.search(r'<code id="pin">([^<]+)</code>', page)
    assert pin
    check_signed_in(sb, home, *finish(proc, pin.group(1)))


def test_code_flow(sb: Sandbox, home: dict[str, str]) -> None:
    proc = start_auth(home, "--code")
    redirect = requests.get(authorize_url(proc), allow_redirects=False, timeout=10)
    assert "code=" in redirect.headers["Location"]
    check_signed_in(sb, home, *finish(proc, redirect.headers["Location"]))


def test_refresh_token_from_stdin(sb: Sandbox, home: dict[str, str]) -> None:
    proc = start_auth(home, "--refresh-token", "-")
    check_signed_in(sb, home, *finish(proc, sb.refresh_token))


def test_denied_or_foreign_answers_fail_clearly(sb: Sandbox, home: dict[str, str]) -> None:
    proc = start_auth(home)
    url = authorize_url(proc)
    denied = requests.get(url + "&deny=1", allow_redirects=False, timeout=10)
    code, _, err = finish(proc, denied.headers["Location"])
    assert code == 1 and "access_denied" in err and "Traceback" not in err
    assert not token_file(home).exists()

    proc = start_auth(home)
    authorize_url(proc)
    code, _, err = finish(proc, "https://example.org/nothing-here")
    assert code == 2 and "paste the whole address" in err and "Traceback" not in err

    proc = start_auth(home, "--pin")
    authorize_url(proc)
    code, _, err = finish(proc, "not-a-pin")
    assert code == 1 and "Traceback" not in err and "Invalid Pin" in err


def test_status_before_signing_in(home: dict[str, str]) -> None:
    status = subprocess.run([sys.executable, "-m", "imgur_sync", "auth", "--status"],
                            capture_output=True, text=True, env=home, cwd=ROOT, timeout=60)
    assert status.returncode == 0 and "Not signed in" in status.stdout


def test_sign_in_without_a_client_secret_says_so_first(home: dict[str, str],
                                                        tmp_path: Path) -> None:
    config = Path(home["IMGUR_SYNC_CONFIG"])
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if not line.startswith("client_secret")) + "\n")
    result = subprocess.run([sys.executable, "-m", "imgur_sync", "auth", "--no-browser"],
                            capture_output=True, text=True, env=home, cwd=ROOT, timeout=60,
                            input="")
    assert result.returncode == 2 and "client_secret" in result.stderr
    assert "oauth2/authorize" not in result.stdout  # no page to click through for nothing
