"""Importing Imgur's official export (the zip of "Download account images") as if pulled.

The zip is flat, its files named ``<n> - <id>.<ext>``, with no albums and no metadata. The
account's listing (fetched and saved as a quick pull does) says where each id goes: each
file whose size agrees with Imgur's is copied in through the pull's own applier, exactly
where a download would put it, with its album links, records and mtime; the next pull
then downloads none of them. A file of another size is left out (the pull downloads it).
An id the account no longer has is kept in ``images/`` and its image marked removed.
Member names are untrusted: anything not named like the export is skipped and reported.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import ImgurSyncError, UsageError
from .apply import ApplyResult, prepare_root
from .files import TEMP_PREFIX, TEMP_SUFFIX, Placer, clone_into, sweep_partials
from .layout import image_path, is_id
from .plan import Action
from .pull import Mirror
from .sidecars import write_metadata

__all__ = ["ImportResult", "import_export"]

CHUNK = 256 * 1024
STAGE_BYTES = 256 * 1024 * 1024  # how much of the export is copied out before it is placed
# "<n> - <id>.<ext>": nothing else, so no folder, ".." or absolute path can pass.
EXPORT_NAME = re.compile(r"\d{1,9} - ([A-Za-z0-9]{1,64})\.([A-Za-z0-9]{1,10})")


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    placed: list[str] = field(default_factory=list)  # ids copied in where a pull puts them
    wrong_size: list[str] = field(default_factory=list)  # left for the pull to download
    kept: list[str] = field(default_factory=list)  # ids the account no longer has
    present: list[str] = field(default_factory=list)  # already in the mirror
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (member name, reason)
    applied: ApplyResult = field(default_factory=ApplyResult)
    requests: int = 0


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    image_id: str
    ext: str


class _DryRun(Exception):
    """Raised inside the dry run's transaction so everything it saved rolls back."""


def open_export(path: Path) -> zipfile.ZipFile:
    """Open the export; a missing file or one that is not a zip is a usage error."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: give the zip Imgur's \"Download account "
                         "images\" made") from None
    except (zipfile.BadZipFile, IsADirectoryError, OSError) as exc:
        raise UsageError(f"{path} is not a zip file ({exc}): give the zip Imgur's "
                         "\"Download account images\" made") from None


def members(archive: zipfile.ZipFile, cap: int,
            skipped: list[tuple[str, str]]) -> dict[str, _Member]:
    """Return the export's members by image id; record why the others are skipped."""
    found: dict[str, _Member] = {}
    for info in archive.infolist():
        name = info.filename
        match = EXPORT_NAME.fullmatch(name)
        if match is None or not is_id(match[1]):
            skipped.append((name, "not named like a file of Imgur's export (N - <id>.<ext>)"))
        elif info.file_size > cap:
            skipped.append((name, f"it declares {info.file_size} bytes, more than "
                                  f"[mirror] max_download_size ({cap})"))
        elif match[1] in found:
            skipped.append((name, f"a second file for image {match[1]}"))
        else:
            found[match[1]] = _Member(info, match[1], match[2].lower())
    return found


def _extract(archive: zipfile.ZipFile, member: _Member, folder: Path) -> tuple[Path, str]:
    """Copy a member out into ``folder``; return the file and its sha256.

    The bytes read are bounded by the size the member declares (zipfile stops there and
    checks the CRC), so a lying header cannot fill the disk.
    """
    target = folder / f"{TEMP_PREFIX}{member.image_id}{TEMP_SUFFIX}"
    digest, size = hashlib.sha256(), 0
    with archive.open(member.info) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > member.info.file_size:
                raise ValueError("it holds more bytes than it declares")
            digest.update(chunk)
            out.write(chunk)
    return target, digest.hexdigest()


def import_export(mirror: Mirror, path: Path, *, dry_run: bool = False,
                  stage_bytes: int = STAGE_BYTES) -> ImportResult:
    """Place the export's files into the mirror; with ``dry_run`` change nothing."""
    result = ImportResult()
    store = mirror.store
    with open_export(path) as archive:
        found = members(archive, mirror.config.mirror.max_download_size, result.skipped)
        sizes = {image_id: m.info.file_size for image_id, m in found.items()}
        if dry_run:
            with suppress(_DryRun), store.transaction():
                result.requests = mirror.list_account().requests
                _sort(mirror, found, sizes, result)
                raise _DryRun
            return result
        store.mark_interrupted_runs()
        run_id = store.start_run("import")  # `status` lists it with the pulls
        try:
            _place_all(mirror, archive, found, sizes, result, stage_bytes)
        except BaseException as exc:
            store.finish_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt)
                             else "failed", error=str(exc)[:500], requests=result.requests)
            raise
    problems = [f"{path}: {reason}" for path, reason in result.applied.failures] + [
        f"{name}: {reason}" for name, reason in result.skipped]
    store.finish_run(run_id, "partial" if problems else "ok", requests=result.requests,
                     counts={"placed": len(result.placed), "kept": len(result.kept),
                             "wrong_size": len(result.wrong_size),
                             "skipped": len(result.skipped)},
                     error="; ".join(problems)[:2000] or None)
    return result


