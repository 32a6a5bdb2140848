"""How it grows: the live-load benchmark at several sizes (default 1M and 4M users, with the businesses and health
metrics that scale with them), the same sides, rounds and load at each, and one file that sets the sizes side by
side: client figures at each size, migration time per side, and the ratio to naive at each size.

Each size is a whole `bench.live_load` run of its own (its own server, standby and seed), written beside the
summary as NAME-USERS.json / .png; fewer rounds than `make bench` (default 2 a size: 4M users is four times the
seed and four times each copy), which the summary states.

    python -m bench.scale [--sizes 1000000,4000000] [--rounds 2] [--name scale-pg15]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import REPO
from . import live_load


def row(report: dict, side: str) -> dict:
    pooled = report["runs"][side]
    rounds = [r[side] for r in report["rounds"]]
    return {
        "worst_wait_ms_each_round": [r["longest_wait_ms"] for r in rounds],
        "worst_over_baseline_max_each_round": [r["ratio_to_baseline"]["max"] for r in rounds],
        "p99_over_baseline_p99_each_round": [r["ratio_to_baseline"]["p99"] for r in rounds],
        "failed_each_round": [r["failed_transactions"] for r in rounds],
        "migration_seconds_each_round": [r["migration_seconds"] for r in rounds],
        "migration_seconds": pooled["migration_seconds"],
        "standby_lag_max_s": pooled["standby_lag"]["during_migration"]["replay_lag_max_s"],
        "stalls": len(pooled["stalls"]),
        "stalls_by_cause": pooled["stalls_by_cause"],
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,4000000", help="users at each size, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="rounds at each size (each side first in turn)")
    parser.add_argument("--sides", default="adaptive,naive")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--name", default="scale")
    args, passed_on = parser.parse_known_args(argv)  # anything else goes to bench.live_load as it is
    sizes = []
    for users in (int(size) for size in args.sizes.split(",")):
        print(f"== {users:,} users, {args.rounds} rounds", flush=True)
        report = live_load.main(["--users", str(users), "--rounds", str(args.rounds), "--sides", args.sides,
                                 "--out", str(args.out), "--name", f"{args.name}-{users}", *passed_on])
        sides = [side for side in report["runs"]]
        sizes.append({"users": users, "rounds": args.rounds, "file": f"{args.name}-{users}.json",
                      "postgresql": report["machine"]["postgresql"], "measured": report["measured"],
                      **{side: row(report, side) for side in sides},
                      "migration_time_vs_naive": {side: verdict["migration_time_vs_naive"]
                                                  for side, verdict in report["verdict"].items()
                                                  if side != "rounds_with_failures"}})
    summary = {"measured": sizes[0]["measured"], "rounds_per_size": args.rounds, "sizes": sizes}
    (args.out / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(text(summary))
    return summary


def text(summary: dict) -> str:
    rows = ["| users | side | worst wait / baseline max, each round | p99 / baseline p99, each round | failed, each "
            "round | migration s, each round | migration / naive's (medians) | standby lag max |",
            "|---|---|---|---|---|---|---|---|"]
    for size in summary["sizes"]:
        for side in ("adaptive", "toolkit", "naive"):
            if side not in size:
                continue
            r = size[side]
            versus = size["migration_time_vs_naive"].get(side, 1.0)
            worst = ", ".join(f"{x}x" for x in r["worst_over_baseline_max_each_round"])
            rows.append(f"| {size['users']:,} | {side} | {worst} "
                        f"| {', '.join(f'{x}x' for x in r['p99_over_baseline_p99_each_round'])} "
                        f"| {', '.join(map(str, r['failed_each_round']))} "
                        f"| {', '.join(map(str, r['migration_seconds_each_round']))} | {versus}x "
                        f"| {r['standby_lag_max_s']} s |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
