"""A linear model over `features`: trained with scikit-learn, scored with one numpy sum.

Why not sklearn at run time: its input checks cost more than the model itself (a fraction of a
millisecond per call); a message's score is the sum of its features' weight rows, so the
exported matrix scores a message in microseconds. Features are binary, optionally scaled by
how unevenly they fall between danger and the rest (`evidence_scale`), and the vector is
l2-normalised, at training and at scoring alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EPOCHS = 30


@dataclass(frozen=True)
class LinearModel:
    """Class probabilities as scikit-learn's one-vs-rest logistic model gives them: a sigmoid
    per class over its summed weight rows, normalised to sum to one (one column for two
    classes: the second class's sigmoid)."""

    classes: tuple[str, ...]
    weights: np.ndarray  # (features, classes), or (features, 1); each row times its scale
    bias: np.ndarray  # (classes,) or (1,)
    scale: np.ndarray | None = None  # (features,): each feature's value; None: all 1

    def probabilities(self, indices: Sequence[int]) -> np.ndarray:
        """P(class) for a message given the vocabulary indices of its features."""
        scores = self.bias.astype(np.float64)
        if indices:
            rows = list(indices)
            if self.scale is None:
                norm = math.sqrt(len(rows))
            else:
                values = self.scale[rows].astype(np.float64)
                norm = math.sqrt(float(values @ values)) or 1.0
            scores = scores + self.weights[rows].sum(axis=0) / norm
        sigmoid = 1 / (1 + np.exp(-np.clip(scores, -500, 500)))
        if len(self.classes) == 2:
            return np.array([1 - sigmoid[0], sigmoid[0]])
        return sigmoid / sigmoid.sum()


def evidence_scale(rows: list[list[int]], positive: list[bool], width: int) -> np.ndarray:
    """Each feature's value: the square root of its naive-Bayes log-count ratio (how much more
    often it is seen in positive messages than in the others, or less; add-one smoothed).

    Why: the linear model then starts from what each feature tells apart ("knife" against
    "the"), which measured better on both held-out splits than plain binary features, most in
    the languages with the fewest messages (Wang and Manning's NBSVM, 2012).
    """
    seen = np.ones((2, width))
    for row, is_positive in zip(rows, positive, strict=True):
        seen[int(is_positive), row] += 1
    share = seen / seen.sum(axis=1, keepdims=True)
    return np.sqrt(np.abs(np.log(share[1] / share[0])))


def design_matrix(rows: list[list[int]], width: int, scale: np.ndarray | None = None):
    """The sparse matrix sklearn trains on: the same l2-normalised rows as scoring."""
    from scipy.sparse import csr_matrix

    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        values = np.ones(len(row)) if scale is None else scale[row].astype(np.float64)
        norm = math.sqrt(float(values @ values)) or 1.0
        data.extend((values / norm).tolist())
        indices.extend(row)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), width), dtype=np.float64)


def fit(
    rows: list[list[int]],
    labels: list[str],
    width: int,
    alpha: float,
    sample_weight: list[float] | None = None,
    balance_against: str | None = None,
    scale: np.ndarray | None = None,
) -> LinearModel:
    """One-vs-rest logistic regression by stochastic gradient descent (seconds on our data,
    where lbfgs took minutes and scored no better); deterministic (fixed seed, fixed epochs).

    With `balance_against`, that class weighs as much as all the others together (danger kinds
    are many small classes against one "none"); otherwise every class weighs alike. `scale`
    is each feature's value (see `evidence_scale`); it is folded into the exported weights.
    """
    from sklearn.linear_model import SGDClassifier

    classes = sorted(set(labels))
    if balance_against is not None:
        against = sum(1 for label in labels if label == balance_against)
        class_weight = {label: 1.0 for label in classes}
        class_weight[balance_against] = (len(labels) - against) / against if against else 1.0
    else:
        class_weight = {
            label: len(labels) / (len(classes) * labels.count(label)) for label in classes
        }
    model = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=EPOCHS,
        tol=None,
        class_weight=class_weight,
        random_state=0,
    )
    model.fit(design_matrix(rows, width, scale), labels, sample_weight=sample_weight)
    weights, intercept = model.coef_.T, model.intercept_
    if scale is not None:
        weights = weights * scale[:, None]
    found = tuple(str(label) for label in model.classes_)
    kept = None if scale is None else scale.astype(np.float32)
    return LinearModel(found, weights.astype(np.float32), intercept.astype(np.float32), kept)
