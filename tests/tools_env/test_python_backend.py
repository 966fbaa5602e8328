"""Python-class backends: a class's methods as tools, its state kept in the World."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.scenarios import ScenarioError, load_scenario
from turnloom.schema import ToolCall
from turnloom.simulate import Simulator
from turnloom.tools_env._py_state import decode_state, encode_state
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.python_backend import (
    BackendError,
    PythonBackend,
    class_tools,
    load_class,
    method_ref,
    state_key,
)
from turnloom.tools_env.world import World
from turnloom.viewer import Stepper

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fixture_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def _env(ref: str) -> ToolEnvironment:
    cls = load_class(ref)
    tools = class_tools(cls)
    return ToolEnvironment(tools, bindings={t.name: method_ref(ref, t.name) for t in tools})


def _call(env: ToolEnvironment, world: World, name: str, i: int = 0, **arguments: Any) -> tuple[World, Any]:
    return env.call(world, ToolCall(id=f"c{i}", name=name, arguments=arguments))


# -- import -> schema ------------------------------------------------------------------------
def test_public_methods_become_tools_with_their_schemas() -> None:
    tools = {t.name: t for t in class_tools(load_class("notes_backend:NotesApp"))}
    assert sorted(tools) == ["add_note", "change_folder", "delete_note", "get_note", "list_notes", "scale"]
    add = tools["add_note"]
    assert add.description == "Create a note in the current folder."  # Google style
    assert add.parameters == {"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "description": "Title of the note."},
        "body": {"type": "string", "description": "Text of the note.", "default": ""},
        "tags": {"type": ["array", "null"], "items": {"type": "string"},
                 "description": "Labels to file the note under.", "default": None}}}
    assert add.returns == {"type": "object", "description": "The new note."}
    scope = tools["list_notes"].parameters["properties"]["scope"]  # NumPy style, Literal -> enum
    assert scope["enum"] == ["folder", "all"] and scope["description"] == "Only the current folder, or every folder."
    assert "required" not in tools["list_notes"].parameters
    folder = tools["change_folder"].parameters["properties"]  # reST style
    assert folder["create"] == {"type": "boolean", "description": "Create the folder when it does not exist.",
                                "default": False}
    assert tools["scale"].parameters["properties"]["limit"] == {"type": ["integer", "null"], "default": None}
    assert tools["scale"].returns == {"type": "number"}


def test_pool_import_python_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", "python", "notes_backend:NotesApp", "-o", str(out)])
    assert result.exit_code == 0, result.output
    names = [json.loads(line)["name"] for line in out.read_text().splitlines()]
    assert names == ["add_note", "change_folder", "delete_note", "get_note", "list_notes", "scale"]


def test_pool_import_python_with_bfcl_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    docs = tmp_path / "docs.json"
    docs.write_text(json.dumps({"name": "get_note", "description": "Fetch a note by id.", "parameters": {
        "type": "dict", "properties": {"note_id": {"type": "string", "description": "The id."}},
        "required": ["note_id"]}}) + "\n")
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", "python", "notes_backend:NotesApp", "-o", str(out),
                                      "--bfcl-docs", str(docs)])
    assert result.exit_code == 0, result.output
    tools = {t["name"]: t for t in map(json.loads, out.read_text().splitlines())}
    assert tools["get_note"]["description"] == "Fetch a note by id."
    assert tools["get_note"]["parameters"]["properties"]["note_id"]["description"] == "The id."
    assert tools["add_note"]["description"] == "Create a note in the current folder."  # no BFCL doc: docstring


def test_a_class_that_cannot_be_imported_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "pool.jsonl"
    for ref, says in (("no_such_module:Cls", "cannot import module 'no_such_module'"),
                      ("notes_backend:Missing", "has no attribute 'Missing'"),
                      ("notes_backend", "expected 'package.module:Class'")):
        result = CliRunner().invoke(app, ["pool", "import", "python", ref, "-o", str(out)])
        assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not out.exists()


# -- state -------------------------------------------------------------------------------------
def test_state_loads_from_a_dict_of_attributes() -> None:
    backend = PythonBackend("notes_backend:NotesApp")
    world = backend.initial_world(World(), {"next_id": 7, "folders": {"inbox": [], "work": []}})
    env = _env("notes_backend:NotesApp")
    world, result = _call(env, world, "add_note", title="Plan")
    assert result.content == {"note_id": "n7", "title": "Plan", "body": "", "tags": []}
    world, result = _call(env, world, "change_folder", 1, folder="work")
    assert result.ok


def test_state_loads_through_load_scenario() -> None:
    backend = PythonBackend("notes_backend:ScenarioNotes")
    world = backend.initial_world(World(), {"notes": [{"title": "Groceries"}]})
    env = _env("notes_backend:ScenarioNotes")
    world, result = _call(env, world, "get_note", note_id="n1")
    assert result.content["title"] == "Groceries"
    world, result = _call(env, world, "add_note", 1, title="Next")
    assert result.content["note_id"] == "n2"


def test_every_call_writes_the_state_into_the_world() -> None:
    env = _env("notes_backend:NotesApp")
    world0 = PythonBackend("notes_backend:NotesApp").initial_world(World())
    world1, _ = _call(env, world0, "add_note", title="A", tags=["x"])
    state = world1.memo[state_key("notes_backend:NotesApp")]
    assert state["next_id"] == 2 and state["notes"]["n1"]["$attrs"]["title"] == "A"
    assert "_opened" not in state["notes"]["n1"]["$attrs"]  # a nested object's private attribute is not state
    assert world1.digest() != world0.digest()
    world2, _ = _call(env, world1, "change_folder", 1, folder="archive", create=True)
    assert world2.memo[state_key("notes_backend:NotesApp")]["_folder"] == "archive"
    # the world as a dialogue record holds it (sorted JSON text) gives the same instance back
    stored = World.model_validate(json.loads(json.dumps(world2.model_dump(mode="json"), sort_keys=True)))
    assert stored.digest() == world2.digest()
    _, listed = _call(env, stored, "list_notes", 2, scope="all")
    assert listed.content == {"folder": "archive", "notes": [{"note_id": "n1", "title": "A", "body": "",
                                                                 "tags": ["x"]}]}
    # worlds are values: the first one still answers as before the calls
    _, before = _call(env, world0, "list_notes", 3, scope="all")
    assert before.content == {"folder": "inbox", "notes": []}


def test_shared_objects_and_odd_values_survive_the_round_trip() -> None:
    cls = load_class("notes_backend:NotesApp")
    inst = cls()
    inst.add_note("A")
    inst.pinned = inst.notes["n1"]  # the same object twice
    inst.extra = {2: (1.5, float("inf")), "z": {"b", "a"}, "$x": None}
    state = json.loads(json.dumps(encode_state(inst), sort_keys=True))
    back = decode_state(cls, state)
    assert back.pinned is back.notes["n1"] and list(back.extra) == [2, "z", "$x"]
    assert back.extra[2] == (1.5, float("inf")) and back.extra["z"] == {"a", "b"}


def test_replay_reproduces_every_result_and_the_digest() -> None:
    env = _env("notes_backend:ScenarioNotes")
    world0 = PythonBackend("notes_backend:ScenarioNotes").initial_world(World(seed=3), {"notes": [{"title": "G"}]})
    calls = [ToolCall(id="a", name="add_note", arguments={"title": "B"}),
             ToolCall(id="b", name="change_folder", arguments={"folder": "w", "create": True}),
             ToolCall(id="c", name="add_note", arguments={"title": "C"}),
             ToolCall(id="d", name="delete_note", arguments={"note_id": "n1"}),
             ToolCall(id="e", name="list_notes", arguments={"scope": "all"})]
    final, results = env.replay(world0, calls)
    again, results2 = env.replay(world0, calls)
    assert again.digest() == final.digest() and results2 == results
    assert [n["title"] for n in results[-1].content["notes"]] == ["B", "C"]


# -- errors ------------------------------------------------------------------------------------
def test_exceptions_and_error_results_are_tool_errors() -> None:
    env = _env("notes_backend:NotesApp")
    world = PythonBackend("notes_backend:NotesApp").initial_world(World())
    world, missing = _call(env, world, "get_note", note_id="n9")
    assert missing.error == "KeyError: 'n9'" and missing.content is None
    world, gone = _call(env, world, "delete_note", 1, note_id="n9")
    assert gone.error == "no note 'n9'"
    world, bad = _call(env, world, "change_folder", 2, folder=3)
    assert bad.error is not None and bad.error.startswith("invalid arguments")


def test_state_that_cannot_be_stored_is_refused_naming_the_attribute() -> None:
    with pytest.raises(BackendError, match=r"attribute conn holds a _thread.lock"):
        PythonBackend("notes_backend:Connected").initial_world(World())
    env = _env("notes_backend:LockedNotes")
    world = PythonBackend("notes_backend:LockedNotes").initial_world(World())
    after, result = _call(env, world, "open_session")
    assert result.error is not None and "refused" in result.error and "attribute session" in result.error
    assert after.digest() == world.digest()  # nothing unreplayable was kept


# -- scenarios ---------------------------------------------------------------------------------
def _scenario(tmp_path: Path, backend: str) -> Path:
    shutil.copy(FIXTURES / "notes_state.json", tmp_path / "notes_state.json")
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nworld:\n  backend:\n{backend}", encoding="utf-8")
    return path


def test_scenario_backend_errors_name_the_file_and_field(tmp_path: Path) -> None:
    cases = [
        ("    python: notes_backend:NotesApp\n    flavour: x\n", "world.backend.flavour: unknown field"),
        ("    state: {}\n", "world.backend.python: required field is missing"),
        ("    python: notes_backend:Connected\n", "world.backend.python: python class notes_backend:Connected: its "
                                                  "state cannot be stored as JSON"),
        ("    python: notes_backend:NotesApp\n    state: nowhere.json\n", "world.backend.state: cannot read"),
        ("    python: nope_module:X\n", "world.backend.python: python class 'nope_module:X': cannot import"),
    ]
    for backend, says in cases:
        path = _scenario(tmp_path, backend)
        with pytest.raises(ScenarioError) as info:
            load_scenario(str(path))
        assert any(p.startswith(f"{path}: {says}") for p in info.value.problems), info.value.problems


def test_simulated_dialogues_start_fresh_and_replay_exactly(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "    python: notes_backend:ScenarioNotes\n    state: notes_state.json\n")
    sim = Simulator(load_scenario(str(path)))
    assert {t.name for t in sim.tools} >= {"add_note", "get_note"}
    key = state_key("notes_backend:ScenarioNotes")
    for i in range(4):
        d = asyncio.run(sim.simulate(i, seed=11))
        # every dialogue starts from the scenario's state, never from another dialogue's
        assert d.world_initial["memo"][key]["next_id"] == 3
        replay = [c for c in d.verdict.checks if c.rule == "state_replay"]
        assert replay and all(c.passed for c in replay), d.verdict.checks
        assert d.settings["bindings"]["add_note"] == "notes_backend:ScenarioNotes.add_note"


def test_stepping_back_restores_the_class_state(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "    python: notes_backend:ScenarioNotes\n    state: notes_state.json\n")
    sim = Simulator(load_scenario(str(path)))
    key = state_key("notes_backend:ScenarioNotes")
    # a dialogue whose calls change the class state (a grounded plan may only read existing notes)
    seed = next(s for s in range(40) if (d := asyncio.run(sim.simulate(0, seed=s))).world_final["memo"][key]
                != d.world_initial["memo"][key])

    async def go() -> None:
        stepper = Stepper(sim, index=0, seed=seed)
        await stepper.start()
        seen = []
        # until a call has changed the class state (grounded plans may open with reads of existing notes)
        while not stepper.done and (len([s for s in seen if s[0] == "tool"]) < 2
                                    or stepper.world.memo[key] == seen[0][1]):
            seen.append((stepper.next_nodes[0], stepper.world.memo[key], stepper.world.digest()))
            await stepper.next()
        end = (stepper.world.memo[key], stepper.world.digest())
        assert end[0] != seen[0][1], "the calls changed the class state"
        for _, state, digest in reversed(seen):
            assert await stepper.back()
            assert (stepper.world.memo[key], stepper.world.digest()) == (state, digest)
        for _ in seen:
            await stepper.next()
        assert (stepper.world.memo[key], stepper.world.digest()) == end

    asyncio.run(go())


def test_run_from_the_cli_is_reproducible(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "    python: notes_backend:ScenarioNotes\n    state: notes_state.json\n")
    shutil.copy(FIXTURES / "notes_backend.py", tmp_path / "notes_backend.py")
    turnloom = Path(sys.executable).parent / "turnloom"
    import subprocess

    outs = []
    for name in ("a", "b"):
        subprocess.run([str(turnloom), "run", str(path), "-n", "3", "--seed", "4", "-o", str(tmp_path / name),
                        "--quiet"], cwd=tmp_path, check=True, capture_output=True, timeout=300)
        outs.append((tmp_path / name / "accepted.jsonl").read_bytes() + (tmp_path / name / "rejected.jsonl")
                    .read_bytes())
    assert outs[0] == outs[1] and b"python-backend:notes_backend:ScenarioNotes" in outs[0]


# -- BFCL --------------------------------------------------------------------------------------
def test_bfcl_multi_turn_ground_truth_matches_bfcl() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_bfcl_backend as bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    site = bench.find_bfcl()
    if site is None:
        pytest.skip("bfcl-eval files not found (set BFCL_EVAL_DIR, or build the bfcl venv of tests/turnloom)")
    bench.install_class_files(site)
    data = site / "bfcl_eval" / "data"
    entries = [json.loads(line) for line in (data / "BFCL_v4_multi_turn_base.json").open(encoding="utf-8")][:12]
    answers = {a["id"]: a for a in map(json.loads, (data / "possible_answer" / "BFCL_v4_multi_turn_base.json")
                                       .open(encoding="utf-8"))}
    rows = [bench.compare(e, answers[e["id"]]) for e in entries]
    assert {e for r in rows for e in r["classes"]} >= {"GorillaFileSystem"}
    assert all(r["same_state"] and r["same_results"] and r["replay_exact"] for r in rows), rows
    docs = data / "multi_turn_func_doc" / "gorilla_file_system.json"
    from turnloom.tools_env._py_import import import_class

    result = import_class(bench.class_ref("GorillaFileSystem"), bfcl_docs=docs)
    cd = next(t for t in result.tools if t.name == "cd")
    assert "folder" in cd.parameters["properties"] and not [i for i in result.report.issues if "no BFCL" in i.reason]


def test_scenario_validate_knows_the_class_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = CliRunner().invoke(app, ["scenario", "validate", "notes.yaml"])
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nworld:\n  backend: {python: notes_backend:Connected}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "validate", str(bad)])
    assert result.exit_code == 2 and "world.backend.python" in result.output and "attribute conn" in result.output


def test_mcts_replays_backend_dialogues_and_branches_share_no_state(tmp_path: Path) -> None:
    from turnloom.itool import replay_env

    path = _scenario(tmp_path, "    python: notes_backend:ScenarioNotes\n    state: notes_state.json\n")
    sim = Simulator(load_scenario(str(path)))
    dialogues = [asyncio.run(sim.simulate(i, seed=11)) for i in range(4)]
    with_calls = [d for d in dialogues if d.stats["calls"]]
    assert with_calls
    for d in with_calls:
        replay = replay_env(d)  # rebuilt from the record alone: bindings name the class's methods
        assert replay.reproduces, d.id
    env = replay_env(with_calls[0]).env
    root = World.model_validate(with_calls[0].world_initial)
    _, left = _call(env, root, "add_note", title="left")
    _, right = _call(env, root, "add_note", 1, title="right")
    assert left.content["note_id"] == right.content["note_id"] == "n3"


# -- several classes ---------------------------------------------------------------------------
_TWO = ("    - python: notes_backend:ScenarioNotes\n      state: notes_state.json\n"
        "    - python: reminders_backend:Reminders\n      state: {items: [{text: water the plants}]}\n")


def test_a_list_of_classes_binds_the_tools_of_every_class(tmp_path: Path) -> None:
    path = _scenario(tmp_path, _TWO)
    sim = Simulator(load_scenario(str(path)))
    names = {t.name for t in sim.tools}
    assert {"add_note", "get_note", "set_reminder", "list_reminders"} <= names
    assert sim.bindings["add_note"] == "notes_backend:ScenarioNotes.add_note"
    assert sim.bindings["set_reminder"] == "reminders_backend:Reminders.set_reminder"
    notes, reminders = state_key("notes_backend:ScenarioNotes"), state_key("reminders_backend:Reminders")
    env = ToolEnvironment(sim.tools, bindings=sim.bindings)
    world = sim.start(0, seed=1)[1]["world"]
    assert world.memo[notes]["next_id"] == 3 and world.memo[reminders]["counter"] == 1
    world, made = _call(env, world, "set_reminder", text="call mum")
    world, note = _call(env, world, "add_note", 1, title="Plan")
    assert made.content["reminder_id"] == "r2" and note.content["note_id"] == "n3"
    assert world.memo[reminders]["counter"] == 2 and world.memo[notes]["next_id"] == 4


def test_dialogues_over_several_classes_start_fresh_replay_and_step_back(tmp_path: Path) -> None:
    from turnloom.itool import replay_env

    path = _scenario(tmp_path, _TWO)
    sim = Simulator(load_scenario(str(path)))
    keys = (state_key("notes_backend:ScenarioNotes"), state_key("reminders_backend:Reminders"))
    dialogues = [asyncio.run(sim.simulate(i, seed=3)) for i in range(8)]
    used = {c.name for d in dialogues for m in d.messages for c in m.tool_calls}
    assert used & {"set_reminder", "list_reminders"} and used & {"add_note", "get_note", "list_notes"}, used
    for d in dialogues:
        assert d.world_initial["memo"][keys[0]]["next_id"] == 3 and d.world_initial["memo"][keys[1]]["counter"] == 1
        assert all(c.passed for c in d.verdict.checks if c.rule == "state_replay"), d.verdict.checks
        if d.stats["calls"]:
            assert replay_env(d).reproduces, d.id

    async def go() -> None:  # stepping back restores the state of both classes
        stepper = Stepper(sim, index=0, seed=3)
        await stepper.start()
        seen = []
        while not stepper.done:
            seen.append(stepper.world.digest())
            await stepper.next()
        for digest in reversed(seen):
            assert await stepper.back()
            assert stepper.world.digest() == digest

    asyncio.run(go())


def test_two_classes_with_the_same_method_or_a_class_twice_is_one_scenario_error(tmp_path: Path) -> None:
    cases = [
        ("    - python: notes_backend:NotesApp\n    - python: reminders_backend:ClashingNotes\n",
         "world.backend: classes notes_backend:NotesApp and reminders_backend:ClashingNotes both have a public "
         "method 'add_note'"),
        ("    - python: notes_backend:NotesApp\n    - python: notes_backend:NotesApp\n",
         "world.backend: Value error, class notes_backend:NotesApp is listed twice"),
        ("    - python: notes_backend:NotesApp\n    - python: notes_backend:Connected\n",
         "world.backend[1].python: python class notes_backend:Connected: its state cannot be stored as JSON"),
        ("    - python: notes_backend:NotesApp\n    - state: {}\n", "world.backend[1].python: required field"),
    ]
    for backend, says in cases:
        path = _scenario(tmp_path, backend)
        with pytest.raises(ScenarioError) as info:
            load_scenario(str(path))
        assert [p for p in info.value.problems if p.startswith(f"{path}: {says}")], info.value.problems
    result = CliRunner().invoke(app, ["run", str(_scenario(tmp_path, cases[0][0])), "-n", "1", "-o",
                                      str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and "both have a public method 'add_note'" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists(), result.output
    from turnloom.scenarios._validate import validate_scenario

    problems = validate_scenario(str(_scenario(tmp_path, cases[0][0])))
    assert any("both have a public method 'add_note'" in p for p in problems), problems


def test_a_missing_package_names_it_and_the_install_command(tmp_path: Path) -> None:
    backend = ("    python: not_installed_pkg.sub:Cls\n"
               "    install: pip install --no-deps not-installed-pkg==1.0\n")
    result = CliRunner().invoke(app, ["run", str(_scenario(tmp_path, backend)), "-n", "1", "-o",
                                      str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "'not_installed_pkg', which is not installed; install it with: pip install --no-deps " \
           "not-installed-pkg==1.0" in result.output
