"""toolkit: phased PostgreSQL migrations with validation and automatic rollback.

The commands are plain functions (what the CLI calls):

    from toolkit import Target, Settings, apply, status
    apply(Target("postgresql://app@db/platform"), phase=1, settings=Settings(project="."))
"""

from .api import apply, fingerprint, rollback, status, validate, verify
from .connection import Target
from .executor import Batching, Timeouts
from .importers import import_json_store, import_users_csv
from .lint import lint
from .plan import Check, KeyQuery, Migration, Phase, Plan, load_plan
from .repair import RepairActions, repair
from .session import Settings

__all__ = ["apply", "fingerprint", "rollback", "status", "validate", "verify", "lint", "repair", "RepairActions",
           "import_users_csv", "import_json_store",
           "Target", "Settings", "Timeouts", "Batching", "Check", "KeyQuery", "Migration", "Phase", "Plan",
           "load_plan"]
