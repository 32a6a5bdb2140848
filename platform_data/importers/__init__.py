"""Backfill importers: files streamed into staging tables with COPY, then merged into
the real tables in set-based SQL, in one transaction (formats in the README)."""

from .json_store import StoreImportSummary, import_json_store
from .users_csv import ImportSummary, import_users_csv

__all__ = ["ImportSummary", "StoreImportSummary", "import_json_store", "import_users_csv"]
