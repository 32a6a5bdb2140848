"""Benchmarks: live load during phases 1-7 (live_load), users.csv import speed (import_users)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the project the benchmarks apply
