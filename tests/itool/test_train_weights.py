"""Assistant-only SFT and the decision weight: the first token of each assistant turn (whether the
model calls a tool) can count more in the loss than the tokens after it."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import pytest

from turnloom.itool.training import turn_start_weights, weighted_trainer

pytestmark = pytest.mark.train

try:
    import peft  # noqa: F401
    import torch
    import transformers  # noqa: F401
    import trl  # noqa: F401
except ImportError as exc:  # the [train] extra is optional
    pytest.skip(f"needs the [train] extra: {exc}", allow_module_level=True)

SCRIPTS = Path(__file__).parents[2] / "scripts"


def _train_sft() -> ModuleType:
    spec = importlib.util.spec_from_file_location("turnloom_train_sft_w", SCRIPTS / "train_sft.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_first_token_of_each_trained_span_gets_the_weight() -> None:
    labels = torch.tensor([[-100, 5, 6, -100, -100, 7, 8, 9], [3, 4, -100, 2, -100, -100, -100, -100]])
    weights = turn_start_weights(labels, 4.0)
    # aligned with labels[:, 1:]; the very first label is never a target
    assert weights.tolist() == [[4, 1, 0, 0, 4, 1, 1], [1, 0, 4, 0, 0, 0, 0]]
    assert turn_start_weights(labels, 1.0).tolist() == (labels[:, 1:] != -100).float().tolist()


class _Logits(torch.nn.Module):
    """A 'model' whose next-token logits are a fixed table, so the loss can be computed by hand."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = torch.nn.Parameter(logits)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                use_cache: bool = False) -> object:
        return type("Out", (), {"logits": self.logits})()


@pytest.mark.parametrize("weight", [1.0, 5.0])
def test_the_weighted_loss_is_the_weighted_mean_of_the_token_losses(weight: float) -> None:
    torch.manual_seed(0)
    vocab, labels = 7, torch.tensor([[-100, 1, 2, -100, 3, 4]])
    model = _Logits(torch.randn(1, 6, vocab))
    trainer = object.__new__(weighted_trainer(object, weight))
    loss = trainer.compute_loss(model, {"input_ids": torch.zeros(1, 6, dtype=torch.long), "labels": labels})
    logp = torch.log_softmax(model.logits[0, :-1], dim=-1)
    # targets at positions 1, 2, 4, 5 (predicted from 0, 1, 3, 4); spans start at 1 and 4
    terms = {1: -logp[0, 1], 2: -logp[1, 2], 4: -logp[3, 3], 5: -logp[4, 4]}
    w = {1: weight, 2: 1.0, 4: weight, 5: 1.0}
    expected = sum(w[k] * terms[k] for k in terms) / sum(w.values())
    assert math.isclose(float(loss), float(expected), rel_tol=1e-5)


def test_the_trainer_divides_the_weighted_loss_by_the_accumulation_steps() -> None:
    class Base:
        def __init__(self) -> None:
            self.model_accepts_loss_kwargs = True  # what a trainer decides for a model whose forward takes **kwargs

    # False: the trainer scales each micro-batch's weighted mean by 1 / gradient_accumulation_steps
    assert weighted_trainer(Base, 5.0)().model_accepts_loss_kwargs is False


def _rows(path: Path) -> Path:
    tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city.",
                                             "parameters": {"type": "object", "properties": {
                                                 "city": {"type": "string"}}, "required": ["city"]}}}
    call = {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]}
    row = {"tools": [tool], "messages": [
        {"role": "system", "content": "You help with the weather."},
        {"role": "user", "content": "Weather in Oslo?"}, call,
        {"role": "tool", "content": '{"temp_c": 4}'},
        {"role": "assistant", "content": "It is 4 degrees in Oslo."}]}
    path.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    return path


def test_train_sft_with_a_decision_weight_trains_and_records_it(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    out = tmp_path / "out"
    code = _train_sft().main(["--data", str(_rows(tmp_path / "sft.jsonl")), "--model", "tiny", "--out", str(out),
                              "--max-steps", "2", "--loss-on", "assistant", "--decision-weight", "8"])
    assert code == 0
    metrics = json.loads((out / "train_metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["decision_weight"] == 8.0 and metrics["loss_on"] == "assistant"
    assert math.isfinite(metrics["train_loss"])


def test_a_decision_weight_without_assistant_only_loss_is_refused(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = _train_sft().main(["--data", str(_rows(tmp_path / "sft.jsonl")), "--model", "tiny",
                              "--out", str(tmp_path / "o"), "--decision-weight", "8"])
    assert code == 2
    assert "--decision-weight needs --loss-on assistant" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
