"""Evaluate one model folder: serve it on 127.0.0.1 (``serve.py``, in a thread), ask BFCL's questions and run
``turnloom eval``'s step evaluation on the held-out dialogues against that endpoint.

The step evaluation is ``turnloom eval``'s own code (``turnloom.itool.evaluate`` and
``write_eval`` with the ``openai:MODEL@URL`` policy), called in process only to give each
request a long timeout: a CPU shared with other work may need more than the CLI's 60 s for
one answer. ``turnloom eval DATA --model openai:NAME@URL -o OUT --concurrency 1`` against the
same server gives the same files.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ask_bfcl", "serve", "turnloom_eval"]

HERE = Path(__file__).resolve().parent
_REQUEST_TIMEOUT = 900.0


@contextmanager
def serve(model_dir: Path, name: str, *, max_new_tokens: int, max_prompt_tokens: int) -> Iterator[str]:
    """Serve ``model_dir`` on a free port of 127.0.0.1 (``serve.py``'s server, run in a thread of this
    process, so torch is imported once for every model); yield its base URL; stop it."""
    from serve import serve_in_thread

    with serve_in_thread(model_dir, name, max_new_tokens=max_new_tokens, max_prompt_tokens=max_prompt_tokens) as url:
        yield url


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(f"{url}/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=_REQUEST_TIMEOUT) as resp:
        answer: dict[str, Any] = json.loads(resp.read())
    return answer


def ask_bfcl(url: str, name: str, cases: list[dict[str, Any]], *, max_tokens: int,
             progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """The assistant message the server gives for each BFCL question (greedy; the evaluation's
    assistant system prompt first, as in training)."""
    from turnloom.agents.llm._prompts import ASSISTANT_SYSTEM

    out = []
    for k, case in enumerate(cases):
        body = {"model": name, "temperature": 0, "max_tokens": max_tokens, "tools": case["tools"],
                "messages": [{"role": "system", "content": ASSISTANT_SYSTEM}, *case["question"]]}
        out.append(_post(url, body)["choices"][0]["message"])
        if progress is not None:
            progress(k + 1, len(cases))
    return out


def turnloom_eval(data: Path, url: str, name: str, out: Path, *, seed: int) -> dict[str, Any]:
    """``turnloom eval DATA --model openai:NAME@URL -o OUT --concurrency 1`` (see the module docstring)."""
    from turnloom.itool import evaluate, load_dialogues, make_policy, write_eval

    dialogues = load_dialogues(data)
    spec = f"openai:{name}@{url}"
    policy = make_policy(spec, timeout=_REQUEST_TIMEOUT, max_retries=1, samples=0)

    async def go() -> Any:
        try:
            return await evaluate(dialogues, policy, seed=seed, concurrency=1)
        finally:
            await policy.close()

    result = asyncio.run(go())
    summary: dict[str, Any] = write_eval(result, out, {"data": str(data), "nll_model": None})
    return summary
