#!/usr/bin/env python3
"""Combine what bench/stats/run.sh collected into one Markdown report.

Usage: report.py DIR

DIR (normally target/bench-stats/) holds
  machine.txt                                  "key: value" lines written by run.sh
  round-<k>/criterion/<bench>/<n>/estimates.json   copies of criterion's new/estimates.json
  round-<k>/peer.json                          stdout of peer.py

For every (benchmark, n) the report takes the median across rounds of each side's
per-round median (criterion's `median.point_estimate`, in ns; peer.py's `median_s`) and
prints peer/Attest, i.e. how many times faster Attest is. Standard library only.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

BENCH_ORDER = ("auc_delong", "bootstrap_percentile_2000", "bootstrap_bca_2000")


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "—"
    if r >= 100:
        return f"{r:,.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def rounds(root: Path) -> list[Path]:
    def key(p: Path):
        suffix = p.name.split("-", 1)[1]
        return (0, int(suffix), "") if suffix.isdigit() else (1, 0, suffix)

    return sorted((p for p in root.glob("round-*") if p.is_dir()), key=key)


def read_rust(round_dir: Path) -> dict[tuple[str, int], float]:
    """(bench, n) -> median seconds for one round."""
    out = {}
    base = round_dir / "criterion"
    for est in base.glob("*/*/estimates.json"):
        bench, n = est.parent.parent.name, est.parent.name
        if not n.isdigit():
            continue
        data = json.loads(est.read_text())
        out[(bench, int(n))] = float(data["median"]["point_estimate"]) * 1e-9
    return out


def read_peer(round_dir: Path) -> tuple[dict, dict[tuple[str, int], dict]]:
    path = round_dir / "peer.json"
    if not path.is_file() or path.stat().st_size == 0:
        return {}, {}
    data = json.loads(path.read_text())
    return data.get("peer", {}), {(r["bench"], int(r["n"])): r for r in data.get("results", [])}


def read_machine(root: Path) -> list[tuple[str, str]]:
    path = root / "machine.txt"
    if not path.is_file():
        return []
    items = []
    for line in path.read_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            items.append((k.strip(), v.strip()))
    return items


def median_or_none(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def sort_key(key: tuple[str, int]):
    bench, n = key
    order = BENCH_ORDER.index(bench) if bench in BENCH_ORDER else len(BENCH_ORDER)
    return (order, bench, n)


def build_report(root: Path) -> str:
    rdirs = rounds(root)
    rust_rounds = [read_rust(r) for r in rdirs]
    peer_rounds = [read_peer(r) for r in rdirs]
    versions = next((v for v, _ in peer_rounds if v), {})

    keys = set()
    for d in rust_rounds:
        keys.update(d)
    for _, d in peer_rounds:
        keys.update(d)

    lines = ["# attest-stats vs Python peers: AUC, DeLong and bootstrap intervals", ""]
    machine = read_machine(root)
    if machine:
        lines += [f"- **{k}**: {v}" for k, v in machine]
    if versions:
        lines.append("- **peer**: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines.append(f"- **rounds**: {len(rdirs)} (each cell is the median across rounds of that round's median)")
    lines.append("")

    lines.append("| benchmark | n | Attest median | peer median | peer/Attest (speed-up) |")
    lines.append("|---|---:|---:|---:|---:|")
    notes: dict[str, str] = {}
    sanity = []
    for key in sorted(keys, key=sort_key):
        rust = median_or_none([d.get(key) for d in rust_rounds])
        entries = [d[key] for _, d in peer_rounds if key in d]
        peer = median_or_none([e.get("median_s") for e in entries])
        ratio = peer / rust if (peer is not None and rust) else None
        peer_cell = fmt_time(peer)
        if peer is None and entries:
            note = entries[-1].get("note") or "not measured"
            mark = notes.setdefault(note, "*" * (len(notes) + 1))
            peer_cell = f"{mark}"
        lines.append(
            f"| {key[0]} | {key[1]:,} | {fmt_time(rust)} | {peer_cell} | {fmt_ratio(ratio)} |"
        )
        last = next((e for e in reversed(entries) if e.get("auc") is not None), None)
        if last is not None:
            sanity.append((key, last))
    if notes:
        lines.append("")
        lines += [f"{mark} {note}" for note, mark in notes.items()]

    if sanity:
        lines += [
            "",
            "Peer sanity values (last round; peer data come from numpy's generator, so compare "
            "with Attest's only loosely):",
            "",
            "| benchmark | n | AUC | 95% CI |",
            "|---|---:|---:|---|",
        ]
        for key, e in sanity:
            ci = e.get("ci") or [None, None]
            ci_s = f"[{ci[0]:.4f}, {ci[1]:.4f}]" if None not in ci else "—"
            lines.append(f"| {key[0]} | {key[1]:,} | {e['auc']:.4f} | {ci_s} |")

    missing_rust = [k for k in sorted(keys, key=sort_key) if all(k not in d for d in rust_rounds)]
    if missing_rust and any(rust_rounds):
        lines += ["", "No criterion estimate for: " + ", ".join(f"{b}/{n}" for b, n in missing_rust)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    if not root.is_dir():
        print(f"report.py: {root} is not a directory", file=sys.stderr)
        return 2
    sys.stdout.write(build_report(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
