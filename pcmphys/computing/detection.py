"""Detection metrics for a per-cell score against a ground truth (used by the correlation study).

ROC AUC (Mann-Whitney, ties count one half), the unsupervised 2-means split, the error rate at
the best threshold and a combined report. Plain NumPy on host arrays.
"""
from __future__ import annotations

import numpy as np

__all__ = ["best_threshold_error", "detection_report", "roc_auc", "two_means_threshold"]


def roc_auc(score, truth):
    """Area under the ROC curve of `score` for the positive class `truth` (ties count 1/2).

    Mann-Whitney form: AUC = (sum of the positives' mid-ranks - n1 (n1 + 1) / 2) / (n1 n0).
    """
    score, truth = np.asarray(score, float), np.asarray(truth, bool)
    n1, n0 = int(truth.sum()), int((~truth).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("roc_auc needs cells of both classes")
    order = np.argsort(score, kind="stable")
    s = score[order]
    first = np.r_[True, s[1:] != s[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(s)]
    mid = 0.5 * (starts + ends + 1)        # mean rank (1-based) of each tie group
    ranks = np.empty(len(s))
    ranks[order] = np.repeat(mid, ends - starts)
    return float((ranks[truth].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def two_means_threshold(x, iterations=100):
    """Threshold between the two clusters of 1-D data (Lloyd's 2-means).

    Started from the 5th and 95th percentiles, so that a few outliers (e.g. cells with a
    stuck-at fault) do not take a cluster of their own.
    """
    x = np.asarray(x, float)
    lo, hi = np.percentile(x, (5.0, 95.0))
    if lo == hi:
        return lo
    for _ in range(iterations):
        t = 0.5 * (lo + hi)
        a, b = x[x <= t], x[x > t]
        new = (a.mean(), b.mean() if b.size else hi)
        if new == (lo, hi):
            break
        lo, hi = new
    return 0.5 * (lo + hi)


def best_threshold_error(score, truth):
    """Smallest misclassification rate over all thresholds 'positive if score > t' [1]."""
    score, truth = np.asarray(score, float), np.asarray(truth, bool)
    order = np.argsort(score, kind="stable")
    s, t = score[order], truth[order]
    # cut after position j (cells 0..j negative): errors = positives below + negatives above
    pos_below = np.cumsum(t)
    neg_above = (~t).sum() - np.cumsum(~t)
    valid = np.r_[s[1:] != s[:-1], True]
    err = np.r_[(~t).sum(), (pos_below + neg_above)[valid]]
    return float(err.min() / len(s))


def detection_report(score, truth, log=False):
    """Detection quality of a per-cell score against the ground truth.

    Parameters
    ----------
    score : array
        Per-cell score (conductance [S] or W_i), high = correlated.
    truth : array of bool
        Ground truth (correlated cells).
    log : bool
        Measure the separation d' on log10(score) (for conductances).

    Returns
    -------
    dict
        ``precision``, ``recall`` of the unsupervised 2-means split of `score` (positive
        above ``threshold``); ``precision_at_n``: precision (= recall) of the ``sum(truth)``
        highest scores (the number of correlated processes known); ``auc``: ROC AUC;
        ``error_best``: misclassification rate at the best threshold (an oracle bound);
        ``separation``: d' = mean difference / pooled standard deviation.
    """
    score, truth = np.asarray(score, float), np.asarray(truth, bool)
    thr = two_means_threshold(score)
    pred = score > thr
    tp = int((pred & truth).sum())
    precision = tp / pred.sum() if pred.any() else 0.0
    recall = tp / truth.sum()
    top = np.argsort(score, kind="stable")[::-1][:int(truth.sum())]
    x = np.log10(np.maximum(score, 1e-300)) if log else score
    pooled = np.sqrt(0.5 * (x[truth].var() + x[~truth].var()))
    sep = (x[truth].mean() - x[~truth].mean()) / pooled if pooled > 0 else np.inf
    return {"precision": float(precision), "recall": float(recall),
            "precision_at_n": float(truth[top].mean()), "auc": roc_auc(score, truth),
            "error_best": best_threshold_error(score, truth), "threshold": float(thr),
            "separation": float(sep), "n_predicted": int(pred.sum())}
