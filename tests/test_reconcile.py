"""The rolling reconcile on the sandbox, on its clock: quick pulls stop at the first album
page, each carries a slice of a cycle that finds what a quick pull cannot see (an old album
retitled, an old image deleted, confirmed by a direct GET), a slice the ledger holds back
resumes where it stopped, and two accounts on one client id both finish their cycles within
a week without a 429 (docs/ARCHITECTURE.md §Reconcile)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pull_support import cli_env, run_cli, write_config
from support import FakeClock, sandbox_config

from imgur_sync.api import read_ledger
from imgur_sync.mirror import Mirror, PullResult
from imgur_sync.mirror.reconcile import MIN_SLICE, WALKED, Cycle
from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.settings.config import Config, load_config
from imgur_sync.store import Store
from imgur_sync.workspace import Workspace

HOUR, DAY = 3600, 86400
PAGE = 10  # the sandbox's listing pages, small so that small accounts have many
IMAGES, ALBUMS = 120, 25  # 13 image pages with the empty one, 3 album pages, 25 albums
ALBUMS_PAGE = "GET /3/account/<u>/albums/<int:page>"
IMAGES_PAGE = "GET /3/account/<u>/images/<int:page>"
IMAGE_GET = "GET /3/image/<image_id>"


def _seed(sb: Sandbox, username: str) -> tuple[list[str], list[str]]:
    """Give ``username`` IMAGES images and ALBUMS albums of two; return both id lists, oldest
    first (the listings show them newest first)."""
    world = sb.world
    images = [world.add_image(username, f"Image {n}", media_kind="picture").id
              for n in range(IMAGES)]
    albums = [world.add_album(username, f"Album {n}", images[2 * n:2 * n + 2]).id
              for n in range(ALBUMS)]
    return images, albums


def _sandbox(start_sandbox: Callable[..., Sandbox], **options: int | bool) -> Sandbox:
    return start_sandbox("empty", clock=FakeClock(), options=SandboxOptions(
        page_size=PAGE, favorites_page_size=PAGE, **options))  # type: ignore[arg-type]


def _config(folder: Path, sb: Sandbox, *, refresh_token: str | None = None,
            more: str = "", include: tuple[str, ...] = ("images", "albums")) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = sandbox_config(folder / "config.toml", sb, folder / "mirror",
                          include=",".join(include))
    text = path.read_text(encoding="utf-8").replace(f'include = "{",".join(include)}"',
                                                    f"include = {list(include)!r}")
    if refresh_token is not None:
        text = text.replace(sb.refresh_token, refresh_token)
    path.write_text(text + more, encoding="utf-8")
    return load_config(path)


def _pull(sb: Sandbox, config: Config, state: Path, *, full: bool = False,
          listing_only: bool = False) -> PullResult:
    """One pull on the sandbox's clock (``listing_only``: the quick fetch, no slice)."""
    with Workspace(config, purpose="test", state_dir=state, clock=sb.clock) as ws:
        mirror = Mirror(config, ws.store, ws.client.transport, clock=sb.clock)
        return mirror.list_account() if listing_only else mirror.pull(full=full)


def _routes(sb: Sandbox) -> dict[str, int]:
    return dict(sb.counters.snapshot()["by_route"])


def _cycle(state: Path) -> Cycle:
    with Store(database_path(state)) as store:
        cycle = Cycle.load(store)
    assert cycle is not None
    return cycle


def _row(state: Path, table: str, item_id: str) -> dict[str, object]:
    with Store(database_path(state)) as store:
        row = store.get_image(item_id) if table == "images" else store.get_album(item_id)
    assert row is not None
    return row


