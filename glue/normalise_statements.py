"""
Ledgerline reconciliation: Glue job `<prefix>-normalise-statements` (REC-2).

The reconcile-normalise Lambda writes, per run (src/recon/run/aws/steps.ts):
    s3://<analytics_bucket>/normalised/<runId>/statement-lines/part-*.ndjson   (--input_prefix)
    s3://<analytics_bucket>/normalised/<runId>/ledger-entries/part-*.ndjson
This job turns both into Parquet under s3://<analytics_bucket>/<curated_prefix>{statement_lines,ledger_entries}/,
partitioned by account_id/currency, registered in the Glue catalog (<database>.statement_lines,
<database>.ledger_entries) for Athena / QuickSight. Matching itself runs in the one TypeScript
matcher (Distributed Map), not here.

Amounts stay exact: they are read as strings and cast to DECIMAL(38,6), never to floating point;
a value that is not an exact decimal fails the run. Re-running a run overwrites its partitions.
"""
import sys

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType

ARGS = getResolvedOptions(sys.argv, ["JOB_NAME", "run_id", "input_prefix", "analytics_bucket", "database", "curated_prefix"])

sc = SparkContext()
glue_context = GlueContext(sc)
spark = glue_context.spark_session
job = Job(glue_context)
job.init(ARGS["JOB_NAME"], ARGS)

bucket = ARGS["analytics_bucket"]
run_id = ARGS["run_id"]
statement_lines_prefix = ARGS["input_prefix"]
if not statement_lines_prefix.endswith("statement-lines/"):
    raise ValueError(f"--input_prefix {statement_lines_prefix} is not a normalised/<runId>/statement-lines/ prefix")
ledger_entries_prefix = statement_lines_prefix[: -len("statement-lines/")] + "ledger-entries/"

# (output column, input field, type) — input fields are the JSON names of StatementLine / LedgerEntry (src/recon/types.ts).
STATEMENT_LINES = [
    ("statement_line_id", "statementLineId", "string"),
    ("statement_id", "statementId", "string"),
    ("format", "format", "string"),
    ("amount", "amount", "decimal"),
    ("booking_date", "bookingDate", "date"),
    ("value_date", "valueDate", "date"),
    ("end_to_end_id", "endToEndId", "string"),
    ("bank_reference", "bankReference", "string"),
    ("customer_reference", "customerReference", "string"),
    ("remittance_information", "remittanceInformation", "string"),
    ("counterparty", "counterparty", "string"),
    ("type_code", "typeCode", "string"),
    ("status", "status", "string"),
    ("source_file_sha256", "sourceFileSha256", "string"),
    ("run_id", "runId", "string"),
]
LEDGER_ENTRIES = [
    ("entry_id", "entryId", "string"),
    ("amount", "amount", "decimal"),
    ("booking_date", "bookingDate", "date"),
    ("value_date", "valueDate", "date"),
    ("reference", "reference", "string"),
    ("description", "description", "string"),
    ("run_id", "runId", "string"),
]
PARTITION_KEYS = [("account_id", "accountId"), ("currency", "currency")]


def curate(prefix, columns):
    # primitivesAsString: the JSON reader must never infer an amount as a double.
    frame = spark.read.option("primitivesAsString", "true").json(f"s3://{bucket}/{prefix}")
    present = set(frame.columns)

    def column(field):
        # Optional fields absent from every record of a run are not in the inferred schema.
        return F.col(field) if field in present else F.lit(None).cast("string")

    selected = []
    for name, field, kind in columns:
        value = column(field)
        if kind == "decimal":
            value = value.cast(DecimalType(38, 6))
        elif kind == "date":
            value = F.to_date(value)
        selected.append(value.alias(name))
    selected += [column(field).alias(name) for name, field in PARTITION_KEYS]
    curated = frame.select(*selected)
    inexact = curated.filter(F.col("amount").isNull()).count()
    if inexact:
        raise ValueError(f"run {run_id}: {inexact} row(s) under {prefix} have an amount that is not an exact decimal")
    return curated


def write(curated, table):
    sink = glue_context.getSink(
        connection_type="s3",
        path=f"s3://{bucket}/{ARGS['curated_prefix']}{table}/",
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=[name for name, _ in PARTITION_KEYS],
    )
    sink.setFormat("glueparquet", compression="snappy")
    sink.setCatalogInfo(catalogDatabase=ARGS["database"], catalogTableName=table)
    sink.writeFrame(DynamicFrame.fromDF(curated, glue_context, table))


write(curate(statement_lines_prefix, STATEMENT_LINES), "statement_lines")
write(curate(ledger_entries_prefix, LEDGER_ENTRIES), "ledger_entries")

job.commit()
