#!/usr/bin/env bash
# The robustness run of examples/chest-xray (tests PERF-002, ROB-001..003, INV-001: 2,130
# forward passes over 10 perturbation levels and the flip) by `attest run` and by the
# equivalent Python pipeline (peer.py: imagecorruptions + onnxruntime + scikit-learn), in one
# invocation. First both compute the numbers once and compare them (the deterministic ones to
# 1e-6, the random kinds within 0.03 AUC); then REPS alternating timed runs of each, cold
# (Attest with an empty prediction cache), at THREADS threads; medians, the ratio, and peak
# memory (/usr/bin/time -v). Attest's time includes writing the evidence bundle (HTML, PDF,
# manifest); the pipeline writes one JSON file.
# Usage: bench/pipeline/run.sh [REPS] [THREADS] [PYTHON]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-3}"
THREADS="${2:-1}"
PYTHON="${3:-bench/.venv-pipeline/bin/python}"
if [[ ! -x "$PYTHON" ]] && [[ "$PYTHON" == bench/.venv-pipeline/bin/python ]]; then
    python3 -m venv bench/.venv-pipeline
    echo '*' > bench/.venv-pipeline/.gitignore
    bench/.venv-pipeline/bin/pip install --quiet -r bench/pipeline/requirements.txt
fi
# Built with the onnxruntime backend too, so Attest is also timed on the peer's runtime
# (the same libonnxruntime the Python package loads).
cargo build --release -q -p attest-cli --features onnxruntime
BIN="$ROOT/target/release/attest"
ORT_DYLIB_PATH="$("$PYTHON" -c 'import glob, os, onnxruntime; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[0])')"
export ORT_DYLIB_PATH
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ln -s "$ROOT/examples/chest-xray/data" "$WORK/data"
ln -s "$ROOT/examples/chest-xray/models" "$WORK/models"
python3 bench/pipeline/spec.py examples/chest-xray/attest.yaml "$WORK/attest.yaml"

# attest_once BACKEND: a cold run (empty cache) on tract or onnxruntime.
attest_once() {
    rm -rf "$WORK/cache" "$WORK/out"
    ATTEST_CACHE_DIR="$WORK/cache" /usr/bin/time -v -o "$WORK/time-attest.txt" \
        "$BIN" run "$WORK/attest.yaml" --out "$WORK/out" --threads "$THREADS" --backend "$1" \
        > "$WORK/attest.txt" 2>&1 || true
    [[ -f "$WORK/out/results.json" ]] || { cat "$WORK/attest.txt" >&2; exit 1; }
}
peer_once() {
    /usr/bin/time -v -o "$WORK/time-peer.txt" \
        "$PYTHON" bench/pipeline/peer.py examples/chest-xray --threads "$THREADS" --out "$WORK/peer.json"
}
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }
peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

# Agreement first, with both backends.
peer_once
for backend in tract onnxruntime; do
    attest_once "$backend"
    echo "Attest ($backend) vs the Python pipeline:"
    python3 bench/pipeline/compare.py "$WORK/out/results.json" "$WORK/peer.json"
    echo
done

declare -a tw tk ow ok pw pk
for i in $(seq "$REPS"); do
    attest_once tract; tw+=("$(wall "$WORK/time-attest.txt")"); tk+=("$(peak "$WORK/time-attest.txt")")
    peer_once; pw+=("$(wall "$WORK/time-peer.txt")"); pk+=("$(peak "$WORK/time-peer.txt")")
    attest_once onnxruntime; ow+=("$(wall "$WORK/time-attest.txt")"); ok+=("$(peak "$WORK/time-attest.txt")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mib() { echo "$(median "$@") / 1024" | bc -l; }
t=$(median "${tw[@]}"); o=$(median "${ow[@]}"); p=$(median "${pw[@]}")
echo "threads: $THREADS, repetitions: $REPS (medians, whole process)"
echo
echo "| pipeline | wall (s) | Python / this | peak memory (MiB) |"
echo "|---|---:|---:|---:|"
printf '| attest run, tract (embedded; cold cache, bundle with PDF) | %.2f | %.2f× | %.0f |\n' "$t" "$(echo "$p / $t" | bc -l)" "$(mib "${tk[@]}")"
printf '| attest run, onnxruntime backend (same) | %.2f | %.2f× | %.0f |\n' "$o" "$(echo "$p / $o" | bc -l)" "$(mib "${ok[@]}")"
printf '| Python: imagecorruptions + onnxruntime + scikit-learn | %.2f | 1× | %.0f |\n' "$p" "$(mib "${pk[@]}")"
