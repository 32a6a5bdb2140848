"""How fast `toolkit import users-csv` is: a generated users.csv of N rows (default
1,000,000, a tenth of them repeating an email in another case, a tenth with two
sign-in identities) into a fresh database with phase 0 applied.

    python -m bench.import_users [--rows N] [--dsn ADMIN_DSN]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from toolkit import api
from platform_data.importers import import_users_csv
from platform_data.importers.users_csv import USERS_CSV_COLUMNS

from . import REPO
from .server import bench_server


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(USERS_CSV_COLUMNS)
        for n in range(rows):
            email = f"user{n}@example.com" if n % 10 else f"User{n - 1}@Example.com"
            providers = f"google:{n}" + (f";github:gh{n}" if n % 10 == 5 else "")
            writer.writerow([email, f"User {n}", "2024-01-01T00:00:00Z", "2025-06-01T12:00:00+00:00",
                             "false", "", providers])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dsn")
    args = parser.parse_args(argv)
    with bench_server(args.dsn) as (server, _, _), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.csv"
        started = time.monotonic()
        write_csv(path, args.rows)
        print(f"wrote {args.rows} rows in {time.monotonic() - started:.1f}s ({path.stat().st_size >> 20} MiB)")
        with api.scratch_database(server, "bench", durable=True) as target:
            api.apply(target, 0, settings=api.Settings(project=REPO))
            summary = import_users_csv(target, path)
            print(f"imported: {summary}")
            print(f"{args.rows / summary.seconds:,.0f} rows/s")
            return summary

if __name__ == "__main__":
    main()
