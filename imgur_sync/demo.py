"""`imgur-sync demo`: the whole product on the built-in sandbox, with no Imgur account.

It starts the sandbox's demo account in-process, as Imgur is since 2025 (its OAuth page
broken), writes a config into the demo folder, signs in the way a new user must (with the
browser's cookies.txt, which the sandbox writes), pulls the account into a mirror through
the web API, drops a picture into a mapped folder, waits until Imgur (the sandbox) has it in
its album, and says where to look. The sandbox takes the cookie as an API token for that
upload; whether real Imgur does is not known (see the README). Nothing here prints: the CLI
reports the ``DemoReport`` this returns.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .account.cookies import read_cookie_file
from .account.signin import sign_in_cookie
from .account.tokens import TokenStore
from .dropfolders.folders import DropFolders
from .dropfolders.uploader import Batch
from .errors import UsageError
from .mirror.pull import Mirror, PullResult
from .sandbox import Sandbox, SandboxOptions
from .sandbox.media import render_png
from .settings.config import Config, load_config
from .workspace import Workspace

__all__ = ["DROP_ALBUM", "DemoReport", "run_demo"]

MARKER = ".imgur-sync-demo"
DROP_ALBUM = "Dropped in the demo"
UPLOAD_DEADLINE = 30.0


@dataclass
class DemoReport:
    """What the demo did, for the CLI to tell."""

    folder: Path
    config: Config
    pull: PullResult
    uploaded_id: str | None = None
    upload_seconds: float = 0.0
    album_files: list[Path] = field(default_factory=list)


def prepare_folder(folder: Path) -> None:
    """Use ``folder`` for a demo: new, empty, or a previous demo's (which is replaced)."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise UsageError(f"{folder} is not empty and was not made by a demo; pick a new "
                             "folder, e.g. `imgur-sync demo ./imgur-sync-demo`")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("Made by `imgur-sync demo`; safe to delete.\n")


def run_demo(folder: Path, *, progress: Callable[[str, int], None] | None = None,
             step: Callable[[str], None] = lambda message: None) -> DemoReport:
    """Run the tour in ``folder`` and return what happened."""
    folder = folder.absolute()
    prepare_folder(folder)
    options = SandboxOptions(oauth_authorize="broken", cookie_bearer="accept")
    with Sandbox("demo", options=options) as sandbox:
        step(f"Started a local Imgur sandbox at {sandbox.url} (account {sandbox.username})")
        config = load_config(_write_config(folder, sandbox))
        step(f"Wrote {config.path}")
        cookies = sandbox.write_cookies(folder / "cookies.txt")
        sign_in_cookie(config, TokenStore(folder / "state"), read_cookie_file(cookies),
                       str(cookies))
        step(f"Signed in with the browser's cookies: `imgur-sync auth --cookies {cookies}`")
        with Workspace(config, purpose="demo", state_dir=folder / "state") as ws:
            mirror = Mirror(config, ws.store, ws.client.transport, progress=progress)
            step("Pulling the account into the mirror …")
            pulled = mirror.pull()
            report = DemoReport(folder, config, pulled)
            report.uploaded_id, report.upload_seconds = _drop_a_picture(config, ws, step)
        album = next((a for a in sandbox.world.albums_of(sandbox.username)
                      if a.title == DROP_ALBUM), None)
        if album is None or report.uploaded_id not in album.image_ids:
            raise UsageError("The dropped picture did not reach its album; run with -v to "
                             "see why")
    report.album_files = sorted((config.mirror.root / "albums").rglob("*.*"))
    return report


def _write_config(folder: Path, sandbox: Sandbox) -> Path:
    path = folder / "config.toml"
    path.write_text(
        "# Written by `imgur-sync demo` for the local sandbox (it stops when the demo ends).\n"
        "[imgur]\n"
        f'api_url = "{sandbox.url}"\n'
        f'client_id = "{sandbox.client_id}"\n'
        f'client_secret = "{sandbox.client_secret}"\n\n'
        "[mirror]\n"
        f'root = "{folder / "mirror"}"\n\n'
        "[[upload]]\n"
        f'path = "{folder / "drop"}"\n'
        f'album = "{DROP_ALBUM}"\n')
    return path


def _drop_a_picture(config: Config, ws: Workspace, step: Callable[[str], None],
                    ) -> tuple[str | None, float]:
    """Watch the drop folder, save a picture into it, and wait for the upload."""
    folders = DropFolders(config, ws.store, ws.client, quiet=0.5)
    stop = threading.Event()
    uploaded: list[str] = []

    def on_batch(batch: Batch) -> None:
        uploaded.extend(batch.uploaded)
        if uploaded:
            stop.set()

    watcher = threading.Thread(target=folders.watch, args=(stop,), kwargs={"on_batch": on_batch},
                               name="demo-drop-folder", daemon=True)
    watcher.start()
    drop = config.uploads[0].path
    drop.mkdir(parents=True, exist_ok=True)
    picture = drop / "hello-from-the-demo.png"
    step(f"Saving {picture.name} into the drop folder {drop} …")
    started = time.monotonic()
    picture.write_bytes(render_png(2026, 320, 200, label="Hello from imgur-sync"))
    watcher.join(UPLOAD_DEADLINE)
    stop.set()
    watcher.join(10)
    return (uploaded[0] if uploaded else None), time.monotonic() - started
