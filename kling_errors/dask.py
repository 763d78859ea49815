"""Classify logs where they live, with Dask: ``pip install 'kling-errors[dask]'``.

    import dask.bag as db
    from kling_errors.dask import classify_bag
    lines = db.read_text("s3://bucket/kling/2026-11/*.jsonl.gz", linedelimiter="\\n")
    diagnoses = classify_bag(lines)                  # a bag of diagnosis dicts
    diagnoses.pluck("category").frequencies().compute()

Each element is one record (a log line, a JSON string, or an already parsed dict); each
diagnosis is the record `kling-errors classify --format jsonl` writes for it (``index``:
the position in its partition). The rule set is loaded once, here, and travels pickled
(not as files); each worker process builds its engine from it once. ``classify_column``
does the same for a column of a Dask DataFrame, adding flat diagnosis columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    import dask.bag  # noqa: F401 - fail early, with the extra's name
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError("kling_errors.dask needs dask: pip install 'kling-errors[dask]'") from exc

from ._columns import classify_values, engine_for
from ._rules import RuleSet, load_rules

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from dask.bag import Bag

# The flat columns classify_column adds (the scalar fields of a diagnosis record).
COLUMNS = {
    "outcome": "object", "rule": "object", "category": "object", "retryable": "object",
    "severity": "object", "service_code": "Int64", "http_status": "Int64", "title": "object",
    "message": "object", "remediation": "object", "request_id": "object", "task_id": "object",
    "gateway": "object", "gateway_code": "object", "reason": "object",
}  # fmt: skip


def classify_bag(bag: Bag, *, rule_paths: Iterable[str | Path] = (), builtin: bool = True) -> Bag:
    """A bag of diagnosis dicts (schemas/diagnosis.schema.json), one per element, in order."""
    rules = load_rules(rule_paths, builtin=builtin)
    classified: Bag = bag.map_partitions(_classify_partition, rules)  # type: ignore[no-untyped-call]
    return classified


def _classify_partition(values: Iterable[Any], rules: RuleSet) -> list[dict[str, Any]]:
    engine = engine_for(rules)
    return [d.to_dict() for d in classify_values(engine, values)]


def classify_column(
    frame: dd.DataFrame,
    column: str = "value",
    *,
    rule_paths: Iterable[str | Path] = (),
    builtin: bool = True,
    prefix: str = "kling_",
) -> dd.DataFrame:
    """``frame`` with a diagnosis's scalar fields as columns (``kling_category``, ...)."""
    rules = load_rules(rule_paths, builtin=builtin)
    meta = frame._meta.assign(**{prefix + name: _empty(kind) for name, kind in COLUMNS.items()})
    classified: dd.DataFrame = frame.map_partitions(  # type: ignore[no-untyped-call]
        _classify_frame_partition, column, rules, prefix, meta=meta
    )
    return classified


def _empty(kind: str) -> Any:
    import pandas as pd

    return pd.Series([], dtype=kind)


def _classify_frame_partition(
    part: pd.DataFrame, column: str, rules: RuleSet, prefix: str
) -> pd.DataFrame:
    import pandas as pd

    engine = engine_for(rules)
    records = [d.to_dict() for d in classify_values(engine, part[column].tolist())]
    added = {
        prefix + name: pd.Series([r[name] for r in records], index=part.index, dtype=kind)
        for name, kind in COLUMNS.items()
    }
    return part.assign(**added)