def _place_all(mirror: Mirror, archive: zipfile.ZipFile, found: dict[str, _Member],
               sizes: dict[str, int], result: ImportResult, stage_bytes: int) -> None:
    """List the account, then copy the export's files in where a pull would put them."""
    store = mirror.store
    if prepare_root(mirror.root, store):
        raise ImgurSyncError(f"the mirror root {mirror.root} is empty although files "
                             "were mirrored there: mount its disk, or run `imgur-sync "
                             "verify --repair`, before importing")
    sweep_partials(mirror.root)
    result.requests = mirror.list_account().requests
    actions = _sort(mirror, found, sizes, result)
    keep = set(result.kept)
    unread: set[str] = set()
    staging = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=mirror.root))
    try:
        # A batch at a time: the export is copied out before it is placed, and a big
        # account's export would otherwise take its whole size again on the disk.
        for batch in _batches(found, [*result.placed, *result.kept], stage_bytes):
            sources: dict[str, tuple[Path, str]] = {}
            for image_id in batch:
                try:
                    sources[image_id] = _extract(archive, found[image_id], staging)
                except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
                    unread.add(image_id)
                    result.skipped.append((found[image_id].info.filename,
                                           f"it cannot be read: {exc}"))
            result.applied.merge(mirror.take_in_files(
                [a for a in actions if a.want is not None and a.want.image_id in sources
                 and a.want.image_id not in keep], sources))
            for image_id in keep.intersection(sources):
                _keep(mirror, found[image_id], *sources[image_id])
            for staged, _sha256 in sources.values():
                staged.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.placed = [i for i in result.placed if i not in unread]
    result.kept = [i for i in result.kept if i not in unread]
    result.applied.failures += write_metadata(store, mirror.config.mirror)  # as a pull does
    mirror.refresh_gallery(thumbnails=True)


def _batches(found: dict[str, _Member], ids: list[str], budget: int) -> Iterator[list[str]]:
    """Split ``ids`` into runs whose declared sizes add up to at most ``budget`` (or one)."""
    batch: list[str] = []
    size = 0
    for image_id in ids:
        declared = found[image_id].info.file_size
        if batch and size + declared > budget:
            yield batch
            batch, size = [], 0
        batch.append(image_id)
        size += declared
    if batch:
        yield batch


def _sort(mirror: Mirror, found: dict[str, _Member], sizes: dict[str, int],
          result: ImportResult) -> list[Action]:
    """Sort the export's ids into placed, wrong size, present and kept; return the copies."""
    actions, wrong = mirror.planned_copies(sizes)
    planned = {a.want.image_id for a in actions if a.kind == "download" and a.want is not None}
    for image_id in found:
        if image_id in planned:
            result.placed.append(image_id)
        elif image_id in wrong:
            result.wrong_size.append(image_id)
        elif next(mirror.store.iter_files(image_id=image_id, columns=("path",)), None):
            result.present.append(image_id)
        elif _listed(mirror, image_id):
            result.skipped.append((found[image_id].info.filename, "the mirror does not place "
                                   "this image (its section is not in [mirror] include, or "
                                   "Imgur removed its media)"))
        elif (mirror.root / _kept_path(mirror, found[image_id])).exists():
            result.skipped.append((found[image_id].info.filename, "its place in images/ is "
                                   "taken by a file imgur-sync did not write"))
        else:
            result.kept.append(image_id)
    return actions


def _listed(mirror: Mirror, image_id: str) -> bool:
    """Whether the account still lists the image (as its own or a favorite)."""
    row = mirror.store.get_image(image_id)
    return row is not None and row["removed_at"] is None


def _kept_path(mirror: Mirror, member: _Member) -> PurePosixPath:
    """Where an image the account no longer has is kept: as ``images/`` names it."""
    row = mirror.store.get_image(member.image_id)
    return image_path(row["title"] if row else None, member.image_id, member.ext)


def _keep(mirror: Mirror, member: _Member, source: Path, sha256: str) -> None:
    """Keep an image the account no longer has in ``images/``, its row marked removed."""
    store = mirror.store
    rel = _kept_path(mirror, member)
    if store.get_image(member.image_id) is None:  # never listed: a row for the file's record
        kind, _ = mimetypes.guess_type(f"x.{member.ext}")
        store.save_image({"id": member.image_id, "type": kind, "size": member.info.file_size},
                         owned=True)
    store.mark_removed("images", member.image_id)
    target = mirror.root / rel
    with source.open("rb") as handle, Placer(mirror.root).new_file(target) as new:
        clone_into(handle.fileno(), new.fd)
        new.publish()
    store.record_file(rel, image_id=member.image_id, role="image", size=member.info.file_size,
                      sha256=sha256, mtime=target.stat().st_mtime)
