"""Checks of the code itself: lint, and imports that point one way, down the layers."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "imgur_sync"

# Third-party frameworks allowed only in one module each (STYLE habit 1).
# urllib3 sends media only (requests does the API calls), so it stays in api/media.py.
FRAMEWORK_HOMES = {"click": "cli.py", "apscheduler": "daemon.py", "watchdog": "watcher.py",
                   "urllib3": "media.py"}


def _imports(path: Path) -> set[str]:
    """Return absolute module names imported by ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                if node.module:
                    names.add(".".join([*base, node.module]))
                else:  # "from .. import config" imports imgur_sync.config
                    names.update(".".join([*base, alias.name]) for alias in node.names)
            else:
                names.add(node.module or "")
    return names


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


# api/ joins this check as soon as it exists.
@pytest.mark.parametrize("layer", [p for p in ("sandbox", "api") if (PACKAGE / p).is_dir()])
def test_sandbox_and_api_import_nothing_else_of_ours(layer: str) -> None:
    folder = PACKAGE / layer
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(folder)
        for name in _imports(path)
        if name.startswith("imgur_sync") and not name.startswith(f"imgur_sync.{layer}")
        and name != "imgur_sync"
    }
    assert not offenders, sorted(offenders)


def test_frameworks_stay_at_the_edges() -> None:
    offenders = []
    for path in _modules(PACKAGE):
        for name in _imports(path):
            top = name.split(".")[0]
            home = FRAMEWORK_HOMES.get(top)
            if home and path.name != home:
                offenders.append(f"{path.relative_to(ROOT)} imports {top}")
    assert not offenders, offenders


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*command, "check", "--quiet", str(ROOT)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
