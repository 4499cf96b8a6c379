"""
REC-EMR-1: the Spark driver's decisions (emr/recon_logic.py), without Spark.

Run: python3 -m unittest discover emr/tests   (test/recon/emr/emr-match.test.ts runs it under jest,
and runs the driver itself against the real matcher bundle).
"""

import json
import random
import shlex
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import recon_logic as logic  # noqa: E402

RUN = "run-emr-1"
ARGS = ["--run-id", RUN, "--analytics-bucket", "ledgerline-dev-analytics", "--as-of", "2026-03-31", "--config", "{}"]


class ArgumentsTest(unittest.TestCase):
    def test_parses_the_workflows_arguments(self):
        self.assertEqual(logic.parse_arguments(ARGS), {"run_id": RUN, "bucket": "ledgerline-dev-analytics", "as_of": "2026-03-31", "config": {}})

    def test_refuses_every_class_of_bad_argument_naming_it(self):
        def with_(name, value):
            args = list(ARGS)
            args[args.index(name) + 1] = value
            return args

        cases = [
            (ARGS[:-1], "arguments come in pairs"),
            (ARGS[:-2], "missing argument(s): --config"),
            (ARGS + ["--extra", "x"], "unknown argument '--extra'"),
            (ARGS + ["--run-id", RUN], "--run-id is given twice"),
            (with_("--run-id", "run/1"), "--run-id must be"),
            (with_("--run-id", "r" * 81), "--run-id must be"),
            (with_("--analytics-bucket", "Bucket_1"), "is not an S3 bucket name"),
            (with_("--as-of", "2026-3-31"), "is not a date"),
            (with_("--config", "{"), "--config is not JSON"),
            (with_("--config", "[1]"), "--config must be a JSON object"),
        ]
        for args, fault in cases:
            with self.subTest(fault=fault), self.assertRaises(logic.JobArgumentError) as caught:
                logic.parse_arguments(args)
            self.assertIn(fault, str(caught.exception))

    def test_pipe_command_quotes_every_argument_and_carries_the_rule_overrides(self):
        command = logic.pipe_command({"confirmThreshold": "0.90", "staleAfterDays": 30, "ledger": {"bucket": "x"}}, "2026-03-31")
        self.assertEqual(shlex.split(command), ["./node/bin/node", "./matcher-pipe.js", "--as-of", "2026-03-31", "--confirm-threshold", "0.90", "--stale-after-days", "30"])
        hostile = logic.pipe_command({"confirmThreshold": "0.9; rm -rf /"}, "2026-03-31")
        self.assertEqual(shlex.split(hostile)[-1], "0.9; rm -rf /")
        self.assertEqual(shlex.split(logic.pipe_command({}, "2026-03-31")), ["./node/bin/node", "./matcher-pipe.js", "--as-of", "2026-03-31"])
        with self.assertRaises(logic.JobArgumentError):
            logic.pipe_command({"ruleSet": "other"}, "2026-03-31")

    def test_locations_are_the_normalise_and_summarise_steps_keys(self):
        self.assertEqual(logic.manifest_location("b-1", RUN), f"s3://b-1/normalised/{RUN}/run.json")
        self.assertEqual(logic.input_locations("b-1", RUN), {"statementLines": f"s3://b-1/normalised/{RUN}/statement-lines/", "ledgerEntries": f"s3://b-1/normalised/{RUN}/ledger-entries/"})
        self.assertEqual(logic.result_location("b-1", RUN, "p-00042"), f"s3://b-1/matches/runs/{RUN}/partitions/p-00042.json")
        for bad in ("p-1", "../p-00001", "p-00001/x", ""):
            with self.subTest(item=bad), self.assertRaises(logic.RunInputError):
                logic.result_location("b-1", RUN, bad)


