#!/usr/bin/env python3
"""Python peer for `crates/attest-stats/benches/auc.rs`.

Times what a Python user would run for the same three jobs:

* ``auc_delong``: ``sklearn.metrics.roc_auc_score`` plus a 95% DeLong interval from the
  widely copied "fast DeLong" numpy code (midranks, Sun & Xu 2014;
  ``compare_auc_delong_xu.py``), reproduced below with only ``np.float`` -> ``np.float64``
  so that it runs on numpy 2;
* ``bootstrap_percentile_2000``: a loop of 2,000 stratified resamples (positives and
  negatives resampled separately), ``roc_auc_score`` on each, then ``np.percentile``;
* ``bootstrap_bca_2000``: ``scipy.stats.bootstrap(..., method='BCa', paired=True,
  vectorized=False, n_resamples=2000)`` with ``roc_auc_score`` as the statistic; its
  jackknife calls the statistic n times on n-1 points, so it is O(n^2) and skipped at 100k.

Prints one JSON object on stdout (see bench/stats/README.md). Progress goes to stderr.

Usage: peer.py [N ...] [--bench NAME ...] [--reps-scale F]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import roc_auc_score

SIZES = (1_000, 10_000, 100_000)
BENCHES = ("auc_delong", "bootstrap_percentile_2000", "bootstrap_bca_2000")
N_RESAMPLES = 2_000
LEVEL = 0.95
BOOT_SEED = 7  # the Rust bench uses BootstrapConfig::new(7)
BCA_MAX_N = 10_000
BCA_SKIP_NOTE = "skipped: too slow (jackknife O(n²))"


# --------------------------------------------------------------------------------------
# Data: same recipe as `cases(n)` in auc.rs, different generator (numpy PCG64, seed n).
# --------------------------------------------------------------------------------------
def cases(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    labels = (rng.integers(0, 10, size=n) < 3).astype(np.int64)  # 30% positives
    noise = rng.integers(0, 1_000_000, size=n) / 1_000_000.0  # U[0, 1) in millionths
    raw = (labels * 0.6 + noise) * 1000.0
    # Rust's f64::round rounds half away from zero; raw >= 0, so floor(x + 0.5) matches it
    # (np.round would round half to even).
    scores = np.floor(raw + 0.5) / 1000.0  # 3 decimals -> ties
    return labels, scores


# --------------------------------------------------------------------------------------
# "Fast DeLong" as found in compare_auc_delong_xu.py (yandexdataschool/roc_comparison),
# the implementation most Python users copy. Kept verbatim in structure, including the
# pure-Python tie loop in compute_midrank.
# --------------------------------------------------------------------------------------
def compute_midrank(x):
    """Computes midranks.
    Args:
       x - a 1D numpy array
    Returns:
       array of midranks
    """
    J = np.argsort(x)
    Z = x[J]
    N = len(x)
    T = np.zeros(N, dtype=np.float64)
    i = 0
    while i < N:
        j = i
        while j < N and Z[j] == Z[i]:
            j += 1
        T[i:j] = 0.5 * (i + j - 1)
        i = j
    T2 = np.empty(N, dtype=np.float64)
    # Note(kazeevn) +1 is due to Python using 0-based indexing
    # instead of 1-based in the AUC formula in the paper
    T2[J] = T + 1
    return T2


def fastDeLong(predictions_sorted_transposed, label_1_count):
    """
    The fast version of DeLong's method for computing the covariance of
    unadjusted AUC.
    Args:
       predictions_sorted_transposed: a 2D numpy.array[n_classifiers, n_examples]
          sorted such as the examples with label "1" are first
    Returns:
       (AUC value, DeLong covariance)
    Reference:
     @article{sun2014fast,
       title={Fast Implementation of DeLong's Algorithm for
              Comparing the Areas Under Correlated Receiver Operating Characteristic Curves},
       author={Xu Sun and Weichao Xu},
       journal={IEEE Signal Processing Letters},
       volume={21},
       number={11},
       pages={1389--1393},
       year={2014},
       publisher={IEEE}
     }
    """
    # Short variables are named as they are in the paper
    m = label_1_count
    n = predictions_sorted_transposed.shape[1] - m
    positive_examples = predictions_sorted_transposed[:, :m]
    negative_examples = predictions_sorted_transposed[:, m:]
    k = predictions_sorted_transposed.shape[0]

    tx = np.empty([k, m], dtype=np.float64)
    ty = np.empty([k, n], dtype=np.float64)
    tz = np.empty([k, m + n], dtype=np.float64)
    for r in range(k):
        tx[r, :] = compute_midrank(positive_examples[r, :])
        ty[r, :] = compute_midrank(negative_examples[r, :])
        tz[r, :] = compute_midrank(predictions_sorted_transposed[r, :])
    aucs = tz[:, :m].sum(axis=1) / m / n - float(m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx[:, :]) / n
    v10 = 1.0 - (tz[:, m:] - ty[:, :]) / m
    sx = np.cov(v01)
    sy = np.cov(v10)
    delongcov = sx / m + sy / n
    return aucs, delongcov


def compute_ground_truth_statistics(ground_truth):
    assert np.array_equal(np.unique(ground_truth), [0, 1])
    order = (-ground_truth).argsort()
    label_1_count = int(ground_truth.sum())
    return order, label_1_count


def delong_roc_variance(ground_truth, predictions):
    """
    Computes ROC AUC variance for a single set of predictions
    Args:
       ground_truth: np.array of 0 and 1
       predictions: np.array of floats of the probability of being class 1
    """
    order, label_1_count = compute_ground_truth_statistics(ground_truth)
    predictions_sorted_transposed = predictions[np.newaxis, order]
    aucs, delongcov = fastDeLong(predictions_sorted_transposed, label_1_count)
    assert len(aucs) == 1, "There is a bug in the code, please forward this to the developers"
    return aucs[0], delongcov


# --------------------------------------------------------------------------------------
# The three jobs, written as a Python user would write them.
# --------------------------------------------------------------------------------------
def job_auc_delong(y, s):
    auc = roc_auc_score(y, s)
    _, auc_cov = delong_roc_variance(y, s)
    auc_std = np.sqrt(auc_cov)
    lower_upper_q = np.abs(np.array([0, 1]) - (1 - LEVEL) / 2)
    ci = scipy.stats.norm.ppf(lower_upper_q, loc=auc, scale=auc_std)
    ci[ci > 1] = 1
    return float(auc), [float(ci[0]), float(ci[1])]


def job_bootstrap_percentile(y, s):
    rng = np.random.default_rng(BOOT_SEED)
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    aucs = np.empty(N_RESAMPLES)
    for b in range(N_RESAMPLES):
        idx = np.concatenate(
            [rng.choice(pos, size=len(pos), replace=True), rng.choice(neg, size=len(neg), replace=True)]
        )
        aucs[b] = roc_auc_score(y[idx], s[idx])
    lo, hi = np.percentile(aucs, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return float(roc_auc_score(y, s)), [float(lo), float(hi)]


def _auc_statistic(y, s):
    return roc_auc_score(y, s)


def job_bootstrap_bca(y, s):
    with warnings.catch_warnings():
        # `random_state` is the spelling most user code still has; newer scipy prefers `rng`.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        res = scipy.stats.bootstrap(
            (y, s),
            _auc_statistic,
            paired=True,
            vectorized=False,
            n_resamples=N_RESAMPLES,
            confidence_level=LEVEL,
            method="BCa",
            random_state=BOOT_SEED,
        )
    ci = res.confidence_interval
    return float(roc_auc_score(y, s)), [float(ci.low), float(ci.high)]


JOBS = {
    "auc_delong": job_auc_delong,
    "bootstrap_percentile_2000": job_bootstrap_percentile,
    "bootstrap_bca_2000": job_bootstrap_bca,
}


def default_reps(bench: str, n: int) -> int:
    if bench == "auc_delong":
        return 5
    if bench == "bootstrap_percentile_2000":
        return 3
    # scipy BCa: ~1 s at 1k, ~40 s at 10k on a 2.5 GHz Xeon core
    return 3 if n <= 1_000 else 1


def timed(fn, y, s, reps: int, inner: int = 1):
    """Median seconds per call over `reps` repetitions of `inner` back-to-back calls."""
    times = []
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            out = fn(y, s)
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times), times, out


def run_one(bench: str, n: int, y, s, reps_scale: float) -> dict:
    entry = {"bench": bench, "n": n}
    if bench == "bootstrap_bca_2000" and n > BCA_MAX_N:
        entry.update(median_s=None, reps=0, note=BCA_SKIP_NOTE, auc=None, ci=None)
        return entry
    fn = JOBS[bench]
    reps = max(1, round(default_reps(bench, n) * reps_scale))
    inner = 1
    note = ""
    if bench == "auc_delong":
        # One untimed warm-up call, then enough calls per repetition that each repetition
        # lasts >= ~0.1 s (a single call at 1k is sub-millisecond and timer-noisy).
        t0 = time.perf_counter()
        fn(y, s)
        one = time.perf_counter() - t0
        inner = max(1, min(1000, int(0.1 / max(one, 1e-6))))
        note = f"roc_auc_score + fast DeLong (Sun & Xu 2014); {inner} call(s) per repetition"
    elif bench == "bootstrap_percentile_2000":
        note = "loop of 2000 stratified resamples x roc_auc_score, np.percentile"
    else:
        note = "scipy.stats.bootstrap(method='BCa', paired=True, vectorized=False)"
    med, times, (auc, ci) = timed(fn, y, s, reps, inner)
    entry.update(
        median_s=med,
        reps=reps,
        note=note,
        auc=auc,
        ci=ci,
        inner=inner,
        times_s=times,
    )
    return entry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", nargs="*", type=int, help=f"sizes (default: {' '.join(map(str, SIZES))})")
    ap.add_argument("--bench", action="append", choices=BENCHES, help="restrict to these benchmarks")
    ap.add_argument(
        "--reps-scale",
        type=float,
        default=1.0,
        help="multiply the default repetition counts (e.g. 0.3 for a quick smoke run)",
    )
    args = ap.parse_args(argv)
    sizes = args.n or list(SIZES)
    benches = args.bench or list(BENCHES)

    results = []
    for n in sizes:
        y, s = cases(n)
        for bench in benches:
            t0 = time.perf_counter()
            entry = run_one(bench, n, y, s, args.reps_scale)
            print(
                f"peer: {bench}/{n}: median {entry['median_s']} s over {entry['reps']} rep(s)"
                f" [{time.perf_counter() - t0:.1f} s wall] auc={entry['auc']} ci={entry['ci']}",
                file=sys.stderr,
                flush=True,
            )
            results.append(entry)

    out = {
        "peer": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
        },
        "results": results,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
