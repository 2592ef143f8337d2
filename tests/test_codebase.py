"""Checks of the code itself: lint, and imports that point one way, down the layers."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "imgur_sync"

# Third-party frameworks allowed only in one module each (STYLE habit 1).
# urllib3 sends media only (requests does the API calls), so it stays in api/media.py.
FRAMEWORK_HOMES = {"click": "cli.py", "apscheduler": "daemon.py",
                   "watchdog": "dropfolders/watcher.py", "urllib3": "api/media.py",
                   "datasette": "cli.py"}

# Every module of imgur_sync has one place: the longest name here that holds it (a package
# holds its modules). An import must go to a lower layer; one between two places of the same
# layer is refused too, so the layers stay readable as a stack.
LAYERS = {
    # 0 foundations: the standard library only
    "__init__": 0, "errors": 0, "paths": 0, "sections": 0, "terminal": 0,
    # 1 libraries of their own: the Imgur client (it names the error root) and the local Imgur
    "api": 1, "sandbox": 1,
    # 2 the config and the SQLite state
    "settings": 2, "store": 2,
    # 3 the account's tokens and the checks the pull and the uploads ask first
    "account": 3,
    # 4 what works on one account: the pull (and verify), the sign-in, the status
    "mirror": 4, "account.signin": 4, "status": 4,
    # 5 the lock around a command's work; the upload, which hands its files to the pull
    "workspace": 5, "dropfolders": 5, "alerts": 5,
    # 6 the long-running and the guided commands; 7 the command line; 8 its entry point
    "daemon": 6, "demo": 6,
    "cli": 7,
    "__main__": 8,
}

# Inside a package, its modules in tiers, lowest first: a module imports only from lower
# tiers, never from its own (so, for one, no route module of the sandbox imports another).
INSIDE = {
    "api": [{"errors", "urls", "pagination"},
            {"auth", "download", "media", "probes", "ratelimits"},
            {"models", "transport", "ledger"}, {"gallery", "webshapes"}, {"social", "web"},
            {"client", "listings"},
            {"__init__"}],
    "sandbox": [{"models", "faults", "media"}, {"social"}, {"state"},
                {"render", "routing", "exports", "seeds"},
                {"lookups"},
                {"routes_account", "routes_album", "routes_control", "routes_gallery",
                 "routes_image", "routes_legacy", "routes_media", "routes_oauth",
                 "routes_web"},
                {"app"}, {"server"}, {"__init__"}],
    "settings": [{"durations", "sizes", "checks", "bundled"}, {"config"}, {"places"},
                 {"__init__"}],
    "store": [{"schema", "base"}, {"journal", "ratelimits", "changes"}, {"database"},
              {"__init__"}],
    "account": [{"tokens", "checks", "cookies"}, {"__init__"}],
    "mirror": [{"layout", "files", "progress"}, {"plan", "validate", "gallery_data"},
               {"apply", "sidecars", "gallery", "batches", "reconcile"}, {"pull", "verify"},
               {"importing", "reports"}, {"__init__"}],
    "dropfolders": [{"watcher", "uploader"}, {"folders"}, {"__init__"}],
}


def _name(path: Path) -> str:
    """``imgur_sync/mirror/plan.py`` → ``mirror.plan``; the root's ``__init__`` stays one."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, in functions too, but not under ``if TYPE_CHECKING:`` (never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        yield from _statements(node)


