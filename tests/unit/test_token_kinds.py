"""The token store's kind of sign-in: OAuth tokens or the browser's cookie, old files too."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from imgur_sync.account.tokens import TokenStore, TokenStoreError
from imgur_sync.api import Tokens


def test_a_file_from_before_kinds_reads_as_oauth(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text(json.dumps(
        {"access_token": "a" * 40, "refresh_token": "r" * 40, "expires_at": None,
         "account_username": "someone", "account_id": 7, "saved_at": 1.0}))
    (tmp_path / "tokens.json").chmod(0o600)
    tokens = TokenStore(tmp_path).load()
    assert tokens is not None and tokens.kind == "oauth" and tokens.refresh_token == "r" * 40


def test_a_cookie_sign_in_round_trips_private(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, clock=lambda: 5.0)
    store.save(Tokens(access_token="c" * 32, account_username="someone", kind="cookie"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    loaded = store.load()
    assert loaded is not None and loaded.kind == "cookie" and loaded.access_token == "c" * 32
    assert "c" * 32 not in repr(loaded)


def test_an_unknown_kind_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text(json.dumps({"access_token": "x", "kind": "magic"}))
    (tmp_path / "tokens.json").chmod(0o600)
    with pytest.raises(TokenStoreError, match="sign in again"):
        TokenStore(tmp_path).load()
