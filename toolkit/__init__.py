"""toolkit: phased PostgreSQL migrations with validation and automatic rollback."""

from .api import Settings, apply, fingerprint, rollback, status, validate
from .connection import Target
from .executor import Timeouts
from .plan import Check, Migration, Phase, Plan, load_plan

__all__ = ["Settings", "apply", "fingerprint", "rollback", "status", "validate", "Target", "Timeouts",
           "Check", "Migration", "Phase", "Plan", "load_plan"]
