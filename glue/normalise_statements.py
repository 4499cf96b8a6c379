"""
Ledgerline reconciliation: Glue job `<prefix>-normalise-statements` (REC-2).

A thin PySpark/Glue wrapper: job arguments, Spark IO and the Glue catalog only. Every decision
(record parsing and validation, exact decimals, dates, the column mapping, partition keys, the
input and output locations, the failure message) is in normalise_logic.py, plain Python tested
with `python3 -m unittest discover glue/tests`; this script maps each record through it.

Reads the reconcile-normalise Lambda's NDJSON of one run (normalised/<runId>/statement-lines/ and
ledger-entries/), writes Parquet under s3://<analytics_bucket>/<curated_prefix>{statement_lines,
ledger_entries}/ partitioned by run_id/account_id/currency, registered in <database>.statement_lines /
<database>.ledger_entries. Amounts are DECIMAL(38,6) built from their strings, never floats; one
refused record fails the run and nothing is written. A re-run of the same run replaces its rows:
the run's partition (<table>/run_id=<id>/) is purged, then written (see glue/README.md).

normalise_logic.py must be on the job's Python path (--extra-py-files), driver and executors.
"""

import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql.types import DateType, DecimalType, StringType, StructField, StructType

from normalise_logic import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    ERROR_SAMPLE,
    PURGE_OPTIONS,
    JOB_ARGUMENTS,
    check_job_arguments,
    curated_location,
    failure_message,
    input_location,
    input_prefixes,
    is_problem,
    normalise_partition,
    output_schema,
    partition_columns,
    problem_of,
    row_of,
    run_partition_location,
)

SPARK_TYPES = {"string": StringType(), f"decimal({DECIMAL_PRECISION},{DECIMAL_SCALE})": DecimalType(DECIMAL_PRECISION, DECIMAL_SCALE), "date": DateType()}

ARGS = check_job_arguments(getResolvedOptions(sys.argv, list(JOB_ARGUMENTS)))
RUN_ID = ARGS["run_id"]
BUCKET = ARGS["analytics_bucket"]

sc = SparkContext()
glue_context = GlueContext(sc)
spark = glue_context.spark_session
job = Job(glue_context)
job.init(ARGS["JOB_NAME"], ARGS)


def curate(table_name, prefix):
    location = input_location(BUCKET, prefix)
    outcomes = sc.textFile(location).zipWithIndex().mapPartitions(lambda records: normalise_partition(table_name, RUN_ID, location, records)).cache()
    problems = outcomes.filter(is_problem)
    count = problems.count()
    if count:
        raise ValueError(failure_message(table_name, location, RUN_ID, count, problems.map(problem_of).take(ERROR_SAMPLE)))
    schema = StructType([StructField(name, SPARK_TYPES[kind], nullable) for name, kind, nullable in output_schema(table_name)])
    return spark.createDataFrame(outcomes.map(row_of), schema)


def write(curated, table_name):
    # A re-run replaces the run's rows: its partition is emptied first (other runs are untouched).
    glue_context.purge_s3_path(run_partition_location(BUCKET, ARGS["curated_prefix"], table_name, RUN_ID), options=PURGE_OPTIONS)
    sink = glue_context.getSink(
        connection_type="s3",
        path=curated_location(BUCKET, ARGS["curated_prefix"], table_name),
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=partition_columns(),
    )
    sink.setFormat("glueparquet", compression="snappy")
    sink.setCatalogInfo(catalogDatabase=ARGS["database"], catalogTableName=table_name)
    sink.writeFrame(DynamicFrame.fromDF(curated, glue_context, table_name))


# Both tables are checked before either is written: a refused record writes nothing.
curated = {name: curate(name, prefix) for name, prefix in input_prefixes(ARGS["input_prefix"], RUN_ID).items()}
for name, frame in curated.items():
    write(frame, name)

job.commit()
