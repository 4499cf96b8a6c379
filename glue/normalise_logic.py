"""
Ledgerline reconciliation: every decision of the Glue job `normalise_statements.py` (REC-2), as
plain Python 3.11 with no pyspark import, so it is tested with `python3 -m unittest discover
glue/tests` and the job itself only reads, maps each record through this module, and writes.

Input (written by the reconcile-normalise Lambda, src/recon/run/aws/steps.ts), one JSON object per
line:
    s3://<analytics_bucket>/normalised/<runId>/statement-lines/part-*.ndjson   StatementLine + sourceFileSha256, runId
    s3://<analytics_bucket>/normalised/<runId>/ledger-entries/part-*.ndjson    LedgerEntry + runId
Output: the catalog tables statement_lines / ledger_entries (stacks/analytics-stack.ts
CATALOG_TABLES: the same columns, in the same order), partitioned by account_id / currency.

Decisions made here:
  - records: strict JSON (no NaN/Infinity, no duplicate member names, no lone UTF-16 surrogate),
    one object per line, at most RECORD_MAX characters; unknown members are ignored.
  - amounts: a JSON *string* holding a plain decimal (-?digits[.digits], no exponent, no '+',
    no spaces, no leading zeros, ASCII digits only) that DECIMAL(38,6) holds exactly: at most 32
    integer digits, at most 6 significant decimals. Read with decimal.Decimal from the string;
    a JSON number is refused (a float is never exact). Anything else fails the run, never rounds.
  - dates: YYYY-MM-DD that exist; the statement's dates may be null, the ledger's may not.
  - text: JSON strings of at most TEXT_MAX characters; identifiers (line, statement and entry ids)
    also non-empty.
  - partition keys: account_id (non-empty, no control characters, at most ACCOUNT_MAX
    characters) and currency (three upper-case letters); both required.
  - run: every record's runId is the job's --run_id; --input_prefix is exactly
    normalised/<run_id>/statement-lines/ (a job never curates another run's data).
  - errors name the table, the record number under the input location and the field, never the
    field's content (PCI-3: statement and ledger text may hold what a reader masked).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Any, Iterable, Iterator, NamedTuple

JOB_ARGUMENTS = ("JOB_NAME", "run_id", "input_prefix", "analytics_bucket", "database", "curated_prefix")

DECIMAL_PRECISION = 38
DECIMAL_SCALE = 6
MAX_INTEGER_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE
#: An amount string longer than this is refused before it is read (src/recon/parsers/limits.ts AMOUNT_TEXT).
AMOUNT_TEXT_MAX = 40
#: One input line (a JSON record), in characters.
RECORD_MAX = 1024 * 1024
#: Any text field (the Lambda's own bounds are at most 4096: LINE_FIELDS, the ledger reader's 1000).
TEXT_MAX = 8192
#: account_id, a partition value (an S3 key segment): LINE_FIELDS.accountId is 140.
ACCOUNT_MAX = 256
#: Rejected records quoted in a failure message.
ERROR_SAMPLE = 10

FORMATS = frozenset({"camt.052", "camt.053", "camt.054", "mt940", "mt942", "bai2", "csv"})
CATALOG_TYPES = {"string": "string", "decimal": f"decimal({DECIMAL_PRECISION},{DECIMAL_SCALE})", "date": "date"}

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,80}", re.ASCII)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EXACT = Context(prec=DECIMAL_PRECISION, traps=[Inexact, InvalidOperation])
_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)


class RecordError(ValueError):
    """One input record is not what the Lambda writes. The message never holds field content."""


class JobArgumentError(ValueError):
    """A job argument is missing or malformed."""


class Column(NamedTuple):
    """An output column: its name, the JSON member it comes from, its kind, and whether the member
    must be present (required) and may be null (nullable)."""

    name: str
    field: str
    kind: str
    required: bool
    nullable: bool


class Table(NamedTuple):
    name: str
    columns: tuple[Column, ...]


# Kinds: string, id (non-empty string), format, sha256, decimal, date, run_id,
# account, currency. The catalog type of each kind: catalog_type().
STATEMENT_LINES = Table(
    "statement_lines",
    (
        Column("statement_line_id", "statementLineId", "id", True, False),
        Column("statement_id", "statementId", "id", True, False),
        Column("format", "format", "format", True, False),
        Column("amount", "amount", "decimal", True, False),
        Column("booking_date", "bookingDate", "date", True, True),
        Column("value_date", "valueDate", "date", True, True),
        Column("end_to_end_id", "endToEndId", "string", False, True),
        Column("bank_reference", "bankReference", "string", False, True),
        Column("customer_reference", "customerReference", "string", False, True),
        Column("remittance_information", "remittanceInformation", "string", False, True),
        Column("counterparty", "counterparty", "string", False, True),
        Column("type_code", "typeCode", "string", False, True),
        Column("status", "status", "string", False, True),
        Column("source_file_sha256", "sourceFileSha256", "sha256", True, False),
    ),
)
LEDGER_ENTRIES = Table(
    "ledger_entries",
    (
        Column("entry_id", "entryId", "id", True, False),
        Column("amount", "amount", "decimal", True, False),
        Column("booking_date", "bookingDate", "date", True, False),
        Column("value_date", "valueDate", "date", True, False),
        Column("reference", "reference", "string", True, False),
        Column("description", "description", "string", True, False),
    ),
)
#: Appended to every table's columns, in this order; the writer partitions by them. run_id first:
#: each run's rows live under <table>/run_id=<id>/ alone, so a re-run replaces exactly its own
#: rows (run_partition_location is purged, then written) and never touches another run's.
PARTITION_KEYS = (
    Column("run_id", "runId", "run_id", True, False),
    Column("account_id", "accountId", "account", True, False),
    Column("currency", "currency", "currency", True, False),
)
TABLES = {table.name: table for table in (STATEMENT_LINES, LEDGER_ENTRIES)}


def table_named(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise ValueError(f"no curated table {name!r} (known: {', '.join(sorted(TABLES))})") from None


def catalog_type(kind: str) -> str:
    return CATALOG_TYPES.get(kind, "string")


def output_schema(table_name: str) -> list[tuple[str, str, bool]]:
    """(name, catalog type, nullable) of every output column, partition keys last."""
    table = table_named(table_name)
    return [(c.name, catalog_type(c.kind), c.nullable) for c in table.columns + PARTITION_KEYS]


def partition_columns() -> list[str]:
    return [c.name for c in PARTITION_KEYS]


def catalog_tables() -> dict[str, dict[str, list[list[str]]]]:
    """The catalog tables this job writes: columns and partitions as [name, type] (compared with the stack's)."""
    return {
        table.name: {
            "columns": [[c.name, catalog_type(c.kind)] for c in table.columns],
            "partitions": [[c.name, catalog_type(c.kind)] for c in PARTITION_KEYS],
        }
        for table in TABLES.values()
    }


# --- job arguments ------------------------------------------------------------------------------


def check_job_arguments(args: dict[str, str]) -> dict[str, str]:
    """The resolved job arguments, checked; JobArgumentError names the argument and the fault."""
    missing = [name for name in JOB_ARGUMENTS if not args.get(name)]
    if missing:
        raise JobArgumentError(f"missing job argument(s): {', '.join('--' + name for name in missing)}")
    if not _RUN_ID.fullmatch(args["run_id"]):
        raise JobArgumentError("--run_id must be 1-80 characters of [A-Za-z0-9_-]")
    if not _BUCKET.fullmatch(args["analytics_bucket"]):
        raise JobArgumentError(f"--analytics_bucket {args['analytics_bucket']!r} is not an S3 bucket name")
    curated = args["curated_prefix"]
    if not curated.endswith("/") or curated.startswith("/") or "//" in curated:
        raise JobArgumentError(f"--curated_prefix {curated!r} must be a relative key prefix ending in '/'")
    input_prefixes(args["input_prefix"], args["run_id"])
    return dict(args)


def input_prefixes(input_prefix: str, run_id: str) -> dict[str, str]:
    """The key prefix of each table's input: --input_prefix must be this run's statement-lines prefix."""
    expected = f"normalised/{run_id}/statement-lines/"
    if input_prefix != expected:
        raise JobArgumentError(f"--input_prefix {input_prefix!r} is not this run's statement lines prefix {expected!r}")
    return {"statement_lines": expected, "ledger_entries": f"normalised/{run_id}/ledger-entries/"}


def input_location(bucket: str, prefix: str) -> str:
    return f"s3://{bucket}/{prefix}"


def curated_location(bucket: str, curated_prefix: str, table_name: str) -> str:
    return f"s3://{bucket}/{curated_prefix}{table_named(table_name).name}/"


#: GlueContext.purge_s3_path options: every object under the location, whatever its age.
PURGE_OPTIONS = {"retentionPeriod": 0}


def run_partition_location(bucket: str, curated_prefix: str, table_name: str, run_id: str) -> str:
    """The one run's partition of a curated table (Hive layout <table>/run_id=<id>/): purged
    before the run is written, so a re-run of the job replaces the run's rows instead of adding
    them again. run_id is [A-Za-z0-9_-] (no escaping, no prefix of another run: the trailing '/')."""
    if not _RUN_ID.fullmatch(run_id):
        raise JobArgumentError("--run_id must be 1-80 characters of [A-Za-z0-9_-]")
    return f"{curated_location(bucket, curated_prefix, table_name)}run_id={run_id}/"


# --- values -------------------------------------------------------------------------------------


class JsonNumber(str):
    """A JSON number as written (never converted to float): a field that wants a string refuses it."""


_MISSING = object()


def _refuse_constant(name: str) -> Any:
    raise RecordError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise RecordError("a member name appears twice in one object")
        record[key] = value
    return record


def _describe(value: Any) -> str:
    if isinstance(value, JsonNumber):
        return "a JSON number"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON string"


def text_value(value: Any, field: str, limit: int = TEXT_MAX) -> str:
    if not isinstance(value, str) or isinstance(value, JsonNumber):
        raise RecordError(f"field {field} must be a JSON string, got {_describe(value)}")
    if len(value) > limit:
        raise RecordError(f"field {field} is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"field {field} holds a lone UTF-16 surrogate (not Unicode text)") from None
    return value


def identifier_value(value: Any, field: str, limit: int = TEXT_MAX) -> str:
    text = text_value(value, field, limit)
    if text == "":
        raise RecordError(f"field {field} is empty")
    return text


def partition_value(value: Any, field: str, limit: int = ACCOUNT_MAX) -> str:
    """A partition key's value becomes an S3 key segment: non-empty, bounded, no control characters."""
    text = identifier_value(value, field, limit)
    if _CONTROL.search(text):
        raise RecordError(f"field {field} holds a control character (it names an S3 partition)")
    return text


def exact_decimal(value: Any, field: str = "amount") -> Decimal:
    """An amount string as a Decimal that DECIMAL(38,6) holds exactly, or RecordError."""
    if isinstance(value, JsonNumber):
        raise RecordError(f"field {field} must be a JSON string holding a decimal, got a JSON number (a floating-point value is never exact)")
    if not isinstance(value, str):
        raise RecordError(f"field {field} must be a JSON string holding a decimal, got {_describe(value)}")
    if len(value) > AMOUNT_TEXT_MAX:
        raise RecordError(f"field {field} is longer than {AMOUNT_TEXT_MAX} characters")
    if not _DECIMAL.fullmatch(value):
        raise RecordError(f"field {field} is not a plain decimal (ASCII digits, an optional leading '-' and '.'; no exponent, '+', spaces or leading zeros)")
    integer, _, fraction = value.lstrip("-").partition(".")
    if len(integer) > MAX_INTEGER_DIGITS:
        raise RecordError(f"field {field} has more than {MAX_INTEGER_DIGITS} integer digits: DECIMAL({DECIMAL_PRECISION},{DECIMAL_SCALE}) cannot hold it")
    if len(fraction.rstrip("0")) > DECIMAL_SCALE:
        raise RecordError(f"field {field} has more than {DECIMAL_SCALE} decimal places: DECIMAL({DECIMAL_PRECISION},{DECIMAL_SCALE}) would round it")
    # Exact by the checks above; the trapping context makes any loss an error, never a rounding.
    # "-0" is 0 (a negative zero has no meaning as money).
    amount = Decimal(value).quantize(_QUANTUM, context=_EXACT)
    return amount.copy_abs() if amount.is_zero() else amount


def date_value(value: Any, field: str) -> date:
    text = text_value(value, field, 10)
    if not _DATE.fullmatch(text):
        raise RecordError(f"field {field} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RecordError(f"field {field} is not a date that exists") from None


def _convert(column: Column, value: Any, run_id: str) -> Any:
    kind = column.kind
    if kind == "decimal":
        return exact_decimal(value, column.field)
    if kind == "date":
        return date_value(value, column.field)
    if kind == "string":
        return text_value(value, column.field)
    if kind == "id":
        return identifier_value(value, column.field)
    if kind == "account":
        return partition_value(value, column.field)
    if kind == "currency":
        text = text_value(value, column.field, 3)
        if not _CURRENCY.fullmatch(text):
            raise RecordError(f"field {column.field} is not an ISO 4217 code (three upper-case letters)")
        return text
    if kind == "format":
        text = text_value(value, column.field, 16)
        if text not in FORMATS:
            raise RecordError(f"field {column.field} is not a statement format ({', '.join(sorted(FORMATS))})")
        return text
    if kind == "sha256":
        text = text_value(value, column.field, 64)
        if not _SHA256.fullmatch(text):
            raise RecordError(f"field {column.field} is not a SHA-256 in lower-case hex")
        return text
    if kind == "run_id":
        text = text_value(value, column.field, 80)
        if text != run_id:
            raise RecordError(f"field {column.field} names another run than this job's --run_id")
        return text
    raise ValueError(f"column {column.name}: unknown kind {kind!r}")


# --- records ------------------------------------------------------------------------------------


def parse_json_record(line: str) -> dict[str, Any]:
    """One input line as a JSON object (strict: see the module docstring)."""
    if len(line) > RECORD_MAX:
        raise RecordError(f"the record is longer than {RECORD_MAX} characters")
    try:
        record = json.loads(line, parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except RecordError:
        raise
    except RecursionError:
        raise RecordError("the record nests too deeply") from None
    except ValueError as error:
        # json.JSONDecodeError's msg/position name the fault, never the content.
        where = f" at column {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not JSON"
        raise RecordError(f"the record is not valid JSON ({reason}{where})") from None
    if not isinstance(record, dict):
        raise RecordError(f"the record must be a JSON object, got {_describe(record)}")
    return record


def normalise_record(table_name: str, run_id: str, line: str) -> tuple[Any, ...]:
    """One input line → the output row (the table's columns, then the partition keys)."""
    table = table_named(table_name)
    record = parse_json_record(line)
    row = []
    for column in table.columns + PARTITION_KEYS:
        value = record.get(column.field, _MISSING)
        if value is _MISSING:
            if column.required:
                raise RecordError(f"field {column.field} is missing")
            value = None
        if value is None:
            if not column.nullable:
                raise RecordError(f"field {column.field} is null")
            row.append(None)
            continue
        row.append(_convert(column, value, run_id))
    return tuple(row)


class Outcome(NamedTuple):
    """A record's outcome: its row, or the problem (naming the record and the field)."""

    row: tuple[Any, ...] | None
    problem: str | None


def normalise_partition(table_name: str, run_id: str, location: str, records: Iterable[tuple[str, int]]) -> Iterator[Outcome]:
    """Maps (line, 0-based record index) pairs to outcomes; blank lines are skipped. One bad record
    can only fail itself: every record gets an outcome (the job fails the run if any is a problem)."""
    table = table_named(table_name)
    for line, index in records:
        if line.strip() == "":
            continue
        try:
            yield Outcome(normalise_record(table.name, run_id, line), None)
        except RecordError as error:
            yield Outcome(None, f"{table.name} record {index + 1} under {location}: {error}")


def is_problem(outcome: Outcome) -> bool:
    return outcome.problem is not None


def row_of(outcome: Outcome) -> tuple[Any, ...]:
    if outcome.row is None:
        raise ValueError(f"no row: {outcome.problem}")
    return outcome.row


def problem_of(outcome: Outcome) -> str:
    return outcome.problem or ""


def failure_message(table_name: str, location: str, run_id: str, count: int, samples: Iterable[str]) -> str:
    """Why the run fails: how many records were refused, and the first few problems."""
    shown = list(samples)[:ERROR_SAMPLE]
    more = f"\n  ... and {count - len(shown)} more" if count > len(shown) else ""
    return f"run {run_id}: {count} {table_name} record(s) under {location} refused (nothing written)\n  " + "\n  ".join(shown) + more