class ManifestAndRowsTest(unittest.TestCase):
    def test_manifest_items_and_excluded_lines(self):
        manifest = {"runId": RUN, "partitions": [{"id": "p-00000"}, {"id": "p-00001"}], "excludedFromMatching": {"lines": [{"statementLineId": "S-1", "reason": "pending"}]}}
        self.assertEqual(logic.check_manifest(manifest, RUN), {"item_ids": ["p-00000", "p-00001"], "excluded": frozenset({"S-1"})})
        self.assertEqual(logic.check_manifest({"runId": RUN, "partitions": []}, RUN)["excluded"], frozenset())
        for bad in ({"runId": "other", "partitions": []}, {"runId": RUN}, {"runId": RUN, "partitions": [{"id": "p-00000"}, {"id": "p-00000"}]}, {"runId": RUN, "partitions": [{"id": "x"}]}, [], None):
            with self.subTest(manifest=bad), self.assertRaises(logic.RunInputError):
                logic.check_manifest(bad, RUN)

    def test_a_row_keeps_its_exact_text_and_is_keyed_by_account_and_currency(self):
        text = json.dumps({"statementLineId": "S-2", "accountId": "GB|odd", "currency": "EUR", "amount": "-0.10", "runId": RUN, "remittanceInformation": "Zürich €"}, ensure_ascii=False)
        self.assertEqual(logic.keyed_row("statementLines", text, 3, "s3://b/x/", RUN, frozenset()), ("GB|odd|EUR", ("statementLines", text)))
        self.assertIsNone(logic.keyed_row("statementLines", text, 3, "s3://b/x/", RUN, frozenset({"S-2"})))
        self.assertIsNone(logic.keyed_row("ledgerEntries", "  ", 3, "s3://b/x/", RUN, frozenset()))

    def test_refuses_bad_rows_naming_location_and_line_never_content(self):
        secret = "4111111111111111"
        cases = [
            ('{"a": "4111111111111111"', "not valid JSON"),
            ('["4111111111111111"]', "not a JSON object"),
            (json.dumps({"entryId": "L", "accountId": "A", "currency": "EUR", "amount": "1", "runId": "x", "d": secret}), "belongs to another run"),
            (json.dumps({"entryId": "L", "accountId": "A", "currency": "EUR", "amount": 1.5, "runId": RUN, "d": secret}), "field amount must be a string"),
            (json.dumps({"accountId": "A", "currency": "EUR", "amount": "1", "runId": RUN, "d": secret}), "field entryId must be a string"),
            ("[" * 100000, "not valid JSON"),
        ]
        for text, fault in cases:
            with self.subTest(fault=fault), self.assertRaises(logic.RunInputError) as caught:
                logic.keyed_row("ledgerEntries", text, 7, "s3://b/ledger/", RUN, frozenset())
            self.assertIn("s3://b/ledger/ line 7: " + fault, str(caught.exception))
            self.assertNotIn(secret, str(caught.exception))

    def test_partition_line_is_serialise_partitions_shape_with_the_rows_verbatim(self):
        rows = [("statementLines", '{"amount":"1.10","x":"é"}'), ("ledgerEntries", '{"amount":"-0.000001"}'), ("statementLines", '{"amount":"2"}')]
        line = logic.partition_line('A"1|EUR', rows)
        self.assertNotIn("\n", line)
        self.assertEqual(json.loads(line), {"partitionKey": 'A"1|EUR', "statementLines": [{"amount": "1.10", "x": "é"}, {"amount": "2"}], "ledgerEntries": [{"amount": "-0.000001"}]})
        self.assertIn('"amount":"-0.000001"', line)
        self.assertEqual(json.loads(logic.partition_line("", [])), {"partitionKey": "", "statementLines": [], "ledgerEntries": []})


class ResultsTest(unittest.TestCase):
    def test_every_item_gets_a_result_and_every_partition_lands_in_exactly_one(self):
        rng = random.Random(7)
        for _ in range(50):
            items = [f"p-{i:05d}" for i in range(rng.randint(1, 9))]
            keys = sorted({f"ACC-{rng.randint(0, 500)}|{rng.choice(['EUR', 'GBP'])}" for _ in range(rng.randint(0, 40))})
            results = [(key, json.dumps({"matches": [{"id": key}], "unmatched": [{"id": key, "side": "ledger"}]})) for key in keys]
            out = list(logic.results_by_item(items, results))
            self.assertEqual([item for item, _ in out], items)
            got = sorted(match["id"] for _, text in out for match in json.loads(text)["matches"])
            self.assertEqual(got, keys)
            # Stable: the same key always goes to the same item, in any order.
            shuffled = list(results)
            rng.shuffle(shuffled)
            ids_by_item = lambda pairs: {item: sorted(match["id"] for match in json.loads(text)["matches"]) for item, text in pairs}
            self.assertEqual(ids_by_item(out), ids_by_item(logic.results_by_item(items, shuffled)))

    def test_item_for_spreads_keys_and_refuses_no_items(self):
        items = [f"p-{i:05d}" for i in range(4)]
        counts = {item: 0 for item in items}
        for n in range(4000):
            counts[logic.item_for(f"GB{n:020d}|EUR", items)] += 1
        self.assertTrue(all(800 < n < 1200 for n in counts.values()), counts)
        self.assertEqual(logic.item_for("\ud800|EUR", items) in items, True)  # a lone surrogate still hashes
        with self.assertRaises(logic.RunInputError):
            logic.item_for("A|EUR", [])

    def test_check_complete_names_lost_doubled_and_unknown_partitions(self):
        logic.check_complete(RUN, ["a|EUR", "b|EUR"], ["b|EUR", "a|EUR"])
        cases = [
            (["a|EUR", "b|EUR"], ["a|EUR"], "no result: b|EUR"),
            (["a|EUR"], ["a|EUR", "a|EUR"], "more than one result: a|EUR"),
            (["a|EUR"], ["a|EUR", "c|GBP"], "a result for no input: c|GBP"),
            ([f"k{i}|EUR" for i in range(15)], [], "(+5 more)"),
        ]
        for sent, received, fault in cases:
            with self.subTest(fault=fault), self.assertRaises(logic.RunInputError) as caught:
                logic.check_complete(RUN, sent, received)
            self.assertIn(fault, str(caught.exception))

    def test_parse_result_refuses_what_is_not_a_partition_result(self):
        self.assertEqual(logic.parse_result('{"partitionKey":"A|EUR","matches":[],"unmatched":[{"id":"x"}]}'), ("A|EUR", '{"matches":[],"unmatched":[{"id":"x"}]}'))
        for bad in ("", "{", '{"partitionKey":"A|EUR"}', '{"matches":[],"unmatched":[]}', "[]"):
            with self.subTest(line=bad), self.assertRaises(logic.RunInputError):
                logic.parse_result(bad)


if __name__ == "__main__":
    unittest.main()
