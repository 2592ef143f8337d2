"""Metadata beside the files against the sandbox: sidecars, album.json, account.json.

docs/ARCHITECTURE.md §Metadata files. The world of the sandbox is the truth every file is
checked against; the pulls run in process through the rig of ``test_pull``.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pull_support import id_of, snapshot_tree
from test_pull import Rig, make_rig

from imgur_sync.mirror import Mirror
from imgur_sync.sandbox import Sandbox
from imgur_sync.store import Store

NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "dc": "http://purl.org/dc/elements/1.1/", "xmp": "http://ns.adobe.com/xap/1.0/"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Return ``rig(scenario, mirror options…)``: a sandbox and a store to pull into."""
    rigs: list[Rig] = []

    def make(scenario: str = "demo", **mirror: str | int) -> Rig:
        rigs.append(make_rig(start_sandbox(scenario), tmp_path, **mirror))
        return rigs[-1]

    yield make
    for made in rigs:
        made.store.close()


def read_xmp(path: Path) -> dict[str, object]:
    """Parse an XMP sidecar (a parse error fails the test); return its fields."""
    description = ET.parse(path).getroot().find("rdf:RDF/rdf:Description", NS)
    assert description is not None, path

    def alt(tag: str) -> str | None:
        item = description.find(f"dc:{tag}/rdf:Alt/rdf:li", NS)
        return None if item is None else item.text or ""

    return {"title": alt("title"), "description": alt("description"),
            "tags": [li.text for li in description.findall("dc:subject/rdf:Bag/rdf:li", NS)],
            "id": description.findtext("dc:identifier", namespaces=NS),
            "date": description.findtext("xmp:CreateDate", namespaces=NS)}


def metadata_files(root: Path) -> dict[str, Path]:
    """Return every sidecar, album.json and account.json under ``root`` (not .trash)."""
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith((".xmp", ".json")):
                path = Path(folder, name)
                found[path.relative_to(root).as_posix()] = path
    return found


def sidecars_of(root: Path, image_id: str, suffix: str = ".xmp") -> list[Path]:
    return sorted(p for p in root.rglob(f"*{suffix}")
                  if ".trash" not in p.parts and id_of(p.name[:-len(suffix)]) == image_id)


