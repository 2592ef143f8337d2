"""`imgur-sync import ZIP`: Imgur's official export placed into the mirror, as if pulled.

The export is built here from the sandbox's world, in Imgur's naming (``<n> - <id>.<ext>``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pull_support import check_tree, cli_env, id_of, run_cli, write_config
from test_pull import Rig, make_rig

from imgur_sync.mirror import Mirror
from imgur_sync.mirror.importing import STAGE_BYTES, ImportResult, import_export
from imgur_sync.mirror.verify import verify
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.media import image_bytes

FOREIGN = "Zz9Foreign"
HOSTILE = ["../evil.png", "/etc/passwd", "sub/2 - abc.png", "notes.txt", "3 - a.b.png"]


@pytest.fixture(params=["oauth", "cookie"])
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path,
        request: pytest.FixtureRequest) -> Iterator[Rig]:
    """The demo account, signed in by OAuth token or (the 2026 road) by browser cookie."""
    options = SandboxOptions(oauth_authorize="broken") if request.param == "cookie" else None
    made = make_rig(start_sandbox("demo", options=options), tmp_path, road=request.param)
    yield made
    made.store.close()


def mirror(rig: Rig) -> Mirror:
    return Mirror(rig.config, rig.store, rig.transport)


def import_zip(rig: Rig, path: Path, **kwargs: bool) -> ImportResult:
    return import_export(mirror(rig), path, **kwargs)


def media(rig: Rig) -> dict[str, int]:
    return dict(rig.sb.counters.snapshot()["media_by_image"])


def export_zip(sb: Sandbox, path: Path, *, wrong: str | None = None,
               extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Write the account's export as Imgur names it (``wrong``'s file cut short); return it."""
    files: dict[str, bytes] = {}
    for n, image in enumerate(sb.world.images_of(sb.username), start=1):
        data = image_bytes(image)
        files[f"{n} - {image.id}.{image.ext}"] = data[:-1] if image.id == wrong else data
    files.update(extra or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return files


@pytest.mark.parametrize("stage_bytes", [STAGE_BYTES, 1], ids=["one batch", "one by one"])
def test_import_then_pull_downloads_none_of_the_imported(rig: Rig, tmp_path: Path,
                                                         stage_bytes: int) -> None:
    export_zip(rig.sb, tmp_path / "export.zip")
    mine = {i.id: i for i in rig.sb.world.images_of(rig.sb.username)}
    result = import_export(mirror(rig), tmp_path / "export.zip", stage_bytes=stage_bytes)
    assert sorted(result.placed) == sorted(mine) and not result.skipped
    assert media(rig) == {}  # copied from the zip, not downloaded
    assert result.applied.done.get("link", 0) > 0 and not result.applied.failures
    for image_id, image in mine.items():
        [original] = [p for p in (rig.root / "images").iterdir() if id_of(p.name) == image_id]
        assert original.read_bytes() == image_bytes(image)
        assert original.stat().st_mtime == image.datetime
        assert original.with_name(original.name + ".xmp").is_file()  # its metadata too
    in_albums = [p for p in (rig.root / "albums").rglob("*")
                 if p.is_file() and p.name != "album.json"]
    assert in_albums and all(id_of(p.name) in mine for p in in_albums)

    pulled = mirror(rig).pull()
    assert pulled.outcome == "ok", pulled.problems
    assert not set(media(rig)) & set(mine)  # only favorites of others are downloaded
    assert check_tree(rig.root, rig.store, rig.sb.world, rig.sb.username,
                      unmirrored=pulled.unavailable) == []
    assert verify(rig.root, rig.store, repair=False).ok


def test_the_sandboxs_own_export_then_a_pull_downloads_none_of_it(rig: Rig,
                                                                  tmp_path: Path) -> None:
    # The zip as the sandbox's "Download account images" serves it, not as this file writes it.
    path = rig.sb.export_zip(tmp_path / "account.zip")
    with zipfile.ZipFile(path) as archive:
        # Imgur's naming: "<n> - <id>.<ext>"
        exported = {name.split(" - ", 1)[1].rsplit(".", 1)[0] for name in archive.namelist()}
    assert exported == {i.id for i in rig.sb.world.images_of(rig.sb.username)}
    result = import_zip(rig, path)
    assert set(result.placed) == exported and not result.skipped and media(rig) == {}
    pulled = mirror(rig).pull()
    assert pulled.outcome == "ok", pulled.problems
    assert not set(media(rig)) & exported
    assert verify(rig.root, rig.store, repair=False).ok
    # `status` lists the import among the runs, with what it placed.
    imported = next(run for run in rig.store.last_runs(5) if run["kind"] == "import")
    assert imported["outcome"] == "ok" and imported["counts"]["placed"] == len(exported)


def test_a_file_of_another_size_is_downloaded_by_the_pull(rig: Rig, tmp_path: Path) -> None:
    wrong = rig.sb.world.images_of(rig.sb.username)[0].id
    export_zip(rig.sb, tmp_path / "export.zip", wrong=wrong)
    result = import_zip(rig, tmp_path / "export.zip")
    assert result.wrong_size == [wrong] and wrong not in result.placed
    assert not any(id_of(p.name) == wrong for p in rig.root.rglob("*"))
    mirror(rig).pull()
    assert media(rig).get(wrong) == 1
    assert verify(rig.root, rig.store, repair=False).ok


def test_an_image_the_account_no_longer_has_is_kept_and_marked(rig: Rig,
                                                                tmp_path: Path) -> None:
    export_zip(rig.sb, tmp_path / "export.zip", extra={f"99 - {FOREIGN}.jpg": b"old bytes"})
    result = import_zip(rig, tmp_path / "export.zip")
    assert result.kept == [FOREIGN]
    kept = rig.root / "images" / f"{FOREIGN}.jpg"
    assert kept.read_bytes() == b"old bytes"
    row = rig.store.get_image(FOREIGN)
    assert row is not None and row["removed_at"] is not None
    assert rig.store.file_for(f"images/{FOREIGN}.jpg") is not None
    mirror(rig).pull()  # the pull keeps it: a backup never deletes what it saved
    assert kept.read_bytes() == b"old bytes"
    assert verify(rig.root, rig.store, repair=False).ok


def test_hostile_member_names_are_skipped_and_reported(rig: Rig, tmp_path: Path) -> None:
    export_zip(rig.sb, tmp_path / "export.zip", extra=dict.fromkeys(HOSTILE, b"x"))
    result = import_zip(rig, tmp_path / "export.zip")
    assert sorted(name for name, _ in result.skipped) == sorted(HOSTILE)
    assert result.placed and not (tmp_path / "evil.png").exists()
    assert not (rig.root / "sub").exists() and not (rig.root.parent / "evil.png").exists()
    [run] = rig.store.last_runs(1)  # recorded, and not "ok": some of the zip was left out
    assert (run["kind"], run["outcome"]) == ("import", "partial") and "../evil.png" in run["error"]


def test_a_member_larger_than_the_cap_is_skipped(rig: Rig, tmp_path: Path) -> None:
    big = rig.sb.world.images_of(rig.sb.username)[0]
    rig.config = replace(rig.config, mirror=replace(rig.config.mirror,
                                                    max_download_size=len(image_bytes(big)) - 1))
    export_zip(rig.sb, tmp_path / "export.zip")
    result = import_zip(rig, tmp_path / "export.zip")
    assert any(f"{big.id}." in name and "max_download_size" in why
               for name, why in result.skipped)
    assert big.id not in result.placed


def test_a_second_import_finds_everything_mirrored(rig: Rig, tmp_path: Path) -> None:
    export_zip(rig.sb, tmp_path / "export.zip")
    first = import_zip(rig, tmp_path / "export.zip")
    files = rig.store.count_files()
    again = import_zip(rig, tmp_path / "export.zip")
    assert sorted(again.present) == sorted(first.placed) and not again.placed
    assert rig.store.count_files() == files


def test_a_dry_run_changes_nothing(rig: Rig, tmp_path: Path) -> None:
    export_zip(rig.sb, tmp_path / "export.zip")
    result = import_zip(rig, tmp_path / "export.zip", dry_run=True)
    assert result.placed and rig.store.count_files() == 0
    assert not rig.root.exists() or not any(rig.root.iterdir())


# ---- the command -------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, start_sandbox: Callable[..., Sandbox]) -> dict[str, str]:
    sb = start_sandbox("demo")
    export_zip(sb, tmp_path / "export.zip")
    return cli_env(tmp_path, write_config(tmp_path, sb))


@pytest.mark.slow
def test_the_import_command(env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(env, "import", str(tmp_path / "export.zip"))
    assert done.returncode == 0, done.stderr
    assert "placed" in done.stdout and "0 skipped" in done.stdout
    assert run_cli(env, "pull").returncode == 0
    checked = run_cli(env, "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("what", ["not a zip", "missing"])
def test_a_file_that_is_no_zip_is_one_sentence_and_exit_2(env: dict[str, str], tmp_path: Path,
                                                          what: str) -> None:
    path = tmp_path / "export.txt"
    if what == "not a zip":
        path.write_text("not a zip at all")
    done = run_cli(env, "import", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr
    assert "Traceback" not in done.stderr
