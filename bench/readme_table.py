"""The README's benchmark table, made from the committed results (bench/results/pg15.json, pg18.json), so the
front page never shows figures that no committed run measured. A test keeps the README equal to it.

    python -m bench.readme_table           # print the table
    python -m bench.readme_table --write   # put it into README.md between its markers
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
# label in the table's first column -> the committed run it comes from (the synchronous standby's run,
# pg15-sync.json, is in bench/README.md beside them)
MAJORS = {"15": "pg15.json", "18": "pg18.json"}
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"
SIDE_NAMES = {"adaptive": "toolkit (adaptive batches, the default)", "toolkit": "toolkit `--fixed-batches`",
              "naive": "naive SQL (psql, autocommit)"}


def _each(values) -> str:
    return ", ".join(values)


def table(results: Path = RESULTS) -> str:
    lines = []
    rows = ["| PG | side | worst wait / baseline max, each round (pooled) | p99 / baseline p99, each round (pooled) "
            "| failed requests, each round | migration time / naive's | standby replay lag, max "
            "| stalls over 2x baseline max: cause |",
            "|---|---|---|---|---|---|---|---|"]
    for major, name in MAJORS.items():
        path = results / name
        if not path.exists():
            continue
        report = json.loads(path.read_text())
        measured = report.get("measured", {})
        scale = report["scale"]
        dirty = " (with uncommitted changes)" if measured.get("uncommitted_changes") else ""
        lines.append(f"- PostgreSQL {report['machine']['postgresql'].split()[0]}: commit `{measured.get('commit', '?')}`"
                     f"{dirty}, {measured.get('date', '?')}, {len(report['rounds'])} rounds, "
                     f"{scale['users']:,} users, standby: {scale['standbys']}, {report['machine']['cpus']} CPUs")
        for side, pooled in report["runs"].items():
            rounds = [r[side] for r in report["rounds"] if side in r]
            versus = report["verdict"].get(side, {}).get("migration_time_vs_naive")
            lag = pooled["standby_lag"]["during_migration"]
            max_each = _each(f"{r['ratio_to_baseline']['max']}x" for r in rounds)
            p99_each = _each(f"{r['ratio_to_baseline']['p99']}x" for r in rounds)
            failed_each = _each(str(r["failed_transactions"]) for r in rounds)
            time_versus = f"{versus}x" if versus is not None else "1.0x"
            standby = f"{lag['replay_lag_max_s']} s" if lag["looks"] else "no standby"
            rows.append(f"| {major} | {SIDE_NAMES.get(side, side)} | {max_each} ({pooled['ratio_to_baseline']['max']}x) "
                        f"| {p99_each} ({pooled['ratio_to_baseline']['p99']}x) | {failed_each} "
                        f"| {time_versus} ({pooled['migration_seconds']} s) | {standby} | {_stalls(pooled)} |")
    return "\n".join(lines + [""] + rows) + "\n"


def _stalls(pooled: dict) -> str:
    if "stalls_by_cause" not in pooled:
        return "not measured"
    causes = pooled["stalls_by_cause"]
    return f"{sum(causes.values())}" + (": " + ", ".join(f"{cause} {n}" for cause, n in causes.items()) if causes
                                        else "")


def readme_block(readme: str) -> str:
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip("\n") + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the README's table with this one")
    args = parser.parse_args(argv)
    text = table()
    if not args.write:
        print(text, end="")
        return
    readme = (REPO / "README.md").read_text()
    start, end = readme.index(START) + len(START), readme.index(END)
    (REPO / "README.md").write_text(readme[:start] + "\n" + text + readme[end:])


if __name__ == "__main__":
    main()
