"""What a fingerprint costs: the runner takes one before and after every phase. Measured on the platform
(phases 0-7, this repository's migrations) and on a generated schema of 1,000 tables (each with an index, a
foreign key, a check and a comment), against `pg_dump --schema-only` of the same database in the same run,
with the server's own pg_dump. Every round is reported; the ratio is of the medians.

    python -m bench.fingerprint_speed [--tables N] [--rounds N] [--dsn ADMIN_DSN]
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

import psycopg

from toolkit import api
from toolkit.catalog.fingerprint import take_fingerprint

from .diff_speed import write_project
from .server import bench_server

REPO = Path(__file__).resolve().parent.parent
TOOLKIT = str(Path(sys.executable).with_name("toolkit"))


def _fingerprint_seconds(dsn: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:  # a connection of its own, as the runner's session has one already open
        take_fingerprint(conn)
    return time.perf_counter() - started


def _pg_dump_seconds(bindir: Path, dsn: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(bindir / "pg_dump"), "--schema-only", "--dbname", dsn], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(bindir: Path, dsn: str, rounds: int) -> dict:
    runs = {"fingerprint": [], "pg_dump -s": []}
    for _ in range(rounds):  # alternating, so a slower moment of the machine falls on both
        runs["fingerprint"].append(round(_fingerprint_seconds(dsn), 4))
        runs["pg_dump -s"].append(round(_pg_dump_seconds(bindir, dsn), 4))
    medians = {label: statistics.median(times) for label, times in runs.items()}
    with psycopg.connect(dsn) as conn:
        objects = len(take_fingerprint(conn).lines)
    return {"objects": objects, "runs_s": runs, "median_s": medians,
            "fingerprint_to_pg_dump": round(medians["fingerprint"] / medians["pg_dump -s"], 2)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--dsn")
    args = parser.parse_args(argv)
    result = {}
    with bench_server(args.dsn) as (server, bindir, _), tempfile.TemporaryDirectory() as folder:
        with psycopg.connect(server.dsn) as conn:
            result["server"] = conn.execute("SHOW server_version").fetchone()[0]
        root = Path(folder) / "project"
        write_project(root, args.tables)
        for label, project in (("platform (phases 0-7)", REPO), (f"{args.tables} tables", root)):
            with api.scratch_database(server, "bench", durable=True) as target:
                subprocess.run([TOOLKIT, "apply"], check=True, capture_output=True,
                               env={**os.environ, "TOOLKIT_PROJECT": str(project), "DATABASE_URL": target.dsn})
                result[label] = measure(bindir, target.dsn, args.rounds)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
