#!/usr/bin/env python3
"""The robustness part of examples/chest-xray as a Python pipeline, for bench/pipeline/run.sh.

What a Python user would write to get the numbers Attest's `attest run` gives for the
example's tests PERF-002, ROB-001..003 and INV-001 (bench/pipeline/spec.py writes that
spec): read the case table, load every PNG, perturb the test cohort's images at each level,
score them with onnxruntime, and compute the metrics with scikit-learn and the widely copied
"fast DeLong" code (bench/stats/peer.py):

* PERF-002: AUC of the test cohort with a 95% DeLong interval;
* ROB-001..003: AUC (and DeLong interval) at each severity of
  - noise: imagecorruptions' `gaussian_noise` (severities 1-3, on [0, 1] gray values,
    truncated to uint8 as `np.uint8` does),
  - exposure: medmnistc's `gamma_down`, i.e. torchvision `adjust_gamma` on a PIL image, whose
    lookup table is `int(255.999 * (v / 255) ** gamma)` (gamma 0.9, 0.8, 0.7) — written as
    that table here so torch is not needed,
  - dose: the radiography kind `poisson_dose` (no Python package has it): noise addition for
    a log-processed image, N = 1e4 exp(-4 p), dose fractions 0.5, 0.25, 0.125;
  and the drop from the unperturbed AUC with its paired DeLong interval;
* INV-001: the share of test cases whose decision at the `triage` threshold (the highest
  score threshold with sensitivity >= 0.90 on the tune cohort) changes when the image is
  mirrored.

Random kinds draw from numpy's generator (seeded), not Attest's streams, so their AUCs agree
with Attest's in distribution, not to the digit; the deterministic ones (unperturbed, gamma,
flip) must agree to rounding. run.sh checks both before it times anything.

Usage: peer.py EXAMPLE_DIR --threads N --out JSON
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("example", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import onnxruntime as ort
    from PIL import Image
    from sklearn.metrics import roc_auc_score

    sys.path.insert(0, str(HERE.parent / "stats"))
    sys.path.insert(0, str(HERE.parents[1] / "crates/attest-perturb/tests/reference"))
    from generate import patch_imagecorruptions  # noqa: E402
    from peer import compute_ground_truth_statistics, fastDeLong  # noqa: E402

    patch_imagecorruptions(seeded_impulse_noise=False)
    from imagecorruptions.corruptions import gaussian_noise  # noqa: E402

    from scipy.stats import norm

    z = norm.ppf(0.975)

    # The case table and the two cohorts.
    rows = list(csv.DictReader(open(args.example / "data/cases.csv", newline="")))
    images = {
        r["case_id"]: np.asarray(Image.open(args.example / "data" / r["file"]).convert("L"))
        for r in rows
    }
    test = [r for r in rows if r["split"] == "test"]
    tune = [r for r in rows if r["split"] == "tune"]
    y_test = np.array([r["finding"] == "nodule" for r in test], dtype=np.int64)
    y_tune = np.array([r["finding"] == "nodule" for r in tune], dtype=np.int64)

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(args.example / "models/nodule_cnn.onnx"), options, providers=["CPUExecutionProvider"]
    )
    input_name = session.get_inputs()[0].name

    def score(batch_u8: list) -> np.ndarray:
        out = []
        for i in range(0, len(batch_u8), 32):
            x = np.stack(batch_u8[i : i + 32]).astype(np.float32)[:, None] / 255.0
            x = (x - 0.5) / 0.25
            logits = session.run(None, {input_name: x})[0].reshape(-1)
            out.append(1.0 / (1.0 + np.exp(-logits.astype(np.float64))))
        return np.concatenate(out)

    def delong(y, *scores):
        order, m = compute_ground_truth_statistics(y)
        aucs, cov = fastDeLong(np.vstack(scores)[:, order], m)
        return aucs, np.atleast_2d(cov)

    rng = np.random.default_rng(20261126)

    def noise(x, severity):
        np.random.seed(int(rng.integers(2**31)))
        return np.uint8(gaussian_noise(x, severity))

    def gamma_down(x, severity):
        gamma = [0.9, 0.8, 0.7][severity - 1]
        table = (255.999 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
        return table[x]

    def dose(x, severity):
        fraction = [0.5, 0.25, 0.125][severity - 1]
        n0, mu = 1.0e4, 4.0
        p = x.astype(np.float64) / 255.0
        quanta = n0 * np.exp(-mu * p)
        s = np.sqrt((1.0 / fraction - 1.0) / quanta)
        noisy = p - np.log(np.maximum(1.0 + s * rng.standard_normal(p.shape), 0.5 / quanta)) / mu
        return np.uint8(np.clip(noisy, 0.0, 1.0) * 255.0)

    test_images = [images[r["case_id"]] for r in test]
    original = score(test_images)
    (auc,), cov = delong(y_test, original)
    half = z * np.sqrt(cov[0, 0])
    results = {"PERF-002": {"auc": auc, "ci": [auc - half, auc + half]}}
    for test_id, name, kind in (
        ("ROB-001", "noise", noise),
        ("ROB-002", "exposure", gamma_down),
        ("ROB-003", "dose", dose),
    ):
        levels = {}
        for severity in (1, 2, 3):
            perturbed = score([kind(x, severity) for x in test_images])
            (a, b), cov = delong(y_test, original, perturbed)
            spread = z * np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
            levels[f"{name}@{severity}"] = {
                "auc": b,
                "drop": a - b,
                "drop_ci": [a - b - spread, a - b + spread],
            }
        results[test_id] = levels
    # The triage threshold: the highest score threshold with sensitivity >= 0.90 on tune.
    tune_scores = score([images[r["case_id"]] for r in tune])
    positives = np.sort(tune_scores[y_tune == 1])[::-1]
    needed = int(np.ceil(0.90 * len(positives) - 1e-9))
    threshold = positives[needed - 1]
    flipped = score([np.ascontiguousarray(x[:, ::-1]) for x in test_images])
    flips = np.mean((original >= threshold) != (flipped >= threshold))
    results["INV-001"] = {"threshold": threshold, "flip_rate": flips}
    results["sklearn_auc_check"] = roc_auc_score(y_test, original)
    results["seconds"] = time.perf_counter() - started

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return float(v)

    args.out.write_text(json.dumps(plain(results), indent=1))


if __name__ == "__main__":
    main()
