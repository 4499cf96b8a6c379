"""
The rehearsal's Glue job run (REC-2): the deployed job's own logic module (its --extra-py-files,
glue/normalise_logic.py as synthesized) applied to the run's input records, without Spark.

stdin: {"logic": "<path of the deployed logic module>", "args": {<resolved job arguments>},
        "tables": {"statement_lines": [[key, text], ...], "ledger_entries": [[key, text], ...]}}
stdout: {"state": "SUCCEEDED" | "FAILED", "rows": {table: n}, "error": "..."}

What the Spark wrapper adds (reading S3, writing Parquet partitions, the catalog) is not run here.
"""
import importlib.util
import json
import sys


def main() -> None:
    request = json.load(sys.stdin)
    spec = importlib.util.spec_from_file_location("normalise_logic", request["logic"])
    logic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(logic)
    rows = {}
    try:
        args = logic.check_job_arguments(request["args"])
        prefixes = logic.input_prefixes(args["input_prefix"], args["run_id"])
        for table_name, prefix in prefixes.items():
            location = logic.input_location(args["analytics_bucket"], prefix)
            records = []
            for _key, text in request["tables"].get(table_name, []):
                for line in text.split("\n"):
                    records.append((line, len(records)))
            outcomes = list(logic.normalise_partition(table_name, args["run_id"], location, records))
            problems = [logic.problem_of(outcome) for outcome in outcomes if logic.is_problem(outcome)]
            if problems:
                raise RuntimeError(logic.failure_message(table_name, location, args["run_id"], len(problems), problems))
            rows[table_name] = len(outcomes)
    except Exception as error:  # the job run fails with the logic's message, as the Spark job would
        json.dump({"state": "FAILED", "rows": rows, "error": f"{type(error).__name__}: {error}"}, sys.stdout)
        return
    json.dump({"state": "SUCCEEDED", "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
