"""How long `toolkit diff` takes on a generated schema of 300 tables (each with an index, a foreign key, a
check and a comment), beside `toolkit apply` of the same project on an empty database in the same run: diff
builds that project on a scratch database and reads two catalogs, so apply is its floor. Every round is
reported.

    python -m bench.diff_speed [--tables N] [--rounds N] [--dsn ADMIN_DSN]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit import api

from .server import bench_server

TOOLKIT = str(Path(sys.executable).with_name("toolkit"))


def write_project(root: Path, tables: int) -> None:
    for folder in ("migrations", "rollbacks", "validation"):
        (root / folder).mkdir(parents=True)
    for n in range(tables):
        phase, step = divmod(n, 99)
        name = f"{phase:02d}{step + 1:02d}_table_{n}"
        parent = f"REFERENCES t0 (id)" if n else ""
        (root / "migrations" / f"{name}.sql").write_text(
            f"CREATE TABLE t{n} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"    parent_id bigint {parent},\n    code text NOT NULL CHECK (length(code) <= 20),\n"
            f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
            f"CREATE INDEX t{n}_code_idx ON t{n} (code);\nCOMMENT ON TABLE t{n} IS 'table {n}';\n")
        (root / "rollbacks" / f"{name}.sql").write_text(f"DROP TABLE t{n};\n")


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 3)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dsn")
    args = parser.parse_args(argv)
    runs: dict[str, list[float]] = {"apply (floor)": [], "diff": []}
    with bench_server(args.dsn) as (server, _, _), tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        write_project(root, args.tables)
        for _ in range(args.rounds):
            with api.scratch_database(server, "bench", durable=True) as floor, \
                    api.scratch_database(server, "bench", durable=True) as target:
                env = {**os.environ, "TOOLKIT_PROJECT": str(root)}
                runs["apply (floor)"].append(timed([TOOLKIT, "apply"], {**env, "DATABASE_URL": floor.dsn}))
                subprocess.run([TOOLKIT, "apply"], env={**env, "DATABASE_URL": target.dsn}, check=True,
                               capture_output=True)
                runs["diff"].append(timed([TOOLKIT, "diff"], {**env, "DATABASE_URL": target.dsn}))
    floor = statistics.median(runs["apply (floor)"])
    result = {"tables": args.tables, **{label: {"runs_s": times, "median_s": statistics.median(times),
                                                "ratio_to_apply": round(statistics.median(times) / floor, 2)}
                                        for label, times in runs.items()}}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
