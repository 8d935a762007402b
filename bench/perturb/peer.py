#!/usr/bin/env python3
"""Python peer for attest-perturb: single-thread throughput of `imagecorruptions` 1.1.2.

Times `imagecorruptions.corrupt(image, severity=3, corruption_name=kind)` -- exactly what a
Python user calls, including its input checks, the grey -> RGB stacking and the final
`np.uint8` conversion -- for every kind the package defines, on:

* a real 224x224 chest radiograph, 8-bit grey (`corrupt()` stacks it to RGB: the only path
  the package has for grey images) and its tinted RGB version
  (crates/attest-perturb/tests/reference/inputs/);
* the same two images resized to 512x512 (Lanczos).

ONE thread: the thread-count variables of OpenMP, MKL, OpenBLAS, BLIS, numexpr and
Accelerate are set to 1 before numpy is imported, and `cv2.setNumThreads(1)`; the JSON
records what the libraries report (threadpoolctl, if installed, and cv2.getNumThreads()).

Each (kind, input, size) case: one untimed warm-up call, then `--reps` repetitions; a
repetition calls `corrupt()` repeatedly until at least `--min-time` seconds have passed and
counts images per second. The reported figure is the median over repetitions. Kinds whose
single call lasts longer than `--slow` seconds (glass_blur) get `--slow-reps` repetitions of
one call each, to keep the run short. The global `np.random` is seeded (0) before each
case.

imagecorruptions 1.1.2 does not run on numpy 2 / current scikit-image as published; the
same in-memory compatibility patch as the reference generator is applied
(`patch_imagecorruptions` in crates/attest-perturb/tests/reference/generate.py; see the
README there), without its impulse-noise seeding, so impulse_noise runs as published
(fresh `default_rng()` per call).

Prints one JSON object on stdout (or --out FILE); progress goes to stderr.

Usage: peer.py [--list] [--kinds K ...] [--sizes 224 512] [--inputs gray rgb] [--reps 5]
               [--min-time 0.2] [--severity 3] [--out FILE]
"""

from __future__ import annotations

import os

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
for _variable in THREAD_VARIABLES:
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402

cv2.setNumThreads(1)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "crates" / "attest-perturb" / "tests" / "reference"
sys.path.insert(0, str(REFERENCE))
sys.dont_write_bytecode = True  # no __pycache__ in the repository
from generate import patch_imagecorruptions  # noqa: E402

INPUT_FILES = {"gray": "cxr_normal.png", "rgb": "cxr_tinted_rgb.png"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_input(kind: str, size: int) -> np.ndarray:
    """The committed 224x224 input, resized to `size` (Lanczos) if needed; uint8."""
    image = Image.open(REFERENCE / "inputs" / INPUT_FILES[kind])
    if image.size != (size, size):
        image = image.resize((size, size), Image.LANCZOS)
    array = np.array(image)
    assert array.dtype == np.uint8 and array.ndim == (2 if kind == "gray" else 3)
    return array


def time_case(corrupt, image: np.ndarray, kind: str, severity: int, args) -> dict:
    """Median images/s over repetitions of `corrupt(image, severity, kind)`."""
    np.random.seed(0)
    start = time.perf_counter()
    out = corrupt(image, severity=severity, corruption_name=kind)  # warm-up, untimed
    single = time.perf_counter() - start
    assert out.shape[:2] == image.shape[:2] and out.dtype == np.uint8
    slow = single > args.slow
    reps = args.slow_reps if slow else args.reps
    min_time = 0.0 if slow else args.min_time
    rates, calls_total = [], 0
    for _ in range(reps):
        calls = 0
        start = time.perf_counter()
        while True:
            corrupt(image, severity=severity, corruption_name=kind)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(calls / elapsed)
        calls_total += calls
    median = statistics.median(rates)
    return {
        "images_per_s": median,
        "ms_per_image": 1000.0 / median,
        "reps_images_per_s": rates,
        "calls": calls_total,
        "slow_mode": slow,
    }


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "scikit-image", "pillow", "opencv-python-headless", "imagecorruptions"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def thread_report() -> dict:
    report = {
        "env": {v: os.environ.get(v) for v in THREAD_VARIABLES},
        "cv2_num_threads": cv2.getNumThreads(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }
    try:
        from threadpoolctl import threadpool_info

        report["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "architecture")}
            for p in threadpool_info()
        ]
    except ImportError:
        report["threadpools"] = "threadpoolctl not installed"
    return report


def machine() -> dict:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "logical_cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", nargs="*", help="kinds to time (default: all 19 of imagecorruptions)")
    parser.add_argument("--sizes", nargs="*", type=int, default=[224, 512])
    parser.add_argument("--inputs", nargs="*", choices=sorted(INPUT_FILES), default=["gray", "rgb"])
    parser.add_argument("--severity", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5, help="repetitions per case (median reported)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per repetition, at least")
    parser.add_argument("--slow", type=float, default=1.0, help="a single call longer than this is 'slow'")
    parser.add_argument("--slow-reps", type=int, default=3, help="repetitions (one call each) of slow kinds")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    parser.add_argument("--list", action="store_true", help="print the package's kind names and exit")
    args = parser.parse_args()

    ic = patch_imagecorruptions(seeded_impulse_noise=False)
    if args.list:
        print("\n".join(ic.get_corruption_names("all")))
        return
    kinds = args.kinds or ic.get_corruption_names("all")
    unknown = sorted(set(kinds) - set(ic.get_corruption_names("all")))
    if unknown:
        parser.error(f"unknown kinds: {', '.join(unknown)}")

    results = []
    for size in args.sizes:
        for input_kind in args.inputs:
            image = load_input(input_kind, size)
            for kind in kinds:
                timing = time_case(ic.corrupt, image, kind, args.severity, args)
                log(f"{kind:18} {input_kind:4} {size:4}  {timing['images_per_s']:10.1f} images/s")
                results.append({"kind": kind, "input": input_kind, "size": size, **timing})

    report = {
        "peer": "imagecorruptions",
        "call": "imagecorruptions.corrupt(image, severity, corruption_name)",
        "severity": args.severity,
        "threads": 1,
        "reps": args.reps,
        "min_time_s": args.min_time,
        "slow_threshold_s": args.slow,
        "slow_reps": args.slow_reps,
        "inputs": {k: f"crates/attest-perturb/tests/reference/inputs/{v}" for k, v in INPUT_FILES.items()},
        "versions": versions(),
        "machine": machine(),
        "thread_check": thread_report(),
        "results": results,
    }
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
