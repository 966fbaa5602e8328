"""A minimal OpenAI-compatible chat server for a local Hugging Face causal LM (CPU or GPU).

It renders each request with the model's own chat template -- turnloom's tool-calling
template (``<tools>`` in the system turn, ``<tool_call>{"name", "arguments"}</tool_call>``
for calls), the one the training data was rendered with -- generates greedily (or samples
with the request's seed when ``temperature > 0``), reusing the key/value cache of the prefix a
request shares with the previous one (the steps of one dialogue, the system prompt of BFCL
questions), and turns every ``<tool_call>`` block of
the answer into an OpenAI ``tool_calls`` entry. Tools are normalized exactly as
``turnloom export`` writes them, and call arguments (JSON text in the OpenAI protocol) are
handed to the template as objects, as in the exported rows.

Routes: ``GET /v1/models`` and ``POST /v1/chat/completions`` (non-streaming). Requests are
served one at a time; the process prints ``READY <url>`` once the model is loaded.

    python benchmarks/downstream/serve.py --model DIR --port 8801
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["LocalModel", "make_handler", "parse_completion", "prompt_messages", "prompt_tools", "serve_in_thread"]

_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def prompt_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """OpenAI ``tools`` of a request -> the form ``turnloom export`` writes (``openai_tool``)."""
    if not tools:
        return None
    from turnloom.export._openai import openai_tool
    from turnloom.schema import ToolSpec

    out = []
    for tool in tools:
        fn = tool.get("function") or {}
        spec = ToolSpec.model_construct(name=str(fn.get("name", "")), description=str(fn.get("description") or ""),
                                        parameters=dict(fn.get("parameters") or {}))
        out.append(openai_tool(spec))
    return out


def _arguments(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def prompt_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI messages -> chat-template messages (call arguments as objects, text content)."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):  # content parts: keep the text
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        msg: dict[str, Any] = {"role": m.get("role", "user"), "content": content or ""}
        if m.get("tool_calls"):
            msg["tool_calls"] = [
                {"id": c.get("id", ""), "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": _arguments(c["function"].get("arguments"))}}
                for c in m["tool_calls"]
            ]
        if m.get("role") == "tool":
            msg["tool_call_id"] = m.get("tool_call_id", "")
        out.append(msg)
    return out


def parse_completion(text: str) -> dict[str, Any]:
    """Generated text -> an OpenAI assistant message: ``tool_calls`` from the ``<tool_call>`` blocks
    whose body is a JSON object with a ``name``; the text before the first block is the content."""
    text = text.replace("<|im_end|>", "").strip()
    calls = []
    for k, match in enumerate(_CALL.finditer(text)):
        try:
            body = json.loads(match.group(1))
        except json.JSONDecodeError:
            continue
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            continue
        args = body.get("arguments", {})
        calls.append({"id": f"call_{k}", "type": "function",
                      "function": {"name": body["name"],
                                   "arguments": args if isinstance(args, str) else json.dumps(args)}})
    if calls:
        head = text.split("<tool_call>", 1)[0].strip()
        return {"role": "assistant", "content": head or None, "tool_calls": calls}
    return {"role": "assistant", "content": text}


def calls_finished(text: str) -> bool:
    """True once the answer so far holds a complete ``<tool_call>`` block followed by something that
    cannot start another block: nothing after it can become a call, so generation may stop there."""
    if "</tool_call>" not in text:
        return False
    tail = text.rsplit("</tool_call>", 1)[1].lstrip()
    return bool(tail) and not (tail.startswith("<tool_call>") or "<tool_call>".startswith(tail))


class _CallsFinished:
    """A ``StoppingCriteria`` for :func:`calls_finished` (reads the last few generated tokens only)."""

    def __init__(self, tokenizer: Any, prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        new = input_ids[0, self.prompt_length:]
        done = new.shape[0] > 0 and calls_finished(self.tokenizer.decode(new[-24:], skip_special_tokens=False))
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class LocalModel:
    """A local causal LM answering chat requests (greedy unless the request sets a temperature)."""

    def __init__(self, path: Path, *, max_new_tokens: int, max_prompt_tokens: int, prefix_cache: bool = True) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).to(self.device).eval()
        self.max_new_tokens = max_new_tokens
        self.max_prompt_tokens = max_prompt_tokens
        self.lock = threading.Lock()
        self.prefix_cache = prefix_cache
        #: the last request's tokens (prompt + answer) and its key/value cache
        self.last_ids: list[int] = []
        self.last_cache: Any = None

    def _reuse(self, ids: list[int]) -> Any:
        """The last request's key/value cache cut to the prefix it shares with ``ids`` (None: nothing shared)."""
        if not self.prefix_cache or self.last_cache is None:
            return None
        limit = min(len(self.last_ids), len(ids) - 1, self.last_cache.get_seq_length())
        common = 0
        while common < limit and self.last_ids[common] == ids[common]:
            common += 1
        if common == 0:
            return None
        # a negative count removes that many tokens (transformers 4.x and 5.x alike)
        self.last_cache.crop(common - self.last_cache.get_seq_length())
        return self.last_cache

    def complete(self, body: dict[str, Any]) -> tuple[str, int, int]:
        tools = prompt_tools(body.get("tools"))
        ids = self.tokenizer.apply_chat_template(prompt_messages(body.get("messages") or []), tools=tools,
                                                 add_generation_prompt=True, tokenize=True, return_dict=True,
                                                 return_tensors="pt")["input_ids"]
        ids = ids[:, -self.max_prompt_tokens:]  # keep the end: the request being answered
        limit = min(int(body.get("max_tokens") or body.get("max_completion_tokens") or self.max_new_tokens),
                    self.max_new_tokens)
        temperature = float(body.get("temperature") or 0.0)
        settings: dict[str, Any] = {"max_new_tokens": max(1, limit), "pad_token_id": self.tokenizer.pad_token_id,
                                    "eos_token_id": self.tokenizer.eos_token_id}
        if temperature > 0:
            settings.update(do_sample=True, temperature=temperature, top_p=float(body.get("top_p") or 1.0))
        else:
            settings.update(do_sample=False)
        from transformers import StoppingCriteriaList

        settings["stopping_criteria"] = StoppingCriteriaList([_CallsFinished(self.tokenizer, int(ids.shape[1]))])
        with self.lock, self.torch.inference_mode():
            if temperature > 0:
                self.torch.manual_seed(int(body.get("seed") or 0))
            cache = self._reuse(ids[0].tolist())
            self.last_cache, self.last_ids = None, []
            out = self.model.generate(ids.to(self.device), attention_mask=self.torch.ones_like(ids).to(self.device),
                                      past_key_values=cache, return_dict_in_generate=True, **settings)
            self.last_cache = getattr(out, "past_key_values", None) or getattr(out, "cache", None)
            self.last_ids = out.sequences[0].tolist()
        new = out.sequences[0, ids.shape[1]:]
        return self.tokenizer.decode(new, skip_special_tokens=False), int(ids.shape[1]), int(new.shape[0])


