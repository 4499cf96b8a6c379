"""
REC-2: the Glue job script run end to end against in-memory stand-ins of the awsglue and pyspark
APIs it calls (no Spark here): the wiring between the wrapper and normalise_logic — arguments,
input locations, the per-partition mapping, the schema handed to Spark, the sink's path, partition
keys and catalog table — and that one refused record fails the run before anything is written.

Run: python3 -m unittest discover glue/tests
"""

import json
import random
import runpy
import sys
import types
import unittest
from datetime import date
from decimal import Decimal
from pathlib import Path

GLUE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GLUE))

RUN = "run-wrapper-1"
BUCKET = "ledgerline-dev-analytics"
SHA = "ab" * 32


class FakeRdd:
    def __init__(self, items):
        self.items = list(items)

    def zipWithIndex(self):
        return FakeRdd((item, i) for i, item in enumerate(self.items))

    def mapPartitions(self, function):
        # Two partitions, as Spark would split the input.
        half = len(self.items) // 2
        return FakeRdd(list(function(iter(self.items[:half]))) + list(function(iter(self.items[half:]))))

    def cache(self):
        return self

    def filter(self, predicate):
        return FakeRdd(item for item in self.items if predicate(item))

    def map(self, function):
        return FakeRdd(function(item) for item in self.items)

    def count(self):
        return len(self.items)

    def take(self, n):
        return self.items[:n]


class World:
    """What the fake Spark/Glue saw: the input files by location, frames created, sinks written."""

    files = {}
    frames = []
    sinks = []
    committed = False
    #: The curated S3 objects as Glue's sink leaves them: Hive partition path -> rows (a sink
    #: APPENDS, as the real one does); purge_s3_path removes every path under a location.
    stored = {}
    purged = []
    events = []


