"""ToolACE's complexity signal: mean per-token negative log-likelihood (NLL) of the gold
assistant turns under a model.

Two scorers, one interface (:class:`NLLScorer`, ``score(dialogue) -> list[StepNLL]``):

* ``hf:PATH`` -- a local transformers causal LM and its tokenizer's chat template:
  for an assistant message at index ``k`` the conversation is rendered twice, once as
  ``messages[:k]`` with the generation prompt and once as ``messages[:k+1]``; the
  tokens after the first rendering's length are the turn's tokens, scored by one
  forward pass.
* ``openai:MODEL@URL`` -- an OpenAI-compatible server that scores prompt tokens.
  Chat completions do not score given text, so this uses the vLLM extension
  ``prompt_logprobs``: the same two renderings are sent as chat requests with
  ``max_tokens: 1, prompt_logprobs: 0`` (the first with ``add_generation_prompt``, the
  second with ``continue_final_message``), and the turn's tokens are the second
  answer's prompt tokens past the first answer's count. Each entry of
  ``prompt_logprobs`` maps token ids to ``{"logprob": ...}``; the first entry is the
  prompt token itself (vLLM lists it first). The project's model clients (autogen)
  drop the ``prompt_logprobs`` field, so this is a small direct ``httpx`` call to the
  same endpoint, with the same key variable and timeout as the model config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from turnloom.schema import Dialogue, Message

__all__ = ["EndpointNLL", "HFNLL", "NLLError", "NLLScorer", "StepNLL", "dialogue_nll", "make_nll_scorer"]


class NLLError(RuntimeError):
    """The scoring model could not be reached or answered without token log-probabilities."""


@dataclass(frozen=True)
class StepNLL:
    #: index of the assistant message in the dialogue
    index: int
    tokens: int
    #: summed NLL over the turn's tokens (nats)
    total: float

    @property
    def mean(self) -> float | None:
        return self.total / self.tokens if self.tokens else None


class NLLScorer(Protocol):
    spec: str

    def score(self, dialogue: Dialogue) -> list[StepNLL]: ...


def dialogue_nll(steps: list[StepNLL]) -> float | None:
    """Mean per-token NLL over all assistant turns (token-weighted)."""
    tokens = sum(s.tokens for s in steps)
    return round(sum(s.total for s in steps) / tokens, 6) if tokens else None


def _openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    from turnloom.export._openai import openai_message

    return [openai_message(m) for m in messages]


class EndpointNLL:
    """Scores through an OpenAI-compatible server with vLLM's ``prompt_logprobs`` (see module)."""

    def __init__(self, spec: str, *, timeout: float | None = None, transport: Any = None) -> None:
        import httpx

        from turnloom.agents.llm import parse_model_spec

        self.spec = spec
        self.cfg = parse_model_spec(spec)
        key = self.cfg.api_key()
        self._http = httpx.Client(base_url=self.cfg.endpoint, timeout=timeout or self.cfg.timeout,
                                  headers={"Authorization": f"Bearer {key}"} if key else {}, transport=transport)

    def close(self) -> None:
        self._http.close()

    def _prompt_logprobs(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                         *, continue_final: bool) -> list[float | None]:
        import httpx

        body: dict[str, Any] = {
            "model": self.cfg.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0.0,
            "prompt_logprobs": 0,
            "add_generation_prompt": not continue_final,
            "continue_final_message": continue_final,
        }
        if tools:
            body["tools"] = tools
        try:
            resp = self._http.post("/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise NLLError(f"{self.cfg.endpoint}: request failed: {exc}") from exc
        if resp.status_code != 200:
            raise NLLError(f"{self.cfg.endpoint}: HTTP {resp.status_code}: {resp.text[:300]}")
        data = resp.json()
        entries = data.get("prompt_logprobs") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise NLLError(f"{self.cfg.endpoint}: the answer has no prompt_logprobs; NLL scoring needs a server "
                           "that scores prompt tokens (vLLM), or hf:PATH for a local model")
        out: list[float | None] = []
        for entry in entries:
            if isinstance(entry, dict) and entry:
                first = next(iter(entry.values()))
                out.append(float(first["logprob"]) if isinstance(first, dict) else float(first))
            else:
                out.append(None)
        return out

    def score(self, dialogue: Dialogue) -> list[StepNLL]:
        from turnloom.export._openai import openai_tool

        tools = [openai_tool(t) for t in dialogue.tools]
        out = []
        for k, m in enumerate(dialogue.messages):
            if m.role != "assistant":
                continue
            prefix = self._prompt_logprobs(_openai_messages(dialogue.messages[:k]), tools, continue_final=False)
            full = self._prompt_logprobs(_openai_messages(dialogue.messages[: k + 1]), tools, continue_final=True)
            turn = [lp for lp in full[len(prefix):] if lp is not None]
            out.append(StepNLL(k, len(turn), -sum(turn)))
        return out


class HFNLL:
    """Scores with a local transformers model (``hf:PATH``) and its chat template."""

    def __init__(self, path: str) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # the [train] extra
            raise NLLError(f"hf:{path} needs torch and transformers: pip install 'turnloom[train]' ({exc})") from exc
        self.spec = f"hf:{path}"
        self._torch = torch
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model: Any = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise NLLError(f"hf:{path}: cannot load a model and tokenizer: {exc}") from exc
        self.model.eval()

    def _ids(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, generation: bool) -> list[int]:
        out: Any = self.tokenizer.apply_chat_template(messages, tools=tools or None, add_generation_prompt=generation,
                                                 tokenize=True)
        if hasattr(out, "keys") and "input_ids" in out:
            out = out["input_ids"]
        return [int(x) for x in out]

    def score(self, dialogue: Dialogue) -> list[StepNLL]:
        from turnloom.export._openai import openai_tool
        from turnloom.export._trl import trl_message

        torch = self._torch
        tools = [openai_tool(t) for t in dialogue.tools]
        msgs = [trl_message(m) for m in dialogue.messages]
        out = []
        for k, m in enumerate(dialogue.messages):
            if m.role != "assistant":
                continue
            start = len(self._ids(msgs[:k], tools, generation=True))
            ids = self._ids(msgs[: k + 1], tools, generation=False)
            if len(ids) <= start or start == 0:
                out.append(StepNLL(k, 0, 0.0))
                continue
            with torch.no_grad():
                logits = self.model(torch.tensor([ids])).logits[0]
            logp = torch.log_softmax(logits[start - 1:-1].float(), dim=-1)
            target = torch.tensor(ids[start:])
            total = -logp.gather(1, target.unsqueeze(1)).sum().item()
            out.append(StepNLL(k, len(ids) - start, float(total)))
        return out


def make_nll_scorer(spec: str) -> NLLScorer:
    """``hf:PATH`` -> :class:`HFNLL`; anything else is a model spec for :class:`EndpointNLL`."""
    if spec.startswith("hf:"):
        return HFNLL(spec[3:])
    return EndpointNLL(spec)