def test_a_quick_pull_reads_one_album_page_and_a_small_slice(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = _sandbox(start_sandbox)
    _seed(sb, sb.username)
    config = _config(tmp_path, sb)
    state = tmp_path / "state"
    cold = _pull(sb, config, state)
    assert cold.outcome == "ok"
    assert _cycle(state).start == sb.clock()  # the cold pull read everything: a cycle

    before = _routes(sb)
    listed = _pull(sb, config, state, listing_only=True)
    after = _routes(sb)
    assert after[ALBUMS_PAGE] - before[ALBUMS_PAGE] == 1  # of 3 pages, all known
    assert _spent(before, after) == 2 and listed.outcome == "ok"  # and one of images

    quick = _pull(sb, config, state)
    assert quick.outcome == "ok"
    assert _spent(after, _routes(sb)) <= 2 + MIN_SLICE  # with a minimal slice


def _spent(before: dict[str, int], after: dict[str, int]) -> int:
    """The calls that cost credits between two snapshots (a token's refresh is free)."""
    return sum(n - before.get(route, 0) for route, n in after.items()
               if not route.startswith("POST /oauth2/"))


def test_the_rolling_reconcile_finds_an_old_retitle_and_a_deletion_at_its_cycles_end(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = _sandbox(start_sandbox)
    images, albums = _seed(sb, sb.username)
    config = _config(tmp_path, sb, more='\n[schedule]\npull_every = "2h"\n'
                                        'reconcile_every = "2d"\n')
    state = tmp_path / "state"
    assert _pull(sb, config, state).outcome == "ok"
    started = sb.clock()
    # The oldest album and image: at the bottom of their listings, never on a first page.
    sb.world.retitle_album(albums[0], "Renamed long after")
    gone = images[-ALBUMS * 2 - 1]  # in no album: only the images listing shows it
    sb.world.delete_image(gone)

    retitled_at = removed_at = None
    for n in range(1, 25):
        sb.advance(2 * HOUR)
        gets_before = _routes(sb).get(IMAGE_GET, 0)
        result = _pull(sb, config, state)
        assert result.outcome == "ok", result.problems
        cycle = _cycle(state)
        if retitled_at is None and _row(state, "albums", albums[0])["title"] == \
                "Renamed long after":
            retitled_at = n
        if removed_at is None and _row(state, "images", gone)["removed_at"] is not None:
            removed_at = n
            # Confirmed by its GET in this very pull, which ended the cycle.
            assert _routes(sb)[IMAGE_GET] > gets_before
            assert cycle.start == sb.clock() and cycle.last_cost
        elif removed_at is None:  # never before the cycle walked the whole listing
            assert cycle.start == started
    assert retitled_at is not None and removed_at is not None
    assert retitled_at * 2 * HOUR <= 2 * DAY and removed_at * 2 * HOUR <= 2 * DAY
    assert removed_at >= retitled_at  # images first, then albums, then the GETs


def test_the_cycle_ends_with_the_favorites_read_whole(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    # A quick pull reads the top of the favorites: a favorite taken back further down, or an
    # image added to a favorited album, waits for the cycle's end, within reconcile_every.
    sb = _sandbox(start_sandbox)
    images, albums = _seed(sb, sb.username)
    for item in [albums[3], *images[:30]]:  # 4 pages of favorites; the album at the bottom
        sb.world.favorite(sb.username, item)
    config = _config(tmp_path, sb, include=("images", "albums", "favorites"),
                     more='\n[schedule]\npull_every = "2h"\nreconcile_every = "2d"\n')
    state = tmp_path / "state"
    assert _pull(sb, config, state).outcome == "ok"
    taken_back, added = images[1], images[-1]
    sb.world.toggle_favorite(sb.username, taken_back)
    sb.world.add_album_images(albums[3], [added])
    started = sb.clock()

    def mirrored() -> tuple[bool, bool]:
        with Store(database_path(state)) as store:
            kept = {row["item_id"] for row in store.iter_favorites(False)}
            members = store.get_cursor(f"favorite_album_members:{albums[3]}") or ""
        return taken_back not in kept, added in members

    for _ in range(24):
        sb.advance(2 * HOUR)
        assert _pull(sb, config, state).outcome == "ok"
        if mirrored() == (True, True):
            break
        assert mirrored() == (False, False)  # the favorites are read whole, or not at all
        assert _cycle(state).start == started
    else:
        pytest.fail("the favorites were never reconciled")
    assert sb.clock() - started <= 2 * DAY
    assert _cycle(state).start == sb.clock()  # they ended the cycle


def test_deletions_are_found_as_their_pages_are_read_not_at_the_cycles_end(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = _sandbox(start_sandbox)
    world = sb.world
    # Dated a minute apart, as uploads are: the listing is newest first by date, so page k
    # holds images 119 - 10k down to 110 - 10k.
    images = [world.add_image(sb.username, f"Image {n}", media_kind="picture",
                              datetime=1_700_000_000 + 60 * n).id for n in range(IMAGES)]
    config = _config(tmp_path, sb, more='\n[schedule]\npull_every = "2h"\n'
                                        'reconcile_every = "2d"\n')
    state = tmp_path / "state"
    assert _pull(sb, config, state).outcome == "ok"
    started = sb.clock()
    inside, edge = images[35], images[69]  # inside page 8; the newest of page 5
    world.delete_image(inside)
    world.delete_image(edge)
    gets = _routes(sb).get(IMAGE_GET, 0)
    for _ in range(24):
        sb.advance(2 * HOUR)
        assert _pull(sb, config, state).outcome == "ok"
        if all(_row(state, "images", i)["removed_at"] is not None for i in (inside, edge)):
            break
    else:
        pytest.fail("the deletions were never found")
    assert _routes(sb)[IMAGE_GET] == gets + 2  # each its own confirming GET, no other
    cycle = _cycle(state)
    assert cycle.start == started and cycle.images != WALKED  # long before the cycle's end
    assert all(_row(state, "images", i)["removed_at"] is None
               for i in images if i not in (inside, edge))


def test_a_first_pull_the_budget_cut_short_is_finished_by_the_next_days_not_restarted(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    # 25 reads a day for the account; its images alone take 31 pages.
    sb = _sandbox(start_sandbox, client_limit=100, enforce_rate_limits=True)
    world = sb.world
    images = [world.add_image(sb.username, f"Image {n}", media_kind="picture").id
              for n in range(300)]
    albums = [world.add_album(sb.username, f"Album {n}", images[2 * n:2 * n + 2]).id
              for n in range(5)]
    config = _config(tmp_path, sb, more='\n[schedule]\npull_every = "1d"\n'
                                        '[budget]\nreserve = 0\n')
    state = tmp_path / "state"
    first = _pull(sb, config, state)
    assert first.outcome == "ok" and first.deferred is not None  # a deferral, no failure
    days = 0
    while days < 7:
        days += 1
        sb.advance(DAY)
        before = _routes(sb)
        assert _pull(sb, config, state).outcome == "ok"
        with Store(database_path(state)) as store:
            have = {row["id"] for row in store.iter_images(owned=True)}
            have_albums = {row["id"] for row in store.iter_albums()}
        if have == set(images) and have_albums == set(albums):
            break
        # Each day goes on where the last stopped: no walk from the top past known pages.
        assert _routes(sb)[IMAGES_PAGE] - before.get(IMAGES_PAGE, 0) <= 25
    else:
        pytest.fail("the mirror never got the whole account")
    assert days <= 5 and "429" not in sb.counters.snapshot()["by_status"]
    assert (tmp_path / "mirror").is_dir()


def test_a_deletion_is_not_recorded_when_its_confirming_get_does_not_say_404(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = _sandbox(start_sandbox)
    images, _ = _seed(sb, sb.username)
    config = _config(tmp_path, sb, more='\n[schedule]\nreconcile_every = "1d"\n')
    state = tmp_path / "state"
    assert _pull(sb, config, state).outcome == "ok"
    hidden = images[0]
    # The listing leaves it out, but a direct GET still finds it.
    sb.world.delete_image(hidden)
    sb.world.raw_answer(f"/3/image/{hidden}", {"id": hidden, "title": "still here"})
    for _ in range(12):
        sb.advance(4 * HOUR)
        assert _pull(sb, config, state).outcome == "ok"
    assert _cycle(state).last_cost  # a cycle ended, and asked Imgur
    assert _routes(sb).get(IMAGE_GET, 0) >= 1
    assert _row(state, "images", hidden)["removed_at"] is None


LIMIT = 400  # the client's daily credits: a quarter (100) each, a cycle costs about 60


def test_a_reconcile_held_back_resumes_where_it_stopped_and_is_no_failure(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    # Imgur's hourly allowance for the user: the cold pull (about 42 calls) fits in it, an
    # overdue cycle after it does not; the client holds the rest back until the hour turns.
    sb = _sandbox(start_sandbox, user_limit=50, enforce_rate_limits=True)
    _seed(sb, sb.username)
    config = _config(tmp_path, sb, more='\n[schedule]\npull_every = "10m"\n'
                                        'reconcile_every = "10m"\n')
    state = tmp_path / "state"
    assert _pull(sb, config, state).outcome == "ok"
    sb.advance(600)
    before = _routes(sb)
    caplog.set_level(logging.INFO)
    held = _pull(sb, config, state)
    assert held.outcome == "ok" and not held.problems and held.deferred is not None
    assert "carries on" in caplog.text
    with Store(database_path(state)) as store:
        assert store.counts()["open_failures"] == 0  # a deferral, not a failure
    stopped = _cycle(state)
    assert stopped.done > 0 and stopped.last_cost is None  # stopped mid-cycle
    assert stopped.images == stopped.done == 6  # the quick part took 2 of the 8 left

    sb.advance(HOUR)  # a new hour: the cycle carries on from its place, and ends
    resumed_pull = _pull(sb, config, state)
    assert resumed_pull.outcome == "ok" and resumed_pull.deferred is None
    resumed = _cycle(state)  # on past its images; ended, when the credits allowed it all
    assert (resumed.done > stopped.done and resumed.images == WALKED) or (
        resumed.last_cost and resumed.start > stopped.start)
    # Each image page once (12 and the empty one), one a quick pull each, and one page of
    # overlap where the slice resumed.
    assert _routes(sb)[IMAGES_PAGE] - before[IMAGES_PAGE] == 13 + 2 + 1
    sb.advance(HOUR)
    assert _pull(sb, config, state).outcome == "ok"
    assert _cycle(state).last_cost  # and the cycle ended
    assert "429" not in sb.counters.snapshot()["by_status"]


def test_two_accounts_on_one_client_id_both_finish_a_cycle_within_a_week(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sb = _sandbox(start_sandbox, client_limit=LIMIT, enforce_rate_limits=True)
    other = "catlover"
    sb.world.add_account(other)
    _seed(sb, sb.username)
    _seed(sb, other)
    token = sb.world.issue_token(other, sb.client_id).refresh_token
    shared = tmp_path / "state" / "shared"
    more = '\n[schedule]\npull_every = "4h"\n[budget]\nshare = "25%"\nreserve = 20\n'
    accounts = {
        name: (_config(tmp_path / name, sb, refresh_token=refresh, more=more),
               tmp_path / "state" / name)
        for name, refresh in (("main", None), (other, token))}
    started = sb.clock()
    first_cycle: dict[str, Cycle] = {}
    for step in range(7 * 6):
        for name, (config, state) in accounts.items():
            monkeypatch.setenv("STATE_DIRECTORY", f"{state}:{shared}")
            result = _pull(sb, config, state)
            assert result.outcome == "ok", (name, result.problems)
            cycle = _cycle(state)
            if step and cycle.last_cost and name not in first_cycle:
                first_cycle[name] = cycle
        ledger = read_ledger(shared / "credits.db", sb.client_id)
        assert ledger is not None
        assert all(a.reads <= LIMIT // 4 for a in ledger.accounts), ledger.accounts
        sb.advance(4 * HOUR)
    assert set(first_cycle) == {"main", other}
    assert all(c.start - started <= 7 * DAY for c in first_cycle.values())
    assert "429" not in sb.counters.snapshot()["by_status"]


def test_pull_full_says_first_what_it_costs_and_what_is_left(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    env = cli_env(tmp_path, write_config(tmp_path, sb))
    first = run_cli(env, "pull", "--full")
    assert first.returncode == 0, first.stderr
    assert "the credit ledger has no figures for today yet" in first.stdout  # a new ledger
    again = run_cli(env, "pull", "--full")
    assert again.returncode == 0, again.stderr
    line = next(x for x in again.stdout.splitlines() if x.startswith("A full pull reads"))
    cost = int(re.search(r"about (\d+) API requests", line)[1])  # type: ignore[index]
    done = int(re.search(r"(\d+) API requests\.", again.stdout)[1])  # type: ignore[index]
    assert abs(cost - done) <= 3  # the estimate, from the counts the first pull saved
    left = int(re.search(r"may read (\d+) more today", line)[1])  # type: ignore[index]
    assert left == 12500 // 4 - first_spent(first.stdout)


def first_spent(stdout: str) -> int:
    """The credits the first pull spent, from its summary (the token's refresh is free)."""
    return int(re.search(r"(\d+) API requests\.", stdout)[1]) - 1  # type: ignore[index]
