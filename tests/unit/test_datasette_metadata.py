"""The Datasette metadata shipped with the store names only what the schema has."""

from __future__ import annotations

import json
import sys
from fnmatch import fnmatch
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from imgur_sync.paths import DB_FILE
from imgur_sync.store import Store

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
METADATA = "datasette-metadata.json"


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    metadata = json.loads((files("imgur_sync.store") / METADATA).read_text(encoding="utf-8"))
    # Datasette names a database after its file: the metadata must use that name.
    assert list(metadata["databases"]) == [Path(DB_FILE).stem]
    return metadata["databases"][Path(DB_FILE).stem]["tables"]


def test_every_table_view_and_column_named_exists(tables: dict[str, Any]) -> None:
    with Store(None) as store:
        db = store.db
        existing = set(db.table_names()) | set(db.view_names())
        assert set(tables) <= existing
        # Every table and view a person reads has a title and a description.
        readable = {t for t in existing
                    if not t.startswith(("_", "sqlite_")) and "_fts" not in t}
        assert readable == {t for t, meta in tables.items() if meta.get("title")}
        for name, meta in tables.items():
            columns = set(db[name].columns_dict)
            named = [meta.get(key) for key in ("label_column", "sort", "sort_desc")]
            named += meta.get("facets", [])
            assert {c for c in named if c} <= columns, name
            if "fts_table" in meta:
                assert db[name].detect_fts() == meta["fts_table"]
                assert meta["fts_pk"] in columns


def test_conversations_are_labelled_by_the_other_account(tables: dict[str, Any]) -> None:
    assert tables["conversations"]["label_column"] == "with_account"
    assert tables["messages"]["fts_table"] == "messages_fts"


def test_a_wheel_carries_the_metadata() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["imgur_sync.store"]
    assert any(fnmatch(METADATA, pattern) for pattern in patterns)
    extras = pyproject["project"]["optional-dependencies"]
    assert any(dep.startswith("datasette") for dep in extras["datasette"])
    assert not any(dep.startswith("datasette") for dep in pyproject["project"]["dependencies"])
