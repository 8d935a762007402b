#!/usr/bin/env bash
# Side-by-side benchmark: attest-stats (criterion bench `auc`) vs the Python peers
# (scikit-learn / fast DeLong / scipy.stats.bootstrap) in bench/stats/peer.py.
#
# Usage: bench/stats/run.sh [PYTHON]
#   PYTHON        interpreter with the pinned numpy/scipy/scikit-learn
#                 (default: bench/.venv-bench/bin/python, created on first use from
#                 crates/attest-stats/tests/golden/requirements.txt)
# Environment:
#   ROUNDS=2          alternating rounds (criterion, then peer.py) — medians across rounds
#   BENCH_FILTER=     optional criterion filter, e.g. 'auc_delong'
#   PEER_ARGS=        optional arguments for peer.py, e.g. '1000 10000 --bench auc_delong'
#   CARGO_TARGET_DIR  honoured; results go to $CARGO_TARGET_DIR/bench-stats (default target/)
#
# Output: a Markdown table on stdout (also saved as <target>/bench-stats/report.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

ROUNDS="${ROUNDS:-2}"
BENCH_FILTER="${BENCH_FILTER:-}"
PEER_ARGS="${PEER_ARGS:-}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
OUT="$TARGET_DIR/bench-stats"
CRITERION="$TARGET_DIR/criterion/auc"
REQS="crates/attest-stats/tests/golden/requirements.txt"
DEFAULT_VENV="bench/.venv-bench"

if ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: ROUNDS must be a positive integer (got '$ROUNDS')" >&2
    exit 2
fi

# --- Python ------------------------------------------------------------------------------
if [[ $# -ge 1 ]]; then
    PYTHON="$1"
    if ! command -v "$PYTHON" >/dev/null 2>&1 && [[ ! -x "$PYTHON" ]]; then
        echo "run.sh: Python interpreter '$PYTHON' not found" >&2
        exit 2
    fi
else
    PYTHON="$DEFAULT_VENV/bin/python"
    if [[ ! -x "$PYTHON" ]]; then
        echo "run.sh: creating $DEFAULT_VENV from $REQS" >&2
        python3 -m venv "$DEFAULT_VENV"
        # keep the venv out of git without touching the repository's .gitignore
        echo '*' >"$DEFAULT_VENV/.gitignore"
        "$PYTHON" -m pip install --quiet --upgrade pip
        "$PYTHON" -m pip install --quiet -r "$REQS"
    fi
fi
"$PYTHON" -c 'import numpy, scipy, sklearn' || {
    echo "run.sh: $PYTHON lacks numpy/scipy/scikit-learn (pip install -r $REQS)" >&2
    exit 2
}

# --- Collection directory --------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
    echo "kernel: $(uname -srm)"
    echo "rustc: $(rustc --version 2>/dev/null || echo unknown)"
    echo "RAYON_NUM_THREADS: ${RAYON_NUM_THREADS:-(unset: all cores)}"
    echo "python: $("$PYTHON" -c 'import platform; print(platform.python_version())')"
    echo "criterion args: --warm-up-time 1 --measurement-time 5 --noplot${BENCH_FILTER:+ $BENCH_FILTER}"
    echo "peer args: ${PEER_ARGS:-(all sizes)}"
} >"$OUT/machine.txt"

CRIT_ARGS=(--warm-up-time 1 --measurement-time 5 --noplot)
[[ -n "$BENCH_FILTER" ]] && CRIT_ARGS+=("$BENCH_FILTER")
read -r -a PEER_ARGV <<<"$PEER_ARGS" || true

# Compile first, so that no round's timing overlaps the build.
echo "run.sh: building the bench" >&2
cargo bench -p attest-stats --bench auc --no-run

for ((round = 1; round <= ROUNDS; round++)); do
    RDIR="$OUT/round-$round"
    mkdir -p "$RDIR/criterion"
    marker="$RDIR/.started"
    touch "$marker"
    sleep 1 # mtime granularity: estimates written this round must be strictly newer

    echo "run.sh: round $round/$ROUNDS — criterion" >&2
    cargo bench -p attest-stats --bench auc -- "${CRIT_ARGS[@]}" 2>&1 | tee "$RDIR/criterion.log" >&2

    # Copy only the estimates this round wrote (criterion keeps old ones from earlier runs).
    if [[ -d "$CRITERION" ]]; then
        while IFS= read -r -d '' est; do
            rel="${est#"$CRITERION"/}" # <bench>/<n>/new/estimates.json
            bench="${rel%%/*}"
            rest="${rel#*/}"
            n="${rest%%/*}"
            mkdir -p "$RDIR/criterion/$bench/$n"
            cp "$est" "$RDIR/criterion/$bench/$n/estimates.json"
        done < <(find "$CRITERION" -path '*/new/estimates.json' -newer "$marker" -print0)
    fi

    echo "run.sh: round $round/$ROUNDS — peer.py ${PEER_ARGS}" >&2
    "$PYTHON" bench/stats/peer.py ${PEER_ARGV[@]+"${PEER_ARGV[@]}"} >"$RDIR/peer.json" 2> >(tee "$RDIR/peer.log" >&2)
done

"$PYTHON" bench/stats/report.py "$OUT" | tee "$OUT/report.md"
