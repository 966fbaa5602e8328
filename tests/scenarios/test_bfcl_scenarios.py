"""Built-in scenarios over BFCL's multi-turn classes (loaded from bfcl-eval's class files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.scenarios.bfcl_helpers import BFCL_SCENARIOS, INSTALL, needs_bfcl
from turnloom.cli import app
from turnloom.dataset import read_dialogues
from turnloom.scenarios import builtin_names, load_scenario, scenario_tools
from turnloom.tools_env.python_backend import load_class, public_methods, state_key

runner = CliRunner()


def _bfcl_data() -> Path:
    """BFCL's multi_turn_base data in the installed distribution (not through ``bfcl_eval.__file__``:
    another test may have put a package of class files only under that name)."""
    import importlib.metadata as md

    return Path(str(md.distribution("bfcl-eval").locate_file("bfcl_eval/data/BFCL_v4_multi_turn_base.json")))


def _bfcl_entry(entry_id: str) -> dict:
    with _bfcl_data().open(encoding="utf-8") as fh:
        return next(e for e in map(json.loads, fh) if e["id"] == entry_id)


def _bfcl_values(cls: str, key: str) -> list[object]:
    with _bfcl_data().open(encoding="utf-8") as fh:
        return [e["initial_config"][cls][key] for e in map(json.loads, fh)
                if key in e["initial_config"].get(cls, {})]


@needs_bfcl
@pytest.mark.parametrize("name", BFCL_SCENARIOS)
def test_bfcl_scenario_binds_its_classes_with_bfcl_state_and_runs(name: str, tmp_path: Path) -> None:
    from turnloom.itool import replay_env

    sc = load_scenario(name)
    classes = [b.python for b in sc.world.backends()]
    assert len(classes) == 2
    # the state is the initial_config of the BFCL entry the scenario names
    entry = _bfcl_entry(sc.description.split("entry ")[1].split(".")[0])
    assert sorted(c.split(":")[1] for c in classes) == sorted(entry["involved_classes"])
    for b in sc.world.backends():
        cls = b.python.split(":")[1]
        own = entry["initial_config"].get(cls, {})
        assert set(own) <= set(b.state or {})
        for key, value in (b.state or {}).items():
            # the entry's own value, or (where the scenario adds a record) one of another BFCL entry
            assert value == own.get(key) or value in _bfcl_values(cls, key), (name, cls, key)
    tools = {t.name for t in scenario_tools(sc)}
    assert tools == {m for c in classes for m in public_methods(load_class(c))}

    out = tmp_path / "out"
    result = runner.invoke(app, ["run", name, "-n", "6", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    dialogues = [*read_dialogues(out / "accepted.jsonl"), *read_dialogues(out / "rejected.jsonl")]
    assert sum(d.verdict.accepted for d in dialogues) >= 1
    called = {c.name for d in dialogues for m in d.messages for c in m.tool_calls}
    assert called & tools
    for d in dialogues:
        assert {state_key(c) for c in classes} <= set(d.world_initial["memo"])
        assert all(c.passed for c in d.verdict.checks if c.rule == "state_replay"), (d.id, d.verdict.checks)
        if d.stats["calls"]:
            assert replay_env(d).reproduces, d.id


class _NotInstalled:
    """Makes ``import bfcl_eval`` fail as it does where the package is not installed."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname == "bfcl_eval":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def test_without_bfcl_eval_a_run_names_the_package_and_the_install_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in [m for m in sys.modules if m == "bfcl_eval" or m.startswith("bfcl_eval.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(sys, "meta_path", [_NotInstalled(), *sys.meta_path])
    out = tmp_path / "out"
    for name in BFCL_SCENARIOS:
        result = runner.invoke(app, ["run", name, "-n", "2", "-o", str(out), "--quiet"])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert "'bfcl_eval', which is not installed; install it with: " + INSTALL in lines[0]
        assert "Traceback" not in result.output and not out.exists()
    listed = runner.invoke(app, ["scenario", "list", "--dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert all(n in listed.output for n in builtin_names())
    checked = runner.invoke(app, ["scenario", "validate", "bfcl_files"])
    assert checked.exit_code == 2 and INSTALL in checked.output, checked.output
