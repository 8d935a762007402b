"""onnxruntime's own speed on the benchmark models: the peer of bench `forward`.

Same protocol as the Rust bench: batch 1 (and 8), a fixed random input, 3 warm-up runs,
then runs until both 20 runs and `--seconds` have passed; images/s from the total.
Usage: python peer.py MODELS_DIR --threads 1 2 [--seconds 3] --out peer.json
"""
import argparse
import json
import pathlib
import time

import numpy as np
import onnxruntime


def measure(session, batch, channels, size, seconds):
    x = np.random.default_rng(0).standard_normal((batch, channels, size, size)).astype(np.float32)
    name = session.get_inputs()[0].name
    for _ in range(3):
        session.run(None, {name: x})
    runs, start = 0, time.perf_counter()
    while True:
        session.run(None, {name: x})
        runs += 1
        elapsed = time.perf_counter() - start
        if runs >= 20 and elapsed >= seconds:
            return runs * batch / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--models", dest="only", nargs="+", default=[], help="only these models (default: all)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    folder = pathlib.Path(args.models)
    rows = []
    for model in json.loads((folder / "models.json").read_text()):
        if args.only and model["name"] not in args.only:
            continue
        for threads in args.threads:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(str(folder / model["onnx"]), options,
                                                   providers=["CPUExecutionProvider"])
            for batch in args.batches:
                ips = measure(session, batch, model["channels"], model["size"], args.seconds)
                rows.append({"model": model["name"], "backend": "onnxruntime (Python)",
                             "threads": threads, "batch": batch, "images_per_s": ips,
                             "gflop_per_s": ips * model["flops"] / 1e9})
                print(json.dumps(rows[-1]), flush=True)
    pathlib.Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
