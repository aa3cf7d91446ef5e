"""The CEMS annual pipeline as a Spark application, for spark-submit on a cluster.

    spark-submit --master yarn --deploy-mode client \\
        $(python -c 'import carbonbridge.entrypoints.cems_spark_job as m; print(m.__file__)') \\
        --data hdfs:///cems --jurisdiction CN --year 2025 --out hdfs:///cems-results/CN-2025

The executors run Spark SQL only (no Python functions), so carbonbridge is needed on the driver
alone (client mode); in cluster mode ship it with --py-files (a wheel or zip of src/carbonbridge).
Writes one row per stack (Parquet) to --out and prints the installations' totals.
"""

from __future__ import annotations

import argparse
import dataclasses

from carbonbridge.services.mrv.cems import annual


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="CEMS annual emissions on Spark")
    parser.add_argument("--data", required=True, help="root of the data set (a path or hdfs://, s3a://, ... URI)")
    parser.add_argument("--jurisdiction", required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--tier", default=None)
    parser.add_argument("--out", required=True, help="where to write the per-stack results (Parquet)")
    args = parser.parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("carbonbridge-cems-annual").getOrCreate()
    result = annual(
        args.data, jurisdiction=args.jurisdiction.upper(), year=args.year, engine="spark", tier=args.tier, spark=spark
    )
    rows = [{"installation_id": inst, **dataclasses.asdict(s)} for inst, s in result.stacks]
    if rows:
        spark.createDataFrame(rows).write.mode("overwrite").parquet(args.out)
    for installation, (t, u, complete) in result.installations().items():
        mass = "n/a" if t is None else f"{t:,.1f} t CO2 +/- {u:,.1f}"
        print(f"{installation}: {mass}{'' if complete else ' (incomplete)'}")
    spark.stop()


if __name__ == "__main__":
    main()
