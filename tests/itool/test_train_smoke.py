"""CPU smoke test of the training scripts: a tiny randomly initialised model trained for two
steps on files written by our own commands (curriculum SFT rows, MCTS preference pairs)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import pytest
from itool_helpers import cli_app
from typer.testing import CliRunner

from turnloom.schema import Dialogue

pytestmark = pytest.mark.train

try:
    import datasets  # noqa: F401
    import peft  # noqa: F401
    import torch
    import transformers  # noqa: F401
    import trl  # noqa: F401
except ImportError as exc:  # the [train] extra is optional
    pytest.skip(f"training smoke test needs the [train] extra (torch, transformers, trl, peft, datasets): {exc}",
                allow_module_level=True)

SCRIPTS = Path(__file__).parents[2] / "scripts"
runner = CliRunner()


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"turnloom_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shortest(path: Path, n: int, key: str) -> Path:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows.sort(key=lambda r: len(json.dumps(r[key])))
    out = path.with_name(f"small-{path.name}")
    out.write_text("".join(json.dumps(r) + "\n" for r in rows[:n]), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def exported(travel_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("train")
    app = cli_app()
    result = runner.invoke(app, ["curriculum", str(travel_file), "-o", str(root / "cur")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["mcts", str(travel_file), "-o", str(root / "pairs.jsonl"), "--depth", "1"])
    assert result.exit_code == 0, result.output
    return {"sft": _shortest(root / "cur" / "sft.jsonl", 2, "messages"),
            "pairs": _shortest(root / "pairs.jsonl", 2, "prompt"), "root": root}


def _metrics(out: Path) -> dict[str, object]:
    metrics = json.loads((out / "train_metrics.json").read_text())
    assert metrics["steps"] == 2 and math.isfinite(metrics["train_loss"])
    assert (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    return metrics


def test_sft_in_curriculum_order_then_score_nll(exported: dict[str, Path], travel: list[Dialogue]) -> None:
    out = exported["root"] / "sft"
    code = _script("train_sft").main(["--data", str(exported["sft"]), "--model", "tiny", "--out", str(out),
                                       "--max-steps", "2", "--max-length", "4096", "--lr", "1e-3"])
    assert code == 0
    metrics = _metrics(out)
    assert metrics["examples"] == 2
    from turnloom.itool import dialogue_nll, make_nll_scorer

    steps = make_nll_scorer(f"hf:{out}").score(travel[0])  # the trained model scores ToolACE's NLL
    assert steps and all(s.tokens > 0 and s.total > 0 for s in steps)
    assert 0 < (dialogue_nll(steps) or 0) < 20


def test_the_trainer_feeds_examples_in_dataset_order() -> None:
    from torch.utils.data import SequentialSampler
    from trl import SFTTrainer

    from turnloom.itool.training import sequential_trainer

    trainer = object.__new__(sequential_trainer(SFTTrainer))
    trainer.train_dataset = list(range(5))
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, SequentialSampler) and list(sampler) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("loss", "model"), [("dpo", "tiny"), ("simpo", "tiny-llama")])
def test_preference_training_on_mcts_pairs(exported: dict[str, Path], loss: str, model: str) -> None:
    out = exported["root"] / loss
    code = _script("train_dpo").main(["--pairs", str(exported["pairs"]), "--model", model, "--out", str(out),
                                       "--loss", loss, "--max-steps", "2", "--max-length", "4096"])
    assert code == 0
    metrics = _metrics(out)
    assert metrics["loss"] == loss and metrics["pairs"] == 2
    assert metrics["beta"] == (2.5 if loss == "simpo" else 0.1)
    logged = [row for row in metrics["log_history"] if "loss" in row]  # type: ignore[union-attr]
    assert logged and all(math.isfinite(float(row["loss"])) for row in logged)


def test_a_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    code = _script("train_dpo").main(["--pairs", str(tmp_path / "none.jsonl"), "--model", "tiny",
                                       "--out", str(tmp_path / "o")])
    assert code == 2
