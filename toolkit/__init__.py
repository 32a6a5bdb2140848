"""toolkit: phased PostgreSQL migrations with validation and automatic rollback.

The commands are plain functions (what the CLI calls):

    from toolkit import Target, Settings, apply, status
    apply(Target("postgresql://app@db/platform"), phase=1, settings=Settings(project="."))

Names are imported on first use, so that `toolkit --help` does not load the database driver and parsers.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "apply": "api", "fingerprint": "api", "rollback": "api", "status": "api", "validate": "api", "verify": "api",
    "Target": "connection", "Batching": "runner.batches", "Timeouts": "runner.executor",
    "lint": "lint",
    "Check": "plan", "KeyQuery": "plan", "Migration": "plan", "Phase": "plan", "Plan": "plan", "load_plan": "plan",
    "RepairActions": "runner.repair", "repair": "runner.repair", "Settings": "runner.session",
    "init_project": "scaffold", "new_migration": "scaffold", "diff": "api",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
