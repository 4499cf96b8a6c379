"""
Ledgerline reconciliation on EMR Serverless (REC-EMR-1): every decision of the Spark driver
`recon_spark.py`, as plain Python 3 with no pyspark import, so it is tested without Spark
(test/recon/emr runs it with python3, piping through the real matcher bundle).

The run's inputs are the reconcile-normalise step's objects in the analytics bucket
(src/recon/run/aws/steps.ts, "S3 layout"):
    normalised/<runId>/run.json                              the run manifest
    normalised/<runId>/statement-lines/part-*.ndjson         StatementLine + runId, sourceFileSha256
    normalised/<runId>/ledger-entries/part-*.ndjson          LedgerEntry + runId
The job groups the rows by (accountId, currency) exactly as partitionInputs does, keeps out the
statement lines the manifest lists under excludedFromMatching (REC-1: pending and foreign-currency
lines are reported, never matched, as on the Lambda path), and pipes each partition, one
serialisePartition-shaped NDJSON line, through the matcher bundle (dist/emr/matcher-pipe.js).

Its results go where the summarise step reads them: one MatchResult object per item of the
manifest's `partitions` list, matches/runs/<runId>/partitions/<item id>.json. The summarise step
merges every item's result with mergeResults, which depends neither on the order nor on the
grouping of the partition results; so each partition's result is assigned to one item by a stable
hash of its key, and an item without partitions gets the empty result. Every input partition must
come back exactly once (nothing lost, nothing twice), or the job fails naming the partitions.

Rows are passed to the matcher as the exact text normalise wrote (never re-encoded: amounts stay the
decimal strings they are). Errors name the input location and line number, never a row's content
(PCI-3).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from typing import Any, Iterable, Iterator

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,80}", re.ASCII)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ITEM_ID = re.compile(r"p-\d{5}", re.ASCII)

#: The matcher bundle and the Node runtime, relative to the executor's working directory, where
#: Spark unpacks --archives (<archive>#node) and puts --files.
NODE_BINARY = "./node/bin/node"
MATCHER_BUNDLE = "./matcher-pipe.js"


class JobArgumentError(ValueError):
    pass


class RunInputError(ValueError):
    pass


# --- arguments and locations ----------------------------------------------------------------------


def parse_arguments(argv: list[str]) -> dict[str, Any]:
    """--run-id, --analytics-bucket, --as-of, --config (the workflow configuration JSON)."""
    known = ("--run-id", "--analytics-bucket", "--as-of", "--config")
    values: dict[str, str] = {}
    if len(argv) % 2:
        raise JobArgumentError(f"arguments come in pairs: {' '.join(a for a in argv if a.startswith('--'))}")
    for name, value in zip(argv[::2], argv[1::2]):
        if name not in known:
            raise JobArgumentError(f"unknown argument {name!r} (known: {', '.join(known)})")
        if name in values:
            raise JobArgumentError(f"{name} is given twice")
        values[name] = value
    missing = [name for name in known if name not in values]
    if missing:
        raise JobArgumentError(f"missing argument(s): {', '.join(missing)}")
    if not _RUN_ID.fullmatch(values["--run-id"]):
        raise JobArgumentError("--run-id must be 1-80 characters of [A-Za-z0-9_-]")
    if not _BUCKET.fullmatch(values["--analytics-bucket"]):
        raise JobArgumentError(f"--analytics-bucket {values['--analytics-bucket']!r} is not an S3 bucket name")
    if not _DATE.fullmatch(values["--as-of"]):
        raise JobArgumentError(f"--as-of {values['--as-of']!r} is not a date YYYY-MM-DD")
    try:
        config = json.loads(values["--config"])
    except json.JSONDecodeError as error:
        raise JobArgumentError(f"--config is not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(config, dict):
        raise JobArgumentError("--config must be a JSON object")
    return {"run_id": values["--run-id"], "bucket": values["--analytics-bucket"], "as_of": values["--as-of"], "config": config}


def manifest_location(bucket: str, run_id: str) -> str:
    return f"s3://{bucket}/normalised/{run_id}/run.json"


def input_locations(bucket: str, run_id: str) -> dict[str, str]:
    """Where normalise wrote the run's rows (keys.statementLinesPrefix / ledgerEntriesPrefix)."""
    return {
        "statementLines": f"s3://{bucket}/normalised/{run_id}/statement-lines/",
        "ledgerEntries": f"s3://{bucket}/normalised/{run_id}/ledger-entries/",
    }


def result_location(bucket: str, run_id: str, item_id: str) -> str:
    """keys.chunkResult: where the summarise step reads an item's MatchResult."""
    if not _ITEM_ID.fullmatch(item_id):
        raise RunInputError(f"run {run_id}: manifest item id {item_id!r} is not p-NNNNN")
    return f"s3://{bucket}/matches/runs/{run_id}/partitions/{item_id}.json"


def pipe_command(config: dict[str, Any], as_of: str) -> str:
    """The RDD.pipe command (a string Spark splits with shlex): the bundle under the shipped Node,
    with the rule overrides the workflow configuration carries (as rulesFromConfig applies them)."""
    args = [NODE_BINARY, MATCHER_BUNDLE, "--as-of", as_of]
    if config.get("ruleSet") not in (None, "default"):
        raise JobArgumentError(f"rule set {config['ruleSet']!r} is not bundled (only \"default\")")
    if config.get("confirmThreshold") is not None:
        args += ["--confirm-threshold", str(config["confirmThreshold"])]
    if config.get("staleAfterDays") is not None:
        args += ["--stale-after-days", str(config["staleAfterDays"])]
    return " ".join(shlex.quote(arg) for arg in args)


