"""Independent cohort counts for `examples/nih-cohorts/attest.yaml`, computed with DuckDB.

Every cohort's `where:` text from the spec is run unchanged as a DuckDB WHERE clause over
the same table; n, positives (any finding) and negatives (`No Finding`) are written to
`cohort_counts.json`. The workspace test `tests/examples.rs` checks that Attest (polars SQL)
gives the same counts.

    /work/venv-golden/bin/python examples/nih-cohorts/check_cohorts.py   # duckdb 1.x/2.x, pyyaml
"""
import json
import pathlib

import duckdb
import yaml

HERE = pathlib.Path(__file__).parent
spec = yaml.safe_load((HERE / "attest.yaml").read_text())
table = HERE / spec["data"]["table"]

con = duckdb.connect()
con.execute(
    f"CREATE TABLE cases AS SELECT * FROM read_csv('{table}', header = true, all_varchar = false)"
)
label = spec["data"]["label"]["column"]
negative = spec["data"]["label"]["negative"]

def counts(where):
    n, pos, neg = con.execute(
        f'SELECT count(*), count(*) FILTER (WHERE "{label}" <> ?), '
        f'count(*) FILTER (WHERE "{label}" = ?) FROM cases WHERE {where}',
        [negative, negative],
    ).fetchone()
    return {"n": n, "positives": pos, "negatives": neg}

out = {"duckdb": duckdb.__version__, "cohorts": {"all": counts("TRUE")}}
for name, cohort in spec["cohorts"].items():
    out["cohorts"][name] = counts(cohort["where"])
(HERE / "cohort_counts.json").write_text(json.dumps(out, indent=1) + "\n")
for name, c in out["cohorts"].items():
    print(f"{name:<14} {c['n']:>7} {c['positives']:>7} {c['negatives']:>7}")
