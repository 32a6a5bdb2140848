"""How long the toolkit takes to start: `toolkit --help` and `toolkit status` (a project of eight phases,
against a local server with phase 0 applied), each against the bare interpreter start in the same run
(`python -c pass`, the floor no command can beat). Every run is reported, then the medians and the ratios.

    python -m bench.cli_startup [--runs N] [--dsn ADMIN_DSN]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from toolkit import api

from . import REPO
from .server import bench_server

TOOLKIT = str(Path(sys.executable).with_name("toolkit"))


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--dsn")
    args = parser.parse_args(argv)
    with bench_server(args.dsn) as (server, _, _), api.scratch_database(server, "bench", durable=True) as target:
        api.apply(target, 0, settings=api.Settings(project=REPO))
        env = {**os.environ, "DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(REPO)}
        commands = {"python -c pass": [sys.executable, "-c", "pass"], "toolkit --help": [TOOLKIT, "--help"],
                    "toolkit status": [TOOLKIT, "status"]}
        runs = {label: [] for label in commands}
        for _ in range(args.runs):  # interleaved, so a slow moment of the machine hits every command alike
            for label, command in commands.items():
                runs[label].append(round(timed(command, env), 4))
    floor = statistics.median(runs["python -c pass"])
    result = {label: {"runs_s": times, "median_s": round(statistics.median(times), 4),
                      "ratio_to_python": round(statistics.median(times) / floor, 2)} for label, times in runs.items()}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
