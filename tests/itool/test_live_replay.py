"""iTool and the stepper over live MCP tools: a run's cassette answers the calls offline, the way the
run got them; without one, one clear line. Real server: tests/fixtures/mcp/dying_server.py (MCP SDK)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install 'turnloom[mcp]')")

from typer.testing import CliRunner  # noqa: E402

from tests.turnloom.test_run_live_mcp import _forecasts, _scenario  # noqa: E402
from turnloom.cli import app  # noqa: E402
from turnloom.dataset import read_dialogues  # noqa: E402
from turnloom.itool import replay_env  # noqa: E402
from turnloom.itool._steps import LiveReplayError, live_tool_names, open_cassette, replaying_cassette  # noqa: E402
from turnloom.schema import Dialogue  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def live_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of a live run of the forecasts server: accepted.jsonl, rejected.jsonl, cassette.jsonl."""
    tmp = tmp_path_factory.mktemp("live")
    out = tmp / "out"
    result = runner.invoke(app, ["run", str(_forecasts(tmp)), "-n", "6", "--seed", "3", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _with_calls(out: Path) -> list[Dialogue]:
    found = [d for f in ("accepted.jsonl", "rejected.jsonl") for d in read_dialogues(out / f) if d.stats["calls"]]
    assert found
    return found


def test_replay_env_answers_live_tools_from_the_cassette(live_run: Path) -> None:
    dialogues = _with_calls(live_run)
    assert all(live_tool_names(d) for d in dialogues)
    assert dialogues[0].settings["live_tools"] == ["get_air_quality", "get_forecast"]
    with pytest.raises(LiveReplayError, match=r"calls live MCP tools \(.*\) and no cassette was given: give the "
                                              r"run's cassette with --replay"):
        replay_env(dialogues[0])
    with replaying_cassette(open_cassette(live_run / "cassette.jsonl")):
        for d in dialogues:
            replay = replay_env(d)
            assert replay.reproduces, d.id  # the gold calls get the run's answers, the world its digest
            assert replay.env.live is not None
        # a call the run never made is a tool error, and the next recorded one is still answered
        from turnloom.schema import ToolCall
        from turnloom.tools_env.world import World

        env = replay_env(dialogues[0]).env
        world = World.model_validate(dialogues[0].world_initial)
        _, result = env.call(world, ToolCall(id="x", name="get_forecast", arguments={"city": "Nowhere-Ville"}))
        assert result.error is not None and "no recorded answer" in result.error
        assert replay_env(dialogues[0]).reproduces


def test_eval_and_mcts_find_the_cassette_beside_the_data_or_take_replay(live_run: Path, tmp_path: Path) -> None:
    data = live_run / "accepted.jsonl"
    if not data.read_text().strip():
        pytest.skip("the live run accepted no dialogue")
    result = runner.invoke(app, ["eval", str(data), "--model", "offline", "-o", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    assert summary["state_compared"] == summary["dialogues"] > 0  # every gold replay reproduced its world

    alone = tmp_path / "alone" / "accepted.jsonl"  # the data without its cassette
    alone.parent.mkdir()
    shutil.copy(data, alone)
    for command in (["eval", str(alone), "--model", "offline", "-o", str(tmp_path / "e2")],
                    ["mcts", str(alone), "-o", str(tmp_path / "p.jsonl"), "--iterations", "1", "--depth", "1"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and "--replay" in result.output, result.output
        assert "Traceback" not in result.output
        result = runner.invoke(app, [*command, "--replay", str(live_run / "cassette.jsonl")])
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["eval", str(alone), "--model", "offline", "-o", str(tmp_path / "e3"),
                                 "--replay", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "none.jsonl: no such file" in " ".join(result.output.split()), result.output


def test_step_replays_a_run_dialogue_offline_and_records_live(live_run: Path, tmp_path: Path) -> None:
    from turnloom.scenarios import load_scenario
    from turnloom.simulate import Simulator
    from turnloom.tools_env.mcp_backend import LiveBackend
    from turnloom.viewer import Stepper

    (tmp_path / "gone").mkdir()
    gone = _scenario(tmp_path / "gone", "forecasts", {"command": str(tmp_path / "no-such-server")})
    cassette = live_run / "cassette.jsonl"
    result = runner.invoke(app, ["step", str(gone), "--seed", "3", "--index", "0", "--replay", str(cassette)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["step", str(gone), "--seed", "3"])  # live, and there is no server
    assert result.exit_code == 2 and "no-such-server" in result.output and "Traceback" not in result.output

    async def stepped(sim: Simulator, index: int) -> Dialogue:
        stepper = Stepper(sim, index=index, seed=3)
        await stepper.start()
        await stepper.run_to_end()
        return stepper.dialogue()

    run = {d.index: d for f in ("accepted.jsonl", "rejected.jsonl") for d in read_dialogues(live_run / f)}
    sim = Simulator(load_scenario(str(gone)), live=LiveBackend.replaying(cassette))
    for index in (0, 1):  # the stepped dialogue is the run's dialogue, every answer from the cassette
        assert asyncio.run(stepped(sim, index)).messages == run[index].messages

    recorded = tmp_path / "step-cassette.jsonl"
    forecasts = _forecasts(tmp_path)
    result = runner.invoke(app, ["step", str(forecasts), "--seed", "3", "--record", str(recorded)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in recorded.read_text().splitlines()]
    assert lines[0]["kind"] == "tools" and all(x["kind"] == "call" and x["dialogue"] == 0 for x in lines[1:])
    assert (len(lines) > 1) == bool(run[0].stats["calls"])
    result = runner.invoke(app, ["step", str(gone), "--seed", "3", "--replay", str(recorded)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["step", "support_desk", "--replay", str(recorded)])
    assert result.exit_code == 2 and "no live MCP tools" in result.output
