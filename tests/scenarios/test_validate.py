"""Scenario validation: every kind of mistake is reported with its file and field path, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.scenarios.bfcl_helpers import runnable_builtins
from turnloom.scenarios import ScenarioError, load_scenario
from turnloom.scenarios._validate import validate_scenario

VALID = """\
name: shop
tools:
  inline:
    - name: get_item
      description: Get an item by its id.
      parameters:
        type: object
        properties:
          item_id: {type: string, description: Item id}
        required: [item_id]
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def _one(problems: list[str], path: str, field: str) -> str:
    """The single problem of ``path`` about ``field`` (file and field both named)."""
    hits = [p for p in problems if p.startswith(path) and f": {field}: " in p]
    assert len(hits) == 1, problems
    return hits[0]


def test_valid_file_and_every_builtin_have_no_problems(tmp_path: Path) -> None:
    assert validate_scenario(_write(tmp_path, VALID)) == []
    for name in runnable_builtins():
        assert validate_scenario(name) == [], name


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nplan:\n  mix: {single: 1\n")
    (problem,) = validate_scenario(path)
    assert problem.startswith(f"{path}:4:1: invalid YAML:")
    assert "flow mapping" in problem


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "- just\n- a list\n")
    assert validate_scenario(path) == [f"{path}: (top level): expected a mapping of scenario fields, got list"]


def test_unknown_field_suggests_the_right_one_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "user:\n  persnoa: a pirate\n")
    problem = _one(validate_scenario(path), path, "user.persnoa")
    assert problem.startswith(f"{path}:12: ")
    assert "did you mean 'persona'?" in problem and "expected one of: persona, goals" in problem


def test_wrong_types_say_what_was_expected(tmp_path: Path) -> None:
    extra = "max_turns: lots\nverify: {disable: grounded_args}\nworld: {env: {error_rate: 1.5}}\n"
    path = _write(tmp_path, VALID + extra)
    problems = validate_scenario(path)
    assert "expected an integer, got 'lots'" in _one(problems, path, "max_turns")
    assert "expected a list, got 'grounded_args'" in _one(problems, path, "verify.disable")
    assert "expected a number <= 1.0, got 1.5" in _one(problems, path, "world.env.error_rate")


def test_unknown_pool_tool_names_and_domains(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        name: s
        tools: {pool: builtin, domains: [weather, cooking], names: [get_weather_forcast]}
    """)
    problems = validate_scenario(path)
    assert "close: get_weather_forecast" in _one(problems, path, "tools.names[0]")
    assert "no tools of domain 'cooking'" in _one(problems, path, "tools.domains[1]")
    assert len(problems) == 2


def test_invalid_json_schema_reports_the_path_inside_the_schema(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        name: s
        tools:
          inline:
            - name: do_thing
              parameters:
                type: object
                properties:
                  a: {type: strnig}
                  b: {type: integer, minimum: low}
                required: [a, c]
    """)
    problems = validate_scenario(path)
    assert "'strnig' is not a JSON Schema type" in _one(problems, path, "tools.inline[0].parameters.properties.a.type")
    assert "'low' is not of type 'number'" in _one(problems, path, "tools.inline[0].parameters.properties.b.minimum")
    assert "'c' is required but not among the properties" in _one(
        problems, path, "tools.inline[0].parameters.required[1]")


def test_plan_mix_and_step_bounds_are_all_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "plan:\n  min_steps: 6\n  max_steps: 2\n  mix: {dependant: 1, chitchat: -1}\n")
    problems = validate_scenario(path)
    assert "did you mean 'dependent'?" in _one(problems, path, "plan.mix.dependant")
    assert "expected a weight >= 0, got -1" in _one(problems, path, "plan.mix.chitchat")
    assert "max_steps (2) is smaller than min_steps (6)" in _one(problems, path, "plan.max_steps")


def test_weights_that_sum_to_zero(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "plan:\n  mix: {single: 0, chitchat: 0}\n")
    assert "weights sum to 0" in _one(validate_scenario(path), path, "plan.mix")


def test_bindings_must_import_and_name_a_tool(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "world:\n  bindings:\n    get_item: no_such_pkg.mod:fn\n    ghost: json:dumps\n")
    problems = validate_scenario(path)
    assert "cannot import module 'no_such_pkg.mod'" in _one(problems, path, "world.bindings.get_item")
    assert "unknown tool 'ghost'" in _one(problems, path, "world.bindings.ghost")


def test_unknown_error_kind(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "world: {env: {error_kinds: [timeout, meltdown]}}\n")
    assert "unknown error kind 'meltdown'" in _one(validate_scenario(path), path, "world.env.error_kinds[1]")


def test_agent_and_model_checks_are_called_per_role(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID + "agents: {assistant: nope}\nmodels: {user: 'x@'}\n")

    def check(role: str, ref: str) -> None:
        raise ValueError(f"{role} cannot use {ref}")

    problems = validate_scenario(path, check_agent=check, check_model=check)
    assert _one(problems, path, "agents.assistant").endswith("assistant cannot use nope")
    assert _one(problems, path, "models.user").endswith("user cannot use x@")
    assert validate_scenario(path) == []  # without checks, references are not looked at


def test_missing_and_cyclic_extends(tmp_path: Path) -> None:
    missing = _write(tmp_path, "name: d\nextends: nothere.yaml\n", "d.yaml")
    (problem,) = validate_scenario(missing)
    assert problem == f"{missing}: extends: {tmp_path / 'nothere.yaml'}: no such scenario file"
    a = _write(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    _write(tmp_path, "name: b\nextends: a.yaml\n", "b.yaml")
    (problem,) = validate_scenario(a)
    assert problem.startswith(f"{a}: extends: ") and "cycle through 'a.yaml'" in problem
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)  # the loader reports the cycle too, instead of recursing without end


def test_every_problem_of_a_file_at_once_in_line_order(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        name: bad one
        descripton: typo
        tools: {pool: builtin, names: [nope]}
        plan: {min_steps: 4, max_steps: 1}
        max_turns: 1
    """)
    problems = validate_scenario(path)
    assert [p.split(": ", 2)[1] for p in problems] == ["name", "descripton", "tools.names[0]", "tools",
                                                      "plan.max_steps", "max_turns"]
    assert [int(p.split(":")[1]) for p in problems] == [1, 2, 3, 3, 4, 5]


def test_a_directory_does_not_shadow_a_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "travel").mkdir()
    (tmp_path / "outdir").mkdir()
    assert load_scenario("travel").name == "travel"
    with pytest.raises(ScenarioError, match="outdir: a directory, not a scenario file"):
        load_scenario("outdir")
