"""`python -m platform_data`: this repository's platform commands, built on the toolkit's option sets and its
one-line failures (exit codes as `toolkit`'s)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from toolkit.cli.consoles import out
from toolkit.cli.failures import OneLineErrors, handles_errors
from toolkit.cli.options import DSN, console_progress, json_option, show, target_of


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--traceback", is_flag=True, help="Show Python tracebacks (for bug reports).")
def cli(traceback):
    """This repository's platform: sample data and backfills from the seeds' files, into the tables its
    migrations build. Not for other projects' databases: each command refuses one without them."""


@cli.command()
@DSN
@click.option("--users", type=click.IntRange(min=1), default=1000, show_default=True, help="Users to add.")
@click.option("--business-share", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              help="Share of users who own a business.")
@click.option("--metrics-per-business", type=click.IntRange(min=0), default=10, show_default=True,
              help="Health metrics rows per business.")
@handles_errors
def seed(dsn, users, business_share, metrics_per_business):
    """Fill this repository's platform tables (phase 0: users, businesses, health_metrics) with realistic sample
    data. Refuses a database without them."""
    from .render import print_sample_data
    from .sample_data import load_sample_data

    print_sample_data(out(), load_sample_data(target_of(dsn), users, business_share, metrics_per_business))


@cli.group("import")
def import_group():
    """Backfill this repository's platform schema from the seeds' files (formats in docs/importing.md)."""


def _import_command(name: str, metavar: str, source: click.Path, default_rejects: str, importer: str,
                    printer: str, doc: str):
    """One `import NAME SOURCE` command: the same options and flow for every importer."""
    @import_group.command(name, help=doc)
    @click.argument("source", metavar=metavar, type=source)
    @DSN
    @click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"Where rejected records go (default {default_rejects}).")
    @click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
    @json_option("the summary")
    @handles_errors
    def command(source, dsn, rejects, dry_run, as_json):
        run = getattr(importlib.import_module("platform_data.importers"), importer)
        summary = run(target_of(dsn), source, rejects_path=rejects, dry_run=dry_run, progress=console_progress())
        show(summary, as_json, getattr(importlib.import_module("platform_data.render"), printer))

    return command


_import_command("users-csv", "PATH", click.Path(dir_okay=False, path_type=Path), "PATH.rejects.csv",
                "import_users_csv", "print_import",
                "Seed 001's users.csv into this platform's users and auth_accounts (phase 0): merged by provider "
                "identity, then email.")
_import_command("json-store", "DIRECTORY", click.Path(file_okay=False, path_type=Path), "DIRECTORY/import.rejects.csv",
                "import_json_store", "print_store_import",
                "Seed 000's JSON file store (data/: auth, billing, audit) into this platform's tables.")


def main():
    cli(prog_name="python -m platform_data")
