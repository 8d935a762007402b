#!/usr/bin/env bash
# Side-by-side perturbation throughput: attest-perturb (bench `throughput`) vs imagecorruptions
# (bench/perturb/peer.py), in one invocation, then a Markdown table of images/s and ratios.
# Usage: bench/perturb/run.sh [PYTHON] [KIND...]
#   PYTHON: interpreter with bench/perturb/requirements.txt installed
#           (default bench/.venv-perturb/bin/python, created on first use)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${1:-bench/.venv-perturb/bin/python}"
shift || true
if [[ ! -x "$PYTHON" ]] && [[ "$PYTHON" == bench/.venv-perturb/bin/python ]]; then
    python3 -m venv bench/.venv-perturb
    echo '*' > bench/.venv-perturb/.gitignore
    bench/.venv-perturb/bin/pip install --quiet -r bench/perturb/requirements.txt
fi
OUT="${CARGO_TARGET_DIR:-target}/bench-perturb"
mkdir -p "$OUT"
cargo bench -p attest-perturb --bench throughput -- "$@" > "$OUT/attest.json"
KINDS=()
[[ $# -gt 0 ]] && KINDS=(--kinds "$@")
"$PYTHON" bench/perturb/peer.py "${KINDS[@]}" --out "$OUT/peer.json"
python3 bench/perturb/report.py "$OUT/attest.json" "$OUT/peer.json" | tee "$OUT/report.md"
