#!/usr/bin/env python3
"""Joins the per-round, per-kind JSON files of bench/perturb/run.sh (attest.ROUND.KIND.json from
the `throughput` bench, peer.ROUND.KIND.json from peer.py) and prints a Markdown table:
kind | size | input | Attest 1 thread | Attest all threads | imagecorruptions 1 thread | ratio,
each figure the median over rounds, the ratio the median of the per-round ratios (Attest and
the peer ran back to back in each round, so a round's ratio shares the machine's speed)."""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def main(folder):
    folder = Path(folder)
    attest = defaultdict(dict)  # (kind, side, input) -> round -> row
    peer = defaultdict(dict)
    for path in sorted(folder.glob("attest.*.json")):
        round_ = path.name.split(".")[1]
        for r in json.loads(path.read_text())["results"]:
            key = (r["kind"], r["side"], "gray" if r["channels"] == 1 else "rgb")
            attest[key][round_] = r
    for path in sorted(folder.glob("peer.*.json")):
        round_ = path.name.split(".")[1]
        for r in json.loads(path.read_text())["results"]:
            peer[(r["kind"], r["size"], r["input"])][round_] = r
    rounds = sorted({r for rows in attest.values() for r in rows})
    threads = next((row["threads"] for rows in attest.values() for row in rows.values()), "?")
    print(f"Medians over {len(rounds)} rounds, Attest and the peer alternating kind by kind.")
    print()
    print(f"| kind | size | input | Attest, 1 thread (img/s) | Attest, {threads} threads | imagecorruptions, 1 thread | Attest/peer (1 thread), median [min–max] of rounds |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for key in sorted(attest, key=lambda k: (k[0], k[1], k[2])):
        rows = attest[key]
        one = statistics.median(r["one_thread"] for r in rows.values())
        all_ = statistics.median(r["all_threads"] for r in rows.values())
        per_round = [rows[r]["one_thread"] / peer[key][r]["images_per_s"] for r in rows if r in peer.get(key, {})]
        kind, side, inp = key
        if per_round:
            peer_rate = statistics.median(p["images_per_s"] for p in peer[key].values())
            ratio = statistics.median(per_round)
            ratios.append((ratio, kind, side, inp))
            spread = f" [{min(per_round):.1f}–{max(per_round):.1f}]" if len(per_round) > 1 else ""
            print(f"| {kind} | {side} | {inp} | {one:.0f} | {all_:.0f} | {peer_rate:.0f} | {ratio:.1f}×{spread} |")
        else:
            print(f"| {kind} | {side} | {inp} | {one:.0f} | {all_:.0f} | — | (no peer kind) |")
    if ratios:
        ratios.sort()
        print()
        print(f"Slowest ratio: {ratios[0][0]:.1f}× ({ratios[0][1]}, {ratios[0][2]}, {ratios[0][3]}); "
              f"median {ratios[len(ratios)//2][0]:.1f}×; below 5× at 224²: "
              + (", ".join(f"{k} {i}" for q, k, s, i in ratios if q < 5 and s == 224) or "none"))


if __name__ == "__main__":
    main(sys.argv[1])
