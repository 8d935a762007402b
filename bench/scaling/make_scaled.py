"""Writes the NIH cohort example at a given size with 50 cohorts, for bench/scaling/run.sh.

Usage: make_scaled.py ROWS OUT_DIR

The first ROWS rows of the real NIH ChestX-ray14 index bundled in examples/nih-cohorts (and
their simulated scores) go to OUT_DIR/data; OUT_DIR/attest.yaml defines 50 cohorts over age
band x sex, view x sex, view x follow-up bucket and age band x view, and tests that touch
every one of them: an AUC with DeLong's interval per cohort (a subgroup gap test over all
50), specificity at a threshold chosen per view on the tuning patients, a clustered
bootstrap AUC on the test patients, and a data test. Standard library only.
"""

import csv
import gzip
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples" / "nih-cohorts" / "data"


def head(name: str, rows: int) -> bytes:
    with gzip.open(SOURCE / name, "rt", newline="") as f:
        reader = csv.reader(f)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for i, row in enumerate(reader):
            if i >= rows:
                break
            writer.writerow(row)
    # mtime=0: the same bytes on every run (the table's hash is part of the evidence).
    return gzip.compress(out.getvalue().encode(), mtime=0)


def cohorts() -> list[tuple[str, str]]:
    test = '"Patient ID" % 5 <> 0'
    ages = [(0, 18), (18, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, 111)]
    out = [("tune", '"Patient ID" % 5 = 0'), ("test", test)]
    for lo, hi in ages:  # 7 x 2 = 14
        for sex in ("F", "M"):
            out.append((f"age_{lo}_{hi}_{sex}",
                        f'{test} AND "Patient Age" >= {lo} AND "Patient Age" < {hi} AND "Patient Gender" = \'{sex}\''))
    for view in ("PA", "AP"):  # 2 x 2 = 4
        for sex in ("F", "M"):
            out.append((f"{view}_{sex}", f'{test} AND "View Position" = \'{view}\' AND "Patient Gender" = \'{sex}\''))
    buckets = [(0, 1), (1, 3), (3, 10), (10, 30), (30, 1000)]
    for view in ("PA", "AP"):  # 2 x 5 = 10
        for lo, hi in buckets:
            out.append((f"{view}_followup_{lo}_{hi}",
                        f'{test} AND "View Position" = \'{view}\' AND "Follow-up #" >= {lo} AND "Follow-up #" < {hi}'))
    for lo, hi in ages:  # 7 x 2 = 14
        for view in ("PA", "AP"):
            out.append((f"age_{lo}_{hi}_{view}",
                        f'{test} AND "Patient Age" >= {lo} AND "Patient Age" < {hi} AND "View Position" = \'{view}\''))
    for lo, hi in ages[:6]:  # 6: 2 + 14 + 4 + 10 + 14 + 6 = 50
        out.append((f"age_{lo}_{hi}", f'{test} AND "Patient Age" >= {lo} AND "Patient Age" < {hi}'))
    assert len(out) == 50, len(out)
    return out


def spec(rows: int) -> str:
    groups = cohorts()
    lines = [
        "attest: 1",
        f"name: nih-scaling-{rows}",
        "intended_use: Benchmark of how a run grows with the case table (bench/scaling).",
        "seed: 20261128",
        "model:",
        "  id: simulated-reader",
        "  scores: { table: data/scores.csv.gz, id: Image Index, score: score }",
        "  output: { task: binary, positive: abnormal }",
        "data:",
        "  table: data/cases.csv.gz",
        "  id: Image Index",
        "  label: { column: Finding Labels, negative: No Finding }",
        "  cluster: Patient ID",
        "cohorts:",
    ]
    for name, where in groups:
        quoted = where.replace("'", "''")  # YAML single-quoted scalar
        lines.append(f"  {name}: {{ where: '{quoted}' }}")
    lines += [
        "operating_points:",
        "  per_view: { choose_on: tune, per: View Position, target: { specificity: 0.80 } }",
        "tests:",
        "  - id: DATA-001",
        "    cohort: test",
        "    checks: { min_positives: 10, min_negatives: 10 }",
        "  - id: PERF-001",
        "    cohort: test",
        "    metric: auc",
        "    ci: { method: bootstrap_bca, resamples: 2000 }",
        "    require: { lower: \">= 0.5\" }",
        "  - id: FAIR-001",
        "    title: AUC (DeLong) in each of 48 cohorts",
        f"    cohorts: [{', '.join(n for n, _ in groups[2:])}]",
        "    metric: auc",
        "    require: { gap: \"<= 1.0\" }",
        "  - id: FAIR-002",
        "    title: Specificity at per-view thresholds in each of 48 cohorts",
        f"    cohorts: [{', '.join(n for n, _ in groups[2:])}]",
        "    metric: specificity",
        "    at: per_view",
        "    require: { gap: \"<= 1.0\" }",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    rows, out = int(sys.argv[1]), Path(sys.argv[2])
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "data" / "cases.csv.gz").write_bytes(head("Data_Entry_2017_v2020.csv.gz", rows))
    (out / "data" / "scores.csv.gz").write_bytes(head("scores.csv.gz", rows))
    (out / "attest.yaml").write_text(spec(rows))


if __name__ == "__main__":
    main()
