#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 300) from the committed seeds, one after
# the other, keeping what they find in corpus/ (ignored by git), and prints one line per
# target: executions, coverage (libFuzzer's `cov` and `ft`), corpus size and crashes, then
# whether each run reached a plateau (plateau.py).
# Needs cargo-fuzz and a nightly toolchain. Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SECONDS_EACH="${1:-300}"
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(spec image table verify)
cargo +nightly fuzz build -s none
mkdir -p logs
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t"
    status=0
    cargo +nightly fuzz run -s none "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        > "logs/$t.log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "logs/$t.log" | tail -1)
    crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    echo "$t: ${execs:-?} executions in ${SECONDS_EACH} s, ${cov:-no coverage line}, corpus $(ls "corpus/$t" | wc -l) files, ${crashes} crash file(s), exit ${status}"
done
for t in "${TARGETS[@]}"; do python3 plateau.py "logs/$t.log"; done
