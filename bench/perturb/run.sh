#!/usr/bin/env bash
# Side-by-side perturbation throughput: attest-perturb (bench `throughput`) vs imagecorruptions
# (bench/perturb/peer.py), ALTERNATING kind by kind within one invocation — Attest on a kind,
# then the peer on the same kind, for every kind, and all of that ROUNDS times — so that the
# drift of a shared machine's speed falls on both sides alike. Then a Markdown table of the
# medians over rounds and the median of the per-round ratios.
# Usage: [ROUNDS=3] bench/perturb/run.sh [PYTHON] [KIND...]
#   PYTHON: interpreter with bench/perturb/requirements.txt installed
#           (default bench/.venv-perturb/bin/python, created on first use)
#   KIND:   default every kind imagecorruptions defines (Attest-only kinds:
#           `cargo bench -p attest-perturb --bench throughput`)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${1:-bench/.venv-perturb/bin/python}"
shift || true
ROUNDS="${ROUNDS:-3}"
if [[ ! -x "$PYTHON" ]] && [[ "$PYTHON" == bench/.venv-perturb/bin/python ]]; then
    python3 -m venv bench/.venv-perturb
    echo '*' > bench/.venv-perturb/.gitignore
    bench/.venv-perturb/bin/pip install --quiet -r bench/perturb/requirements.txt
fi
KINDS=("$@")
if [[ ${#KINDS[@]} -eq 0 ]]; then
    mapfile -t KINDS < <("$PYTHON" bench/perturb/peer.py --list)
fi
OUT="${CARGO_TARGET_DIR:-target}/bench-perturb"
rm -rf "$OUT" && mkdir -p "$OUT"
cargo bench -p attest-perturb --bench throughput --no-run 2>/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt" >&2
for round in $(seq "$ROUNDS"); do
    for kind in "${KINDS[@]}"; do
        echo "round $round/$ROUNDS: $kind" >&2
        cargo bench -q -p attest-perturb --bench throughput -- "$kind" \
            > "$OUT/attest.$round.$kind.json" 2>/dev/null
        "$PYTHON" bench/perturb/peer.py --kinds "$kind" --out "$OUT/peer.$round.$kind.json" 2>/dev/null
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt" >&2
python3 bench/perturb/report.py "$OUT" | tee "$OUT/report.md"
