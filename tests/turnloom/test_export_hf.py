"""The OpenAI and TRL exports load with ``datasets`` and render through a Hugging Face chat template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from turnloom.export import export_file
from turnloom.schema import Dialogue

datasets = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

# A chat template in the style of tool-using models (Hermes/Qwen): tools in the system turn,
# calls as <tool_call> JSON, results in tool turns. Like Qwen's, it takes arguments as a dict
# or as an already-encoded JSON string (the OpenAI form).
CHAT_TEMPLATE = """
{%- if tools %}<|system|>
{%- if messages[0].role == 'system' %}{{ messages[0].content }}
{% endif %}# Tools
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}<|end|>
{%- elif messages[0].role == 'system' %}<|system|>{{ messages[0].content }}<|end|>
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' %}<|user|>{{ message.content }}<|end|>
{%- elif message.role == 'assistant' %}<|assistant|>{{ message.content or '' }}
{%- for call in message.tool_calls or [] %}<tool_call>{"name": "{{ call.function.name }}", "arguments": \
{% if call.function.arguments is string %}{{ call.function.arguments }}{% else %}{{ call.function.arguments | tojson }}\
{% endif %}}</tool_call>
{%- endfor %}<|end|>
{%- elif message.role == 'tool' %}<|tool|>{{ message.content }}<|end|>
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|assistant|>{% endif %}
""".strip()


@pytest.fixture
def tokenizer() -> Any:
    vocab = {"[UNK]": 0, "<s>": 1, "</s>": 2, "<|user|>": 3, "<|assistant|>": 4, "<|tool|>": 5, "<|end|>": 6}
    model = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    model.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    model.add_special_tokens(["<|user|>", "<|assistant|>", "<|tool|>", "<|end|>"])
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=model,
        unk_token="[UNK]",
        bos_token="<s>",
        eos_token="</s>",
        chat_template=CHAT_TEMPLATE,
    )


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _load(path: Path, cache: Path) -> Any:
    return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(cache))


def _assert_rendered(text: str, dialogue: Dialogue) -> None:
    for tool in dialogue.tools:
        assert f'"name": "{tool.name}"' in text
    for call in dialogue.calls:
        expected = (
            f'<tool_call>{{"name": "{call.name}", "arguments": {json.dumps(call.arguments, ensure_ascii=False)}}}'
        )
        assert expected in text
    for message in dialogue.messages:
        if message.role == "tool":
            assert f"<|tool|>{message.content}<|end|>" in text
        elif message.role == "user":
            assert f"<|user|>{message.content}<|end|>" in text


@pytest.mark.parametrize("fmt", ["trl-sft", "openai"])
def test_loads_with_datasets_and_renders_with_a_chat_template(
    tmp_path: Path, dialogue_file: Path, dialogues: list[Dialogue], tokenizer: Any, fmt: str
) -> None:
    out = tmp_path / f"{fmt}.jsonl"
    export_file(dialogue_file, fmt, out, only_accepted=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    dataset = _load(out, tmp_path / "hf-cache")
    assert dataset.num_rows == len(dialogues)
    for index, dialogue in enumerate(dialogues):
        row = dataset[index]
        # nothing padded or lost on the way through Arrow (heterogeneous arguments and schemas)
        assert row == rows[index]
        text = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
        _assert_rendered(text, dialogue)
        encoded = tokenizer.apply_chat_template(row["messages"], tools=row["tools"], tokenize=True, return_dict=True)
        ids = list(encoded["input_ids"])
        for role, token in (("user", "<|user|>"), ("assistant", "<|assistant|>"), ("tool", "<|tool|>")):
            expected = sum(m["role"] == role for m in row["messages"])
            assert ids.count(tokenizer.convert_tokens_to_ids(token)) == expected


def test_dpo_rows_render_prompt_and_completions(tmp_path: Path, pairs_file: Path, tokenizer: Any) -> None:
    out = tmp_path / "dpo.jsonl"
    export_file(pairs_file, "trl-dpo", out)
    dataset = _load(out, tmp_path / "hf-cache")
    row = dataset[0]
    prompt = tokenizer.apply_chat_template(
        row["prompt"], tools=row["tools"], tokenize=False, add_generation_prompt=True
    )
    chosen = tokenizer.apply_chat_template(row["prompt"] + row["chosen"], tools=row["tools"], tokenize=False)
    rejected = tokenizer.apply_chat_template(row["prompt"] + row["rejected"], tools=row["tools"], tokenize=False)
    # TRL's DPO takes the completion as what follows the rendered prompt
    assert chosen.startswith(prompt.removesuffix("<|assistant|>"))
    assert '"arguments": {"city": "Oslo", "unit": "celsius"}' in chosen
    assert '"arguments": {"city": "Osaka"}' in rejected
    second = dataset[1]
    text = tokenizer.apply_chat_template(second["prompt"] + second["chosen"], tools=second["tools"], tokenize=False)
    assert '<|tool|>{"condition":"sunny","temperature":24}<|end|>' in text
    assert text.endswith("<|assistant|>It is sunny in Rome at 24 °C.<|end|>")
