"""How long `toolkit lint` takes on a generated project of 300 SQL files (150 migrations, their rollbacks),
cold (an empty lint cache) and warm (the cache the cold run left), with and without sqlfluff's style pass, each
beside the bare interpreter start in the same run (`python -c pass`). Every round is reported.

    python -m bench.lint_speed [--rounds N] [--files N]
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

TOOLKIT = str(Path(sys.executable).with_name("toolkit"))

# Shapes real migration sets are made of; each file gets its own names.
SHAPES = [
    ("CREATE TABLE t{n} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    account_id bigint NOT NULL,\n"
     "    status text NOT NULL DEFAULT 'new',\n    payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,\n"
     "    created_at timestamptz NOT NULL DEFAULT now(),\n    CONSTRAINT t{n}_status_check CHECK (status IN "
     "('new', 'done'))\n);\n", "DROP TABLE t{n};\n"),
    ("CREATE INDEX CONCURRENTLY IF NOT EXISTS t{p}_account_idx{n} ON t{p} (account_id, created_at DESC);\n",
     "DROP INDEX CONCURRENTLY IF EXISTS t{p}_account_idx{n};\n"),
    ("ALTER TABLE t{p} ADD COLUMN note{n} text;\nCOMMENT ON COLUMN t{p}.note{n} IS 'free text';\n",
     "ALTER TABLE t{p} DROP COLUMN note{n};\n"),
    ("CREATE FUNCTION touch{n}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.created_at := now();\n"
     "    RETURN NEW;\nEND;\n$$;\n\nCREATE TRIGGER t{p}_touch{n} BEFORE UPDATE ON t{p}\nFOR EACH ROW EXECUTE FUNCTION "
     "touch{n}();\n", "DROP TRIGGER t{p}_touch{n} ON t{p};\nDROP FUNCTION touch{n}();\n"),
    ("ALTER TABLE t{p} ADD CONSTRAINT t{p}_account_fk{n} FOREIGN KEY (account_id) REFERENCES t0 (id) NOT VALID;\n",
     "ALTER TABLE t{p} DROP CONSTRAINT t{p}_account_fk{n};\n"),
    ("UPDATE t{p} SET status = 'done'\nWHERE id IN (\n    SELECT id FROM t{p}\n    WHERE status = 'new' AND "
     "created_at < now() - interval '1 day'\n);\n", "SELECT 1;\n"),
]


def write_project(root: Path, migrations: int) -> None:
    for folder in ("migrations", "rollbacks", "validation"):
        (root / folder).mkdir(parents=True)
    for n in range(migrations):
        phase, step = divmod(n, 50)
        shape = SHAPES[0] if n == 0 else SHAPES[n % len(SHAPES)]
        table = max(0, n - n % len(SHAPES))
        name = f"{phase + 1:02d}{step + 1:02d}_change_{n}"
        forward, backward = (text.format(n=n, p=table) for text in shape)
        (root / "migrations" / f"{name}.sql").write_text(f"-- {name}: generated for the benchmark.\n{forward}")
        (root / "rollbacks" / f"{name}.sql").write_text(f"-- Undoes {name}.\n{backward}")
    for phase in range(1, (migrations - 1) // 50 + 2):
        for when in ("pre", "post"):
            (root / "validation" / f"{phase:02d}_{when}.sql").write_text(
                "-- check: no_invalid_indexes\nSELECT count(*) AS invalid_indexes FROM pg_index WHERE NOT indisvalid;\n")


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 3)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=300, help="SQL files in migrations/ and rollbacks/")
    args = parser.parse_args(argv)
    runs: dict[str, list[float]] = {k: [] for k in ("python -c pass", "no-style cold", "no-style warm",
                                                    "full cold", "full warm")}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        write_project(root, args.files // 2)
        lint = [TOOLKIT, "lint", "--project", str(root)]
        for round_ in range(args.rounds):
            cache = Path(folder) / f"cache{round_}"
            env = {**os.environ, "TOOLKIT_CACHE_DIR": str(cache)}
            runs["python -c pass"].append(timed([sys.executable, "-c", "pass"], env))
            runs["no-style cold"].append(timed(lint + ["--no-style"], env))
            runs["no-style warm"].append(timed(lint + ["--no-style"], env))
            runs["full cold"].append(timed(lint, env))
            runs["full warm"].append(timed(lint, env))
    floor = statistics.median(runs["python -c pass"])
    result = {"files": args.files, "cpus": os.cpu_count(),
              **{label: {"runs_s": times, "median_s": statistics.median(times),
                         "ratio_to_python": round(statistics.median(times) / floor, 1)} for label, times in runs.items()}}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
