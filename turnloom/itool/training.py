"""Shared pieces of ``scripts/train_sft.py`` and ``scripts/train_dpo.py`` (needs the ``[train]``
extra: torch, transformers, trl, peft, datasets).

* :data:`CHAT_TEMPLATE` -- a ChatML chat template that renders the tool schemas in the
  system turn (``<tools>``), assistant calls as ``<tool_call>{"name", "arguments"}</tool_call>``
  and tool results as ``<tool_response>``; the generation prompt is a prefix of every
  rendered assistant turn, as TRL's preference trainers require.
* ``--model tiny`` (``tiny-qwen2`` or ``tiny-llama``) builds everything locally, with no
  download: a WordLevel tokenizer (``tokenizers``) trained on the words of the training
  file plus the template's markers, and a randomly initialised 2-layer Qwen2/Llama of
  a few hundred thousand parameters sized to that vocabulary. Any other value is a
  local model folder (``local_files_only``); it gets :data:`CHAT_TEMPLATE` only when
  its tokenizer has no template.
* Rows are rendered to text here with the tokenizer's chat template and each row's own
  ``tools`` (TRL's ``apply_chat_template`` for preference rows), so every TRL version
  from 0.20 on trains on the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CHAT_TEMPLATE",
    "SPECIAL_TOKENS",
    "TINY_MODELS",
    "build_tokenizer",
    "load_model_and_tokenizer",
    "make_config",
    "read_rows",
    "render_preference",
    "render_sft",
    "seed_everything",
    "sequential_trainer",
    "turn_start_weights",
    "weighted_trainer",
    "tiny_model",
]

SPECIAL_TOKENS = ["<|pad|>", "<|unk|>", "<|im_start|>", "<|im_end|>", "<tools>", "</tools>", "<tool_call>",
                  "</tool_call>", "<tool_response>", "</tool_response>"]
TINY_MODELS = ("tiny", "tiny-qwen2", "tiny-llama")

CHAT_TEMPLATE = (
    "{%- set system = namespace(text='') -%}"
    "{%- for m in messages if m.role == 'system' -%}{%- set system.text = system.text + m.content -%}{%- endfor -%}"
    "{%- if tools or system.text -%}"
    "{{ '<|im_start|>system\\n' + system.text }}"
    "{%- if tools -%}"
    "{{ '\\n<tools>' }}{%- for t in tools -%}{{ '\\n' }}{{ t | tojson }}{%- endfor -%}{{ '\\n</tools>' }}"
    "{%- endif -%}"
    "{{ '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- for m in messages -%}"
    "{%- if m.role == 'user' -%}{{ '<|im_start|>user\\n' + m.content + '<|im_end|>\\n' }}"
    "{%- elif m.role == 'assistant' -%}{{ '<|im_start|>assistant\\n' + (m.content or '') }}"
    "{%- for c in m.tool_calls or [] -%}"
    "{{ '<tool_call>' }}{{ {'name': c.function.name, 'arguments': c.function.arguments} | tojson }}{{ '</tool_call>' }}"
    "{%- endfor -%}{{ '<|im_end|>\\n' }}"
    "{%- elif m.role == 'tool' -%}"
    "{{ '<|im_start|>tool\\n<tool_response>' + m.content + '</tool_response><|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
_TEMPLATE_WORDS = "system user assistant tool name arguments type function description parameters properties required"


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch the way the trainers expect (``transformers.set_seed``)."""
    from transformers import set_seed

    set_seed(seed)


def build_tokenizer(texts: Iterable[str], *, vocab_size: int = 4000) -> Any:
    """A WordLevel tokenizer over ``texts`` with the special tokens and :data:`CHAT_TEMPLATE`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<|unk|>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Punctuation(behavior="isolated"),
        pre_tokenizers.Digits(individual_digits=True),
    ])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIAL_TOKENS)
    tok.train_from_iterator([_TEMPLATE_WORDS, *texts], trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", unk_token="<|unk|>",
                                   bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   additional_special_tokens=SPECIAL_TOKENS[4:])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_model(tokenizer: Any, *, arch: str = "qwen2", seed: int = 0) -> Any:
    """A randomly initialised 2-layer causal LM (hidden 96) for ``tokenizer``'s vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    common = {"vocab_size": len(tokenizer), "hidden_size": 96, "intermediate_size": 256, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 8192,
              "tie_word_embeddings": True, "pad_token_id": tokenizer.pad_token_id,
              "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id}
    if arch == "llama":
        return LlamaForCausalLM(LlamaConfig(**common))
    return Qwen2ForCausalLM(Qwen2Config(**common))


