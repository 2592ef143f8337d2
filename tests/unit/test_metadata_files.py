"""What the metadata files hold, from rows alone (docs/ARCHITECTURE.md §Metadata files)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from imgur_sync.mirror.sidecars import is_metadata_name, render_json, render_xmp

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "dc": "http://purl.org/dc/elements/1.1/", "xmp": "http://ns.adobe.com/xap/1.0/"}


def parse(data: bytes) -> ET.Element:
    found = ET.fromstring(data).find("rdf:RDF/rdf:Description", NS)
    assert found is not None
    return found


def test_xmp_holds_title_description_tags_and_date() -> None:
    raw = json.dumps({"tags": [{"name": "cats"}, "funny", {"name": "cats"}, {"x": 1}, ""]})
    data = render_xmp({"id": "abc123", "title": "Sleepy cat", "description": "Warm.",
                       "datetime": 1_700_000_000, "raw": raw})
    assert data.startswith(b"<?xpacket begin=\"\xef\xbb\xbf\"")
    found = parse(data)
    assert found.findtext("dc:title/rdf:Alt/rdf:li", namespaces=NS) == "Sleepy cat"
    assert found.find("dc:title/rdf:Alt/rdf:li", NS).get(  # type: ignore[union-attr]
        "{http://www.w3.org/XML/1998/namespace}lang") == "x-default"
    assert found.findtext("dc:description/rdf:Alt/rdf:li", namespaces=NS) == "Warm."
    assert [li.text for li in found.findall("dc:subject/rdf:Bag/rdf:li", NS)] == [
        "cats", "funny"]
    assert found.findtext("xmp:CreateDate", namespaces=NS) == "2023-11-14T22:13:20Z"
    assert found.findtext("dc:identifier", namespaces=NS) == "abc123"


def test_xmp_leaves_out_what_is_not_known() -> None:
    found = parse(render_xmp({"id": "abc123", "title": None, "description": "",
                              "datetime": None, "raw": "not json"}))
    for tag in ("dc:title", "dc:description", "dc:subject", "xmp:CreateDate"):
        assert found.find(tag, NS) is None, tag


@pytest.mark.parametrize("title, shown", [
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ("</script><script>", "</script><script>"),
    ("]]> & &amp; \"q\" 'q'", "]]> & &amp; \"q\" 'q'"),
    ("null\x00 esc\x1b[31m bell\x07", "null esc[31m bell"),
    ("cr\r\nlf", "cr\r\nlf"),
    ("\ud800lone \ufffe\uffff", "lone "),
    ("猫 🐱‍👤", "猫 🐱‍👤"),
])
def test_hostile_text_gives_well_formed_xml_that_says_it(title: str, shown: str) -> None:
    found = parse(render_xmp({"id": "abc123", "title": title, "description": title,
                              "raw": json.dumps({"tags": [title]})}))
    assert found.findtext("dc:title/rdf:Alt/rdf:li", namespaces=NS) == shown
    assert found.findtext("dc:description/rdf:Alt/rdf:li", namespaces=NS) == shown
    assert found.findtext("dc:subject/rdf:Bag/rdf:li", namespaces=NS) == shown


def test_json_sidecar_is_the_record_sorted_without_the_deletehash() -> None:
    raw = json.dumps({"title": "é", "id": "abc123", "deletehash": "secret", "size": 5})
    data = render_json({"id": "abc123", "raw": raw})
    assert data == b'{\n  "id": "abc123",\n  "size": 5,\n  "title": "\xc3\xa9"\n}\n'
    assert render_json({"id": "abc123", "raw": raw}) == data
    # A lone surrogate from the server cannot be UTF-8: everything is escaped instead.
    odd = render_json({"id": "abc123", "raw": json.dumps({"title": "\ud800é"})})
    assert json.loads(odd)["title"] == "\ud800é" and odd.isascii()


@pytest.mark.parametrize("name, ours", [
    ("Sleepy cat [abc123].png.xmp", True), ("abc123.png.json", True),
    ("007 Old tram [abc123].gif.xmp", True), ("album.json", True), ("account.json", True),
    ("Sleepy cat [abc123].png", False), ("notes.xmp", False), ("photo.json", False),
    ("Sleepy cat [abc123].xmp", False), ("index.html", False), ("[abc].PNG.xmp", False),
])
def test_metadata_names(name: str, ours: bool) -> None:
    assert is_metadata_name(name) is ours
