"""
Runs emr/recon_spark.py as EMR Serverless would, without Spark: in-memory stand-ins of the
pyspark calls the driver makes, S3 as a local folder, and RDD.pipe as Spark runs it (one real
`node matcher-pipe.js` process per Spark partition, fed that partition's elements one per line,
its stdout lines the new RDD's elements, a non-zero exit failing the job when checkCode is set).

    python3 run_driver.py --s3-root DIR --workdir DIR --spark-partitions N -- <driver arguments>

  --s3-root   s3://<bucket>/<key> is DIR/<bucket>/<key>
  --workdir   the executor's working directory: ./node/bin/node and ./matcher-pipe.js
On success prints one JSON line: {"pipes": [<elements fed to each pipe process>], "written": [uris]}.
"""

import json
import os
import runpy
import shlex
import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def main(argv):
    split = argv.index("--")
    options = dict(zip(argv[:split:2], argv[1:split:2]))
    s3_root = Path(options["--s3-root"])
    workdir = options["--workdir"]
    spark_partitions = int(options["--spark-partitions"])
    log = {"pipes": [], "written": []}

    def local(uri):
        assert uri.startswith("s3://"), uri
        return s3_root / uri[len("s3://") :]

    class Rdd:
        def __init__(self, parts):
            self.parts = [list(part) for part in parts]

        @staticmethod
        def of(items):
            items = list(items)
            size = max(1, -(-len(items) // spark_partitions))
            parts = [items[i : i + size] for i in range(0, len(items), size)]
            # Spark may hand a pipe an EMPTY partition: keep some.
            return Rdd(parts + [[]] * max(0, spark_partitions - len(parts)))

        def items(self):
            return [item for part in self.parts for item in part]

        def zipWithIndex(self):
            n = 0
            parts = []
            for part in self.parts:
                parts.append([(item, n + i) for i, item in enumerate(part)])
                n += len(part)
            return Rdd(parts)

        def map(self, f):
            return Rdd([[f(item) for item in part] for part in self.parts])

        def filter(self, f):
            return Rdd([[item for item in part if f(item)] for part in self.parts])

        def union(self, other):
            return Rdd(self.parts + other.parts)

        def groupByKey(self):
            groups = {}
            for key, value in self.items():
                groups.setdefault(key, []).append(value)
            return Rdd.of(list(groups.items()))

        def mapValues(self, f):
            return self.map(lambda pair: (pair[0], f(pair[1])))

        def keys(self):
            return self.map(lambda pair: pair[0])

        def values(self):
            return self.map(lambda pair: pair[1])

        def cache(self):
            return self

        def collect(self):
            return self.items()

        def toLocalIterator(self):
            return iter(self.items())

        def pipe(self, command, checkCode=False):
            parts = []
            for part in self.parts:
                for element in part:
                    assert isinstance(element, str) and "\n" not in element, "a pipe element must be one line"
                log["pipes"].append(len(part))
                feed = "".join(f"{element}\n" for element in part).encode("utf-8")
                done = subprocess.run(shlex.split(command), input=feed, cwd=workdir, capture_output=True)
                if checkCode and done.returncode != 0:
                    raise RuntimeError(f"pipe exited {done.returncode}: {done.stderr.decode('utf-8', 'replace').strip()}")
                parts.append(done.stdout.decode("utf-8").splitlines())
            return Rdd(parts)

    class Broadcast:
        def __init__(self, value):
            self.value = value

    class Stream:
        def __init__(self, path):
            self.path = path
            self.data = bytearray()

        def write(self, data):
            self.data += data

        def close(self):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(bytes(self.data))

    class HadoopPath:
        def __init__(self, uri):
            self.uri = uri

        def getFileSystem(self, conf):
            return types.SimpleNamespace(create=lambda path, overwrite: (log["written"].append(path.uri), Stream(local(path.uri)))[1])

    class SparkContext:
        _jvm = types.SimpleNamespace(org=types.SimpleNamespace(apache=types.SimpleNamespace(hadoop=types.SimpleNamespace(fs=types.SimpleNamespace(Path=HadoopPath)))))
        _jsc = types.SimpleNamespace(hadoopConfiguration=lambda: None)

        def textFile(self, location):
            path = local(location)
            if path.is_dir():
                files = sorted(p for p in path.iterdir() if p.is_file())
            elif path.exists():
                files = [path]
            else:
                raise FileNotFoundError(location)
            lines = [line for file in files for line in file.read_text(encoding="utf-8").split("\n")]
            if lines and lines[-1] == "":
                lines.pop()
            return Rdd.of(lines)

        def broadcast(self, value):
            return Broadcast(value)

    class Builder:
        def appName(self, name):
            return self

        def getOrCreate(self):
            return types.SimpleNamespace(sparkContext=SparkContext(), stop=lambda: None)

    pyspark = types.ModuleType("pyspark")
    sql = types.ModuleType("pyspark.sql")
    sql.SparkSession = types.SimpleNamespace(builder=Builder())
    sys.modules.update({"pyspark": pyspark, "pyspark.sql": sql})
    sys.path.insert(0, str(ROOT / "emr"))
    sys.argv = ["recon_spark.py", *argv[split + 1 :]]
    runpy.run_path(str(ROOT / "emr" / "recon_spark.py"), run_name="__main__")
    print(json.dumps(log))


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    try:
        main(sys.argv[1:])
    except Exception as error:  # the driver's failure, as the job's log would show it
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
