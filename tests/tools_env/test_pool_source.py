"""The pool's YAML source (tools_env/_pool_source.py) and scripts/build_pool.py."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from turnloom.tools_env._pool_source import COMMON_FILE, PoolSourceError, compile_pool, render_jsonl, source_dir

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_pool.py"

COMMON = """
vocabulary:
  city: {type: string, description: City name.}
  email: {type: string, description: Email address., format: email}
  limit: {type: integer, description: Maximum number of results., minimum: 1, default: 10}
"""

SHOPS = """
vocabulary:
  shop_id: {type: string, description: Identifier of the shop.}
  name: {type: string, description: Name of the shop.}
  rating: {type: number, description: Rating from 0 to 5., minimum: 0, maximum: 5}
  shops:
    records: shop_id name city rating?
    description: Matching shops.
    maxItems: 50
  owner:
    record: name contact=email
    description: Who runs the shop.
tools:
  - name: search_shops
    description: Find shops in a city.
    tags: [shop, search]
    parameters: city* limit
    returns: shops
  - name: get_shop
    description: Get one shop.
    tags: [shop]
    parameters: shop_id*
    returns: shop_id name owner city? manager=owner
    overrides:
      owner:
        description: The shop's owner.
        record: name
"""


def _source(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "pool"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"_common": COMMON, **files}.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _error(folder: Path) -> str:
    with pytest.raises(PoolSourceError) as info:
        compile_pool(folder)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_records_and_vocabulary_compile_to_json_schema(tmp_path: Path) -> None:
    tools = {t.name: t for t in compile_pool(_source(tmp_path, shops=SHOPS))}
    assert list(tools) == ["get_shop", "search_shops"]
    search = tools["search_shops"]
    assert search.domain == "shops" and search.tags == ["shop", "search"]
    assert search.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name."},
            "limit": {"type": "integer", "description": "Maximum number of results.", "minimum": 1, "default": 10},
        },
        "required": ["city"],
    }
    assert search.returns is not None
    shops = search.returns["properties"]["shops"]
    assert list(shops) == ["type", "description", "items", "maxItems"]
    assert shops["items"]["required"] == ["shop_id", "name", "city"]
    assert list(shops["items"]["properties"]) == ["shop_id", "name", "city", "rating"]
    returns = tools["get_shop"].returns
    assert returns is not None and returns["required"] == ["shop_id", "name", "owner", "manager"]
    props = returns["properties"]
    # the tool's override replaces the vocabulary entry wherever its key is used (owner and manager=owner)
    assert props["owner"] == props["manager"] == {
        "type": "object",
        "description": "The shop's owner.",
        "properties": {"name": {"type": "string", "description": "Name of the shop."}},
        "required": ["name"],
    }


def test_record_form_keeps_description_and_renames_fields(tmp_path: Path) -> None:
    text = SHOPS.replace("returns: shop_id name owner city? manager=owner", "returns: shop_id owner")
    text = text[: text.index("    overrides:")]
    get_shop = next(t for t in compile_pool(_source(tmp_path, shops=text)) if t.name == "get_shop")
    assert get_shop.returns is not None
    owner = get_shop.returns["properties"]["owner"]
    assert owner["description"] == "Who runs the shop."
    assert owner["properties"]["contact"]["format"] == "email"
    assert owner["required"] == ["name", "contact"]


@pytest.mark.parametrize(
    ("old", "new", "path", "expected"),
    [
        ("parameters: city* limit", "parameters: city* radius", "tools[0].parameters",
         "unknown field 'radius' (expected a key of the shops vocabulary or of _common.yaml)"),
        ("    tags: [shop, search]", "    tag: [shop]", "tools[0].tag", "unknown key (expected one of: name,"),
        ("records: shop_id name", "records: name", "tools[1].parameters",
         "required id 'shop_id' is returned by no other tool of the shops domain"),
        ("rating?", "rating*", "vocabulary.shops.records", "mark '*' is not allowed here (only '?')"),
        ("returns: shops", "returns: shops shops", "tools[0].returns", "field 'shops' appears twice"),
        ("type: number, description: Rating", "type: numeric, description: Rating", "vocabulary.rating",
         "not a valid JSON Schema ('numeric' is not valid under any of the given schemas at rating.type)"),
        ("      owner:\n        description", "      owner:\n        minimum: x\n        description",
         "tools[1].returns",
         "not a valid JSON Schema ('x' is not of type 'number' at returns.properties.manager.minimum)"),
        ("name: search_shops", "name: search shops", "tools[0].name", "invalid tool (String should match"),
        ("      owner:\n", "      limit:\n", "tools[1].overrides.limit",
         "overrides no field of this tool's parameters or returns"),
        ("    description: Matching shops.\n", "", "vocabulary.shops", "a 'records' form needs a 'description'"),
        ("    description: Find shops in a city.", "    description: 2024-01-05", "tools[0].description",
         "date value datetime.date(2024, 1, 5) is not JSON data (quote it)"),
        ("records: shop_id name city rating?", "records: shop_id shops", "vocabulary.shops",
         "records refer to themselves (shops -> shops)"),
    ],
)
def test_bad_source_is_one_line_naming_file_path_and_expectation(
    tmp_path: Path, old: str, new: str, path: str, expected: str
) -> None:
    assert old in SHOPS
    text = SHOPS.replace(old, new, 1)
    message = _error(_source(tmp_path, shops=text))
    assert message.startswith(f"{tmp_path / 'pool' / 'shops.yaml'}: {path}: "), message
    assert expected in message, message


def test_duplicate_tool_names_across_files_are_refused(tmp_path: Path) -> None:
    other = """
    tools:
      - name: search_shops
        description: Find shops again.
        tags: [shop]
        parameters: city*
        returns: city
    """
    message = _error(_source(tmp_path, shops=SHOPS, stores=other))
    assert message.startswith(f"{tmp_path / 'pool' / 'stores.yaml'}: tools[0].name: duplicate tool name")
    assert "also in" in message and "shops.yaml tools[0]" in message


def test_invalid_yaml_duplicate_keys_and_missing_common_file(tmp_path: Path) -> None:
    message = _error(_source(tmp_path, shops="tools:\n  - name: [unclosed\n"))
    assert message.startswith(f"{tmp_path / 'pool' / 'shops.yaml'}: line ") and "invalid YAML" in message
    twice = SHOPS.replace("  name: {type: string", "  rating: {type: string", 1)
    message = _error(_source(tmp_path, shops=twice))
    # the second 'rating' (the file starts with a blank line)
    assert message == f"{tmp_path / 'pool' / 'shops.yaml'}: line 5, column 3: invalid YAML (duplicate key 'rating')"
    (tmp_path / "pool" / COMMON_FILE).unlink()
    assert "no _common.yaml (expected the shared vocabulary)" in _error(tmp_path / "pool")
    bad_name = _source(tmp_path / "x", **{"Shops-2": SHOPS})
    assert "file name must be a domain name" in _error(bad_name)


def test_shipped_source_is_package_data() -> None:
    names = {f.name for f in source_dir().iterdir()}
    assert COMMON_FILE in names and "flights.yaml" in names and len(names) >= 23


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_pool", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not BUILD_SCRIPT.exists(), reason="build script not available (installed package)")
def test_build_script_writes_checks_and_never_overwrites_on_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = _build_script()
    source, out = _source(tmp_path, shops=SHOPS), tmp_path / "pool.jsonl"
    assert build.main(["--source", str(source), "--out", str(out), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err and not out.exists()
    assert build.main(["--source", str(source), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_jsonl(compile_pool(source))
    assert build.main(["--source", str(source), "--out", str(out), "--check"]) == 0
    before = out.read_bytes()
    (source / "shops.yaml").write_text(SHOPS.replace("city* limit", "city* radius"), encoding="utf-8")
    assert build.main(["--source", str(source), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "unknown field 'radius'" in err and "\n" not in err
    assert out.read_bytes() == before
