"""
Ledgerline reconciliation: the EMR Serverless Spark job of large runs (REC-EMR-1).

A thin PySpark driver: Spark IO only. Every decision (arguments, locations, which rows are matched,
the partition lines, the pipe command, where each result goes, the completeness check) is in
recon_logic.py, plain Python tested without Spark (test/recon/emr).

    spark-submit recon_spark.py --run-id <id> --analytics-bucket <bucket> --as-of <YYYY-MM-DD> --config <json>
      --py-files recon_logic.py  --files matcher-pipe.js  --archives node-runtime.tar.gz#node

Reads the run's normalised statement lines and ledger entries (NDJSON), groups them by
(account, currency), pipes each partition through the TypeScript matcher bundle (RDD.pipe,
checkCode: a non-zero exit fails the task), checks every partition came back exactly once, and
writes one MatchResult per manifest item where the summarise step reads them.
"""

import json
import sys

from pyspark.sql import SparkSession

from recon_logic import (
    check_complete,
    check_manifest,
    input_locations,
    item_for,
    keyed_row,
    manifest_location,
    merged_result,
    parse_arguments,
    parse_result,
    partition_line,
    pipe_command,
    result_location,
)

ARGS = parse_arguments(sys.argv[1:])
RUN_ID = ARGS["run_id"]
BUCKET = ARGS["bucket"]

spark = SparkSession.builder.appName(f"ledgerline-recon-{RUN_ID}").getOrCreate()
sc = spark.sparkContext


def write_object(uri, text):
    """One S3 object, whole (EMRFS through the Hadoop FileSystem API of the driver's JVM)."""
    jvm = sc._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(sc._jsc.hadoopConfiguration()).create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


manifest = check_manifest(json.loads("\n".join(sc.textFile(manifest_location(BUCKET, RUN_ID)).collect())), RUN_ID)
item_ids = manifest["item_ids"]
excluded = sc.broadcast(manifest["excluded"])

rows = None
for side, location in input_locations(BUCKET, RUN_ID).items():
    keyed = (
        sc.textFile(location)
        .zipWithIndex()
        .map(lambda pair, side=side, location=location: keyed_row(side, pair[0], pair[1] + 1, location, RUN_ID, excluded.value))
        .filter(lambda row: row is not None)
    )
    rows = keyed if rows is None else rows.union(keyed)

partitions = rows.groupByKey().map(lambda pair: (pair[0], partition_line(pair[0], pair[1]))).cache()
sent = partitions.keys().collect()
results = partitions.values().pipe(pipe_command(ARGS["config"], ARGS["as_of"]), checkCode=True).map(parse_result).cache()
check_complete(RUN_ID, sent, results.keys().collect())

written = set()
for item_id, result in results.map(lambda pair: (item_for(pair[0], item_ids), pair[1])).groupByKey().mapValues(merged_result).toLocalIterator():
    write_object(result_location(BUCKET, RUN_ID, item_id), result)
    written.add(item_id)
for item_id in item_ids:
    if item_id not in written:
        write_object(result_location(BUCKET, RUN_ID, item_id), merged_result([]))

spark.stop()
