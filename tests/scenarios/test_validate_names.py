"""`turnloom scenario validate` catches names that would silently do nothing (rule names, seed entities,
LLM-simulated tools) and tool schemas no value fits; a run refuses such a scenario up front."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.rules import MODEL_JUDGES, known_rule_names
from turnloom.scenarios import ScenarioError, load_scenario, scenario_tools

runner = CliRunner()

SHOP = """\
name: shop
tools:
  inline:
    - name: get_book
      description: Get a book by its id.
      parameters:
        type: object
        properties:
          book_id: {type: string, description: Book id}
        required: [book_id]
      returns:
        type: object
        properties:
          book_id: {type: string}
          title: {type: string}
"""
CYCLIC = """\
name: trees
tools:
  inline:
    - name: get_tree
      description: Get a tree by its id.
      parameters:
        type: object
        properties:
          tree_id: {type: string, description: Tree id}
        required: [tree_id]
      returns:
        $ref: '#/$defs/Node'
        $defs:
          Node:
            type: object
            required: [label, child]
            properties:
              label: {type: string}
              child: {$ref: '#/$defs/Node'}
"""


def _validate(tmp_path: Path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    return result.exit_code, [line.strip() for line in result.output.splitlines() if line.startswith("  ")]


def _single(lines: list[str], field: str) -> str:
    hits = [line for line in lines if f": {field}: " in line]
    assert len(hits) == 1, lines
    return hits[0]


def test_the_valid_file_passes(tmp_path: Path) -> None:
    assert _validate(tmp_path, SHOP + "world:\n  seed_data:\n    book: [{book_id: B-1}]\n  llm_tools: [get_book]\n"
                     "verify:\n  disable: [grounded_args, hallucination]\n") == (0, [])


@pytest.mark.parametrize(("extra", "field", "words"), [
    ("verify:\n  disable: [grounded_arg]\n", "verify.disable[0]", "unknown rule 'grounded_arg' (did you mean "
                                                                  "'grounded_args'?)"),
    ("world:\n  seed_data:\n    bok: [{book_id: B-1}]\n", "world.seed_data.bok",
     "unknown entity 'bok': no tool reads or writes it (did you mean 'book'?)"),
    ("world:\n  llm_tools: [nope_tool]\n", "world.llm_tools[0]", "unknown tool 'nope_tool'"),
    ("world:\n  llm_tools: [get_bok]\n", "world.llm_tools[0]", "(did you mean 'get_book'?)"),
])
def test_typos_are_one_line_with_file_path_and_suggestion(tmp_path: Path, extra: str, field: str, words: str) -> None:
    code, lines = _validate(tmp_path, SHOP + extra)
    assert code == 2
    line = _single(lines, field)
    assert line.startswith(str(tmp_path / "s.yaml") + ":") and words in line


def test_a_cyclic_returns_schema_is_reported_with_the_tool_and_path(tmp_path: Path) -> None:
    code, lines = _validate(tmp_path, CYCLIC)
    assert code == 2
    line = _single(lines, "tools.inline[0].returns.$defs.Node")
    assert "tool 'get_tree'" in line and "required self-reference" in line
    with pytest.raises(ScenarioError) as info:  # what `turnloom run` loads
        load_scenario(str(tmp_path / "s.yaml"))
    assert any("get_tree" in p and "$defs/Node" in p for p in info.value.problems)


def test_optional_tree_still_validates_and_loads(tmp_path: Path) -> None:
    text = CYCLIC.replace("required: [label, child]", "required: [label]")
    assert _validate(tmp_path, text) == (0, [])
    assert [t.name for t in scenario_tools(load_scenario(str(tmp_path / "s.yaml")))] == ["get_tree"]


def test_run_refuses_a_cyclic_scenario_before_simulating(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(CYCLIC, encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "-n", "2", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "get_tree" in result.output and "$defs/Node" in result.output
    assert not (tmp_path / "out" / "accepted.jsonl").exists()


def test_known_rule_names_cover_every_check_a_verdict_carries() -> None:
    from turnloom.agents.llm._prompts import JUDGE_PROMPTS
    from turnloom.simulate import Simulator

    assert set(MODEL_JUDGES) == set(JUDGE_PROMPTS)
    sc = load_scenario("travel")
    sim = Simulator(sc)

    async def go() -> set[str]:
        names: set[str] = set()
        for i in range(6):
            d = await sim.simulate(i, 5)
            names.update(c.rule for c in d.verdict.checks)
        return names

    seen = asyncio.run(go())
    assert seen and seen <= known_rule_names()