def _row_texts(rows: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) for r in rows]


def load_model_and_tokenizer(spec: str, rows: list[dict[str, Any]], *, seed: int = 0) -> tuple[Any, Any]:
    if spec in TINY_MODELS:
        tokenizer = build_tokenizer(_row_texts(rows))
        return tiny_model(tokenizer, arch="llama" if spec == "tiny-llama" else "qwen2", seed=seed), tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(spec, local_files_only=True)
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return AutoModelForCausalLM.from_pretrained(spec, local_files_only=True), tokenizer


def _tools(row: dict[str, Any]) -> Any:
    tools = row.get("tools")
    if isinstance(tools, str):
        tools = json.loads(tools)
    return tools or None


def render_sft(rows: list[dict[str, Any]], tokenizer: Any) -> list[dict[str, str]]:
    """``{"messages", "tools"}`` rows -> ``{"text"}`` rows, order kept."""
    return [{"text": tokenizer.apply_chat_template(r["messages"], tools=_tools(r), tokenize=False)} for r in rows]


def render_preference(rows: list[dict[str, Any]], tokenizer: Any) -> list[dict[str, str]]:
    """``{"prompt", "chosen", "rejected", "tools"}`` rows -> text rows (TRL's own rendering)."""
    from trl.data_utils import apply_chat_template

    out = []
    for r in rows:
        example = {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}
        out.append(dict(apply_chat_template(example, tokenizer, tools=_tools(r))))
    return out


def make_config(cls: type, **settings: Any) -> Any:
    """``cls(**settings)`` without the settings this TRL/transformers version does not know
    (e.g. ``shuffle_dataset`` before TRL 0.21)."""
    known = getattr(cls, "__dataclass_fields__", {})
    if "activation_checkpointing" in known and "gradient_checkpointing" in settings:  # renamed in transformers 5
        settings["activation_checkpointing"] = settings.pop("gradient_checkpointing")
    return cls(**{k: v for k, v in settings.items() if k in known})


def sequential_trainer(base: type) -> type:
    """``base`` (a transformers/TRL trainer class) that feeds examples in dataset order."""
    from torch.utils.data import SequentialSampler

    class Sequential(base):  # type: ignore[misc,valid-type]
        def _get_train_sampler(self, *args: Any, **kwargs: Any) -> Any:
            dataset = args[0] if args and args[0] is not None else self.train_dataset
            return SequentialSampler(dataset)

    Sequential.__name__ = f"Sequential{base.__name__}"
    return Sequential


def turn_start_weights(labels: Any, weight: float) -> Any:
    """Per-target weights for next-token loss: ``weight`` on the first trained token of each span of
    trained labels (the first token of an assistant turn: a ``<tool_call>`` or the first word of a
    reply -- the call/no-call decision), 1 on the other trained tokens, 0 where ``labels`` is -100.
    ``labels`` is ``[batch, length]``; the result is aligned with ``labels[:, 1:]`` (the shifted targets)."""
    import torch

    trained = labels != -100
    before = torch.nn.functional.pad(trained[:, :-1], (1, 0), value=False)
    start = trained & ~before
    weights = trained.float() + (weight - 1.0) * start.float()
    return weights[:, 1:]


def weighted_trainer(base: type, decision_weight: float) -> type:
    """``base`` (a trainer class) whose loss is the token-weighted mean of the next-token losses, the first
    token of each trained span counting ``decision_weight`` times (:func:`turn_start_weights`)."""
    import torch

    class Weighted(base):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # the loss below is each micro-batch's own weighted mean, not a sum normalized by the tokens of the
            # whole accumulated batch: the trainer must divide it by the accumulation steps itself
            self.model_accepts_loss_kwargs = False

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            labels = inputs["labels"]
            outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"),
                            use_cache=False)
            logits = outputs.logits[:, :-1, :].float()
            targets = labels[:, 1:]
            losses = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                                       ignore_index=-100, reduction="none").view_as(targets)
            weights = turn_start_weights(labels, decision_weight).to(losses.dtype)
            loss = (losses * weights).sum() / weights.sum().clamp(min=1.0)
            return (loss, outputs) if return_outputs else loss

    Weighted.__name__ = f"Weighted{base.__name__}"
    return Weighted
