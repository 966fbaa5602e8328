"""The benchmark's configuration file (YAML), validated strictly: an unknown or wrong field is
reported as one line naming the file, the field path and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["VARIANTS", "BenchConfig", "ConfigError", "load_config"]

#: training sets: graph-sampled verified (the default pipeline), random sampling, no verification
#: filter (accepted + rejected), and dialogues whose assistant turns the base model wrote
VARIANTS = ("graph", "random", "unverified", "model_written")


class ConfigError(ValueError):
    """The configuration file cannot be used (one line: file, field path, what was expected)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    #: dialogues simulated per training run (the verified sets keep the accepted ones)
    train_dialogues: int = Field(default=200, ge=1)
    #: dialogues simulated on the held-out domains for `turnloom eval`
    eval_dialogues: int = Field(default=12, ge=1)
    #: dialogues of the model-written variant (its assistant is the base model, so it is slow)
    model_written_dialogues: int = Field(default=24, ge=1)


class TrainConfig(_Strict):
    max_steps: int = Field(default=60, ge=1)
    lr: float = Field(default=2e-4, gt=0)
    lora_r: int = Field(default=16, ge=0)
    lora_alpha: int = Field(default=32, ge=1)
    max_length: int = Field(default=1024, ge=64)
    batch_size: int = Field(default=1, ge=1)
    grad_accum: int = Field(default=2, ge=1)
    #: loss on the assistant turns only, or on every token (``scripts/train_sft.py --loss-on``)
    loss_on: Literal["assistant", "all"] = "assistant"
    #: how many times the first token of each assistant turn (call or reply: the decision) counts in the
    #: loss (``scripts/train_sft.py --decision-weight``; 1: the plain mean over the assistant tokens)
    decision_weight: float = Field(default=1.0, ge=1.0)


class EvalConfig(_Strict):
    #: BFCL category -> number of questions drawn (seeded) from bfcl-eval's own files
    bfcl: dict[Literal["simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "live_simple"],
               int] = Field(default_factory=lambda: {c: 20 for c in ("simple", "multiple", "parallel",
                                                                       "parallel_multiple", "irrelevance",
                                                                       "live_simple")})
    max_new_tokens: int = Field(default=128, ge=8)
    max_prompt_tokens: int = Field(default=3072, ge=256)
    bootstrap: int = Field(default=1000, ge=100)


class BenchConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = 0
    #: pool domains kept out of every training set; the evaluation dialogues use only these
    heldout_domains: list[str] = Field(min_length=1)
    variants: list[Literal["graph", "random", "unverified", "model_written"]] = Field(min_length=1)
    data: DataConfig = Field(default_factory=DataConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)


def load_config(path: Path) -> BenchConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        return BenchConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {field}: {err['msg']}") from exc
