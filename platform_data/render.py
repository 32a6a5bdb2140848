"""How the platform's commands show their results to a person (JSON goes through toolkit's renderer)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def print_import(console: Console, summary) -> None:
    verb = "would be" if summary.dry_run else "were"
    console.print(f"{summary.read} rows read: {summary.inserted} users inserted, {summary.merged} merged into "
                  f"existing users, {summary.skipped} skipped (already there or duplicates), {summary.rejected} "
                  f"rejected; {summary.identities_added} sign-in identities added ({verb} changed"
                  f"{', nothing was written' if summary.dry_run else ''}) in {summary.seconds:g}s", markup=False)
    if summary.rejects_file:
        console.print(f"rejected rows, with line numbers and reasons: {summary.rejects_file}", markup=False)


def print_store_import(console: Console, summary) -> None:
    table = Table("file", "table", "read", "inserted", "merged", "skipped", "rejected", box=None)
    for f in summary.files + [summary.totals]:
        table.add_row(getattr(f, "file", "total"), getattr(f, "table", ""),
                      *(str(getattr(f, name)) for name in ("read", "inserted", "merged", "skipped", "rejected")))
    console.print(table)
    state = "nothing was written (dry run)" if summary.dry_run else "committed in one transaction"
    console.print(f"{state}, {summary.seconds:g}s", markup=False)
    for name in summary.not_imported:
        console.print(f"not imported (no table of the platform takes it): {name}", markup=False)
    if summary.rejects_file:
        console.print(f"rejected records, with file, line and reason: {summary.rejects_file}", markup=False)


def print_sample_data(console: Console, counts) -> None:
    console.print(f"sample data: {counts.users} users, {counts.businesses} businesses, "
                  f"{counts.health_metrics} health metrics in {counts.seconds:g}s")