def install_fakes():
    class SparkContext:
        def textFile(self, location):
            lines = World.files.get(location)
            if lines is None:
                raise FileNotFoundError(location)
            return FakeRdd(lines)

    class Type:
        def __init__(self, *args):
            self.args = args

        def __repr__(self):
            return f"{type(self).__name__}{self.args}"

    class StructField:
        def __init__(self, name, data_type, nullable):
            self.name, self.data_type, self.nullable = name, data_type, nullable

    class StructType:
        def __init__(self, fields):
            self.fields = fields

    class Frame:
        def __init__(self, rows, schema):
            self.rows, self.schema = rows, schema

    class SparkSession:
        def createDataFrame(self, rdd, schema):
            frame = Frame(list(rdd.items), schema)
            World.frames.append(frame)
            return frame

    class Sink:
        def __init__(self, options):
            self.options = options
            World.sinks.append(self)

        def setFormat(self, fmt, **options):
            self.format = (fmt, options)

        def setCatalogInfo(self, **info):
            self.catalog = info

        def writeFrame(self, frame):
            self.frame = frame
            names = [field.name for field in frame.schema.fields]
            keys = self.options["partitionKeys"]
            World.events.append(("write", self.options["path"]))
            for row in frame.rows:
                values = dict(zip(names, row))
                path = self.options["path"] + "".join(f"{key}={values[key]}/" for key in keys)
                World.stored.setdefault(path, []).append(tuple(values[name] for name in names if name not in keys))

    class GlueContext:
        def __init__(self, sc):
            self.spark_session = SparkSession()

        def getSink(self, **options):
            return Sink(options)

        def purge_s3_path(self, location, options):
            World.purged.append((location, options))
            World.events.append(("purge", location))
            for path in [path for path in World.stored if path.startswith(location)]:
                del World.stored[path]

    class DynamicFrame:
        @staticmethod
        def fromDF(frame, context, name):
            return frame

    class Job:
        def __init__(self, context):
            pass

        def init(self, name, args):
            self.name = name

        def commit(self):
            World.committed = True

    def getResolvedOptions(argv, names):
        values = dict(zip(argv[1::2], argv[2::2]))
        return {name: values[f"--{name}"] for name in names if f"--{name}" in values}

    modules = {
        "awsglue": {},
        "awsglue.context": {"GlueContext": GlueContext},
        "awsglue.dynamicframe": {"DynamicFrame": DynamicFrame},
        "awsglue.job": {"Job": Job},
        "awsglue.utils": {"getResolvedOptions": getResolvedOptions},
        "pyspark": {},
        "pyspark.context": {"SparkContext": SparkContext},
        "pyspark.sql": {},
        "pyspark.sql.types": {name: type(name, (Type,), {}) for name in ("StringType", "DecimalType", "DateType")} | {"StructField": StructField, "StructType": StructType},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        sys.modules[name] = module


def statement_line(i, **changes):
    record = {
        "statementLineId": f"{SHA[:12]}:0:{i}",
        "format": "csv",
        "statementId": "ACC-1/EUR",
        "accountId": "ACC-1",
        "currency": "EUR",
        "amount": f"-{i}.25",
        "bookingDate": "2026-01-05",
        "valueDate": "2026-01-05",
        "bankReference": f'REF,"{i}"',
        "position": {"file": "x", "line": i + 2},
        "sourceFileSha256": SHA,
        "runId": RUN,
    }
    record.update(changes)
    return json.dumps(record)


def ledger_entry(i, **changes):
    record = {"entryId": f"L-{i}", "accountId": "ACC-1", "currency": "EUR", "amount": f"{i}.10", "bookingDate": "2026-01-05", "valueDate": "2026-01-06", "reference": "", "description": "d", "runId": RUN}
    record.update(changes)
    return json.dumps(record)


class WrapperRunTest(unittest.TestCase):
    def setUp(self):
        self.saved = {name: sys.modules.get(name) for name in ("awsglue", "awsglue.context", "awsglue.dynamicframe", "awsglue.job", "awsglue.utils", "pyspark", "pyspark.context", "pyspark.sql", "pyspark.sql.types")}
        install_fakes()
        World.files, World.frames, World.sinks, World.committed = {}, [], [], False
        World.stored, World.purged, World.events = {}, [], []
        self.argv = sys.argv

    def tearDown(self):
        sys.argv = self.argv
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def run_job(self, statement_lines, ledger_entries, run=RUN):
        World.files = {
            f"s3://{BUCKET}/normalised/{run}/statement-lines/": statement_lines,
            f"s3://{BUCKET}/normalised/{run}/ledger-entries/": ledger_entries,
        }
        sys.argv = ["normalise_statements.py", "--JOB_NAME", "ledgerline-dev-normalise-statements", "--run_id", run, "--input_prefix", f"normalised/{run}/statement-lines/", "--analytics_bucket", BUCKET, "--database", "ledgerline_dev_reconciliation", "--curated_prefix", "curated/"]
        runpy.run_path(str(GLUE / "normalise_statements.py"), run_name="__main__")

    def stored_rows(self, table, run):
        prefix = f"s3://{BUCKET}/curated/{table}/run_id={run}/"
        return sorted(row for path, rows in World.stored.items() if path.startswith(prefix) for row in rows)

    def test_a_run_is_curated_through_the_pure_module_into_the_catalog_tables(self):
        self.run_job([statement_line(i) for i in range(5)], [ledger_entry(i) for i in range(3)] + [""])
        self.assertTrue(World.committed)
        self.assertEqual([sink.catalog["catalogTableName"] for sink in World.sinks], ["statement_lines", "ledger_entries"])
        lines, entries = World.sinks[0], World.sinks[1]
        self.assertEqual(lines.options["path"], f"s3://{BUCKET}/curated/statement_lines/")
        self.assertEqual(lines.options["partitionKeys"], ["run_id", "account_id", "currency"])
        self.assertEqual(lines.catalog["catalogDatabase"], "ledgerline_dev_reconciliation")
        self.assertEqual(lines.format, ("glueparquet", {"compression": "snappy"}))
        self.assertEqual(len(lines.frame.rows), 5)
        names = [field.name for field in lines.frame.schema.fields]
        self.assertEqual(names[:4], ["statement_line_id", "statement_id", "format", "amount"])
        self.assertEqual(names[-3:], ["run_id", "account_id", "currency"])
        # Each table's run partition is purged before that table is written.
        self.assertEqual(
            World.events,
            [
                ("purge", f"s3://{BUCKET}/curated/statement_lines/run_id={RUN}/"),
                ("write", f"s3://{BUCKET}/curated/statement_lines/"),
                ("purge", f"s3://{BUCKET}/curated/ledger_entries/run_id={RUN}/"),
                ("write", f"s3://{BUCKET}/curated/ledger_entries/"),
            ],
        )
        self.assertEqual({options["retentionPeriod"] for _, options in World.purged}, {0})
        amount = lines.frame.schema.fields[3].data_type
        self.assertEqual((type(amount).__name__, amount.args), ("DecimalType", (38, 6)))
        first = dict(zip(names, lines.frame.rows[1]))
        self.assertEqual(first["amount"], Decimal("-1.25"))
        self.assertEqual(first["bank_reference"], 'REF,"1"')
        self.assertEqual(first["booking_date"], date(2026, 1, 5))
        self.assertEqual(sum(row[1] for row in entries.frame.rows), Decimal("3.30"))

    def test_a_rerun_replaces_the_runs_rows_and_leaves_other_runs_alone(self):
        # Generated runs (fixed seed): each run once, then every run again (some with fewer
        # accounts, as a corrected input would have): each run's stored rows equal its last run's
        # input exactly once, whatever ran before or after it.
        rng = random.Random(20261205)
        runs = ["run-1", "run-10", "run-1_", "run-2"]  # one id a prefix of others: "run-1" never purges "run-10"

        def inputs(run, accounts):
            n = rng.randint(1, 12)
            lines = [statement_line(i, runId=run, accountId=f"ACC-{rng.randrange(accounts)}", currency=rng.choice(["EUR", "GBP", "JPY"]), amount=f"{rng.randint(-9999, 9999)}.{rng.randint(0, 99):02d}") for i in range(n)]
            entries = [ledger_entry(i, runId=run, accountId=f"ACC-{rng.randrange(accounts)}") for i in range(rng.randint(1, 6))]
            return lines, entries

        last = {}
        for run in runs + runs + runs[:2]:
            lines, entries = inputs(run, rng.randint(1, 4))
            self.run_job(lines, entries, run=run)
            last[run] = (len(lines), len(entries))
            for other, (n_lines, n_entries) in last.items():
                with self.subTest(after=run, run=other):
                    self.assertEqual(len(self.stored_rows("statement_lines", other)), n_lines)
                    self.assertEqual(len(self.stored_rows("ledger_entries", other)), n_entries)
        # The same input twice stores the same rows as once (idempotent, not appended).
        lines, entries = inputs("run-x", 3)
        self.run_job(lines, entries, run="run-x")
        once = (self.stored_rows("statement_lines", "run-x"), self.stored_rows("ledger_entries", "run-x"))
        self.run_job(lines, entries, run="run-x")
        self.assertEqual((self.stored_rows("statement_lines", "run-x"), self.stored_rows("ledger_entries", "run-x")), once)

    def test_a_refused_rerun_purges_nothing(self):
        self.run_job([statement_line(0), statement_line(1)], [ledger_entry(0)])
        before = dict(World.stored)
        with self.assertRaises(ValueError):
            self.run_job([statement_line(0, amount="1.0000001")], [ledger_entry(0)])
        self.assertEqual(World.stored, before)

    def test_one_refused_record_fails_the_run_and_nothing_is_written(self):
        bad = [statement_line(0), statement_line(1, amount=1.5), statement_line(2, runId="other")]
        with self.assertRaises(ValueError) as caught:
            self.run_job(bad, [ledger_entry(0)])
        message = str(caught.exception)
        self.assertIn(f"run {RUN}: 2 statement_lines record(s) under s3://{BUCKET}/normalised/{RUN}/statement-lines/ refused (nothing written)", message)
        self.assertIn("statement_lines record 2 under", message)
        self.assertIn("field amount must be a JSON string holding a decimal, got a JSON number", message)
        self.assertIn("statement_lines record 3 under", message)
        self.assertEqual(World.sinks, [])
        self.assertFalse(World.committed)

    def test_a_ledger_problem_also_stops_the_statement_lines_from_being_written(self):
        with self.assertRaises(ValueError):
            self.run_job([statement_line(0)], [ledger_entry(0, amount="1e3")])
        self.assertEqual(World.sinks, [])

    def test_another_runs_prefix_is_refused_before_spark_starts(self):
        World.files = {}
        sys.argv = ["x", "--JOB_NAME", "j", "--run_id", RUN, "--input_prefix", "normalised/other/statement-lines/", "--analytics_bucket", BUCKET, "--database", "d", "--curated_prefix", "curated/"]
        with self.assertRaises(ValueError) as caught:
            runpy.run_path(str(GLUE / "normalise_statements.py"), run_name="__main__")
        self.assertIn("is not this run's statement lines prefix", str(caught.exception))
        self.assertEqual(World.frames, [])


if __name__ == "__main__":
    unittest.main()
