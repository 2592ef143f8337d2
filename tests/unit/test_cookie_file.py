"""Reading the accesstoken cookie out of the cookies.txt files browsers really export."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgur_sync.account.cookies import read_cookie_file
from imgur_sync.errors import UsageError

NOW = 1_800_000_000.0
LATER = "1999999999"


def read(tmp_path: Path, body: str) -> str:
    path = tmp_path / "cookies.txt"
    path.write_text(body, encoding="utf-8", newline="")
    return read_cookie_file(path, NOW)


@pytest.mark.parametrize("body, value", [
    (f"#HttpOnly_.imgur.com\tTRUE\t/\tTRUE\t{LATER}\taccesstoken\tabc123\r\n", "abc123"),
    ("# Netscape HTTP Cookie File\n\n.imgur.com\tTRUE\t/\tTRUE\t0\taccesstoken\tsess\n", "sess"),
    (f"imgur.com\tTRUE\t/\tTRUE\t{LATER}\taccesstoken\thost\n", "host"),
    (f".imgur.com\tTRUE\t/\tTRUE\t1000\taccesstoken\told\n"
     f".imgur.com\tTRUE\t/\tTRUE\t{LATER}\taccesstoken\tnew\n", "new"),
], ids=["httponly-crlf-no-header", "session-cookie", "flag-disagrees-with-dot", "newest-live"])
def test_exports_as_browsers_write_them(tmp_path: Path, body: str, value: str) -> None:
    assert read(tmp_path, body) == value


@pytest.mark.parametrize("body, words", [
    (f"evilimgur.com\tTRUE\t/\tTRUE\t{LATER}\taccesstoken\tv\n", "no accesstoken"),
    (f".imgur.com\tTRUE\t/\tTRUE\t{LATER}\taccesstoken\tv 2;x\n", "not a cookie value"),
    (".imgur.com\tTRUE\t/\tTRUE\t1600000000\taccesstoken\tv\n", "expired on 2020-09-13"),
    ("", "no accesstoken"),
], ids=["lookalike-domain", "bad-value", "expired", "empty"])
def test_refusals_name_the_file_and_the_fix(tmp_path: Path, body: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        read(tmp_path, body)
    message = str(caught.value)
    assert words in message and str(tmp_path / "cookies.txt") in message
    assert "export fresh cookies from a browser signed in to imgur.com" in message
