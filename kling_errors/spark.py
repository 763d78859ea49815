"""Classify logs where they live, with Spark: ``pip install 'kling-errors[spark]'``.

    from kling_errors.spark import classify_frame
    lines = spark.read.text("s3://bucket/kling/2026-11/*.jsonl.gz")
    diagnosed = classify_frame(lines)               # + a `diagnosis` struct column
    diagnosed.groupBy("diagnosis.category").count().show()

The rule set is loaded once on the driver and broadcast (pickled rules, not files);
each executor process builds its engine from it once. Rows go through in Arrow batches
(``mapInArrow``), not a row-at-a-time Python UDF. The diagnosis of each row is the record
`kling-errors classify --format jsonl` writes for that line (index and location aside:
``index`` is the row's position in its partition, offset by the partition id, and
``location`` the value of ``location_column`` when given).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    import pyarrow as pa
    from pyspark import TaskContext
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
    )
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "kling_errors.spark needs pyspark and pyarrow: pip install 'kling-errors[spark]'"
    ) from exc

from ._columns import classify_values, engine_for
from ._rules import RuleSet, load_rules

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_TEXT = StringType()
FIX = StructType(
    [StructField("step", _TEXT), StructField("code", _TEXT), StructField("language", _TEXT)]
)
RETRY = StructType(
    [
        StructField("retryable", BooleanType()),
        StructField("strategy", _TEXT),
        StructField("delay_seconds", DoubleType()),
        StructField("max_attempts", IntegerType()),
        StructField("max_delay", DoubleType()),
        StructField("honour_retry_after", BooleanType()),
        StructField("initial_delay", DoubleType()),
        StructField("multiplier", DoubleType()),
    ]
)
# The output record of schemas/diagnosis.schema.json as a Spark struct (tests hold them equal).
DIAGNOSIS_SCHEMA = StructType(
    [
        StructField("index", LongType()),
        StructField("outcome", _TEXT),
        StructField("rule", _TEXT),
        StructField("category", _TEXT),
        StructField("retryable", BooleanType()),
        StructField("severity", _TEXT),
        StructField("service_code", IntegerType()),
        StructField("http_status", IntegerType()),
        StructField("title", _TEXT),
        StructField("message", _TEXT),
        StructField("causes", ArrayType(_TEXT)),
        StructField("fixes", ArrayType(FIX)),
        StructField("remediation", _TEXT),
        StructField("retry", RETRY),
        StructField("request_id", _TEXT),
        StructField("task_id", _TEXT),
        StructField("gateway", _TEXT),
        StructField("gateway_code", _TEXT),
        StructField("reason", _TEXT),
        StructField("source", _TEXT),
        StructField("location", _TEXT),
    ]
)
PARTITION_SHIFT = (
    33  # index = partition id << 33 + position: unique, like monotonically_increasing_id
)


def classify_frame(
    df: DataFrame,
    column: str = "value",
    *,
    rule_paths: Iterable[str | Path] = (),
    builtin: bool = True,
    location_column: str | None = None,
    output_column: str = "diagnosis",
) -> DataFrame:
    """``df`` with a ``diagnosis`` struct column (DIAGNOSIS_SCHEMA) for the records in
    ``column`` (log lines, JSON strings, or binary), every other column kept."""
    rules = load_rules(rule_paths, builtin=builtin)
    shared = df.sparkSession.sparkContext.broadcast(rules)
    schema = StructType([*df.schema.fields, StructField(output_column, DIAGNOSIS_SCHEMA)])
    arrow_schema = _arrow_schema(schema)

    def classify_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        engine = engine_for(shared.value)
        context = TaskContext.get()
        position = (context.partitionId() if context else 0) << PARTITION_SHIFT
        for batch in batches:
            values = batch.column(column).to_pylist()
            sources = batch.column(location_column).to_pylist() if location_column else None
            rows = []
            for offset, diagnosis in enumerate(classify_values(engine, values, start=position)):
                row = diagnosis.to_dict()
                row["location"] = None if sources is None else _text(sources[offset])
                rows.append(row)
            position += len(values)
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, pa.array(rows, type=arrow_schema.field(output_column).type)],
                schema=arrow_schema,
            )

    return df.mapInArrow(classify_batches, schema)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _arrow_schema(schema: StructType) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


__all__ = ["DIAGNOSIS_SCHEMA", "RuleSet", "classify_frame"]
