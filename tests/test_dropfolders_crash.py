"""Exactly once across crashes: SIGKILL `imgur-sync watch`/`push` at random points of a burst.

The commands run as subprocesses against an in-process sandbox that also garbles about one
answer in five after doing the work (``malformed_json``), so answers to uploads get lost
both ways: the process dies before recording them, or never reads them. After the last
restart every file must be in its album exactly once, and the account must hold exactly
one image per file; and a pull, right after the kills and at the end, downloads none of them.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from drop_support import ROOT, Rig, make_rig, sha, wait_until

from imgur_sync.mirror import Mirror
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions
from imgur_sync.sandbox.media import render_tiny_png

FILES = 100
RUNS = 14  # restarts that end in SIGKILL (a push may finish first: at least 10 must be kills)
ALBUM = "Crash test"


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_nothing_and_duplicates_nothing(
        start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    faults = FaultPlan(rates={"malformed_json": 0.2}, seed=5)
    sb = start_sandbox("empty", faults=faults, options=SandboxOptions(user_limit=100_000))
    r = make_rig(sb, tmp_path, [("crash", ALBUM, "remove_from_album")])
    rng = random.Random(20240229)
    folder = r.folder(ALBUM)
    files = {f"burst-{n:03d}": render_tiny_png(60_000 + n) for n in range(FILES)}
    stems = sorted(files)
    half = FILES // 2
    # Kill points: upload counts on the sandbox, first within the first half of the files
    # (dropped while the first watcher runs), then within the second (dropped while nothing
    # runs, between two restarts).
    early = sorted(rng.sample(range(2, half - 3), RUNS // 2))
    late = sorted(rng.sample(range(half + 2, FILES - 3), RUNS - RUNS // 2))
    logs = tmp_path / "logs"
    logs.mkdir()
    kills = 0
    try:
        for run, threshold in enumerate(early + late):
            if run == len(early):
                for stem in stems[half:]:
                    (folder / f"{stem}.png").write_bytes(files[stem])
            command = "push" if run % 4 == 3 else "watch"
            proc = _start(r.env(), command, logs / f"{run:02d}-{command}.log")
            try:
                if run == 0:  # drop the first half into a running watcher
                    wait_until(lambda p=proc: r.albums(ALBUM) or p.poll() is not None,
                               "the first watcher to make its album")
                    for stem in stems[:half]:
                        (folder / f"{stem}.png").write_bytes(files[stem])
                wait_until(lambda t=threshold, p=proc: sb.counters.uploads >= t
                           or p.poll() is not None, f"{threshold} uploads (run {run})")
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                proc.wait(timeout=10)
        assert kills >= 10, f"only {kills} runs were killed mid-way"
        # A pull right after the kills: every upload that reached Imgur, its answer recorded
        # or lost, joins the tree from its dropped file; none is downloaded back.
        sb.set_faults(FaultPlan())
        _pull_downloads_none(r)
        sb.set_faults(faults)

        final = _start(r.env(), "watch", logs / "final-watch.log")
        try:
            wait_until(lambda: len(r.titles_in(ALBUM)) >= FILES and _settled(r),
                       "every file in the album after the last restart", timeout=45)
        finally:
            final.send_signal(signal.SIGTERM)
            final.wait(timeout=15)
        assert final.returncode == 0, (logs / "final-watch.log").read_text()[-3000:]
        sb.set_faults(FaultPlan())
        _pull_downloads_none(r)  # and again once everything is recovered
    except BaseException:
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name}\n{log.read_text()[-2000:]}")
        raise
    finally:
        r.store.close()

    album = r.album(ALBUM)
    assert album is not None and len(r.albums(ALBUM)) == 1
    titles = r.titles_in(ALBUM)
    assert sorted(titles) == stems, Counter(titles).most_common(3)  # each file exactly once
    images = r.images()
    assert len(images) == FILES, Counter(i.title for i in images).most_common(3)
    assert {i.title: sha(i.data or b"") for i in images} == {s: sha(d) for s, d in files.items()}
    # The faults did strike, and some lost uploads were found again by their marker.
    assert sb.counters.faults["malformed_json"] > 0
    output = "".join(log.read_text() for log in logs.iterdir())
    assert "not uploading again" in output


def _pull_downloads_none(r: Rig) -> None:
    """Pull, and check that none of the account's images (all our uploads) was downloaded."""
    assert Mirror(r.config, r.store, r.client.transport).pull().outcome == "ok"
    assert r.sb.counters.snapshot()["media_by_image"] == {}
    images = r.config.mirror.root / "images"
    on_disk = {p.name: sha(p.read_bytes()) for p in images.glob("*.png")}
    assert on_disk == {f"{i.title} [{i.id}].png": sha(i.data or b"") for i in r.images()}


def _start(env: dict[str, str], command: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "imgur_sync", command], env=env,
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def _settled(r: Rig) -> bool:
    """True when the newest journal entry of every file is done."""
    latest = {row["path"]: row["state"] for row in r.store.iter_uploads()}
    return len(latest) == FILES and set(latest.values()) == {"done"}
