"""
REC-2: the Glue job's decisions (glue/normalise_logic.py), plain Python 3.11, no Spark.

Run: python3 -m unittest discover glue/tests
"""

import json
import random
import sys
import unittest
from datetime import date
from decimal import Context, Decimal, Inexact, localcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import normalise_logic as logic  # noqa: E402

RUN = "run-2026-01-31_a"
SHA = "3fe947d5d3f5" + "0" * 52


def statement_line(**changes):
    """A statement line as the reconcile-normalise Lambda writes it (StatementLine + sourceFileSha256, runId)."""
    record = {
        "statementLineId": "3fe947d5d3f5:0:1",
        "format": "camt.053",
        "statementId": "STMT-1",
        "accountId": "DE89370400440532013000",
        "currency": "EUR",
        "amount": "-1234.50",
        "bookingDate": "2026-01-30",
        "valueDate": None,
        "endToEndId": "E2E-1",
        "bankReference": "Ref, \"quoted\"\nline 2",
        "remittanceInformation": "Überweisung 😀 Zürich",
        "status": "BOOK",
        "batchItemCount": 3,
        "position": {"file": "s3://ingest/incoming/x.xml", "element": "Document/BkToCstmrStmt/Stmt[1]/Ntry[2]"},
        "sourceFileSha256": SHA,
        "runId": RUN,
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not logic._MISSING}


def ledger_entry(**changes):
    record = {
        "entryId": "L-1",
        "accountId": "DE89370400440532013000",
        "currency": "JPY",
        "amount": "120000",
        "bookingDate": "2026-01-30",
        "valueDate": "2026-01-31",
        "reference": "",
        "description": "ledger text",
        "runId": RUN,
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not logic._MISSING}


def line(record):
    return json.dumps(record, ensure_ascii=False)


class RecordsTest(unittest.TestCase):
    def test_a_statement_line_maps_to_the_catalog_columns_in_order(self):
        row = logic.normalise_record("statement_lines", RUN, line(statement_line()))
        names = [name for name, _, _ in logic.output_schema("statement_lines")]
        self.assertEqual(len(row), len(names))
        got = dict(zip(names, row))
        self.assertEqual(got["amount"], Decimal("-1234.50"))
        self.assertEqual(str(got["amount"]), "-1234.500000")
        self.assertEqual(got["booking_date"], date(2026, 1, 30))
        self.assertIsNone(got["value_date"])
        self.assertIsNone(got["customer_reference"])  # absent optional member
        self.assertEqual(got["bank_reference"], 'Ref, "quoted"\nline 2')
        self.assertEqual(got["remittance_information"], "Überweisung 😀 Zürich")
        self.assertEqual((got["account_id"], got["currency"]), ("DE89370400440532013000", "EUR"))
        self.assertEqual(names[-3:], logic.partition_columns())
        self.assertEqual(logic.partition_columns(), ["run_id", "account_id", "currency"])

    def test_a_ledger_entry_maps_to_the_catalog_columns_in_order(self):
        row = logic.normalise_record("ledger_entries", RUN, line(ledger_entry()))
        self.assertEqual(row, ("L-1", Decimal("120000"), date(2026, 1, 30), date(2026, 1, 31), "", "ledger text", RUN, "DE89370400440532013000", "JPY"))

    def test_run_partition_location_is_the_runs_own_hive_partition(self):
        self.assertEqual(logic.run_partition_location("b-1", "curated/", "statement_lines", "run-1"), "s3://b-1/curated/statement_lines/run_id=run-1/")
        self.assertFalse(logic.run_partition_location("b-1", "curated/", "ledger_entries", "run-10").startswith(logic.run_partition_location("b-1", "curated/", "ledger_entries", "run-1")))
        for bad in ("", "run/1", "run 1", "../x", "r" * 81, "run=1"):
            with self.subTest(run_id=bad), self.assertRaises(logic.JobArgumentError):
                logic.run_partition_location("b-1", "curated/", "statement_lines", bad)
        with self.assertRaises(ValueError):
            logic.run_partition_location("b-1", "curated/", "matches", "run-1")

    def test_catalog_schema_types(self):
        schema = dict((name, kind) for name, kind, _ in logic.output_schema("ledger_entries"))
        self.assertEqual(schema["amount"], "decimal(38,6)")
        self.assertEqual(schema["booking_date"], "date")
        self.assertEqual(schema["entry_id"], "string")
        self.assertEqual(set(schema.values()), {"string", "decimal(38,6)", "date"})

    def assertRefused(self, table, text, *fragments):
        with self.assertRaises(logic.RecordError) as caught:
            logic.normalise_record(table, RUN, text)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        return str(caught.exception)


