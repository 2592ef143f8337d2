"""The gallery's data as a script, and its config key (docs/ARCHITECTURE.md §Gallery)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgur_sync.mirror.gallery import js_data
from imgur_sync.settings.config import ConfigError, load_config

HOSTILE = ["</script><script>alert(1)</script>", "<!-- x", "a & b > c", "\u2028\u2029",
           "\ud800 lone surrogate", "🐱 \"quoted\" 'single'"]


def test_data_for_a_script_cannot_end_the_script_and_reads_back_the_same() -> None:
    text = js_data("GALLERY_INDEX", {"items": HOSTILE})
    assert text.startswith("window.GALLERY_INDEX = ") and text.endswith(";\n")
    body = text.removeprefix("window.GALLERY_INDEX = ").removesuffix(";\n")
    assert not set(body) & set("<>&\u2028\u2029")
    assert body.isascii()
    assert json.loads(body) == {"items": HOSTILE}


@pytest.mark.parametrize(("line", "expected"), [("", True), ("gallery = false\n", False),
                                                 ("gallery = true\n", True)])
def test_the_gallery_is_on_unless_turned_off(tmp_path: Path, line: str, expected: bool) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[imgur]\nclient_id = "abc"\n[mirror]\nroot = "/m"\n{line}')
    assert load_config(path, {"HOME": str(tmp_path)}).mirror.gallery is expected


def test_a_gallery_setting_that_is_no_boolean_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[imgur]\nclient_id = "abc"\n[mirror]\nroot = "/m"\ngallery = "yes"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, {"HOME": str(tmp_path)})
    [problem] = caught.value.problems
    assert "mirror.gallery" in problem and "gallery = true (no quotes)" in problem
