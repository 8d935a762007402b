"""Checks that Attest (results.json) and the Python pipeline (peer.py's JSON) computed the
same numbers before bench/pipeline/run.sh times them. Exits 1 naming every disagreement.

Deterministic quantities (the unperturbed AUC and its interval, the gamma levels, their
drops' intervals, the flip rate) must agree to 1e-6 (tract and onnxruntime round the
network's arithmetic differently). The random kinds (noise, dose) draw from other generators,
so one noise realisation differs from the other: the Python AUC must lie inside Attest's 95%
interval for that level (on this model, 183 cases, two realisations of severity-2 noise give
AUCs 0.04 apart).
Usage: compare.py RESULTS_JSON PEER_JSON
"""

import json
import sys


def main() -> None:
    attest = {t["id"]: t for t in json.load(open(sys.argv[1]))["tests"]}
    peer = json.load(open(sys.argv[2]))
    problems, rows = [], []

    def check(what, ours, theirs, tolerance, interval=None):
        if interval is None:
            ok = abs(ours - theirs) <= tolerance
            rule = f"within {tolerance:g}"
        else:
            ok = interval[0] <= theirs <= interval[1]
            rule = f"in [{interval[0]:.3f}, {interval[1]:.3f}]"
        rows.append(f"| {what} | {ours:.6f} | {theirs:.6f} | {abs(ours - theirs):.2g} | {rule}: {'yes' if ok else 'NO'} |")
        if not ok:
            problems.append(what)

    def estimate(test, metric, variant):
        for e in attest[test]["estimates"]:
            if e["metric"] == metric and e.get("variant") == variant:
                return e
        raise KeyError((test, metric, variant))

    perf = estimate("PERF-002", "auc", "original")
    check("PERF-002 AUC", perf["value"], peer["PERF-002"]["auc"], 1e-6)
    check("PERF-002 lower", perf["ci"]["lower"], peer["PERF-002"]["ci"][0], 1e-6)
    check("PERF-002 upper", perf["ci"]["upper"], peer["PERF-002"]["ci"][1], 1e-6)
    for test, name, random in (("ROB-001", "noise", True), ("ROB-002", "exposure", False), ("ROB-003", "dose", True)):
        for severity in (1, 2, 3):
            variant = f"{name}@{severity}"
            level = estimate(test, "auc", variant)
            interval = (level["ci"]["lower"], level["ci"]["upper"]) if random else None
            check(f"{test} AUC at {variant}", level["value"], peer[test][variant]["auc"], 1e-6, interval)
            if not random:
                drop = estimate(test, "drop:auc", variant)
                check(f"{test} drop lower at {variant}", drop["ci"]["lower"], peer[test][variant]["drop_ci"][0], 1e-6)
    flip = next(e for e in attest["INV-001"]["estimates"] if e["metric"] == "flip_rate")
    check("INV-001 flip rate", flip["value"], peer["INV-001"]["flip_rate"], 1e-6)
    print("| quantity | Attest | Python | difference | agrees |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(rows))
    if problems:
        print(f"disagreements: {', '.join(problems)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
