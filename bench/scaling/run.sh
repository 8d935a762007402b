#!/usr/bin/env bash
# How a run grows with the case table: the real NIH ChestX-ray14 index (examples/nih-cohorts)
# cut to 10,000, 50,000 and all 112,120 rows, each with 50 cohorts (make_scaled.py) and tests
# that touch every cohort: AUC with DeLong's interval in 48 cohorts, specificity at per-view
# thresholds in 48 cohorts, a clustered 2,000-resample BCa bootstrap on the test patients.
# Scores come from the table (no model), so this measures Attest's data, cohort, statistics
# and evidence stages. Sizes alternate within each repetition; medians of REPS; wall time
# and peak memory from /usr/bin/time -v.
# Usage: bench/scaling/run.sh [REPS] [THREADS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-3}"
THREADS="${2:-$(nproc)}"
cargo build --release -q -p attest-cli
BIN="$ROOT/target/release/attest"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SIZES=(10000 50000 112120)
for n in "${SIZES[@]}"; do python3 bench/scaling/make_scaled.py "$n" "$WORK/$n"; done
declare -A wall peak
for i in $(seq "$REPS"); do
    for n in "${SIZES[@]}"; do
        rm -rf "$WORK/$n/out"
        /usr/bin/time -v -o "$WORK/time.txt" "$BIN" run "$WORK/$n/attest.yaml" --out "$WORK/$n/out" \
            --threads "$THREADS" > "$WORK/$n/stdout.txt" 2>&1 || {
            echo "attest run failed for $n rows:" >&2; cat "$WORK/$n/stdout.txt" >&2; exit 1; }
        w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
        k=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
        wall[$n]+="$w "; peak[$n]+="$k "
    done
done
median() { printf '%s\n' $@ | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "threads: $THREADS, repetitions: $REPS (medians); 50 cohorts, 4 tests"
echo
echo "| cases | wall (s) | per 10,000 cases (s) | peak memory (MiB) | estimates written |"
echo "|---:|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
    w=$(median ${wall[$n]}); k=$(median ${peak[$n]})
    e=$(python3 -c "import json; r=json.load(open('$WORK/$n/out/results.json')); print(sum(len(t['estimates']) for t in r['tests']))")
    printf '| %s | %.2f | %.2f | %.0f | %s |\n' "$n" "$w" "$(echo "$w * 10000 / $n" | bc -l)" "$(echo "$k / 1024" | bc -l)" "$e"
done
