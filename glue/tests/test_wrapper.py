"""
REC-2: the Glue job script normalise_statements.py is a thin wrapper. It compiles, imports only
Glue/Spark plumbing and normalise_logic (whose names it imports exist), and takes no transformation
decision itself: no JSON/decimal/date/regex modules, no Spark SQL column expressions, no column
names of its own.

Run: python3 -m unittest discover glue/tests
"""

import ast
import py_compile
import sys
import tempfile
import unittest
from pathlib import Path

GLUE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GLUE))

import normalise_logic as logic  # noqa: E402

WRAPPER = GLUE / "normalise_statements.py"
ALLOWED_MODULES = {"sys", "awsglue.context", "awsglue.dynamicframe", "awsglue.job", "awsglue.utils", "pyspark.context", "pyspark.sql.types", "normalise_logic"}
#: DataFrame/Column operations that would transform or decide in Spark instead of in normalise_logic.
FORBIDDEN_CALLS = {"cast", "withColumn", "withColumnRenamed", "select", "selectExpr", "sql", "json", "csv", "to_date", "col", "lit", "when", "expr", "udf"}


class WrapperTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.source = WRAPPER.read_text(encoding="utf-8")
        cls.tree = ast.parse(cls.source, filename=str(WRAPPER))

    def test_it_compiles(self):
        with tempfile.TemporaryDirectory() as scratch:
            py_compile.compile(str(WRAPPER), cfile=str(Path(scratch) / "normalise_statements.pyc"), doraise=True)

    def test_it_imports_only_plumbing_and_the_pure_module(self):
        imported = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                self.assertEqual(node.level, 0, "no relative imports")
                imported.add(node.module)
        self.assertEqual(imported - ALLOWED_MODULES, set(), "the wrapper imports something that is not Glue/Spark plumbing or normalise_logic")
        self.assertIn("normalise_logic", imported)

    def test_the_names_it_takes_from_the_pure_module_exist_and_it_uses_them(self):
        names = [alias.name for node in ast.walk(self.tree) if isinstance(node, ast.ImportFrom) and node.module == "normalise_logic" for alias in node.names]
        self.assertGreater(len(names), 5)
        used = {node.id for node in ast.walk(self.tree) if isinstance(node, ast.Name)}
        for name in names:
            with self.subTest(name=name):
                self.assertTrue(hasattr(logic, name), f"normalise_logic has no {name}")
                self.assertIn(name, used, f"{name} is imported but not used")
        # The per-record decision goes through the pure module.
        self.assertIn("normalise_partition", names)

    def test_it_takes_no_transformation_decision(self):
        calls = {node.func.attr for node in ast.walk(self.tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
        self.assertEqual(calls & FORBIDDEN_CALLS, set(), "Spark column expressions belong in normalise_logic")
        docstring = self.tree.body[0].value if isinstance(self.tree.body[0], ast.Expr) else None
        strings = {node.value for node in ast.walk(self.tree) if isinstance(node, ast.Constant) and isinstance(node.value, str) and node is not docstring}
        columns = {name for table in logic.TABLES for name, _, _ in logic.output_schema(table)} | {c.field for t in logic.TABLES.values() for c in t.columns + logic.PARTITION_KEYS}
        # Job argument names (ARGS["run_id"]) are the wrapper's to read; column and field names are not.
        self.assertEqual(strings & (columns - set(logic.JOB_ARGUMENTS)), set(), "the wrapper names columns or fields itself")
        for fragment in ("normalised", "statement-lines", "ledger-entries", "s3://"):
            self.assertEqual([s for s in strings if fragment in s], [], "input and output locations come from normalise_logic")

    def test_spark_types_cover_every_catalog_type_the_pure_module_uses(self):
        table = next(node for node in ast.walk(self.tree) if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SPARK_TYPES" for t in node.targets))
        keys = set()
        for key in table.value.keys:
            if isinstance(key, ast.Constant):
                keys.add(key.value)
            elif isinstance(key, ast.JoinedStr):
                keys.add(f"decimal({logic.DECIMAL_PRECISION},{logic.DECIMAL_SCALE})")
        used = {kind for name in logic.TABLES for _, kind, _ in logic.output_schema(name)}
        self.assertEqual(used - keys, set())


if __name__ == "__main__":
    unittest.main()