# --- the manifest ---------------------------------------------------------------------------------


def check_manifest(manifest: Any, run_id: str) -> dict[str, Any]:
    """The run manifest: this run's, with its items (ids) and the excluded statement line ids."""
    if not isinstance(manifest, dict) or manifest.get("runId") != run_id:
        raise RunInputError(f"run {run_id}: {manifest_location('<bucket>', run_id)} is not this run's manifest")
    items = manifest.get("partitions")
    if not isinstance(items, list) or not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
        raise RunInputError(f"run {run_id}: the manifest has no partitions list")
    ids = [item["id"] for item in items]
    for item_id in ids:
        result_location("b-x", run_id, item_id)
    if len(set(ids)) != len(ids):
        raise RunInputError(f"run {run_id}: the manifest lists an item twice")
    excluded = ((manifest.get("excludedFromMatching") or {}).get("lines")) or []
    return {"item_ids": ids, "excluded": frozenset(line["statementLineId"] for line in excluded)}


# --- rows and partitions --------------------------------------------------------------------------

_ID_FIELD = {"statementLines": "statementLineId", "ledgerEntries": "entryId"}


def keyed_row(side: str, text: str, number: int, location: str, run_id: str, excluded: frozenset[str]) -> tuple[str, tuple[str, str]] | None:
    """One NDJSON line → (partition key, (side, the line's exact text)), or None for a blank line or
    a statement line kept out of matching. RunInputError names the location and line number."""
    if text.strip() == "":
        return None
    where = f"{location} line {number}"
    try:
        row = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise RunInputError(f"{where}: not valid JSON") from None
    if not isinstance(row, dict):
        raise RunInputError(f"{where}: not a JSON object")
    if row.get("runId") != run_id:
        raise RunInputError(f"{where}: belongs to another run than {run_id}")
    for field in (_ID_FIELD[side], "accountId", "currency", "amount"):
        if not isinstance(row.get(field), str):
            raise RunInputError(f"{where}: field {field} must be a string")
    if side == "statementLines" and row["statementLineId"] in excluded:
        return None
    return (partition_key(row["accountId"], row["currency"]), (side, text.strip()))


def partition_key(account_id: str, currency: str) -> str:
    """partitionKey in src/recon/matching/partition.ts."""
    return f"{account_id}|{currency}"


def partition_line(key: str, rows: Iterable[tuple[str, str]]) -> str:
    """serialisePartition's shape, rows embedded as their exact text (order inside a partition is
    free: the matcher sorts rows canonically itself)."""
    sides: dict[str, list[str]] = {"statementLines": [], "ledgerEntries": []}
    for side, text in rows:
        sides[side].append(text)
    return f'{{"partitionKey":{json.dumps(key, ensure_ascii=False)},"statementLines":[{",".join(sides["statementLines"])}],"ledgerEntries":[{",".join(sides["ledgerEntries"])}]}}'


def parse_result(line: str) -> tuple[str, str]:
    """One line of the pipe's stdout → (partition key, the MatchResult JSON without the key)."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        raise RunInputError("the matcher wrote a line that is not JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("partitionKey"), str) or not isinstance(value.get("matches"), list) or not isinstance(value.get("unmatched"), list):
        raise RunInputError("the matcher wrote a line that is not a partition result")
    return value["partitionKey"], json.dumps({"matches": value["matches"], "unmatched": value["unmatched"]}, ensure_ascii=False, separators=(",", ":"))


def item_for(key: str, item_ids: list[str]) -> str:
    """The manifest item a partition's result is written with: a stable hash of its key (the same
    on every executor and every retry, unlike Python's salted hash())."""
    if not item_ids:
        raise RunInputError("the manifest lists no items: nothing can hold the results")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return item_ids[int.from_bytes(digest[:8], "big") % len(item_ids)]


def merged_result(results: Iterable[str]) -> str:
    """The partition results of one item as one MatchResult (summarise's mergeResults sorts them)."""
    matches: list[Any] = []
    unmatched: list[Any] = []
    for text in results:
        value = json.loads(text)
        matches.extend(value["matches"])
        unmatched.extend(value["unmatched"])
    return json.dumps({"matches": matches, "unmatched": unmatched}, ensure_ascii=False, separators=(",", ":"))


def check_complete(run_id: str, sent: Iterable[str], received: Iterable[str]) -> None:
    """Every partition sent to the matcher came back exactly once."""
    sent_counts: dict[str, int] = {}
    for key in sent:
        sent_counts[key] = sent_counts.get(key, 0) + 1
    got: dict[str, int] = {}
    for key in received:
        got[key] = got.get(key, 0) + 1
    lost = sorted(set(sent_counts) - set(got))
    twice = sorted(key for key, n in got.items() if n > 1)
    unknown = sorted(set(got) - set(sent_counts))
    if lost or twice or unknown:
        show = lambda keys: ", ".join(keys[:10]) + (f" (+{len(keys) - 10} more)" if len(keys) > 10 else "")
        faults = [f"{label}: {show(keys)}" for label, keys in (("no result", lost), ("more than one result", twice), ("a result for no input", unknown)) if keys]
        raise RunInputError(f"run {run_id}: partition results do not match the partitions sent ({'; '.join(faults)})")


def results_by_item(item_ids: list[str], keyed_results: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """(item id, MatchResult JSON) for EVERY item, in item order, from (key, result) pairs."""
    grouped: dict[str, list[str]] = {item: [] for item in item_ids}
    for key, result in keyed_results:
        grouped[item_for(key, item_ids)].append(result)
    for item in item_ids:
        yield item, merged_result(grouped[item])
