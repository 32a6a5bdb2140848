"""How long a fleet rollout takes: phases 1-7 on 100 tenant databases (phase 0 and a little sample data each),
with `toolkit fleet apply --parallel 1, 2, 4, 8`, against a shell loop of `toolkit apply` over the same targets,
in the same run. Every run starts from fresh copies of one tenant (CREATE DATABASE ... TEMPLATE). Where the time
goes comes from the ledger: each target's own time, and how many ran at once on average.

    python -m bench.fleet_speed [--tenants N] [--parallel 1,2,4,8] [--dsn ADMIN_DSN]
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
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from toolkit import api
from platform_data.sample_data import load_sample_data

from . import REPO
from .server import bench_server

TOOLKIT = str(Path(sys.executable).with_name("toolkit"))


def _tenants(server, template: str, count: int) -> list[str]:
    names = [f"bench_tenant_{number:04d}" for number in range(count)]
    with server.connect() as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return names


def _drop(server, names) -> None:
    with server.connect() as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _targets_file(path: Path, server, names: list[str]) -> None:
    params = conninfo_to_dict(server.dsn)
    params.pop("password", None)
    path.write_text("".join(
        f'[[target]]\nname = "{name}"\ndsn = "{make_conninfo(**{**params, "dbname": name})}"\n'
        f'wave = "{"canary" if number == 0 else "rest"}"\npassword_env = "BENCH_FLEET_PASSWORD"\n\n'
        for number, name in enumerate(names)))


def _where_the_time_went(ledger) -> dict:
    with psycopg.connect(ledger.dsn, autocommit=True) as conn:
        rollout = conn.execute("SELECT max(id) FROM toolkit_fleet.rollouts").fetchone()[0]
        seconds, first, last = conn.execute(
            "SELECT array_agg(extract(epoch FROM finished_at - started_at)::float8), min(started_at), "
            "max(finished_at) FROM toolkit_fleet.rollout_targets WHERE rollout_id = %s AND state = 'applied'",
            (rollout,)).fetchone()
    span = (last - first).total_seconds()
    return {"target_seconds_median": round(statistics.median(seconds), 2),
            "target_seconds_max": round(max(seconds), 2),
            "targets_at_once_on_average": round(sum(seconds) / span, 2) if span else None}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--parallel", default="1,2,4,8")
    parser.add_argument("--users", type=int, default=100, help="sample users per tenant")
    parser.add_argument("--dsn")
    args = parser.parse_args(argv)
    runs = []
    with bench_server(args.dsn) as (server, _, _), tempfile.TemporaryDirectory() as folder:
        targets = Path(folder) / "targets.toml"
        env = {**os.environ, "TOOLKIT_PROJECT": str(REPO), "BENCH_FLEET_PASSWORD": server.password or ""}
        with api.scratch_database(server, "bench", durable=True) as template, \
                api.scratch_database(server, "bench", durable=True) as ledger:
            api.apply(template, 0, settings=api.Settings(project=REPO))
            load_sample_data(template, users=args.users)
            env["TOOLKIT_LEDGER_DSN"] = ledger.dsn
            ways = [("shell loop of toolkit apply", None)] + [(f"fleet --parallel {k}", int(k))
                                                              for k in args.parallel.split(",")]
            for label, parallel in ways:
                names = _tenants(server, template.params["dbname"], args.tenants)
                _targets_file(targets, server, names)
                started = time.perf_counter()
                if parallel is None:
                    for name in names:
                        subprocess.run([TOOLKIT, "apply"], check=True,
                                       env={**env, "DATABASE_URL": server.with_database(name).dsn},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    wall, detail = time.perf_counter() - started, {}
                else:
                    subprocess.run([TOOLKIT, "fleet", "apply", "--targets", str(targets), "--parallel",
                                    str(parallel)], env=env, check=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                    wall, detail = time.perf_counter() - started, _where_the_time_went(ledger)
                runs.append({"way": label, "wall_s": round(wall, 1), **detail})
                print(f"{label}: {wall:.1f} s {detail}", flush=True)
                _drop(server, names)
    loop = runs[0]["wall_s"]
    for run in runs:
        run["ratio_to_shell_loop"] = round(run["wall_s"] / loop, 2)
    result = {"tenants": args.tenants, "users_per_tenant": args.users, "cpus": os.cpu_count(), "runs": runs}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
