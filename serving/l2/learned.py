"""The second planner in the chain: a decision tree learned from L2 choices that verifiably healed.

Works with no API key and no network. Features are the incident's signature facts (check type,
platform, categorical details) one-hot encoded; the label is the runbook that healed. Confidence is
the leaf's class share shrunk by its size, `p * n / (n + 1)`: one lucky heal gives 0.5 (a human
looks), three agreeing heals give 0.75. A drift whose check type and platform were never healed
before is declined rather than guessed. scikit-learn is imported only when a model is trained, so
importing the app stays fast.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts.incidents import Incident, signature_facts
from serving.l2.errors import NoTrainingData
from serving.l2.guardrails import Answer
from warehouse.sql_files import sql

PROVIDER = "learned"
MAX_TRAINING_ROWS = 50_000


def features(facts: dict[str, Any]) -> dict[str, Any]:
    """Signature facts as DictVectorizer input: text one-hot, lists one key per item, booleans 0/1."""
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif value is not None:
            out[key] = str(value)
    return out


def _row_facts(row: dict[str, Any]) -> dict[str, Any] | None:
    facts = row.get("facts")
    if isinstance(facts, str):
        facts = json.loads(facts)
    if isinstance(facts, dict) and facts:
        return facts
    incident = row.get("incident")
    if isinstance(incident, str):
        incident = json.loads(incident)
    return signature_facts(incident) if isinstance(incident, dict) else None


@dataclass
class Model:
    """A trained tree and what it was trained on."""

    mark: int
    rows: int
    kinds: frozenset[tuple[str, str]]
    vectorizer: Any = None
    tree: Any = None

    def predict(self, facts: dict[str, Any]) -> Answer:
        """The runbook the tree picks for these facts, with a size-shrunk confidence."""
        kind = (str(facts.get("check_type", "")), str(facts.get("platform", "")))
        if self.tree is None or kind not in self.kinds:
            raise NoTrainingData(f"no verified heal of {kind[0]} on {kind[1]} to learn from")
        x = self.vectorizer.transform([features(facts)])
        proba = self.tree.predict_proba(x)[0]
        best = int(proba.argmax())
        leaf = int(self.tree.apply(x)[0])
        n = int(self.tree.tree_.n_node_samples[leaf])
        confidence = float(proba[best]) * n / (n + 1)
        runbook_id = str(self.tree.classes_[best])
        reasoning = (
            f"learned from {self.rows} verified heals: {n} similar incident(s) healed, "
            f"{proba[best]:.0%} of them by {runbook_id}"
        )
        return Answer(runbook_id=runbook_id, reasoning=reasoning, confidence=round(confidence, 4))


def train(rows: list[dict[str, Any]], mark: int, min_leaf: int = 1) -> Model:
    """Fit the tree on (facts, runbook) rows; an empty model when there is nothing to learn from."""
    xs, ys = [], []
    for row in rows:
        facts = _row_facts(row)
        if facts and row.get("runbook_id"):
            xs.append(facts)
            ys.append(str(row["runbook_id"]))
    kinds = frozenset((str(f.get("check_type", "")), str(f.get("platform", ""))) for f in xs)
    if not xs:
        return Model(mark=mark, rows=0, kinds=kinds)
    from sklearn.feature_extraction import DictVectorizer  # lazily: ~1 s to import
    from sklearn.tree import DecisionTreeClassifier

    vectorizer = DictVectorizer(sparse=True)
    x = vectorizer.fit_transform([features(f) for f in xs])
    tree = DecisionTreeClassifier(random_state=0, min_samples_leaf=min_leaf).fit(x, ys)
    return Model(mark=mark, rows=len(xs), kinds=kinds, vectorizer=vectorizer, tree=tree)


class LearnedPlanner:
    """Keeps one trained model and retrains it, lazily, when new verified outcomes have arrived."""

    def __init__(self, min_leaf: int = 1):
        self.min_leaf = min_leaf
        self._model: Model | None = None
        self._lock = asyncio.Lock()

    async def model(self, pool: asyncpg.Pool) -> Model:
        """The current model, retrained first if healed outcomes arrived since it was fitted."""
        mark = int(await pool.fetchval(sql("l2/training_mark")))
        if self._model is not None and self._model.mark == mark:
            return self._model
        async with self._lock:
            if self._model is None or self._model.mark != mark:
                rows = [dict(r) for r in await pool.fetch(sql("l2/training_rows"), MAX_TRAINING_ROWS)]
                # Fitting is CPU work: off the event loop, so other requests keep flowing.
                self._model = await asyncio.to_thread(train, rows, mark, self.min_leaf)
            return self._model

    async def plan(self, pool: asyncpg.Pool, incident: Incident) -> Answer:
        """The learned answer for an incident; NoTrainingData when it has never seen this drift healed."""
        model = await self.model(pool)
        return model.predict(signature_facts(incident))