def iso(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pulled(made: Rig, **kwargs: object) -> Rig:
    result = made.pull(**kwargs)
    assert result.outcome == "ok", result.problems
    return made


# -- what the files hold ----------------------------------------------------------------------


def test_every_owned_image_has_an_xmp_sidecar_with_title_description_and_date(
        rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    sb, root = made.sb, made.root
    assert made.check() == []
    owned = sb.world.images_of(sb.username)
    for image in owned:
        [file] = made.files_of(image.id, "images")
        sidecar = file.with_name(file.name + ".xmp")
        fields = read_xmp(sidecar)
        assert fields["title"] == image.title and fields["description"] == image.description
        assert (fields["id"], fields["date"]) == (image.id, iso(image.datetime))
    assert len(list((root / "images").glob("*.xmp"))) == len(owned)
    # A favorite of someone else's is kept in favorites/, its sidecar beside it, with tags.
    tabby = next(i for i in sb.world.images.values() if i.title == "Tabby appreciation post")
    [sidecar] = sidecars_of(root, tabby.id)
    assert sidecar.parent == root / "favorites" and read_xmp(sidecar)["tags"] == ["cats"]
    # Links in album folders get none: album.json speaks for them.
    assert not list((root / "albums").rglob("*.xmp"))


def test_album_and_account_files(rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    sb, root = made.sb, made.root
    for album in sb.world.albums_of(sb.username):
        info = json.loads((made.album_dir(album.id) / "album.json").read_text())
        assert (info["id"], info["title"], info["description"]) == (
            album.id, album.title, album.description)
        assert info["order"] == album.image_ids and info["privacy"] == album.privacy
        assert info["datetime"] == iso(album.datetime)
        assert sorted(info["files"]) == sorted(album.image_ids)
        for image_id, name in info["files"].items():
            assert id_of(name) == image_id and (made.album_dir(album.id) / name).is_file()
    account = json.loads((root / "account.json").read_text())
    assert account["username"] == sb.username and account["counts"]["images"] == 12
    # Deterministic bytes, and no secret in any metadata file.
    secrets = [sb.client_secret, sb.refresh_token, made.transport.tokens.access_token]
    secrets += [i.deletehash for i in sb.world.images.values()]
    for path in metadata_files(root).values():
        data = path.read_bytes()
        assert not [s for s in secrets if s and s.encode() in data], path
        if path.suffix == ".json":
            assert data == (json.dumps(json.loads(data), indent=2, sort_keys=True,
                                       ensure_ascii=False) + "\n").encode()


def test_json_sidecars_carry_the_record_and_none_writes_none(rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo", sidecars="json"))
    sb, root = made.sb, made.root
    owned = sb.world.images_of(sb.username)
    assert not list(root.rglob("*.xmp"))
    for image in owned:
        [sidecar] = sidecars_of(root, image.id, ".json")
        record = json.loads(sidecar.read_text())
        assert (record["id"], record["title"], record["size"]) == (image.id, image.title,
                                                                    image.size)
        assert "deletehash" not in record  # it lets anyone delete the image
    # A user's own file that only looks like a sidecar is never removed.
    [kitten] = made.files_of(owned[0].id, "images")
    theirs = kitten.with_name(kitten.name + ".xmp")
    theirs.write_text("<mine/>")

    config = replace(made.config, mirror=replace(made.config.mirror, sidecars="none"))
    assert Mirror(config, made.store, made.transport).pull().outcome == "ok"
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.name.endswith((".xmp", ".json")))
    assert left == sorted([theirs.relative_to(root).as_posix(), "account.json",
                           *(f"albums/{d.name}/album.json" for d in (root / "albums").iterdir()),
                           *(f"{s}/{d.name}/album.json" for s in ("favorites", "gallery-favorites")
                             for d in (root / s).iterdir() if d.is_dir())])
    assert theirs.read_text() == "<mine/>"


def test_a_sidecar_another_program_rewrote_is_left_alone(rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    judge = next(i for i in made.sb.world.images.values() if i.title == "The judge")
    [sidecar] = sidecars_of(made.root, judge.id)
    theirs = ('<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">'
              "<!-- darktable's edits --></x:xmpmeta>\n")
    sidecar.write_text(theirs)
    made.sb.world.retitle_image(judge.id, "The judge", "A new description")
    pulled(made, full=True)
    assert sidecar.read_text() == theirs


# -- changes upstream -------------------------------------------------------------------------


def test_a_retitle_renames_the_sidecar_and_moves_album_json(rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    sb, root = made.sb, made.root
    kitten = next(i for i in sb.world.images.values() if i.title == "Kitten in a teacup")
    cats = next(a for a in sb.world.albums.values() if a.title == "Cats")
    [before] = sidecars_of(root, kitten.id)
    notes = root / "images" / "notes.txt"
    notes.write_text("mine")
    sb.world.retitle_image(kitten.id, "Kitten, renamed", "Now with a description")
    sb.world.retitle_album(cats.id, "Cats & more")

    pulled(made, full=True)
    assert [p for p in made.check() if "notes.txt" not in p] == []
    [after] = sidecars_of(root, kitten.id)
    assert after.name.startswith("Kitten, renamed [") and not before.exists()
    assert read_xmp(after)["title"] == "Kitten, renamed"
    assert read_xmp(after)["description"] == "Now with a description"
    [folder] = [d for d in (root / "albums").iterdir() if id_of(d.name) == cats.id]
    assert folder.name == f"Cats & more [{cats.id}]"
    assert json.loads((folder / "album.json").read_text())["title"] == "Cats & more"
    assert notes.read_text() == "mine"


def test_empty_albums_have_folders_and_an_emptied_album_keeps_its_own(
        rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    sb = made.sb
    empty = sb.world.add_album(sb.username, "Nothing yet", [])
    holiday = next(a for a in sb.world.albums.values() if a.title == "Holiday 2025")
    pulled(made)
    info = json.loads((made.album_dir(empty.id) / "album.json").read_text())
    assert (info["title"], info["order"], info["files"]) == ("Nothing yet", [], {})

    sb.world.set_album_images(holiday.id, [])
    pulled(made, full=True)
    assert made.check() == []
    folder = made.album_dir(holiday.id)
    assert [p.name for p in folder.iterdir()] == ["album.json"]
    assert json.loads((folder / "album.json").read_text())["order"] == []


@pytest.mark.parametrize("policy", ["keep", "trash"])
def test_removed_items_metadata_follows_on_remote_delete(rig: Callable[..., Rig],
                                                         policy: str) -> None:
    made = rig("demo", on_remote_delete=policy)
    sb, root = made.sb, made.root
    empty = sb.world.add_album(sb.username, "Short lived", [])
    gone = next(a for a in sb.world.albums.values() if a.title == "Favourites of 2025")
    bike = next(i for i in sb.world.images.values() if i.title == "Bike ride")
    pulled(made)
    folders = {a: made.album_dir(a).relative_to(root) for a in (empty.id, gone.id)}
    [sidecar] = sidecars_of(root, bike.id)
    sb.world.delete_album(empty.id)
    sb.world.delete_album(gone.id)
    sb.world.delete_image(bike.id)
    pulled(made, full=True)
    trashed = root / ".trash" / sidecar.relative_to(root)
    assert (sidecar.is_file(), trashed.is_file()) == (policy == "keep", policy == "trash")
    assert read_xmp(sidecar if policy == "keep" else trashed)["title"] == "Bike ride"
    assert trashed.with_suffix("").is_file() == (policy == "trash")  # beside its image
    for album_id, folder in folders.items():
        if policy == "keep":
            info = json.loads((root / folder / "album.json").read_text())
            assert info["id"] == album_id and info["removed"]
        else:
            assert not (root / folder).exists()
            assert json.loads((root / ".trash" / folder / "album.json").read_text())[
                "id"] == album_id


# -- a lost database ---------------------------------------------------------------------------


def test_losing_the_database_downloads_nothing_and_rebuilds_the_same_files(
        rig: Callable[..., Rig]) -> None:
    made = rig("demo")
    sb = made.sb
    # Imgur gives no size for some videos: such a file is adopted by its name alone.
    unsized = sb.world.images_of(sb.username)[2]
    unsized.size = 0
    pulled(made)
    tree = snapshot_tree(made.root)
    assert any(p.endswith(".xmp") for p in tree) and "account.json" in tree
    made.store.close()
    for path in made.db.parent.glob(made.db.name + "*"):
        path.unlink()

    media = sb.counters.media_requests
    made.store = Store(made.db)
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert sb.counters.media_requests == media, "files already in the mirror were downloaded"
    assert result.applied.downloaded_bytes == 0
    assert snapshot_tree(made.root) == tree  # the same names, bytes and metadata files
    assert made.check() == []


def test_a_file_retitled_while_the_database_was_lost_is_adopted_by_its_id(
        rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    sb, root = made.sb, made.root
    kitten = next(i for i in sb.world.images.values() if i.title == "Kitten in a teacup")
    [before] = made.files_of(kitten.id, "images")
    inode = before.stat().st_ino
    made.store.close()
    for path in made.db.parent.glob(made.db.name + "*"):
        path.unlink()
    sb.world.retitle_image(kitten.id, "Kitten, retitled meanwhile")

    media = sb.counters.media_requests
    made.store = Store(made.db)
    pulled(made)
    assert sb.counters.media_requests == media
    [after] = made.files_of(kitten.id, "images")
    assert after.name.startswith("Kitten, retitled meanwhile [")
    assert after.stat().st_ino == inode and not before.exists()
    [sidecar] = sidecars_of(root, kitten.id)
    assert sidecar.name == after.name + ".xmp"
    assert read_xmp(sidecar)["title"] == "Kitten, retitled meanwhile"
    assert made.check() == []  # its album link was found by its id and renamed too


@pytest.mark.parametrize("sidecars", ["xmp", "json"])
def test_a_quick_pull_of_an_unchanged_account_rewrites_no_metadata_file(
        rig: Callable[..., Rig], sidecars: str) -> None:
    # JSON sidecars hold the whole record: the listings' different fields must not flip it.
    made = pulled(rig("demo", sidecars=sidecars))
    before = {rel: (p.stat().st_ino, p.stat().st_mtime_ns)
              for rel, p in metadata_files(made.root).items()}
    assert len(before) > 20
    assert any(rel.endswith(f".{sidecars}") for rel in before)
    for full in (False, True, False):
        pulled(made, full=full)
        after = {rel: (p.stat().st_ino, p.stat().st_mtime_ns)
                 for rel, p in metadata_files(made.root).items()}
        assert after == before, full


@pytest.mark.slow
def test_a_quick_pull_of_the_big_account_rewrites_no_metadata_file(
        rig: Callable[..., Rig]) -> None:
    made = pulled(rig("big"))
    owned = made.sb.world.images_of(made.sb.username)
    before = {rel: (p.stat().st_ino, p.stat().st_mtime_ns)
              for rel, p in metadata_files(made.root).items()}
    assert sum(rel.startswith("images/") for rel in before) == len(owned)
    pulled(made)
    assert {rel: (p.stat().st_ino, p.stat().st_mtime_ns)
            for rel, p in metadata_files(made.root).items()} == before


# -- hostile data and trouble ------------------------------------------------------------------


HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>",
           "]]> & &amp; \"quoted\" 'single'", "bell\x07 null\x00 esc\x1b[31m cr\r end",
           "\ufffe\uffff noncharacters"]


def test_hostile_titles_give_valid_xml_that_says_them_as_text(rig: Callable[..., Rig]) -> None:
    made = rig("hostile")
    sb = made.sb
    images = sb.world.images_of(sb.username)
    for image, title in zip(images, HOSTILE, strict=False):
        sb.world.retitle_image(image.id, title, title)
    pulled(made)
    checked = 0
    for image in images:
        [sidecar] = sidecars_of(made.root, image.id)
        fields = read_xmp(sidecar)  # parses: the XML is well formed
        expect = _NOT_XML.sub("", image.title or "") or None
        assert fields["title"] == expect, (image.title, fields["title"])
        checked += 1
    assert checked == len(images)


def test_a_metadata_file_that_cannot_be_written_fails_only_itself(
        rig: Callable[..., Rig]) -> None:
    made = pulled(rig("demo"))
    [judge] = [p for p in (made.root / "images").glob("The judge *") if p.suffix == ".png"]
    blocked = judge.with_name(judge.name + ".xmp")
    blocked.unlink()
    blocked.mkdir()  # in the way, as a full disk would be: the write fails
    (made.root / "account.json").unlink()
    # Lost metadata files come back at a full pull (a quick one writes them when what they
    # show changed, or when the last writing failed, as below).
    result = made.pull(full=True)
    assert result.outcome == "partial"
    assert [p for p in result.problems if blocked.name in p and "metadata" in p]
    assert (made.root / "account.json").is_file()  # the rest was written
    assert made.check() == []
    blocked.rmdir()
    pulled(made)
    assert read_xmp(blocked)["title"] == "The judge"
    assert not [f for f in made.store.open_failures() if blocked.name in (f["item"] or "")]
