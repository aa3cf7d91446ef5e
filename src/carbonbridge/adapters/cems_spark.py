"""The CEMS pipeline on Apache Spark (PySpark, optional extra ``spark``): the same SQL as DuckDB.

Local mode for tests and one machine; on a cluster the same functions run under spark-submit
(entrypoints/cems_spark_job.py). JAVA_HOME is derived from ``java`` on PATH when unset.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from carbonbridge.adapters.cems_sql import findings_sql, partials_sql
from carbonbridge.domain.cems.partials import SUM_COLUMNS, MonthPartial, MonthPartials, partials_from_sums
from carbonbridge.domain.cems.rules import RuleSet

VIEW = "cems_hourly"


def ensure_java_home() -> None:
    if os.environ.get("JAVA_HOME"):
        return
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Spark needs Java 17 or later: no 'java' on PATH and JAVA_HOME unset")
    os.environ["JAVA_HOME"] = str(Path(java).resolve().parent.parent)


def local_session(cores: int = 1, memory: str = "1g") -> Any:
    """A small local SparkSession (tests, one machine); on a cluster spark-submit makes the session."""
    ensure_java_home()
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{int(cores)}]")
        .appName("carbonbridge-cems")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, 2 * int(cores))))
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        # Small jobs: no adaptive re-planning, no progress bars, a JIT that warms up fast.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .getOrCreate()
    )


def register(spark: Any, root: str) -> bool:
    """The hourly data set as a temporary view with typed partition columns; False when it is empty."""
    base = root.rstrip("/") + "/hourly"
    if "://" not in root and not any(Path(base).glob("*/*/*/*/*.parquet")):
        return False
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    raw = spark.read.option("basePath", base).parquet(base)
    raw.createOrReplaceTempView(VIEW + "_raw")
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW {VIEW} AS SELECT stack_id, ts, co2, co2_flag, flow, flow_flag, "
        f"jurisdiction, CAST(year AS INT) AS year, CAST(month AS INT) AS month, installation FROM {VIEW}_raw"
    )
    return True


def month_partial_columns(
    spark: Any, root: str, rules: RuleSet, jurisdiction: str, year: int | None = None
) -> MonthPartials | None:
    if not register(spark, root):
        return None
    rows = [tuple(row) for row in spark.sql(partials_sql(VIEW, rules, jurisdiction, year)).collect()]
    if not rows:
        return None
    return partials_from_sums(jurisdiction, dict(zip(SUM_COLUMNS, zip(*rows, strict=True), strict=True)))


def month_partials(
    spark: Any, root: str, rules: RuleSet, jurisdiction: str, year: int | None = None
) -> list[MonthPartial]:
    columns = month_partial_columns(spark, root, rules, jurisdiction, year)
    return [] if columns is None else columns.rows()


def findings(
    spark: Any, root: str, rules: RuleSet, jurisdiction: str, year: int | None = None
) -> list[tuple[Any, ...]]:
    if not register(spark, root):
        return []
    return [tuple(row) for row in spark.sql(findings_sql(VIEW, rules, jurisdiction, year)).collect()]