def _imports(path: Path, text: str | None = None) -> set[str]:
    """Return absolute module names imported by ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # "from . import layout" and "from .mirror import plan" import a module
            names.update(f"{module}.{alias.name}" if (ROOT / module.replace(".", "/") /
                                                      f"{alias.name}.py").is_file()
                         else module for alias in node.names)
    return names


@cache
def _graph() -> dict[str, set[str]]:
    """Module → the modules of ours it imports (``mirror.plan`` → ``{"mirror.layout"}``)."""
    graph = {}
    for name, path in _modules().items():
        ours = {imported.removeprefix("imgur_sync.") for imported in _imports(path)
                if imported.split(".")[0] == "imgur_sync"}
        graph[name] = {"__init__" if imported == "imgur_sync" else imported
                       for imported in ours} - {name}
    return graph


def _place(module: str) -> str | None:
    """The longest name in LAYERS that holds ``module``."""
    parts = module.split(".")
    return next((".".join(parts[:n]) for n in range(len(parts), 0, -1)
                 if ".".join(parts[:n]) in LAYERS), None)


def _tier(place: str, module: str) -> int | None:
    short = module.removeprefix(place).lstrip(".") or "__init__"
    return next((n for n, tier in enumerate(INSIDE.get(place, [])) if short in tier), None)


def wrong_way_imports(graph: dict[str, set[str]]) -> list[str]:
    """Return each import that goes up a layer, across one, or up or across a package's tiers."""
    wrong = []
    for module, imported in sorted(graph.items()):
        for other in sorted(imported):
            here, there = _place(module), _place(other)
            if here is None or there is None:
                continue  # test_every_module_has_one_place names it
            if here != there:
                if LAYERS[here] <= LAYERS[there]:
                    wrong.append(f"{module} (layer {LAYERS[here]}) imports {other} "
                                 f"(layer {LAYERS[there]})")
                continue
            tier, other_tier = _tier(here, module), _tier(here, other)
            if here in INSIDE and tier is not None and other_tier is not None \
                    and tier <= other_tier:
                wrong.append(f"{module} (tier {tier} of {here}) imports {other} "
                             f"(tier {other_tier})")
    return wrong


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_every_module_has_one_place() -> None:
    modules = _modules()
    homeless = [name for name in modules if _place(name) is None]
    assert not homeless, f"add these to LAYERS in tests/test_codebase.py: {homeless}"
    stale = [name for name in LAYERS if name not in modules]
    assert not stale, f"LAYERS names modules that do not exist: {stale}"
    for package, tiers in INSIDE.items():
        held = {name.removeprefix(package).lstrip(".") or "__init__" for name in modules
                if _place(name) == package}
        listed = [short for tier in tiers for short in tier]
        assert sorted(listed) == sorted(held), (
            f"INSIDE[{package!r}] must list each of its modules once: {sorted(held)}")


def test_the_root_holds_at_most_twelve_modules() -> None:
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= 12, root


def test_imports_go_down_the_layers() -> None:
    wrong = wrong_way_imports(_graph())
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    cycles = import_cycles(_graph())
    assert not cycles, cycles


def test_the_checks_see_a_wrong_way_import_inside_a_function() -> None:
    in_a_method = "class Mirror:\n    def pull(self):\n        from ..status import x\n"
    assert "imgur_sync.status" in _imports(PACKAGE / "mirror" / "pull.py", in_a_method)
    graph = {name: set(imported) for name, imported in _graph().items()}
    graph["mirror.pull"].add("status")
    assert "mirror.pull (layer 4) imports status (layer 4)" in wrong_way_imports(graph)
    graph["status"].add("mirror.pull")
    assert ["mirror.pull", "status"] in import_cycles(graph)


def test_store_and_settings_load_no_http_client() -> None:
    code = ("import sys, imgur_sync.store, imgur_sync.settings, imgur_sync.mirror.plan; "
            "print(sorted(m for m in ('requests', 'urllib3', 'imgur_sync.api') "
            "if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, not an installed copy
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("layer", ["sandbox", "api"])
def test_sandbox_and_api_import_nothing_else_of_ours(layer: str) -> None:
    # The API client names the root of the errors, which is the standard library only.
    allowed = {"sandbox": set(), "api": {"errors"}}[layer]
    offenders = {
        f"{module} imports {name}"
        for module, imported in _graph().items() if module.split(".")[0] == layer
        for name in imported if name.split(".")[0] != layer and name not in allowed
    }
    assert not offenders, sorted(offenders)


def test_exit_codes_are_named() -> None:
    # An exit status is an ExitCode (errors.py), never a bare number: ctx.exit(3) says less.
    offenders = []
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if (called.endswith("exit") or called == "_Failure") and any(
                    isinstance(arg, ast.Constant) and type(arg.value) is int
                    for arg in node.args):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not offenders, offenders


def test_frameworks_stay_at_the_edges() -> None:
    offenders = []
    for path in _modules().values():
        for name in _imports(path):
            top = name.split(".")[0]
            home = FRAMEWORK_HOMES.get(top)
            if home and path.relative_to(PACKAGE).as_posix() != home:
                offenders.append(f"{path.relative_to(ROOT)} imports {top}")
    assert not offenders, offenders


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*command, "check", "--quiet", str(ROOT)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
