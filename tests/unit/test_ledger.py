"""The shared credit ledger: shares, the upload reserve, periods, merging out-of-order answers,
and two writers at once (api/ledger.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from imgur_sync.api import CreditLedger, RateLimited, read_ledger
from imgur_sync.paths import ledger_path
from imgur_sync.settings.config import BudgetConfig, ConfigError, load_config

NOW = 1_800_000_000.0
DAY = 86400


def headers(remaining: int, *, limit: int = 100, reset: float = DAY,
            user: int | None = None) -> dict[str, str]:
    """An answer's rate-limit headers: the client's (reset in seconds, as Imgur sends it)."""
    sent = {"X-RateLimit-ClientLimit": str(limit), "X-RateLimit-ClientRemaining": str(remaining),
            "X-RateLimit-ClientReset": str(int(reset))}
    if user is not None:
        sent.update({"X-RateLimit-UserLimit": "50", "X-RateLimit-UserRemaining": str(user),
                     "X-RateLimit-UserReset": str(int(NOW + 3600))})
    return sent


def ledger(tmp_path: Path, account: str = "alice", **kwargs: float) -> CreditLedger:
    return CreditLedger(tmp_path / "credits.db", "client1", account, **kwargs)  # type: ignore[arg-type]


def spend(book: CreditLedger, calls: int, *, cost: int = 1, now: float = NOW) -> None:
    """Make ``calls`` calls as the sandbox answers them: each one booked, then settled."""
    for _ in range(calls):
        book.take(cost, now)
        view = read_ledger(book.path, book.client_id)
        assert view is not None
        remaining = view.remaining if view.remaining is not None else 100 - cost
        book.settle(cost, headers(remaining), 200, now)


def test_an_account_stops_at_its_share_and_says_until_when(tmp_path: Path) -> None:
    alice, bob = ledger(tmp_path, share=0.25, reserve=0), ledger(tmp_path, "bob", share=0.25,
                                                                   reserve=0)
    spend(alice, 25)
    with pytest.raises(RateLimited) as refused:
        alice.take(1, NOW)
    assert str(refused.value).startswith("This account has spent its share (25%)")
    assert "25 of 100" in str(refused.value)  # and not "Imgur answered": nothing was sent
    assert refused.value.retry_after == pytest.approx(DAY, abs=2)
    spend(bob, 25)  # alice's spending left bob his own share
    view = read_ledger(tmp_path / "credits.db", "client1")
    assert view is not None
    assert [(a.account, a.reads) for a in view.accounts] == [("alice", 25), ("bob", 25)]
    assert view.remaining == 50 and view.spent == 50 and view.limit == 100


def test_reads_leave_the_reserve_to_uploads(tmp_path: Path) -> None:
    book = ledger(tmp_path, share=1.0, reserve=30)
    spend(book, 70)
    with pytest.raises(RateLimited, match="30 are kept for uploads"):
        book.take(1, NOW)
    spend(book, 3, cost=10)  # uploads may spend the reserve, and no further
    with pytest.raises(RateLimited, match="has 0 of its daily Imgur credits left"):
        book.take(10, NOW)
    view = read_ledger(book.path, "client1")
    assert view is not None and (view.accounts[0].reads, view.accounts[0].uploads) == (70, 30)


def test_the_credits_and_the_spending_renew_when_the_day_is_over(tmp_path: Path) -> None:
    book = ledger(tmp_path, share=0.25, reserve=0)
    spend(book, 25)
    with pytest.raises(RateLimited):
        book.take(1, NOW + DAY - 5)
    book.take(1, NOW + DAY + 1)  # the reset has passed: a new period, nothing spent in it
    book.settle(1, headers(99), 200, NOW + DAY + 1)
    view = read_ledger(book.path, "client1")
    assert view is not None
    assert view.period == 2 and view.remaining == 99 and view.accounts[0].reads == 1
    assert view.reset == pytest.approx(NOW + 2 * DAY + 1, abs=1)


def test_credits_that_come_back_early_start_a_new_period(tmp_path: Path) -> None:
    # A client on another clock (the sandbox's, moved on a day) sees the day end only in
    # the counts: credits never come back within a period.
    book = ledger(tmp_path, share=1.0, reserve=0)
    spend(book, 90)
    book.take(1, NOW + 10)
    book.settle(1, headers(99, reset=DAY), 200, NOW + 10)
    view = read_ledger(book.path, "client1")
    assert view is not None and view.period == 2 and view.remaining == 99
    assert view.accounts == ()  # the call was booked in the old period


def test_answers_out_of_order_keep_the_lowest_count(tmp_path: Path) -> None:
    a, b = ledger(tmp_path, reserve=0), ledger(tmp_path, "bob", reserve=0)
    a.settle(0, headers(90), 200, NOW)
    a.take(1, NOW)
    b.take(1, NOW)
    b.settle(1, headers(88), 200, NOW)  # bob's call reached Imgur second but answered first
    a.settle(1, headers(89), 200, NOW)
    view = read_ledger(a.path, "client1")
    assert view is not None and view.remaining == 88 and view.period == 1
    assert view.reset == pytest.approx(NOW + DAY, abs=1)  # unmoved by every answer's jitter


def test_a_refused_call_costs_nothing(tmp_path: Path) -> None:
    book = ledger(tmp_path, reserve=0)
    book.settle(0, headers(50, user=10), 200, NOW)
    book.take(1, NOW)
    book.settle(1, headers(50, user=10), 429, NOW)  # Imgur does not charge a 429
    book.take(1, NOW)
    book.settle(1, None, None, NOW)  # no answer: it may have been charged, so it stays booked
    view = read_ledger(book.path, "client1")
    assert view is not None and view.accounts[0].reads == 1 and view.remaining == 49
    assert (view.accounts[0].user_limit, view.accounts[0].user_remaining) == (50, 10)


def test_two_writers_at_once_book_every_call_and_pass_no_share(tmp_path: Path) -> None:
    books = [ledger(tmp_path, name, share=0.25, reserve=0) for name in ("alice", "bob")]
    books[0].settle(0, headers(1000, limit=1000), 200, NOW)
    refused = [0, 0]

    def work(n: int) -> None:
        for _ in range(300):
            try:
                books[n].take(1, NOW)
            except RateLimited:
                refused[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    view = read_ledger(tmp_path / "credits.db", "client1")
    assert view is not None
    assert [a.reads for a in view.accounts] == [250, 250] and refused == [50, 50]
    assert view.remaining == 500


def test_a_ledger_that_cannot_be_written_lets_calls_through(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "credits.db").mkdir()  # a folder where the file should be
    book = ledger(tmp_path)
    book.take(1, NOW)
    book.settle(1, headers(10), 200, NOW)
    assert "cannot be used" in caplog.text


def test_nothing_to_read_before_the_first_call(tmp_path: Path) -> None:
    assert read_ledger(tmp_path / "credits.db", "client1") is None
    ledger(tmp_path, "alice").settle(0, headers(5), 200, NOW)
    assert read_ledger(tmp_path / "credits.db", "another client") is None


@pytest.mark.parametrize(("variable", "expected"), [
    ("", "/state/acct/credits.db"),
    ("/var/lib/imgur-sync/alice", "/state/acct/credits.db"),
    ("/var/lib/imgur-sync/alice:/var/lib/imgur-sync/shared",
     "/var/lib/imgur-sync/shared/credits.db"),
])
def test_the_ledger_lives_in_the_shared_state_directory_a_unit_names(
        variable: str, expected: str) -> None:
    env = {"STATE_DIRECTORY": variable, "HOME": "/home/u"}
    assert str(ledger_path(Path("/state/acct"), env)) == expected
    if not variable:
        assert str(ledger_path(None, env)) == "/home/u/.local/state/imgur-sync/credits.db"


def test_a_server_clock_running_ahead_ends_the_period_when_it_renews(tmp_path: Path) -> None:
    # The sandbox's clock moved on in 4-hour steps while ours barely moved: each answer
    # names the reset earlier, until the day turns and it names one a day away.
    book = ledger(tmp_path, share=1.0, reserve=0)
    for step in range(6):
        book.take(1, NOW + step)
        book.settle(1, headers(99 - step, reset=DAY - 4 * 3600 * step), 200, NOW + step)
    view = read_ledger(book.path, "client1")
    assert view is not None and view.period == 1 and view.remaining == 94
    assert view.reset == pytest.approx(NOW + 5 + DAY - 4 * 3600 * 5, abs=1)
    book.take(1, NOW + 6)
    book.settle(1, headers(99, reset=DAY), 200, NOW + 6)  # 5 credits back: no jump alone
    view = read_ledger(book.path, "client1")
    assert view is not None and view.period == 2 and view.remaining == 99


def test_a_ledger_that_fails_mid_transaction_lets_the_call_through(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    book = ledger(tmp_path, reserve=0)
    book.settle(0, headers(10), 200, NOW)
    other = ledger(tmp_path, "bob")
    other.settle(0, headers(10), 200, NOW)
    assert other._db is not None
    other._db.execute("DROP TABLE spend")  # what a damaged file might do to a write
    book.take(1, NOW)  # no exception: the call is sent, unbooked
    assert "cannot be used" in caplog.text
    book.take(1, NOW)  # and the ledger is left alone from then on


def _budget(tmp_path: Path, table: str) -> BudgetConfig:
    path = tmp_path / "config.toml"
    path.write_text(f'[imgur]\nclient_id = "abc"\n[mirror]\nroot = "m"\n{table}\n',
                    encoding="utf-8")
    return load_config(path, env={"HOME": str(tmp_path)}).budget


def test_budget_reads_a_percentage_and_a_reserve(tmp_path: Path) -> None:
    assert _budget(tmp_path, "") == BudgetConfig(0.25, 500)
    assert _budget(tmp_path, '[budget]\nshare = " 10 %"\nreserve = 0') == BudgetConfig(0.1, 0)
    assert _budget(tmp_path, '[budget]\nshare = "100%"').share == 1.0


@pytest.mark.parametrize("share", ['"0.25"', '"0%"', '"101%"', '"nan%"', '"a quarter"', "25"])
def test_budget_refuses_a_share_that_is_no_percentage(tmp_path: Path, share: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _budget(tmp_path, f"[budget]\nshare = {share}")
    assert "budget.share" in str(refused.value) and 'share = "25%"' in str(refused.value)
