#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300) from the committed seeds, one after
# the other, keeping what they find in corpus/ (ignored by git), and prints one line per
# target: executions, coverage (libFuzzer's `cov` and `ft`), corpus size and crashes, then
# whether each run reached a plateau (plateau.py). A target with a dictionary in dicts/
# (tokens of its input format) gets it as `-dict=`.
# Needs cargo-fuzz and a nightly toolchain. Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
# PARALLEL=1 runs the targets at the same time, one process each (one per core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SECONDS_EACH="${1:-300}"
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(spec image table verify)
cargo +nightly fuzz build -s none
mkdir -p logs
run_one() {
    local t="$1" status=0
    local dict=()
    [[ -f "dicts/$t.dict" ]] && dict=(-dict="dicts/$t.dict")
    mkdir -p "corpus/$t"
    cargo +nightly fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        "${dict[@]}" > "logs/$t.log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "logs/$t.log" | tail -1)
    crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    echo "$t: ${execs:-?} executions in ${SECONDS_EACH} s, ${cov:-no coverage line}, corpus $(ls "corpus/$t" | wc -l) files, ${crashes} crash file(s), exit ${status}"
}
if [[ "${PARALLEL:-0}" == 1 ]]; then
    for t in "${TARGETS[@]}"; do run_one "$t" & done
    wait
else
    for t in "${TARGETS[@]}"; do run_one "$t"; done
fi
for t in "${TARGETS[@]}"; do python3 plateau.py "logs/$t.log"; done
