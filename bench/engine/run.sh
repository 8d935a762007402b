#!/usr/bin/env bash
# `attest run` on the bundled example (2,130 forward passes: 300 unperturbed + 10 perturbation
# levels × 183 test cases), in one invocation, alternating REPS times:
#   cold  — an empty prediction cache: every pass computed;
#   warm  — the same spec after editing a criterion: every pass from the cache.
# Prints the medians, the ratio cold/warm, peak memory (/usr/bin/time -v, when present), and
# the engine's overhead in the cold run from the timings `attest run` records in results.json
# (`inference.scoring_seconds`, `inference.forward_seconds`): the share of the scoring stage,
# and of the whole run, spent outside the model's forward passes.
# Usage: bench/engine/run.sh [REPS] [THREADS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-3}"
THREADS="${2:-$(nproc)}"
cargo build --release -q -p attest-cli
BIN="$ROOT/target/release/attest"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ln -s "$ROOT/examples/chest-xray/data" "$WORK/data"
ln -s "$ROOT/examples/chest-xray/models" "$WORK/models"
TIME=()
[[ -x /usr/bin/time ]] && TIME=(/usr/bin/time -v -o "$WORK/time.txt")
# Runs attest; prints "wall_seconds peak_kib".
timed() {
    local t0 t1 peak=""
    t0=$(date +%s.%N)
    ATTEST_CACHE_DIR="$WORK/cache" "${TIME[@]}" "$BIN" run "$WORK/attest.yaml" --out "$WORK/out" \
        --threads "$THREADS" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    [[ -f "$WORK/time.txt" ]] && peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    echo "$(echo "$t1 - $t0" | bc -l) ${peak:-0}"
}
field() { python3 -c "import json; print(json.load(open('$WORK/out/results.json'))['inference']['$1'])"; }
cold=(); warm=(); cold_kib=(); warm_kib=(); scoring=(); forward=()
for i in $(seq "$REPS"); do
    rm -rf "$WORK/cache" "$WORK/out"
    cp examples/chest-xray/attest.yaml "$WORK/attest.yaml"
    read -r s k <<< "$(timed)"; cold+=("$s"); cold_kib+=("$k")
    [[ "$(field computed)" == 2130 ]] || { echo "the cold run did not compute 2130 passes" >&2; exit 1; }
    scoring+=("$(field scoring_seconds)"); forward+=("$(field forward_seconds)")
    # Edit a criterion, then re-run: no inference.
    sed -i 's/require: { gap: "<= 0.20" }/require: { gap: "<= 0.25" }/' "$WORK/attest.yaml"
    read -r s k <<< "$(timed)"; warm+=("$s"); warm_kib+=("$k")
    [[ "$(field computed)" == 0 ]] || { echo "the re-run computed $(field computed) passes; expected 0" >&2; exit 1; }
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
c=$(median "${cold[@]}"); w=$(median "${warm[@]}")
sc=$(median "${scoring[@]}"); fw=$(median "${forward[@]}")
echo "threads: $THREADS, repetitions: $REPS (medians)"
echo
echo "| run | wall (s) | peak memory (MiB) |"
echo "|---|---|---|"
printf '| cold (2,130 forward passes) | %.2f | %.0f |\n' "$c" "$(echo "$(median "${cold_kib[@]}") / 1024" | bc -l)"
printf '| re-run after editing a criterion (all cached) | %.2f | %.0f |\n' "$w" "$(echo "$(median "${warm_kib[@]}") / 1024" | bc -l)"
printf '| **cold / re-run** | **%.0f×** | |\n' "$(echo "$c / $w" | bc -l)"
echo
printf 'cold run: scoring stage %.2f s, forward passes %.2f s\n' "$sc" "$fw"
printf 'engine overhead: %.1f%% of the scoring stage, %.1f%% of the whole run (process start, validation, hashing, evaluation included)\n' \
    "$(echo "100 * ($sc - $fw) / $sc" | bc -l)" "$(echo "100 * ($c - $fw) / $c" | bc -l)"
