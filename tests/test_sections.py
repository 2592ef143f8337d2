"""One list of sections: a toy section registered in it flows through the whole pull.

The toy is a "comments" section, the kind issue 12 names as the next one to add: one entry
in ``imgur_sync.sections`` plus its steps in ``pull.STEPS`` (a fetch that lists the
account's comments on the sandbox and saves them, and the text files they make), and
nothing else. It then has to be accepted by the config, get its folder from the layout,
be fetched and written by a pull, be checked by verify and be counted by status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import sandbox_config

from imgur_sync import sections
from imgur_sync.api import Transport
from imgur_sync.cli import cli
from imgur_sync.mirror.layout import SECTION_DIRS
from imgur_sync.mirror.plan import Want
from imgur_sync.mirror.pull import STEPS, Mirror, PullResult, SectionSteps
from imgur_sync.mirror.verify import verify
from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox
from imgur_sync.settings.config import ConfigError, load_config
from imgur_sync.status import collect_status, render_status
from imgur_sync.store import Store

TOY = sections.Section("comments", "comments", ("comment",), False,
                       "the account's comments, one text file each")
SAVED = "toy_comments"  # the setting the toy section saves its comments in


def fetch_comments(mirror: Mirror, full: bool, result: PullResult) -> None:
    """The toy's fetch step: every page of the account's comments, then save them."""
    comments: list[dict[str, Any]] = []
    for page in mirror._pages("3/account/me/comments/newest/{page}"):
        comments += page
    save_comments(mirror.store, comments)


def save_comments(store: Store, comments: list[dict[str, Any]]) -> None:
    """The toy's save step: the comments' ids and texts, in an existing table."""
    store.set_setting(SAVED, json.dumps([{"id": c["id"], "comment": c["comment"]}
                                         for c in comments]))


def comment_files(mirror: Mirror) -> Iterator[Want]:
    """The toy's files: one text file per saved comment."""
    for comment in json.loads(mirror.store.get_setting(SAVED) or "[]"):
        path = f"{SECTION_DIRS[TOY.name]}/{comment['id']}.txt"
        yield Want(path, "comment", None, str(comment["id"]), text=comment["comment"] + "\n")


@contextmanager
def toy_section() -> Iterator[None]:
    """Register the toy section and its steps for a ``with`` block."""
    with sections.added(TOY):
        STEPS[TOY.name] = SectionSteps(fetch_comments, comment_files)
        try:
            yield
        finally:
            del STEPS[TOY.name]


def test_every_section_has_its_fetch_step_in_the_pull() -> None:
    assert set(STEPS) == set(sections.names())
    with toy_section():
        assert set(STEPS) == set(sections.names())
        assert TOY.name not in sections.defaults()  # off unless include names it
    assert TOY.name not in sections.names() and TOY.name not in STEPS


def test_a_section_exists_once_only() -> None:
    clash = sections.Section("images2", "x", ("image",), False, "a role taken")
    with pytest.raises(ValueError, match="exists already"), sections.added(clash):
        pass  # pragma: no cover - the role clash is refused on entry
    assert "images2" not in sections.names()


def test_a_toy_section_flows_through_config_pull_layout_verify_and_status(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    path = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror")
    with path.open("a", encoding="utf-8") as config_file:
        config_file.write('include = ["images", "comments"]\n')
    with pytest.raises(ConfigError, match="comments"):
        load_config(path)  # not a section until it is registered
    expected = {f"comments/{c.id}.txt": c.comment + "\n"
                for c in sb.world.comments_by(sb.username)}
    assert expected  # the demo account wrote a comment
    state = tmp_path / "state"
    state.mkdir()
    with toy_section():
        config = load_config(path)  # config: accepted in include
        assert config.mirror.include == ("images", "comments")
        assert SECTION_DIRS["comments"] == "comments"  # layout: its folder
        transport = Transport(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token,
                              api_url=sb.url)
        with Store(database_path(state)) as store:
            result = Mirror(config, store, transport).pull()  # pull: fetched, written, recorded
            assert result.outcome == "ok", result.problems
            recorded = {row["path"]: row for row in store.iter_files(role="comment")}
            assert set(recorded) == set(expected)
            for rel, text in expected.items():
                assert (config.mirror.root / rel).read_text(encoding="utf-8") == text
            assert {row["path"].split("/")[0] for row in store.iter_files()} == {
                "images", "comments"}  # include left the other sections out

            again = Mirror(config, store, transport).pull()
            assert again.planned == {}

            rel = next(iter(expected))  # verify: the toy's files are checked like any other
            (config.mirror.root / rel).write_text("tampered\n", encoding="utf-8")
            report = verify(config.mirror.root, store, repair=False)
            assert [(p.path, p.kind) for p in report.problems] == [(rel, "corrupt")]

        status = collect_status(config, state)  # status: the section's files are counted
        assert status["counts"]["files_by_section"]["comments"] == len(expected)
        assert f"comments {len(expected)}" in render_status(status)
    assert "comments" not in SECTION_DIRS and "comment" not in sections.file_roles()


def test_only_reads_the_list_of_sections(start_sandbox: Callable[..., Sandbox],
                                         tmp_path: Path) -> None:
    sb = start_sandbox("demo")
    path = sandbox_config(tmp_path / "config.toml", sb, tmp_path / "mirror")
    runner = CliRunner()
    refused = runner.invoke(cli, ["--config", str(path), "pull", "--only", "comments,bogus"])
    assert refused.exit_code == 2
    assert "unknown section(s) bogus, comments" in refused.output
    with toy_section():
        refused = runner.invoke(cli, ["--config", str(path), "pull", "--only", "comments,bogus"])
    assert refused.exit_code == 2
    assert "unknown section(s) bogus;" in refused.output
    assert "use some of albums, images, favorites, gallery_favorites, messages, comments" in (
        " ".join(refused.output.split()))
