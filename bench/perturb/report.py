#!/usr/bin/env python3
"""Joins attest-perturb's throughput JSON with peer.py's and prints a Markdown table:
kind | size | input | Attest 1 thread | Attest all threads | imagecorruptions (1 thread) | ratio."""
import json
import sys


def main(attest_path, peer_path):
    attest = json.load(open(attest_path))["results"]
    peer = json.load(open(peer_path))
    by_key = {(r["kind"], r["size"], r["input"]): r for r in peer["results"]}
    threads = attest[0]["threads"] if attest else "?"
    print(f"| kind | size | input | Attest, 1 thread (img/s) | Attest, {threads} threads | imagecorruptions, 1 thread | Attest/peer (1 thread) |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for r in attest:
        inp = "gray" if r["channels"] == 1 else "rgb"
        p = by_key.get((r["kind"], r["side"], inp))
        peer_rate = p["images_per_s"] if p else None
        ratio = r["one_thread"] / peer_rate if peer_rate else None
        if ratio:
            ratios.append((ratio, r["kind"], r["side"], inp))
        print(
            f"| {r['kind']} | {r['side']} | {inp} | {r['one_thread']:.0f} | {r['all_threads']:.0f} | "
            + (f"{peer_rate:.0f} | {ratio:.1f}× |" if ratio else "— | (no peer kind) |")
        )
    if ratios:
        ratios.sort()
        print()
        print(f"Slowest ratio: {ratios[0][0]:.1f}× ({ratios[0][1]}, {ratios[0][2]}, {ratios[0][3]}); "
              f"median {ratios[len(ratios)//2][0]:.1f}×; kinds below 5×: "
              + (", ".join(sorted({f'{k}' for q, k, _, _ in ratios if q < 5})) or "none"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