def make_handler(model: LocalModel, name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return None

        def _send(self, code: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "turnloom"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                text, prompt_tokens, completion_tokens = model.complete(body)
            except Exception as exc:  # the client gets a 500 with the reason, the server stays up
                self._send(500, {"error": {"message": f"{type(exc).__name__}: {exc}"}})
                return
            message = parse_completion(text)
            self._send(200, {
                "id": "chatcmpl-local", "object": "chat.completion", "created": 0, "model": name,
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens},
            })

    return Handler


@contextmanager
def serve_in_thread(model_dir: Path, name: str, *, max_new_tokens: int, max_prompt_tokens: int) -> Iterator[str]:
    """Load ``model_dir`` in this process and serve it on a free port of 127.0.0.1 from a thread;
    yield the base URL; stop the server and drop the model on exit (no process start-up per model)."""
    model = LocalModel(model_dir, max_new_tokens=max_new_tokens, max_prompt_tokens=max_prompt_tokens)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(model, name))
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{name}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        del model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="a local Hugging Face model folder")
    p.add_argument("--name", default="local", help="the model name the server reports")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port")
    p.add_argument("--max-new-tokens", type=int, default=160)
    p.add_argument("--max-prompt-tokens", type=int, default=4096)
    p.add_argument("--no-prefix-cache", action="store_true",
                   help="recompute every prompt instead of reusing the key/value cache of the prefix it shares "
                        "with the previous request")
    args = p.parse_args(argv)
    if not (args.model / "config.json").is_file():
        print(f"error: {args.model}: not a model folder (no config.json)", file=sys.stderr)
        return 2
    model = LocalModel(args.model, max_new_tokens=args.max_new_tokens, max_prompt_tokens=args.max_prompt_tokens,
                   prefix_cache=not args.no_prefix_cache)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model, args.name))
    print(f"READY http://{args.host}:{server.server_address[1]}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
