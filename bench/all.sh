#!/usr/bin/env bash
# Every side-by-side benchmark of BENCHMARKS.md in one command. Each script makes its own
# pinned Python environment on first use (bench/.venv-*: pip install from the requirements
# file it names) and runs Attest and its peer in the same invocation, alternating; the
# Markdown tables go to stdout and to target/bench-all/report.md.
#   statistics  bench/stats/run.sh     AUC + DeLong, bootstrap percentile and BCa at n = 1k/10k/100k
#   perturb     bench/perturb/run.sh   every kind imagecorruptions has, 224/512, gray/RGB, 1/all threads
#   models      bench/models/run.sh    forward passes: tract, candle, onnxruntime (ort) vs Python onnxruntime,
#                                      batch 1/8 on three models, and batch 32 on the example's model
#   engine      bench/engine/run.sh    the example cold vs from the cache, peak memory
#   pipeline    bench/pipeline/run.sh  the example's robustness run vs imagecorruptions + onnxruntime + scikit-learn
#   scaling     bench/scaling/run.sh   the NIH table at 10k/50k/112k rows x 50 cohorts
# Usage: bench/all.sh [NAME...]   (default: all of them, in that order; takes about an hour
# on 2 cores, most of it in the perturbation and statistics peers)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NAMES=("$@")
[[ ${#NAMES[@]} -gt 0 ]] || NAMES=(stats perturb models engine pipeline scaling)
OUT="${CARGO_TARGET_DIR:-target}/bench-all"
mkdir -p "$OUT"
REPORT="$OUT/report.md"
{
    echo "# bench/all.sh on $(hostname), $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "$(nproc) cores: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); $(rustc --version)"
} > "$REPORT"
for name in "${NAMES[@]}"; do
    echo >> "$REPORT"
    echo "## $name" >> "$REPORT"
    echo >> "$REPORT"
    case "$name" in
        pipeline)
            bench/pipeline/run.sh 3 1 | tee -a "$REPORT"
            bench/pipeline/run.sh 3 "$(nproc)" | tee -a "$REPORT"
            ;;
        models)
            bench/models/run.sh | tee -a "$REPORT"
            bench/models/run.sh bench/.venv-models/bin/python --models example --batches 32 | tee -a "$REPORT"
            ;;
        stats | perturb | engine | scaling)
            "bench/$name/run.sh" | tee -a "$REPORT"
            ;;
        *)
            echo "unknown benchmark '$name' (stats, perturb, models, engine, pipeline, scaling)" >&2
            exit 2
            ;;
    esac
done
echo "report: $REPORT"
