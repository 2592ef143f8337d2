"""`imgur-sync datasette`: the demo account's database in a real Datasette, over HTTP.

A real pull of the sandbox fills the database; the command serves it with the shipped
metadata on 127.0.0.1, and the checks read Datasette's JSON API as a browser's page would.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from pull_support import ROOT, cli_env, run_cli, write_config

from imgur_sync.cli import cli
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.models import Conversation
from imgur_sync.store import Store

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def other(conversation: Conversation, me: str) -> str:
    """The account ``me`` talks with in ``conversation``."""
    return next(m for m in conversation.members if m.lower() != me.lower())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """A running `imgur-sync datasette`; ``get`` reads its JSON API."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imgur_sync", "datasette", "--host", "127.0.0.1",
             "--port", str(self.port), *args],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            if "Uvicorn running on" in line:
                self.ready.set()
        self.ready.set()  # it ended: the wait is over, the check below says how

    def wait(self, timeout: float = 60) -> None:
        assert self.ready.wait(timeout), f"Datasette did not start in {timeout} s"
        assert self.proc.poll() is None, "".join(self.log)

    def page(self, path: str, **params: str) -> requests.Response:
        response = requests.get(f"http://127.0.0.1:{self.port}/imgur-sync{path}",
                                params=params, timeout=30)
        assert response.status_code == 200, (path, response.text[:500])
        return response

    def get(self, path: str, **params: str) -> Any:
        return self.page(path, **params).json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=20)
        assert self.proc.stderr is not None
        self.proc.stderr.close()


@pytest.fixture
def served(demo: Sandbox, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Pull the demo account with the command line, then serve its database."""
    env = cli_env(tmp_path, write_config(tmp_path, demo))
    pulled = run_cli(env, "pull")
    assert pulled.returncode == 0, pulled.stderr
    running: list[Served] = []

    def serve(*args: str) -> Served:
        running.append(Served(env, *args))
        running[-1].wait()
        return running[-1]

    yield serve
    for server in running:
        server.stop()


@pytest.mark.slow
def test_datasette_shows_labels_search_views_and_iso_times(served: Callable[..., Served],
                                                            demo: Sandbox) -> None:
    ds = served()
    world, me = demo.world, demo.username
    # Conversations are labelled by the other account, not "1011 1011".
    messages = ds.get("/messages.json", _labels="on", _shape="array", _size="max")
    names = {c.id: other(c, me) for c in world.conversations_of(me)}
    assert names and {(m["conversation_id"]["value"], m["conversation_id"]["label"])
            for m in messages} == set(names.items())
    page = ds.page("/messages").text  # the HTML a person sees links the name, not the id twice
    assert all(f'/conversations/{i}">{name}</a>' in page for i, name in names.items())
    # Album membership shows album and image titles.
    album = next(a for a in world.albums_of(me) if a.title and len(a.image_ids) > 1)
    members = ds.get("/album_images.json", _labels="on", _shape="array",
                     album_id=album.id)
    assert {m["album_id"]["label"] for m in members} == {album.title}
    titles = {i: world.images[i].title or None for i in album.image_ids}  # untitled: no label
    assert {m["image_id"]["value"]: m["image_id"]["label"] for m in members} == titles

    # Messages are searchable: one word finds exactly the messages that hold it.
    bodies = [m.body for c in world.conversations_of(me) for m in c.messages]
    word = next(w for w in re.findall(r"[A-Za-z]{5,}", bodies[-1])
                if sum(w.lower() in b.lower() for b in bodies) == 1)
    found = ds.get("/messages.json", _search=word, _shape="array")
    assert [m["body"] for m in found] == [bodies[-1]]
    assert ds.get("/messages.json", _search="xyzzynothing", _shape="array") == []

    # Favorites read as titles and links, joined to their items.
    favorites = ds.get("/favorite_items.json", _shape="array", _size="max", gallery="0")
    want = {item.id: item.title for item in world.favorites_of(me)}
    assert {f["item_id"]: f["title"] for f in favorites} == want
    assert all(f["link"] and f["item_id"] in f["link"] for f in favorites)
    assert all(ISO.fullmatch(f["first_seen_iso"]) for f in favorites)

    # Album contents in order, with the files of the mirror.
    contents = ds.get("/album_contents.json", _shape="array", _size="max", album_id=album.id)
    assert [c["image_id"] for c in contents] == album.image_ids
    assert all(c["album_title"] == album.title and c["path"].startswith("albums/")
               for c in contents)

    # Conversations with the other account's name and their message count.
    listed = ds.get("/conversation_list.json", _shape="array")
    assert {(c["with_account"], c["messages_saved"]) for c in listed} == {
        (other(c, me), len(c.messages)) for c in world.conversations_of(me)}

    # Every bookkeeping time has its ISO copy.
    for view, columns in (("albums_iso", ("first_seen_iso", "last_seen_iso")),
                          ("images_iso", ("first_seen_iso", "last_seen_iso")),
                          ("local_files_iso", ("mtime_iso", "written_at_iso"))):
        rows = ds.get(f"/{view}.json", _shape="array", _size="max")
        assert rows and all(ISO.fullmatch(row[c]) for row in rows for c in columns), view
        assert all("raw" not in row and "deletehash" not in row for row in rows)
    assert "uploads_iso" in {v["name"] for v in ds.get(".json")["views"]}

    # The shipped metadata's facets are in use.
    assert set(ds.get("/messages.json")["facet_results"]) == {"conversation_id", "sender"}


@pytest.mark.slow
def test_datasette_sees_what_the_daemon_writes_while_it_runs(
        served: Callable[..., Served], demo: Sandbox, tmp_path: Path) -> None:
    ds = served()
    assert ds.get("/messages.json", _search="heliotrope", _shape="array") == []
    conversation = demo.world.conversations_of(demo.username)[0]
    with Store(tmp_path / "state" / "imgur-sync" / "imgur-sync.db") as store:  # as a pull would
        store.save_messages(conversation.id, [
            {"id": 999001, "from": "someone", "body": "A heliotrope sky", "datetime": 1}])
    found = ds.get("/messages.json", _search="heliotrope", _shape="array", _labels="on")
    assert [(m["body"], m["conversation_id"]["label"]) for m in found] == [
        ("A heliotrope sky", other(conversation, demo.username))]


def test_without_datasette_the_command_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasette.cli", None)  # import raises ImportError
    result = CliRunner().invoke(cli, ["datasette"])
    assert result.exit_code == 2
    assert "pip install 'imgur-sync[datasette]'" in result.output
