"""The learned scorers: three logistic regressions over features, stored as data.

``model.json`` beside this file holds their weights (feature name -> weight) and intercepts,
the two cut-offs chosen by cross-validation, and how they were obtained. It is
written by ``python -m assistant train-reader --write`` (``assistant.reader.training``) and
read here; scoring a candidate is a sparse dot product and a sigmoid, so answering needs
neither scikit-learn nor any model file other than this one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("model.json")


class ModelMissing(RuntimeError):
    """No trained reader model: run ``python -m assistant train-reader --write``."""


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -35 else 0.0


@dataclass(frozen=True)
class LogisticModel:
    """P(y=1 | features) = sigmoid(intercept + sum of weight * value)."""

    weights: dict[str, float]
    intercept: float

    def logit(self, features: dict[str, float]) -> float:
        weights = self.weights
        return self.intercept + sum(
            weights.get(name, 0.0) * value for name, value in features.items()
        )

    def probability(self, features: dict[str, float]) -> float:
        return sigmoid(self.logit(features))

    def to_dict(self) -> dict:
        weights = {k: round(v, 6) for k, v in sorted(self.weights.items()) if v != 0.0}
        return {"intercept": round(self.intercept, 6), "weights": weights}

    @classmethod
    def from_dict(cls, data: dict) -> LogisticModel:
        return cls({k: float(v) for k, v in data["weights"].items()}, float(data["intercept"]))


@dataclass(frozen=True)
class ReaderModel:
    """Four fitted models and the three cut-offs chosen for them by cross-validation.

    ``sentence`` scores how likely a sentence holds the answer (it ranks the sentences);
    ``span`` how likely a span of the best sentences states it (below ``span_threshold`` the
    sentence is quoted instead); ``answerability`` how likely the answer so chosen is right
    (at ``threshold`` or above the reader answers: tier ``answer``); ``presence`` how likely
    the reports state what is asked at all (below ``likely_threshold``, and not sure enough
    to answer, the reader says the reports are silent: tier ``none``; above it, tier
    ``likely``). A model without ``presence`` never hedges."""

    sentence: LogisticModel
    span: LogisticModel
    answerability: LogisticModel
    threshold: float
    span_threshold: float
    presence: LogisticModel | None = None
    likely_threshold: float = 1.0
    metadata: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        presence = {} if self.presence is None else {"presence": self.presence.to_dict()}
        return {
            "threshold": round(self.threshold, 4),
            "likely_threshold": round(self.likely_threshold, 4),
            "span_threshold": round(self.span_threshold, 4),
            **self.metadata,
            "sentence": self.sentence.to_dict(),
            "span": self.span.to_dict(),
            "answerability": self.answerability.to_dict(),
            **presence,
        }

    def write(self, path: Path = MODEL_FILE) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8")

    @classmethod
    def from_dict(cls, data: dict) -> ReaderModel:
        known = (
            "threshold",
            "span_threshold",
            "likely_threshold",
            "sentence",
            "span",
            "answerability",
            "presence",
        )
        presence = data.get("presence")
        return cls(
            sentence=LogisticModel.from_dict(data["sentence"]),
            span=LogisticModel.from_dict(data["span"]),
            answerability=LogisticModel.from_dict(data["answerability"]),
            threshold=float(data["threshold"]),
            span_threshold=float(data["span_threshold"]),
            presence=LogisticModel.from_dict(presence) if presence else None,
            likely_threshold=float(data.get("likely_threshold", 1.0)),
            metadata={k: v for k, v in data.items() if k not in known},
        )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> ReaderModel:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelMissing(
            f"{path} is missing: train the reader with `python -m assistant train-reader --write`"
        ) from exc
    return ReaderModel.from_dict(data)