class AmountsTest(RecordsTest):
    def test_exact_decimals_from_strings(self):
        cases = {
            "0": "0.000000",
            "-0.00": "0.000000",
            "12.5": "12.500000",
            "-12.345": "-12.345000",
            "0.000001": "0.000001",
            "1.1234560": "1.123456",  # trailing zeros lose nothing
            "9" * 32 + ".999999": "9" * 32 + ".999999",
            "-" + "9" * 32: "-" + "9" * 32 + ".000000",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(str(logic.exact_decimal(text)), expected)

    def test_json_numbers_are_refused_for_amounts(self):
        for raw in ['"amount": 12.5', '"amount": 12', '"amount": 1e3', '"amount": -0.1', '"amount": 1' + "0" * 400]:
            with self.subTest(raw=raw):
                text = line(ledger_entry(amount="0")).replace('"amount": "0"', raw)
                self.assertRefused("ledger_entries", text, "field amount must be a JSON string holding a decimal, got a JSON number")

    def test_non_decimal_and_inexact_amounts_are_refused(self):
        bad = {
            "1e3": "not a plain decimal",
            "1E-2": "not a plain decimal",
            "+5": "not a plain decimal",
            "01.5": "not a plain decimal",
            " 1.5": "not a plain decimal",
            "1.5 ": "not a plain decimal",
            "1.": "not a plain decimal",
            ".5": "not a plain decimal",
            "-": "not a plain decimal",
            "": "not a plain decimal",
            "1,5": "not a plain decimal",
            "1_000": "not a plain decimal",
            "NaN": "not a plain decimal",
            "Infinity": "not a plain decimal",
            "١٢٣": "not a plain decimal",  # Arabic-Indic digits
            "１２": "not a plain decimal",  # full-width digits
            "0x10": "not a plain decimal",
            "1.1234567": "more than 6 decimal places",
            "0.0000001": "more than 6 decimal places",
            "1" + "0" * 32: "more than 32 integer digits",
            "-" + "9" * 33: "more than 32 integer digits",
            "1" * 41: "longer than 40 characters",
        }
        for text, fault in bad.items():
            with self.subTest(text=text):
                message = self.assertRefused("statement_lines", line(statement_line(amount=text)), "field amount", fault)
                if len(text) > 2:
                    self.assertNotIn(text.strip(), message)  # the content is never echoed

    def test_amount_of_another_json_type(self):
        for value, described in [(True, "a JSON boolean"), ({"value": "1"}, "a JSON object"), (["1"], "a JSON array")]:
            with self.subTest(value=value):
                self.assertRefused("ledger_entries", line(ledger_entry(amount=value)), described)
        self.assertRefused("ledger_entries", line(ledger_entry(amount=None)), "field amount is null")


class BadRecordsTest(RecordsTest):
    def test_missing_required_fields_name_the_field(self):
        for field in ["statementLineId", "statementId", "format", "amount", "bookingDate", "valueDate", "sourceFileSha256", "runId", "accountId", "currency"]:
            with self.subTest(field=field):
                self.assertRefused("statement_lines", line(statement_line(**{field: logic._MISSING})), f"field {field} is missing")
        for field in ["entryId", "amount", "bookingDate", "valueDate", "reference", "description", "runId", "accountId", "currency"]:
            with self.subTest(field=field):
                self.assertRefused("ledger_entries", line(ledger_entry(**{field: logic._MISSING})), f"field {field} is missing")

    def test_nulls_only_where_the_lambda_writes_them(self):
        self.assertIsNotNone(logic.normalise_record("statement_lines", RUN, line(statement_line(bookingDate=None, endToEndId=None))))
        self.assertRefused("ledger_entries", line(ledger_entry(bookingDate=None)), "field bookingDate is null")
        self.assertRefused("statement_lines", line(statement_line(accountId=None)), "field accountId is null")

    def test_floats_and_other_types_in_text_fields(self):
        self.assertRefused("statement_lines", line(statement_line(bankReference=12.5)), "field bankReference must be a JSON string, got a JSON number")
        self.assertRefused("ledger_entries", line(ledger_entry(entryId=7)), "field entryId must be a JSON string, got a JSON number")
        self.assertRefused("ledger_entries", line(ledger_entry(description=["x"])), "got a JSON array")

    def test_not_json_not_an_object_or_not_strict(self):
        self.assertRefused("ledger_entries", "{not json", "not valid JSON")
        self.assertRefused("ledger_entries", '"a string"', "must be a JSON object, got a JSON string")
        self.assertRefused("ledger_entries", "[1, 2]", "must be a JSON object, got a JSON array")
        self.assertRefused("ledger_entries", line(ledger_entry()).replace('"description": "ledger text"', '"description": NaN'), "NaN is not JSON")
        self.assertRefused("ledger_entries", line(ledger_entry()).replace('"reference": ""', '"reference": Infinity'), "Infinity is not JSON")
        self.assertRefused("ledger_entries", line(ledger_entry())[:-1] + ', "amount": "1.00"}', "a member name appears twice")
        self.assertRefused("ledger_entries", "\ufeff" + line(ledger_entry()), "not valid JSON")

    def test_huge_values(self):
        self.assertRefused("ledger_entries", " " * (logic.RECORD_MAX + 1), f"longer than {logic.RECORD_MAX} characters")
        self.assertRefused("ledger_entries", line(ledger_entry(description="x" * (logic.TEXT_MAX + 1))), f"field description is longer than {logic.TEXT_MAX} characters")
        self.assertRefused("ledger_entries", line(ledger_entry(accountId="A" * (logic.ACCOUNT_MAX + 1))), f"field accountId is longer than {logic.ACCOUNT_MAX}")
        self.assertRefused("ledger_entries", "[" * 200_000 + "]" * 200_000, "nests too deeply")
        # At the bounds: accepted.
        row = logic.normalise_record("ledger_entries", RUN, line(ledger_entry(description="€" * logic.TEXT_MAX, accountId="Ä" * logic.ACCOUNT_MAX)))
        self.assertEqual(len(row[5]), logic.TEXT_MAX)

    def test_unicode(self):
        row = logic.normalise_record("statement_lines", RUN, line(statement_line(counterparty="Müller & Søn — 株式会社 🏦", accountId="ÄÖÜ-€-1")))
        self.assertEqual(row[10], "Müller & Søn — 株式会社 🏦")
        self.assertEqual(row[-2], "ÄÖÜ-€-1")
        escaped = json.dumps(statement_line(counterparty="Müller 🏦"), ensure_ascii=True)  # \u escapes, surrogate pairs
        self.assertEqual(logic.normalise_record("statement_lines", RUN, escaped)[10], "Müller 🏦")
        lone = line(statement_line(counterparty="X")).replace('"counterparty": "X"', '"counterparty": "a\\ud800b"')
        self.assertRefused("statement_lines", lone, "field counterparty holds a lone UTF-16 surrogate")
        self.assertRefused("statement_lines", line(statement_line(accountId="ACC\n1")), "field accountId holds a control character")
        self.assertRefused("statement_lines", line(statement_line(accountId="")), "field accountId is empty")

    def test_codes_dates_hashes_and_the_run(self):
        self.assertRefused("statement_lines", line(statement_line(currency="eur")), "not an ISO 4217 code")
        self.assertRefused("statement_lines", line(statement_line(currency="EURO")), "field currency is longer than 3")
        self.assertRefused("statement_lines", line(statement_line(format="mt941")), "not a statement format")
        self.assertRefused("statement_lines", line(statement_line(sourceFileSha256=SHA.upper())), "not a SHA-256")
        for bad in ["2026-02-30", "2026-13-01"]:
            self.assertRefused("ledger_entries", line(ledger_entry(bookingDate=bad)), "field bookingDate is not a date that exists")
        for bad in ["20260101", "2026-1-05", "2026-W01-1", "２０２６-01-01"]:
            self.assertRefused("ledger_entries", line(ledger_entry(valueDate=bad)), "field valueDate is not a date YYYY-MM-DD")
        self.assertRefused("ledger_entries", line(ledger_entry(valueDate="2026-01-01T00:00:00")), "field valueDate is longer than 10 characters")
        self.assertRefused("ledger_entries", line(ledger_entry(runId="another-run")), "field runId names another run")


class PartitionTest(unittest.TestCase):
    def test_every_record_gets_an_outcome_and_problems_name_the_record_and_field(self):
        records = [
            (line(ledger_entry()), 0),
            ("", 1),
            (line(ledger_entry(amount=1.5)), 2),
            (line(ledger_entry(currency="usd")), 3),
            ("{", 4),
            (line(ledger_entry(entryId="L-2")), 5),
        ]
        outcomes = list(logic.normalise_partition("ledger_entries", RUN, "s3://bucket/normalised/x/ledger-entries/", records))
        self.assertEqual(len(outcomes), 5)  # the blank line is skipped
        self.assertEqual([logic.is_problem(o) for o in outcomes], [False, True, True, True, False])
        self.assertEqual(logic.row_of(outcomes[4])[0], "L-2")
        self.assertEqual(logic.problem_of(outcomes[1]), "ledger_entries record 3 under s3://bucket/normalised/x/ledger-entries/: field amount must be a JSON string holding a decimal, got a JSON number (a floating-point value is never exact)")
        self.assertIn("record 4 ", logic.problem_of(outcomes[2]))
        self.assertIn("record 5 ", logic.problem_of(outcomes[3]))
        with self.assertRaises(ValueError):
            logic.row_of(outcomes[1])

    def test_failure_message(self):
        message = logic.failure_message("statement_lines", "s3://b/p/", RUN, 25, (f"problem {i}" for i in range(25)))
        self.assertTrue(message.startswith(f"run {RUN}: 25 statement_lines record(s) under s3://b/p/ refused (nothing written)"))
        self.assertIn("problem 9", message)
        self.assertNotIn("problem 10", message)
        self.assertTrue(message.endswith("... and 15 more"))


class ArgumentsTest(unittest.TestCase):
    ARGS = {
        "JOB_NAME": "ledgerline-dev-normalise-statements",
        "run_id": RUN,
        "input_prefix": f"normalised/{RUN}/statement-lines/",
        "analytics_bucket": "ledgerline-dev-analytics",
        "database": "ledgerline_dev_reconciliation",
        "curated_prefix": "curated/",
    }

    def test_valid_arguments_and_the_locations_they_give(self):
        args = logic.check_job_arguments(dict(self.ARGS))
        self.assertEqual(logic.input_prefixes(args["input_prefix"], RUN), {"statement_lines": f"normalised/{RUN}/statement-lines/", "ledger_entries": f"normalised/{RUN}/ledger-entries/"})
        self.assertEqual(logic.curated_location(args["analytics_bucket"], args["curated_prefix"], "ledger_entries"), "s3://ledgerline-dev-analytics/curated/ledger_entries/")
        self.assertEqual(logic.input_location("b-1", "p/"), "s3://b-1/p/")

    def test_bad_arguments_name_the_argument(self):
        cases = {
            "run_id": ("run id!", "--run_id must be"),
            "input_prefix": ("normalised/other-run/statement-lines/", "is not this run's statement lines prefix"),
            "analytics_bucket": ("Bad_Bucket", "--analytics_bucket"),
            "curated_prefix": ("curated", "--curated_prefix"),
        }
        for name, (value, fragment) in cases.items():
            with self.subTest(name=name):
                with self.assertRaises(logic.JobArgumentError) as caught:
                    logic.check_job_arguments({**self.ARGS, name: value})
                self.assertIn(fragment, str(caught.exception))
        with self.assertRaises(logic.JobArgumentError) as caught:
            logic.check_job_arguments({k: v for k, v in self.ARGS.items() if k != "database"})
        self.assertIn("--database", str(caught.exception))
        with self.assertRaises(ValueError):
            logic.output_schema("matches")


class GeneratedRecordsTest(unittest.TestCase):
    """Property-style, hand-rolled generation with a fixed seed (no hypothesis here)."""

    EXPONENTS = {"EUR": 2, "JPY": 0, "BHD": 3, "KRW": 0, "GBP": 2, "KWD": 3}
    ALPHABET = "abcXYZ09 ,\"'\n\t=+-@€Ωü😀\\/"

    def text(self, rnd, limit=40):
        return "".join(rnd.choice(self.ALPHABET) for _ in range(rnd.randint(0, limit)))

    def amount(self, rnd, currency):
        exponent = self.EXPONENTS[currency]
        digits = rnd.choice([1, 3, 9, 15, 20, 32 - 0])
        minor = rnd.randint(0, 10 ** (digits + exponent) - 1) if digits + exponent <= 38 else rnd.randint(0, 10**38 - 1)
        minor = min(minor, 10 ** (32 + exponent) - 1)  # at most 32 integer digits
        sign = -1 if rnd.random() < 0.5 else 1
        whole, fraction = divmod(minor, 10**exponent)
        text = f"{whole}.{fraction:0{exponent}d}" if exponent else str(whole)
        return sign * minor, ("-" if sign < 0 and minor else "") + text

    def test_valid_records_round_trip_exactly_and_sums_by_currency_hold(self):
        rnd = random.Random(20260131)
        expected_minor = {}
        totals = {}
        exact = localcontext(Context(prec=100, traps=[Inexact]))
        exact.__enter__()
        self.addCleanup(exact.__exit__, None, None, None)
        for i in range(3000):
            currency = rnd.choice(sorted(self.EXPONENTS))
            minor, amount = self.amount(rnd, currency)
            record = ledger_entry(entryId=f"L-{i}-{self.text(rnd, 8) or 'x'}", currency=currency, amount=amount, description=self.text(rnd), reference=self.text(rnd, 10), accountId=f"ACC-{rnd.randint(0, 9)}-Ω")
            text = json.dumps(record, ensure_ascii=rnd.random() < 0.5)
            row = logic.normalise_record("ledger_entries", RUN, text)
            self.assertEqual(row[1], Decimal(amount))
            self.assertEqual(row[5], record["description"])
            self.assertEqual(row[-1], currency)
            expected_minor[currency] = expected_minor.get(currency, 0) + minor
            totals[currency] = totals.get(currency, Decimal(0)) + row[1]
        for currency, total in totals.items():
            # In a 100-digit context that traps inexact results (the default 28 digits would round 38-digit sums).
            self.assertEqual(int(total.scaleb(self.EXPONENTS[currency])), expected_minor[currency], currency)

    def test_mutated_records_never_crash_a_partition(self):
        rnd = random.Random(7)
        base = [line(ledger_entry(entryId=f"L-{i}", amount=f"{i}.5")) for i in range(50)] + [line(statement_line())]
        mutations = [
            lambda s: s[: rnd.randint(0, len(s))],
            lambda s: s.replace('"', "", 1),
            lambda s: s.replace(":", ": [", 1),
            lambda s: s.replace('.5"', '.5e3"'),
            lambda s: s.replace('"amount": "', '"amount": ', 1).replace('5", "booking', '5, "booking', 1),
            lambda s: s + "}",
            lambda s: "".join(rnd.choice([c, c * 2, ""]) for c in s),
            lambda s: s.encode("utf-8", "surrogatepass").decode("latin-1"),
            lambda s: s.replace("2026", "2o26"),
        ]
        records = []
        for i in range(2000):
            text = rnd.choice(base)
            for _ in range(rnd.randint(1, 3)):
                text = rnd.choice(mutations)(text)
            records.append((text, i))
        outcomes = list(logic.normalise_partition("ledger_entries", RUN, "s3://b/p/", records))
        self.assertGreater(sum(logic.is_problem(o) for o in outcomes), 1000)
        for outcome in outcomes:
            if logic.is_problem(outcome):
                self.assertRegex(logic.problem_of(outcome), r"^ledger_entries record \d+ under s3://b/p/: ")
            else:
                row = logic.row_of(outcome)
                self.assertIsInstance(row[1], Decimal)  # anything accepted is an exact decimal


if __name__ == "__main__":
    unittest.main()
