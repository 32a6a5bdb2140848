"""The platform this repository builds with the toolkit (the seed documents' schema, phases 0-7), apart from
the generic tool: its realistic sample data (sample_data.py) and the importers that backfill its tables from
the seeds' files (importers/: 001's users.csv, 000's JSON store). The rollback levels of seed 004 are plain
files beside the migrations (rollbacks/levels/), which the generic runner's `rollback --level` runs.

Its commands, from the repository's root:

    python -m platform_data seed --users 50000
    python -m platform_data import users-csv data/users.csv
    python -m platform_data import json-store data/

The package is not part of the toolkit's distribution: `pip install toolkit` carries none of it.
"""
