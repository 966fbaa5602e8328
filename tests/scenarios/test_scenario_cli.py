"""``turnloom scenario list | new | validate | show`` end to end, and ``extends`` with built-ins and files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.scenarios import builtin_names, load_scenario

runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_list_shows_builtins_with_tool_counts_and_local_files(here: Path) -> None:
    (here / "mine.yaml").write_text("name: mine\ndescription: Mine.\ntools: {pool: builtin, domains: [weather]}\n")
    (here / "broken.yaml").write_text("name: broken\nplan: {max_steps: 0}\n")
    code, out, _ = _invoke("scenario", "list")
    assert code == 0
    for name in builtin_names():
        assert name in out
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.count("│") == 5]
    rows = {row[1]: row for row in cells if row[1]}
    assert [r[:3] for r in cells if r[0] == "travel"] == [["travel", "built-in", "11"]]
    assert rows["mine.yaml"][:3] == ["mine", "mine.yaml", "11"]  # the weather domain has 11 tools
    assert rows["broken.yaml"][:3] == ["?", "broken.yaml", "—"] and "invalid" in rows["broken.yaml"][3]


def test_list_with_dir(here: Path) -> None:
    (here / "sub").mkdir()
    (here / "sub" / "other.yaml").write_text("name: other\ntools: {pool: builtin, names: [get_air_quality]}\n")
    code, out, _ = _invoke("scenario", "list", "--dir", "sub")
    assert code == 0 and "sub/other.yaml" in out
    code, _, err = _invoke("scenario", "list", "--dir", "nowhere")
    assert code == 2 and "no such directory" in err


def test_new_writes_a_template_that_validates_and_runs(here: Path) -> None:
    code, out, _ = _invoke("scenario", "new", "library")
    assert code == 0 and "library.yaml" in out
    text = (here / "library.yaml").read_text()
    for field in ("name:", "description:", "system_prompt:", "inline:", "pool:", "domains:", "names:", "sample:",
                  "seed_data:", "lazy_world:", "error_rate:", "error_kinds:", "search_results:", "bindings:",
                  "persona:", "goals:", "min_steps:", "max_steps:", "mix:", "closing:", "require_dependent:",
                  "disable:", "max_regenerations:", "max_reply_chars:", "agents:", "models:", "max_turns:",
                  "extends:"):
        assert field in text, field
    code, out, _ = _invoke("scenario", "validate", "library.yaml")
    assert code == 0 and "✓ library.yaml" in out
    code, out, err = _invoke("run", "library.yaml", "-n", "2", "--seed", "3", "-o", "out", "--quiet")
    assert code == 0, out + err
    manifest = json.loads((here / "out" / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 2
    assert manifest["counts"]["accepted"] >= 1


def test_new_refuses_to_overwrite_and_bad_names(here: Path) -> None:
    assert _invoke("scenario", "new", "x", "-o", "x.yaml")[0] == 0
    code, _, err = _invoke("scenario", "new", "x", "-o", "x.yaml")
    assert code == 2 and "already exists" in err
    assert _invoke("scenario", "new", "x", "-o", "x.yaml", "--force")[0] == 0
    code, _, err = _invoke("scenario", "new", "bad name")
    assert code == 2 and "expected letters, digits" in err
    code, _, err = _invoke("scenario", "new", "y", "--extends", "nosuch")
    assert code == 2 and "not a built-in scenario" in err


def test_new_with_extends_inherits_everything_until_overridden(here: Path) -> None:
    code, _, _ = _invoke("scenario", "new", "my_trips", "--extends", "travel", "-o", "trips.yaml")
    assert code == 0
    assert _invoke("scenario", "validate", "trips.yaml")[0] == 0
    mine, travel = load_scenario("trips.yaml"), load_scenario("travel")
    assert mine.name == "my_trips" and mine.extends == "travel"
    assert mine.tools == travel.tools and mine.plan == travel.plan and mine.system_prompt == travel.system_prompt


def test_validate_reports_every_problem_and_exits_2(here: Path) -> None:
    (here / "bad.yaml").write_text(
        "name: bad\ntools: {pool: builtin, names: [get_air_quality]}\n"
        "agents: {assistant: no-such-agent, critic: offline-user}\n"
        "models: {assistant: 'openai:gpt@ftp://x', user: 'anthropic:claude'}\n"
    )
    code, out, err = _invoke("scenario", "validate", "bad.yaml", "travel")
    assert code == 2
    assert "✓ travel" in out and "bad.yaml: 4 problem(s)" in err
    assert "bad.yaml:3: agents.assistant: agent 'no-such-agent': no agent registered under that name" in err
    assert "bad.yaml:3: agents.critic: unknown role 'critic'" in err
    assert "bad.yaml:4: models.assistant: model spec 'openai:gpt@ftp://x': base URL 'ftp://x' must start with" in err
    assert "bad.yaml:4: models.user: model spec 'anthropic:claude': unsupported provider 'anthropic'" in err
    code, _, err = _invoke("scenario", "validate", "missing.yaml")
    assert code == 2 and "missing.yaml: no such scenario file" in err


def test_show_prints_the_merged_scenario_as_yaml_that_loads_back(here: Path) -> None:
    code, out, _ = _invoke("scenario", "show", "weather_finance")
    assert code == 0
    data = yaml.safe_load(out)
    assert data == load_scenario("weather_finance").model_dump(mode="json", exclude={"extends"})
    assert "# 9 tools offered: convert_currency," in out
    (here / "copy.yaml").write_text(out)
    assert load_scenario("copy.yaml") == load_scenario("weather_finance")
    code, _, err = _invoke("scenario", "show", "nosuch")
    assert code == 2 and "not a scenario file and not a built-in scenario" in err


def test_extends_overrides_builtin_and_relative_file(here: Path) -> None:
    (here / "base").mkdir()
    (here / "base" / "parent.yaml").write_text(
        "name: parent\nextends: restaurants\nplan: {max_steps: 7}\nuser: {goals: [eat]}\n")
    (here / "child.yaml").write_text(
        "name: child\nextends: base/parent.yaml\nplan: {min_steps: 2, mix: {parallel: 1}}\n")
    code, out, _ = _invoke("scenario", "show", "child.yaml")
    assert code == 0 and "extends base/parent.yaml, merged" in out
    child, restaurants = load_scenario("child.yaml"), load_scenario("restaurants")
    assert child.name == "child"
    assert (child.plan.min_steps, child.plan.max_steps) == (2, 7)  # each level overrides one value
    assert child.plan.mix == {**restaurants.plan.mix, "parallel": 1}  # mappings merge key by key
    assert child.user.goals == ["eat"] and child.user.persona == restaurants.user.persona  # lists are replaced
    assert child.tools == restaurants.tools and child.system_prompt == restaurants.system_prompt
    code, _, _ = _invoke("run", "child.yaml", "-n", "2", "--seed", "1", "-o", "out", "--quiet")
    assert code == 0
