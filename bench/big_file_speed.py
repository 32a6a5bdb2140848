"""How `toolkit convert` and `toolkit lint --no-style` grow with one large data migration (a data dump: one
INSERT a row, as pg_dump --inserts writes): the same shape at half the size and at full size, in the same run,
beside the bare interpreter start. Linear time means full / half close to 2. Every round is reported.

    python -m bench.big_file_speed [--megabytes 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import subprocess
import time
from pathlib import Path

TOOLKIT = str(Path(sys.executable).with_name("toolkit"))


def write_source(folder: Path, megabytes: float) -> int:
    """A golang-migrate folder: a table, then a data migration of about `megabytes` MB. Returns its rows."""
    folder.mkdir(parents=True)
    (folder / "1_customers.up.sql").write_text("CREATE TABLE customers (id bigint PRIMARY KEY, name text, "
                                               "email text, balance numeric(12, 2));\n")
    (folder / "1_customers.down.sql").write_text("DROP TABLE customers;\n")
    rows, size = 0, 0
    with (folder / "2_customers_data.up.sql").open("w") as out:
        while size < megabytes * 1_000_000:
            line = (f"INSERT INTO customers (id, name, email, balance) VALUES ({rows + 1}, 'Customer {rows + 1} "
                    f"of the import', 'customer{rows + 1}@example.com', {(rows * 37) % 100000 / 100:.2f});\n")
            out.write(line)
            size += len(line)
            rows += 1
    (folder / "2_customers_data.down.sql").write_text("DELETE FROM customers;\n")
    return rows


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):  # lint's 1 is "found something": a phase without checks, here
        raise SystemExit(f"{' '.join(command[:3])} failed: {done.stderr.strip()[-300:]}")
    return round(time.perf_counter() - started, 2)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    result: dict = {"python -c pass": []}
    with tempfile.TemporaryDirectory() as work:
        sizes = {"half": args.megabytes / 2, "full": args.megabytes}
        rows = {}
        for label, megabytes in sizes.items():
            rows[label] = write_source(Path(work) / label / "source", megabytes)
            result[f"convert {label}"], result[f"lint --no-style {label}"] = [], []
        for _ in range(args.rounds):
            result["python -c pass"].append(timed([sys.executable, "-c", "pass"]))
            for label in sizes:
                into = Path(work) / label / "project"
                shutil.rmtree(into, ignore_errors=True)
                result[f"convert {label}"].append(timed([TOOLKIT, "convert", "--from", "golang-migrate",
                                                         str(Path(work) / label / "source"), "--into", str(into)]))
                result[f"lint --no-style {label}"].append(timed([TOOLKIT, "lint", "--no-style", "--project",
                                                                 str(into)]))
    report = {"megabytes": sizes, "rows": rows, "runs_s": result,
              "median_s": {label: statistics.median(times) for label, times in result.items()},
              "full_over_half": {kind: round(statistics.median(result[f"{kind} full"])
                                             / statistics.median(result[f"{kind} half"]), 2)
                                 for kind in ("convert", "lint --no-style")}}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
