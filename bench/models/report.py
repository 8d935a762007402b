"""Merges bench `forward` (attest.json) and peer.py (peer.json) into one Markdown table:
images/s, GFLOP/s and the ratio to onnxruntime (Python) at the same model, threads, batch.
Usage: python report.py attest.json peer.json
"""
import json
import sys


def main():
    rows = json.loads(open(sys.argv[1]).read()) + json.loads(open(sys.argv[2]).read())
    peer = {(r["model"], r["threads"], r["batch"]): r["images_per_s"]
            for r in rows if r["backend"].startswith("onnxruntime (Python)")}
    order = {"onnxruntime (Python)": 0, "onnxruntime (attest)": 1, "tract (attest default)": 2,
             "candle (attest)": 3, "candle 0.11 conv2d (stock)": 4}
    rows.sort(key=lambda r: (r["model"], r["batch"], r["threads"], order.get(r["backend"], 9)))
    print("| model | batch | threads | backend | images/s | GFLOP/s | × onnxruntime |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        base = peer.get((r["model"], r["threads"], r["batch"]))
        ratio = f"{r['images_per_s'] / base:.2f}" if base else "—"
        print(f"| {r['model']} | {r['batch']} | {r['threads']} | {r['backend']} | "
              f"{r['images_per_s']:,.1f} | {r['gflop_per_s']:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
