"""
Ledgerline reconciliation: Glue job `<prefix>-normalise-statements` (issue 4 / seed 000).

Input:  normalised statement lines (NDJSON, one object per line) written by the
        reconcile-normalise Lambda under s3://<analytics_bucket>/<input_prefix>.
Output: 1. Parquet under s3://<analytics_bucket>/<curated_prefix>statement_lines/,
           partitioned by account_id/currency, registered in the Glue catalog
           (table <database>.statement_lines).
        2. The partitions manifest s3://<analytics_bucket>/<partitions_prefix><run_id>/manifest.json:
           a JSON array with one item per (account_id, currency). The reconciliation state
           machine's Distributed Map reads it and runs the one matcher per partition.

Amounts stay exact: they arrive as decimal strings and are cast to DECIMAL(38,6), never to
floating point. The job is idempotent per run_id (it overwrites the run's partitions/manifest).
"""
import json
import sys

import boto3
from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

ARGS = getResolvedOptions(
    sys.argv,
    ["JOB_NAME", "run_id", "input_prefix", "analytics_bucket", "database", "curated_prefix", "partitions_prefix"],
)

sc = SparkContext()
glue_context = GlueContext(sc)
spark = glue_context.spark_session
job = Job(glue_context)
job.init(ARGS["JOB_NAME"], ARGS)

bucket = ARGS["analytics_bucket"]
run_id = ARGS["run_id"]
source = f"s3://{bucket}/{ARGS['input_prefix']}"
target = f"s3://{bucket}/{ARGS['curated_prefix']}statement_lines/"

# Read amounts as strings: the JSON reader must never infer them as doubles.
lines = spark.read.option("primitivesAsString", "true").json(source)

curated = lines.select(
    F.col("statementLineId").alias("statement_line_id"),
    F.col("statementId").alias("statement_id"),
    F.col("format").alias("format"),
    F.col("amount").cast(DecimalType(38, 6)).alias("amount"),
    F.to_date("bookingDate").alias("booking_date"),
    F.to_date("valueDate").alias("value_date"),
    F.col("endToEndId").alias("end_to_end_id"),
    F.col("bankReference").alias("bank_reference"),
    F.col("customerReference").alias("customer_reference"),
    F.col("remittanceInformation").alias("remittance_information"),
    F.col("counterparty").alias("counterparty"),
    F.col("typeCode").alias("type_code"),
    F.col("status").alias("status"),
    F.col("sourceFileSha256").alias("source_file_sha256"),
    F.col("accountId").alias("account_id"),
    F.col("currency").alias("currency"),
)

bad_amounts = curated.filter(F.col("amount").isNull()).count()
if bad_amounts:
    raise ValueError(f"run {run_id}: {bad_amounts} statement line(s) have an amount that is not an exact decimal")

sink = glue_context.getSink(
    connection_type="s3",
    path=target,
    enableUpdateCatalog=True,
    updateBehavior="UPDATE_IN_DATABASE",
    partitionKeys=["account_id", "currency"],
)
sink.setFormat("glueparquet", compression="snappy")
sink.setCatalogInfo(catalogDatabase=ARGS["database"], catalogTableName="statement_lines")
sink.writeFrame(DynamicFrame.fromDF(curated, glue_context, "statement_lines"))

partitions = sorted(
    (row["account_id"], row["currency"]) for row in curated.select("account_id", "currency").distinct().collect()
)
manifest = [
    {
        "accountId": account_id,
        "currency": currency,
        "statementLines": f"{target}account_id={account_id}/currency={currency}/",
        "ledgerEntries": f"s3://{bucket}/{ARGS['curated_prefix']}ledger_entries/account_id={account_id}/currency={currency}/",
    }
    for account_id, currency in partitions
]
boto3.client("s3").put_object(
    Bucket=bucket,
    Key=f"{ARGS['partitions_prefix']}{run_id}/manifest.json",
    Body=json.dumps(manifest, sort_keys=True).encode("utf-8"),
    ContentType="application/json",
)

job.commit()
