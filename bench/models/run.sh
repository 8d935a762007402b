#!/usr/bin/env bash
# Forward-pass throughput of every Attest backend beside onnxruntime, in one invocation:
# builds the benchmark models (make_models.py), runs bench `forward` (tract, candle, the
# onnxruntime backend, stock candle conv2d), then peer.py (onnxruntime from Python), and
# prints one Markdown table.
# Usage: bench/models/run.sh [PYTHON] [--seconds S] [--threads N..] [--batches N..] [--models NAME..]
#   e.g. bench/models/run.sh bench/.venv-models/bin/python --models example --batches 32
#   PYTHON: interpreter with bench/models/requirements.txt (default bench/.venv-models/bin/python,
#           created on first use). Its onnxruntime wheel also provides the library that the
#           Rust onnxruntime backend loads (ORT_DYLIB_PATH).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${1:-bench/.venv-models/bin/python}"
shift || true
if [[ ! -x "$PYTHON" ]] && [[ "$PYTHON" == bench/.venv-models/bin/python ]]; then
    python3 -m venv bench/.venv-models
    echo '*' > bench/.venv-models/.gitignore
    bench/.venv-models/bin/pip install --quiet -r bench/models/requirements.txt
fi
OUT="$(cd "$ROOT" && mkdir -p "${CARGO_TARGET_DIR:-target}/bench-models" && cd "${CARGO_TARGET_DIR:-target}/bench-models" && pwd)"
mkdir -p "$OUT"
"$PYTHON" bench/models/make_models.py "$OUT"
ORT_DYLIB_PATH="$("$PYTHON" -c 'import glob, os, onnxruntime; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[0])')"
export ORT_DYLIB_PATH
cargo bench -p attest-model --features onnxruntime --bench forward -- "$OUT" "$@" > "$OUT/attest.json"
"$PYTHON" bench/models/peer.py "$OUT" "$@" --out "$OUT/peer.json"
python3 bench/models/report.py "$OUT/attest.json" "$OUT/peer.json" | tee "$OUT/report.md"
