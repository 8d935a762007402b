#!/usr/bin/env python3
"""Generate golden reference values for attest-stats.

Reference libraries: scikit-learn, scipy, statsmodels (exact versions pinned in
requirements.txt and recorded in every output file under "generator").
Everything is deterministic: inputs come from numpy default_rng with fixed
seeds or are written out literally. Output files are written next to this
script. See README.md for the conventions each file follows.

Usage:
    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python generate.py
"""

from __future__ import annotations

import json
import math
import platform
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
import sklearn
import statsmodels
import statsmodels.api as sm
from scipy import stats
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
)

OUT_DIR = Path(__file__).resolve().parent

GENERATOR = {
    "script": "crates/attest-stats/tests/golden/generate.py",
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-learn": sklearn.__version__,
    "statsmodels": statsmodels.__version__,
}

# statsmodels method name -> key used in the JSON files
CI_METHODS = {
    "wilson": "wilson",
    "clopper_pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti_coull": "agresti_coull",
}

Z975 = float(stats.norm.ppf(0.975))


# ---------------------------------------------------------------------------
# JSON helpers
# ---------------------------------------------------------------------------


def clean(obj):
    """Recursively convert numpy types to Python types; NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if obj is None or isinstance(obj, (bool, np.bool_)):
        return None if obj is None else bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, str):
        return obj
    raise TypeError(f"cannot serialise {type(obj)}")


def write(name: str, payload: dict) -> None:
    data = {"generator": GENERATOR}
    data.update(payload)
    data = clean(data)
    path = OUT_DIR / name
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, allow_nan=False)
        fh.write("\n")
    print(f"wrote {path.name}")


def div(a, b):
    """a / b, or None when b == 0."""
    return None if b == 0 else a / b


def alpha_of(level: float) -> float:
    # 1 - 0.95 is 0.050000000000000044 in binary; use the decimal value.
    return round(1.0 - level, 12)


def intervals(x: int, n: int, level: float):
    """All four statsmodels intervals for x successes out of n, or None."""
    if n == 0:
        return None
    out = {}
    for key, method in CI_METHODS.items():
        lo, hi = proportion_confint(x, n, alpha=alpha_of(level), method=method)
        out[key] = [float(lo), float(hi)]
    return out


# ---------------------------------------------------------------------------
# DeLong (textbook O(m*n) form, DeLong 1988 / pROC)
# ---------------------------------------------------------------------------


def psi_matrix(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """psi[i, j] = 1 if pos_i > neg_j, 0.5 if equal, 0 otherwise."""
    p = pos[:, None]
    q = neg[None, :]
    return np.where(p > q, 1.0, np.where(p == q, 0.5, 0.0))


def placements(labels: np.ndarray, scores: np.ndarray):
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    psi = psi_matrix(pos, neg)
    v10 = psi.mean(axis=1)  # one per positive
    v01 = psi.mean(axis=0)  # one per negative
    return v10, v01


def delong_single(labels, scores):
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=float)
    m = int((labels == 1).sum())
    n = int((labels == 0).sum())
    if m < 2 or n < 2:
        return None
    v10, v01 = placements(labels, scores)
    auc = float(v10.mean())
    var = float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    se = math.sqrt(var)
    return {"auc": auc, "variance": var, "ci_95": [auc - Z975 * se, auc + Z975 * se]}


def midrank(x: np.ndarray) -> np.ndarray:
    return stats.rankdata(x, method="average")


def delong_fast(labels, scores_list):
    """Sun & Xu (2014) midrank form, used only to cross-check the textbook form."""
    labels = np.asarray(labels)
    m = int((labels == 1).sum())
    n = int((labels == 0).sum())
    aucs, v10s, v01s = [], [], []
    for s in scores_list:
        s = np.asarray(s, dtype=float)
        pos, neg = s[labels == 1], s[labels == 0]
        tx, ty, tz = midrank(pos), midrank(neg), midrank(np.concatenate([pos, neg]))
        aucs.append((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
        v10s.append((tz[:m] - tx) / n)
        v01s.append(1.0 - (tz[m:] - ty) / m)
    s10 = np.atleast_2d(np.cov(np.array(v10s)))
    s01 = np.atleast_2d(np.cov(np.array(v01s)))
    return np.array(aucs), s10 / m + s01 / n


def delong_paired(labels, a, b):
    labels = np.asarray(labels)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    m = int((labels == 1).sum())
    n = int((labels == 0).sum())
    v10a, v01a = placements(labels, a)
    v10b, v01b = placements(labels, b)
    s10 = np.cov(np.vstack([v10a, v10b]), ddof=1)
    s01 = np.cov(np.vstack([v01a, v01b]), ddof=1)
    s = s10 / m + s01 / n
    auc_a = float(v10a.mean())
    auc_b = float(v10b.mean())
    diff = auc_a - auc_b
    var = float(s[0, 0] + s[1, 1] - 2.0 * s[0, 1])
    se = math.sqrt(var)
    z = diff / se
    p = float(2.0 * stats.norm.sf(abs(z)))
    # cross-check with the midrank form
    aucs_f, s_f = delong_fast(labels, [a, b])
    assert abs(aucs_f[0] - auc_a) < 1e-12 and abs(aucs_f[1] - auc_b) < 1e-12
    var_f = s_f[0, 0] + s_f[1, 1] - 2 * s_f[0, 1]
    assert abs(var_f - var) < 1e-12 * max(1.0, var), (var_f, var)
    assert abs(s_f[0, 0] - s[0, 0]) < 1e-13 and abs(s_f[1, 1] - s[1, 1]) < 1e-13
    return {
        "auc_a": auc_a,
        "auc_b": auc_b,
        "difference": diff,
        "variance_difference": var,
        "z": z,
        "p_two_sided": p,
        "ci_95": [diff - Z975 * se, diff + Z975 * se],
    }


# ---------------------------------------------------------------------------
# binary.json
# ---------------------------------------------------------------------------


def partial_auc_upto(fpr, tpr, max_fpr):
    """Raw area under the ROC for FPR in [0, max_fpr], exactly as sklearn's
    _binary_roc_auc_score builds it before the McClish standardisation."""
    stop = np.searchsorted(fpr, max_fpr, "right")
    x_interp = [fpr[stop - 1], fpr[stop]]
    y_interp = [tpr[stop - 1], tpr[stop]]
    t = np.append(tpr[:stop], np.interp(max_fpr, x_interp, y_interp))
    f = np.append(fpr[:stop], max_fpr)
    return float(skm.auc(f, t))


def partial_auc_between(fpr, tpr, lo, hi):
    """Raw area under the ROC for FPR in [lo, hi] (0 < lo < hi < 1), with
    linear interpolation of the curve at both ends. Vertical segments at lo/hi
    carry no area, so the value is the integral of the ROC over [lo, hi]."""
    i = int(np.searchsorted(fpr, lo, "right"))  # first index with fpr > lo
    j = int(np.searchsorted(fpr, hi, "left"))  # first index with fpr >= hi
    y_lo = float(np.interp(lo, [fpr[i - 1], fpr[i]], [tpr[i - 1], tpr[i]]))
    y_hi = float(np.interp(hi, [fpr[j - 1], fpr[j]], [tpr[j - 1], tpr[j]]))
    xs = np.concatenate([[lo], fpr[i:j], [hi]])
    ys = np.concatenate([[y_lo], tpr[i:j], [y_hi]])
    area = float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1]) / 2.0))
    # cross-check: difference of two prefix areas
    alt = partial_auc_upto(fpr, tpr, hi) - partial_auc_upto(fpr, tpr, lo)
    assert abs(alt - area) < 1e-12, (alt, area)
    return area


def ece_10(y, p):
    bins = np.minimum(np.floor(p * 10.0), 9).astype(int)
    total = 0.0
    for b in range(10):
        mask = bins == b
        nb = int(mask.sum())
        if nb == 0:
            continue
        total += (nb / len(p)) * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return total


def separated(x, y):
    """True when a 1-D logistic fit has no finite MLE (complete or
    quasi-complete separation) -- checked in both directions."""
    pos, neg = x[y == 1], x[y == 0]
    return pos.min() >= neg.max() or pos.max() <= neg.min()


def calibration_fit(y, p):
    pc = np.clip(p, 1e-12, 1 - 1e-12)
    lp = np.log(pc / (1 - pc))
    if len(np.unique(lp)) < 2 or separated(lp, y):
        return None, None
    X = sm.add_constant(lp, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-14, maxiter=500)
        except Exception:
            return None, None
    if not res.mle_retvals["converged"]:
        return None, None
    score = res.model.score(res.params)
    assert np.max(np.abs(score)) < 1e-8, score
    return float(res.params[0]), float(res.params[1])


def calibration_in_the_large(y, p):
    """Calibration intercept with the slope fixed at 1: logit P(y) = a + logit(p), fitted as a
    binomial GLM with offset logit(p) (Van Calster et al. 2019, "calibration-in-the-large")."""
    pc = np.clip(p, 1e-12, 1 - 1e-12)
    lp = np.log(pc / (1 - pc))
    res = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit(
        tol=1e-14, maxiter=500
    )
    return float(res.params[0])


def binary_case(name, labels, scores, threshold, prevalence):
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    n = len(y)
    pred = (s >= threshold).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    P, N = tp + fn, tn + fp
    probabilities = bool(np.all((s >= 0) & (s <= 1)))
    both = P > 0 and N > 0

    sens = div(tp, P)
    spec = div(tn, N)
    ppv = div(tp, tp + fp)
    npv = div(tn, tn + fn)
    acc = (tp + tn) / n
    bal = None if sens is None or spec is None else (sens + spec) / 2
    f1 = div(2 * tp, 2 * tp + fp + fn)
    marg = [tp + fp, tp + fn, tn + fp, tn + fn]
    mcc = None
    if all(v > 0 for v in marg):
        mcc = (tp * tn - fp * fn) / math.sqrt(float(marg[0]) * marg[1] * marg[2] * marg[3])
    youden = None if sens is None or spec is None else sens + spec - 1
    lrp = None if sens is None or spec is None or spec == 1 else sens / (1 - spec)
    lrn = None if sens is None or spec is None or spec == 0 else (1 - sens) / spec
    ppv_p = npv_p = None
    if sens is not None and spec is not None:
        p = prevalence
        ppv_p = div(sens * p, sens * p + (1 - spec) * (1 - p))
        npv_p = div(spec * (1 - p), spec * (1 - p) + (1 - sens) * p)

    # cross-check the hand formulas against sklearn where both are defined
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = skm.confusion_matrix(y, pred, labels=[0, 1])
        assert (cm == [[tn, fp], [fn, tp]]).all()
        checks = [
            (sens, skm.recall_score(y, pred, zero_division=np.nan)),
            (ppv, skm.precision_score(y, pred, zero_division=np.nan)),
            (f1, skm.f1_score(y, pred, zero_division=np.nan)),
            (acc, skm.accuracy_score(y, pred)),
            (mcc, skm.matthews_corrcoef(y, pred)),
        ]
        if both:
            checks.append((bal, skm.balanced_accuracy_score(y, pred)))
    for mine, ref in checks:
        if mine is not None:
            assert abs(mine - ref) < 1e-14, (name, mine, ref)

    exp = {
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "sensitivity": sens, "specificity": spec, "ppv": ppv, "npv": npv,
        "accuracy": acc, "balanced_accuracy": bal, "f1": f1, "mcc": mcc,
        "youden_j": youden, "lr_positive": lrp, "lr_negative": lrn,
        "prevalence_observed": P / n,
        "ppv_at_prevalence": ppv_p, "npv_at_prevalence": npv_p,
    }

    if both:
        exp["roc_auc"] = float(skm.roc_auc_score(y, s))
        exp["average_precision"] = float(skm.average_precision_score(y, s))
        fpr_d, tpr_d, _ = skm.roc_curve(y, s)  # default drop_intermediate=True, as roc_auc_score
        exp["pauc_raw_fpr_0_0.2"] = partial_auc_upto(fpr_d, tpr_d, 0.2)
        exp["pauc_mcclish_fpr_0_0.2"] = float(skm.roc_auc_score(y, s, max_fpr=0.2))
        fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
        assert math.isinf(thr[0])
        exp["pauc_raw_spec_0.6_0.9"] = partial_auc_between(fpr, tpr, 0.1, 0.4)
        # the raw partial area from the full curve agrees with sklearn's
        assert abs(partial_auc_upto(fpr, tpr, 0.2) - exp["pauc_raw_fpr_0_0.2"]) < 1e-12
        exp["roc_curve"] = {
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "thresholds": [None] + thr[1:].tolist(),
        }
    else:
        for k in ["roc_auc", "average_precision", "pauc_raw_fpr_0_0.2",
                  "pauc_mcclish_fpr_0_0.2", "pauc_raw_spec_0.6_0.9", "roc_curve"]:
            exp[k] = None

    if probabilities:
        exp["brier"] = float(skm.brier_score_loss(y, s))
        assert abs(exp["brier"] - float(np.mean((s - y) ** 2))) < 1e-15
        exp["log_loss"] = float(skm.log_loss(y, y_proba=s, labels=[0, 1]))
        exp["ece_10"] = ece_10(y, s)
    else:
        exp["brier"] = exp["log_loss"] = exp["ece_10"] = None
    if probabilities and both:
        exp["calibration_cox_intercept"], exp["calibration_slope"] = calibration_fit(y, s)
        exp["calibration_intercept"] = calibration_in_the_large(y, s)
    else:
        exp["calibration_cox_intercept"] = exp["calibration_slope"] = None
        exp["calibration_intercept"] = None

    def ci_block(level):
        return {
            "sensitivity": intervals(tp, P, level),
            "specificity": intervals(tn, N, level),
            "ppv": intervals(tp, tp + fp, level),
            "npv": intervals(tn, tn + fn, level),
            "accuracy": intervals(tp + tn, n, level),
        }

    return {
        "name": name,
        "labels": y.tolist(),
        "scores": s.tolist(),
        "threshold": float(threshold),
        "prevalence": float(prevalence),
        "probabilities": probabilities,
        "expected": exp,
        "ci_95": ci_block(0.95),
        "ci_90": ci_block(0.90),
        "delong": delong_single(y, s) if both else None,
    }


def gen_binary():
    cases = []

    rng = np.random.default_rng(20240101)
    y = rng.permutation(np.repeat([0, 1], 100))
    s = np.where(y == 1, rng.beta(3.0, 2.0, 200), rng.beta(2.0, 3.0, 200))
    cases.append(binary_case("random_balanced_n200", y, s, 0.5, 0.1))

    rng = np.random.default_rng(20240102)
    y = (rng.random(300) < 0.4).astype(int)
    s = np.round(np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0.0, 1.0), 1)
    cases.append(binary_case("heavy_ties_rounded_n300", y, s, 0.5, 0.3))

    rng = np.random.default_rng(20240103)
    y = np.zeros(400, dtype=int)
    y[rng.choice(400, 20, replace=False)] = 1
    s = 1.0 / (1.0 + np.exp(-(rng.normal(-2.0, 1.0, 400) + 1.8 * y)))
    cases.append(binary_case("imbalanced_5pct_n400", y, s, 0.3, 0.05))

    cases.append(binary_case(
        "tiny_n6", [1, 0, 1, 0, 0, 0], [0.9, 0.8, 0.35, 0.6, 0.2, 0.1], 0.5, 0.25))

    rng = np.random.default_rng(20240105)
    y = np.array([0] * 10 + [1] * 10)
    s = np.concatenate([rng.uniform(0.05, 0.45, 10), rng.uniform(0.55, 0.95, 10)])
    cases.append(binary_case("perfect_separation_n20", y, s, 0.5, 0.2))

    y = np.array([1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1])
    cases.append(binary_case("all_scores_equal_at_threshold", y, np.full(20, 0.5), 0.5, 0.3))
    cases.append(binary_case("all_scores_equal_below_threshold", y, np.full(20, 0.5), 0.7, 0.3))

    rng = np.random.default_rng(20240107)
    y = (rng.random(2000) < 0.3).astype(int)
    s = 1.0 / (1.0 + np.exp(-rng.normal(-1.0 + 1.2 * y, 1.0)))
    cases.append(binary_case("random_n2000", y, s, 0.4, 0.3))

    rng = np.random.default_rng(20240108)
    y = (rng.random(150) < 0.5).astype(int)
    s = rng.normal(-0.5 + 1.0 * y, 1.5)
    cases.append(binary_case("logit_scores_not_probabilities", y, s, 0.0, 0.15))

    rng = np.random.default_rng(20240109)
    cases.append(binary_case(
        "one_class_absent_all_negative_n20", np.zeros(20, dtype=int), rng.random(20), 0.5, 0.1))
    cases.append(binary_case(
        "one_class_absent_all_positive_n12", np.ones(12, dtype=int), rng.random(12), 0.5, 0.1))

    # threshold exactly equal to several scores (dyadic values: exact in binary)
    rng = np.random.default_rng(20240110)
    y = (rng.random(64) < 0.5).astype(int)
    s = rng.choice(np.array([0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875]), 64)
    s = np.where(y == 1, np.maximum(s, rng.choice([0.25, 0.5], 64)), s)
    assert (s == 0.375).sum() > 0
    cases.append(binary_case("threshold_equals_scores", y, s, 0.375, 0.4))

    # exact 0.0 and 1.0 scores, including confidently wrong ones (log-loss clipping)
    y = [1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1]
    s = [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.7, 0.3, 0.6, 0.45, 0.2, 0.9, 0.0, 0.55]
    cases.append(binary_case("extreme_scores_0_and_1", y, s, 1.0, 0.5))

    write("binary.json", {"cases": cases})


# ---------------------------------------------------------------------------
# proportions.json
# ---------------------------------------------------------------------------


def gen_proportions():
    cases = []
    for n in [1, 2, 5, 10, 30, 100, 1000, 12345]:
        xs = sorted({x for x in [0, 1, n // 3, n // 2, n - 1, n] if 0 <= x <= n})
        for x in xs:
            for level in [0.9, 0.95, 0.99]:
                case = {"x": x, "n": n, "level": level}
                case.update(intervals(x, n, level))
                cases.append(case)
    write("proportions.json", {"cases": cases})


# ---------------------------------------------------------------------------
# comparisons.json
# ---------------------------------------------------------------------------


def gen_comparisons():
    newcombe = []
    grid = [
        (0, 10, 0, 10), (10, 10, 10, 10), (0, 10, 10, 10), (10, 10, 0, 10),
        (0, 25, 3, 30), (25, 25, 20, 30), (1, 1, 0, 1), (0, 1, 1, 2),
        (5, 10, 5, 10), (7, 10, 3, 10), (56, 70, 48, 80), (9, 10, 3, 10),
        (6, 7, 2, 7), (5, 56, 0, 29), (44, 45, 53, 56), (10, 10, 13, 16),
        (0, 100, 1, 100), (480, 1000, 450, 1000), (3, 12345, 0, 500),
        (120, 150, 90, 140),
    ]
    for (x1, n1, x2, n2) in grid:
        for level in [0.95, 0.9]:
            lo, hi = confint_proportions_2indep(
                x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha_of(level))
            newcombe.append({
                "x1": x1, "n1": n1, "x2": x2, "n2": n2, "level": level,
                "difference": x1 / n1 - x2 / n2, "ci": [float(lo), float(hi)],
            })

    mc = []
    for (b, c) in [(0, 0), (0, 1), (1, 0), (0, 5), (3, 3), (10, 10), (5, 1), (2, 9),
                   (12, 4), (25, 12), (40, 60), (0, 30), (150, 120), (500, 450),
                   (1000, 1080), (7, 0)]:
        a, d = 17, 23
        exact = float(mcnemar([[a, b], [c, d]], exact=True).pvalue)
        k, m = min(b, c), b + c
        if m == 0:
            mid = 1.0
            assert exact == 1.0
        else:
            mid = float(2 * stats.binom.cdf(k, m, 0.5) - stats.binom.pmf(k, m, 0.5))
            mid = min(mid, 1.0)
        mc.append({"b": b, "c": c, "exact_p": exact, "mid_p": mid})

    paired = []
    rng = np.random.default_rng(20240201)
    y = (rng.random(120) < 0.45).astype(int)
    latent = rng.normal(0, 1, 120) + 1.0 * y
    a = latent + rng.normal(0, 0.6, 120)
    b = latent + rng.normal(0, 0.9, 120)
    paired.append(("correlated_n120", y, a, b))

    rng = np.random.default_rng(20240202)
    y = (rng.random(200) < 0.3).astype(int)
    latent = rng.normal(0, 1, 200) + 0.8 * y
    a = np.round(1 / (1 + np.exp(-(latent + rng.normal(0, 0.5, 200)))), 1)
    b = np.round(1 / (1 + np.exp(-(latent + rng.normal(0, 1.0, 200)))), 1)
    paired.append(("heavy_ties_rounded_n200", y, a, b))

    rng = np.random.default_rng(20240203)
    y = np.array([0] * 8 + [1] * 5)
    latent = rng.normal(0, 1, 13) + 1.2 * y
    a = np.round(latent + rng.normal(0, 0.3, 13), 1)
    b = np.round(latent + rng.normal(0, 0.8, 13), 0)
    paired.append(("small_n13_ties", y, a, b))

    rng = np.random.default_rng(20240204)
    y = (rng.random(500) < 0.1).astype(int)
    latent = rng.normal(0, 1, 500) + 1.5 * y
    a = latent + rng.normal(0, 0.4, 500)
    b = 0.5 * latent + rng.normal(0, 1.0, 500) + 0.3 * y
    paired.append(("imbalanced_n500", y, a, b))

    paired_out = []
    for name, y, a, b in paired:
        r = {"name": name, "labels": y.tolist(), "scores_a": a.tolist(), "scores_b": b.tolist()}
        r.update(delong_paired(y, a, b))
        # consistency with the binary AUC from sklearn
        assert abs(r["auc_a"] - skm.roc_auc_score(y, a)) < 1e-12
        assert abs(r["auc_b"] - skm.roc_auc_score(y, b)) < 1e-12
        paired_out.append(r)

    mult = []
    for p in [
        [0.01, 0.02, 0.03, 0.04, 0.05],
        [0.04, 0.001, 0.3, 0.012, 0.9, 0.02],          # unsorted
        [0.01, 0.01, 0.03, 0.03, 0.2],                 # ties
        [0.5, 1.0, 0.02, 1.0],                         # p = 1
        [0.03],                                        # single p
        [0.2, 0.0001, 0.04, 0.04, 0.6, 0.011, 0.0001, 0.33, 0.049, 0.8],
    ]:
        rec = {"p": p, "alpha": 0.05}
        for key, method in [("bonferroni", "bonferroni"), ("holm", "holm"), ("bh", "fdr_bh")]:
            rec[key] = multipletests(p, alpha=0.05, method=method)[1].tolist()
        mult.append(rec)

    write("comparisons.json", {
        "newcombe": newcombe,
        "mcnemar": mc,
        "paired_delong": paired_out,
        "multiplicity": mult,
    })


# ---------------------------------------------------------------------------
# multiclass.json
# ---------------------------------------------------------------------------


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def multiclass_case(name, k, y, scores):
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=float)
    assert set(np.unique(y)) == set(range(k)), "every class must occur in y_true"
    assert np.allclose(scores.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    yp = np.argmax(scores, axis=1)
    labels = list(range(k))
    exp = {
        "accuracy": float(skm.accuracy_score(y, yp)),
        "confusion_matrix": skm.confusion_matrix(y, yp, labels=labels).tolist(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per = skm.precision_recall_fscore_support(
            y, yp, labels=labels, average=None, zero_division=np.nan)
        avgs = {a: skm.precision_recall_fscore_support(
            y, yp, labels=labels, average=a, zero_division=np.nan)
            for a in ["macro", "micro", "weighted"]}
        for i, metric in enumerate(["precision", "recall", "f1"]):
            exp[metric] = {"per_class": per[i].tolist()}
            for a in ["macro", "micro", "weighted"]:
                exp[metric][a] = avgs[a][i]
        for key, w in [("kappa", None), ("kappa_linear", "linear"), ("kappa_quadratic", "quadratic")]:
            exp[key] = float(skm.cohen_kappa_score(y, yp, labels=labels, weights=w))
    exp["auc_per_class"] = [float(skm.roc_auc_score((y == c).astype(int), scores[:, c]))
                            for c in range(k)]
    if k == 2:
        # sklearn rejects 2-column scores for binary y_true; its binary AUC on
        # scores[:, 1] equals both one-vs-rest AUCs, hence macro and weighted.
        auc = float(skm.roc_auc_score(y, scores[:, 1]))
        assert all(abs(a - auc) < 1e-14 for a in exp["auc_per_class"])
        exp["auc_ovr_macro"] = exp["auc_ovr_weighted"] = auc
    else:
        exp["auc_ovr_macro"] = float(
            skm.roc_auc_score(y, scores, multi_class="ovr", average="macro"))
        exp["auc_ovr_weighted"] = float(
            skm.roc_auc_score(y, scores, multi_class="ovr", average="weighted"))
    assert abs(exp["auc_ovr_macro"] - np.mean(exp["auc_per_class"])) < 1e-14
    return {
        "name": name, "n_classes": k, "y_true": y.tolist(), "y_pred": yp.tolist(),
        "scores": scores.tolist(), "expected": exp,
    }


def gen_multiclass():
    cases = []

    rng = np.random.default_rng(20240301)
    y = np.repeat([0, 1, 2], 50)
    rng.shuffle(y)
    logits = rng.normal(0, 1, (150, 3))
    logits[np.arange(150), y] += 1.0
    cases.append(multiclass_case("three_class_n150", 3, y, softmax(logits)))

    rng = np.random.default_rng(20240302)
    y = rng.choice(4, 300, p=[0.55, 0.25, 0.15, 0.05])
    logits = rng.normal(0, 1, (300, 4))
    logits[np.arange(300), y] += 1.3
    cases.append(multiclass_case("four_class_imbalanced_n300", 4, y, softmax(logits)))

    rng = np.random.default_rng(20240303)
    y = rng.choice(3, 90)
    logits = rng.normal(0, 1, (90, 3))
    logits[np.arange(90), y] += 1.0
    logits[:, 2] -= 5.0  # class 2 is never the argmax
    sc = softmax(logits)
    assert not (np.argmax(sc, axis=1) == 2).any()
    cases.append(multiclass_case("class_never_predicted_n90", 3, y, sc))

    rng = np.random.default_rng(20240304)
    y = (rng.random(80) < 0.4).astype(int)
    p1 = 1 / (1 + np.exp(-rng.normal(-0.4 + 1.0 * y, 1.0)))
    cases.append(multiclass_case("two_class_n80", 2, y, np.column_stack([1 - p1, p1])))

    y = [0, 1, 2, 2, 1, 0, 2]
    sc = [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2],
          [0.6, 0.25, 0.15], [0.3, 0.3, 0.4], [0.25, 0.25, 0.5]]
    cases.append(multiclass_case("tiny_n7_with_argmax_tie", 3, y, sc))

    write("multiclass.json", {"cases": cases})


# ---------------------------------------------------------------------------
# operating_points.json
# ---------------------------------------------------------------------------


def operating_points_case(name, labels, scores):
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    P = int((y == 1).sum())
    N = int((y == 0).sum())
    assert P > 0 and N > 0
    rows = []
    for t in np.unique(s):  # ascending distinct observed scores
        pred = s >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        tn = N - fp
        rows.append({
            "t": float(t), "tp": tp, "fp": fp,
            "sens": tp / P, "spec": tn / N, "fpr": fp / N,
            "ppv": None if tp + fp == 0 else tp / (tp + fp),
            "j": tp / P + tn / N - 1.0,
            "j_exact": Fraction(tp, P) - Fraction(fp, N),
        })

    def pick(rule, v):
        if rule == "sensitivity":
            ok = [r for r in rows if r["sens"] >= v]
            r = max(ok, key=lambda r: r["t"]) if ok else None
            key = "sens"
        elif rule == "specificity":
            ok = [r for r in rows if r["spec"] >= v]
            r = min(ok, key=lambda r: r["t"]) if ok else None
            key = "spec"
        elif rule == "fpr":
            ok = [r for r in rows if r["fpr"] <= v]
            r = min(ok, key=lambda r: r["t"]) if ok else None
            key = "fpr"
        elif rule == "ppv":
            ok = [r for r in rows if r["ppv"] is not None and r["ppv"] >= v]
            r = min(ok, key=lambda r: r["t"]) if ok else None
            key = "ppv"
        if r is None:
            return {"rule": rule, "value": v, "threshold": None, "achieved": None}
        return {"rule": rule, "value": v, "threshold": r["t"], "achieved": r[key]}

    targets = []
    for v in [0.5, 0.8, 0.9, 0.95, 1.0]:
        targets.append(pick("sensitivity", v))
    for v in [0.5, 0.8, 0.9, 0.95, 1.0]:
        targets.append(pick("specificity", v))
    for v in [0.0, 0.05, 0.1, 0.2]:
        targets.append(pick("fpr", v))
    for v in [0.5, 0.8, 0.9, 0.95, 1.0]:
        targets.append(pick("ppv", v))

    best_j = max(r["j"] for r in rows)
    best = min((r for r in rows if r["j"] == best_j), key=lambda r: r["t"])
    best_exact = max(r["j_exact"] for r in rows)
    best_e = min((r for r in rows if r["j_exact"] == best_exact), key=lambda r: r["t"])
    assert best["t"] == best_e["t"], "float and exact Youden selection disagree"
    return {
        "name": name, "labels": y.tolist(), "scores": s.tolist(),
        "targets": targets, "youden": {"threshold": best["t"], "j": best["j"]},
    }


def gen_operating_points():
    cases = []
    rng = np.random.default_rng(20240401)
    y = (rng.random(100) < 0.4).astype(int)
    s = 1 / (1 + np.exp(-rng.normal(-0.5 + 1.5 * y, 1.0)))
    cases.append(operating_points_case("random_n100", y, s))

    rng = np.random.default_rng(20240402)
    y = (rng.random(60) < 0.5).astype(int)
    s = np.round(np.clip(rng.normal(0.4 + 0.25 * y, 0.2), 0, 1), 1)
    cases.append(operating_points_case("heavy_ties_n60", y, s))

    cases.append(operating_points_case("tiny_n5", [0, 1, 0, 1, 1], [0.2, 0.4, 0.6, 0.6, 0.9]))

    rng = np.random.default_rng(20240404)
    y = np.zeros(200, dtype=int)
    y[rng.choice(200, 20, replace=False)] = 1
    s = rng.normal(0.0 + 1.2 * y, 1.0)
    cases.append(operating_points_case("imbalanced_10pct_n200", y, s))

    # Youden tie between two thresholds: the lower one must win
    cases.append(operating_points_case(
        "youden_tie", [0, 0, 1, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]))

    # the highest score belongs to negatives: high-specificity / low-FPR / high-PPV
    # targets are unreachable with observed thresholds -> null
    cases.append(operating_points_case(
        "unreachable_targets", [1, 0, 1, 0, 1, 0], [0.3, 0.9, 0.5, 0.2, 0.7, 0.9]))

    write("operating_points.json", {"cases": cases})


def main():
    if sys.version_info < (3, 10):
        raise SystemExit("python >= 3.10 required")
    warnings.filterwarnings("ignore", category=FutureWarning)
    gen_binary()
    gen_proportions()
    gen_comparisons()
    gen_multiclass()
    gen_operating_points()


if __name__ == "__main__":
    main()
