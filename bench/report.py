"""What a benchmark run measured: a JSON-ready summary, a one-screen table, a plot."""

from __future__ import annotations

import collections
import statistics
from pathlib import Path

from . import lockwatch, replicawatch, stalls
from .workload import MIX, Run


def summarize(rounds: list[Run]) -> dict:
    """One side's figures over its rounds (one Run each): latencies and failures pooled from every round's own
    baseline and migration windows, so a stall that happens in one round in three still counts."""
    def stats(samples):
        latencies = sorted(s.latency_ms for s in samples)
        if not latencies:
            return {"count": 0, "failed": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
        return {"count": len(latencies), "failed": sum(not s.ok for s in samples),
                "p50_ms": round(statistics.median(latencies), 2),
                "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
                "max_ms": round(latencies[-1], 2)}

    def split(samples_of):
        return ([s for run in rounds for s in samples_of(run) if s.at < run.migration_start],
                [s for run in rounds for s in samples_of(run) if run.migration_start <= s.at <= run.migration_end])

    baseline, during = split(lambda run: run.samples)
    # the load after the migration (--settle): what the migration wrote can come back later, as the kernel's
    # writeback of its dirty pages 30 s on, and a side whose migration ended sooner must not escape it
    after = [s for run in rounds for s in run.samples if s.at > run.migration_end]
    phase_seconds = collections.defaultdict(list)
    for run in rounds:
        for phase, start, end in run.phases:
            phase_seconds[phase].append(end - start)
    numbered = len(rounds) > 1  # a note from one of several rounds says which

    def said(index, text):
        return f"round {index}: {text}" if numbered else text

    summary = {
        "rounds": len(rounds),
        "baseline": stats(baseline),
        "during_migration": stats(during),
        "after_migration": stats(after),
        "reports": dict(zip(("baseline", "during_migration"), map(stats, split(lambda run: run.reports)))),
        "longest_wait_ms": max((s.latency_ms for s in during), default=None),
        "failed_transactions": sum(not s.ok for s in during),
        "failed_by_kind": {k: sum(1 for s in during if not s.ok and s.kind == k) for k, _ in MIX},
        "failed_by_cause": dict(sorted(collections.Counter(s.failure for s in during if not s.ok).items())),
        # which requests the migration slows: writes wait for the WAL flush, reads only for a CPU
        "p99_ms_by_kind": {k: stats([s for s in during if s.kind == k])["p99_ms"] for k, _ in MIX},
        "migration_seconds": round(statistics.median(run.migration_end - run.migration_start for run in rounds), 2),
        "phases": [{"phase": p, "seconds": round(statistics.median(v), 2)} for p, v in phase_seconds.items()],
        "runner_said": [said(i, text) for i, run in enumerate(rounds, 1) for text in run.runner_said],
        "lock_waits": lockwatch.summarize([(run.lock_waits, run.migration_start, run.migration_end)
                                           for run in rounds]),
        # what the clients' statements were waiting for: is a stall a lock, the WAL flush, or a CPU?
        "clients_busy": {"baseline": lockwatch.clients_busy([(run.clients_busy, 0.0, run.migration_start)
                                                              for run in rounds]),
                         "during_migration": lockwatch.clients_busy([(run.clients_busy, run.migration_start,
                                                                      run.migration_end) for run in rounds])},
        # how far behind the standbys replayed: a batch the standby cannot keep up with makes it stale for readers
        "standby_lag": {"baseline": replicawatch.summarize([(run.standby_looks, 0.0, run.migration_start)
                                                             for run in rounds]),
                        "during_migration": replicawatch.summarize([(run.standby_looks, run.migration_start,
                                                                     run.migration_end) for run in rounds])},
        "worst_moments": worst_moments(rounds),
        # every request slower than twice its round's baseline max, grouped, with what the server was doing then
        "stalls": [{**({"round": i} if numbered else {}), **stall} for i, run in enumerate(rounds, 1)
                   for after in (False, True)
                   for stall in stalls.find(run, run.server_ticks, 2 * _baseline_max(run), after=after)],
        "error": "; ".join(said(i, run.error) for i, run in enumerate(rounds, 1) if run.error) or None,
    }
    base, mig = summary["baseline"], summary["during_migration"]

    def within(value, limit):
        return bool(value is not None and limit and value <= 2 * limit)

    summary["stalls_by_cause"] = dict(collections.Counter(
        stall.get("cause", "not measured").split(":")[0] for stall in summary["stalls"]
        if not stall.get("after_migration")).most_common())
    summary["ratio_to_baseline"] = {  # during-migration figure / the same runs' quiet baseline
        key: round(mig[f"{key}_ms"] / base[f"{key}_ms"], 2) if mig[f"{key}_ms"] and base[f"{key}_ms"] else None
        for key in ("p50", "p99", "max")}
    summary["max_within_2x_baseline_p99"] = within(mig["max_ms"], base["p99_ms"])  # the target
    summary["p99_within_2x_baseline_p99"] = within(mig["p99_ms"], base["p99_ms"])
    summary["max_within_2x_baseline_max"] = within(mig["max_ms"], base["max_ms"])  # quiet load's own worst case
    return summary


def _baseline_max(run: Run) -> float:
    return max((s.latency_ms for s in run.samples if s.at < run.migration_start), default=0.0)


def worst_moments(rounds: list[Run], count: int = 3) -> list[dict]:
    """The longest client waits during the migration (at least a second apart), each with the phase then running
    and what the busy clients were seen waiting for while it lasted: a lock, the WAL flush, a CPU."""
    during = sorted(((sample, number, run) for number, run in enumerate(rounds, 1) for sample in run.samples
                     if run.migration_start <= sample.at <= run.migration_end), key=lambda c: -c[0].latency_ms)
    chosen: list[tuple] = []
    for sample, number, run in during:
        if len(chosen) == count:
            break
        if not any(n == number and abs(sample.at - other.at) < 1.0 for other, n, _ in chosen):
            chosen.append((sample, number, run))
    return [{"round": number, "at_s": sample.at, "latency_ms": round(sample.latency_ms, 1), "kind": sample.kind,
             # the last phase begun by then (None: the runner was still starting)
             "phase": max(((start, phase) for phase, start, _ in run.phases if start <= sample.at),
                          default=(None, None))[1],
             "clients_busy_seen": dict(collections.Counter(
                 event for at, event in run.clients_busy
                 if sample.at <= at <= sample.at + sample.latency_ms / 1000).most_common(4))}
            for sample, number, run in chosen]


def compare(runs: dict[str, dict], rounds: list[dict]) -> dict:
    """The issue's questions, answered from the pooled rows for each way the toolkit ran: is it better than the
    naive SQL on the worst client wait and on failed transactions, how long did it take against the naive run,
    and in how many rounds each side failed any."""
    naive = runs["naive"]
    return {
        **{side: {"lower_longest_wait": run["longest_wait_ms"] < naive["longest_wait_ms"],
                  "fewer_failed_transactions": run["failed_transactions"] < naive["failed_transactions"],
                  "migration_time_vs_naive": round(run["migration_seconds"] / naive["migration_seconds"], 2)
                  if naive["migration_seconds"] else None}
           for side, run in runs.items() if side != "naive"},
        "rounds_with_failures": {side: sum(1 for r in rounds if r[side]["failed_transactions"]) for side in runs},
    }


# the toolkit with fixed batches, with adaptive ones (--adaptive), and the seeds' SQL by psql
SIDES = ("toolkit", "adaptive", "naive")


def plot(rounds: list[list[Run]], path: Path) -> None:
    """A row per round, a column per side (in SIDES order), on one latency scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sides = [side for side in SIDES if any(run.name == side for run in rounds[0])]
    figure, axes = plt.subplots(len(rounds), len(sides), figsize=(7.5 * len(sides), 3.4 * len(rounds)), sharey=True,
                                squeeze=False)
    for number, (row, runs) in enumerate(zip(axes, rounds), 1):
        first = runs[0].name
        for axis, side in zip(row, sides):
            run = next(r for r in runs if r.name == side)
            _plot_run(axis, run)
            axis.set_title(f"round {number}, {side}{' (ran first)' if side == first else ''}: phases 1-7 under load "
                           "(numbers mark phase starts)", fontsize=9)
    for axis in axes[-1]:
        axis.set_xlabel("seconds since the load started")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_run(axis, run: Run) -> None:
    ok = [s for s in run.samples if s.ok]
    failed = [s for s in run.samples if not s.ok]
    axis.scatter([s.at for s in ok], [s.latency_ms for s in ok], s=3, alpha=0.5, label="transaction")
    axis.scatter([s.at for s in failed], [max(s.latency_ms, 0.1) for s in failed], s=18, c="red", marker="x",
                 label="failed")
    for index, (phase, start, _) in enumerate(run.phases):
        axis.axvline(start, color="grey", linewidth=0.6)
        # phases a second apart would print on top of each other: stagger the labels, inside the frame
        axis.text(start, 0.97 - 0.07 * (index % 4), f" {phase}", transform=axis.get_xaxis_transform(),
                  fontsize=7, ha="left", va="top")
    axis.axvline(run.migration_end, color="black", linewidth=0.8)
    axis.set_yscale("log")
    axis.set_ylabel("client latency (ms)")
    axis.legend(loc="lower right", fontsize=8)


def table(report: dict) -> str:
    rows = [f"{'':10} {'base p50':>9} {'base p99':>9} {'base max':>9} {'mig p50':>8} {'mig p99':>8} "
            f"{'mig max':>9} {'failed':>7} {'migration':>10}   ratio p50/p99/max"]
    for name, r in report["runs"].items():
        b, d, x = r["baseline"], r["during_migration"], r["ratio_to_baseline"]
        rows.append(f"{name:10} {b['p50_ms']:>9} {b['p99_ms']:>9} {b['max_ms']:>9} {d['p50_ms']:>8} {d['p99_ms']:>8} "
                    f"{d['max_ms']:>9} {r['failed_transactions']:>7} {r['migration_seconds']:>9}s   "
                    f"{x['p50']}x/{x['p99']}x/{x['max']}x")
    for name, r in report["runs"].items():
        a = r["after_migration"]
        rows.append(f"{name:10} in the {report['scale'].get('settle_seconds', '?')} s after the migration: p99 "
                    f"{a['p99_ms']} ms, max {a['max_ms']} ms, {a['failed']} failed")
    for name, r in report["runs"].items():
        b, d = r["reports"]["baseline"], r["reports"]["during_migration"]
        if b["count"] or d["count"]:
            rows.append(f"{name:10} analytics reader: {b['count']} reports before, max {b['max_ms']} ms; "
                        f"{d['count']} during, max {d['max_ms']} ms, {d['failed']} failed")
    for name, r in report["runs"].items():
        waits = r["lock_waits"]
        worst = waits["migration_waits"][0] if waits["migration_waits"] else None
        migration = (f"a migration statement waited up to {worst['seconds_seen']} s for {worst['table']} "
                     f"(behind {worst['behind'] or '?'})" if worst else "no migration statement seen waiting")
        rows.append(f"{name:10} locks: {migration}; clients waited {waits['client_wait_seconds_seen']} s in all, "
                    f"at most {waits['most_clients_waiting']['count']} at once")
    for name, r in report["runs"].items():
        busy = r["clients_busy"]
        rows.append(f"{name:10} clients in a statement, on average, waiting for: " + "; ".join(
            f"{period} " + (", ".join(f"{event} {n}" for event, n in list(busy[period].items())[:3]) or "-")
            for period in ("baseline", "during_migration")))
    for name, r in report["runs"].items():
        for moment in r["worst_moments"][:1]:
            seen = ", ".join(f"{event} x{n}" for event, n in moment["clients_busy_seen"].items()) or "nothing busy"
            rows.append(f"{name:10} worst: {moment['latency_ms']} ms, round {moment['round']}, phase "
                        f"{moment['phase']}, a {moment['kind']}; clients seen waiting for: {seen}")
    for name, r in report["runs"].items():
        lag = r["standby_lag"]["during_migration"]
        rows.append(f"{name:10} standby replay lag during the migration: " + (
            f"max {lag['replay_lag_max_s']} s, p99 {lag['replay_lag_p99_s']} s, at most {lag['bytes_behind_max']} "
            f"bytes behind ({lag['standbys']} standby)" if lag["looks"] else "no standby"))
    for name, r in report["runs"].items():
        during = [stall for stall in r["stalls"] if not stall.get("after_migration")]
        rows.append(f"{name:10} {len(during)} stall(s) over 2x the round's baseline max during the migration, "
                    f"{len(r['stalls']) - len(during)} in the {report['scale'].get('settle_seconds', '?')} s after" + (
            "; during: " + ", ".join(f"{cause} {n}" for cause, n in r["stalls_by_cause"].items()) if during else ""))
        for stall in r["stalls"]:
            rows.append(f"{'':10} round {stall.get('round', 1)} at {stall['at_s']} s"
                        f"{' (after the migration)' if stall.get('after_migration') else ''} for {stall['seconds']} s, "
                        f"{stall['requests']} request(s), worst {stall['worst_ms']} ms, phase {stall['phase']}: "
                        f"{stall.get('cause', 'no server figures')}")
    for number, sides in enumerate(report["rounds"], 1):
        rows.append(f"round {number:<4} " + "; ".join(
            f"{side} {round(sides[side]['longest_wait_ms'])} ms worst, {sides[side]['failed_transactions']} failed, "
            f"{sides[side]['migration_seconds']} s" for side in sides["order"]))
    verdict = report["verdict"]
    for side, answers in verdict.items():
        if side != "rounds_with_failures":
            rows.append(f"{side} against naive: lower worst wait {answers['lower_longest_wait']}, fewer failed "
                        f"transactions {answers['fewer_failed_transactions']}, migration time "
                        f"{answers['migration_time_vs_naive']}x")
    rows.append("rounds with a failure: " + ", ".join(f"{side} {n} of {len(report['rounds'])}"
                                                      for side, n in verdict["rounds_with_failures"].items()))
    return "\n".join(rows)
