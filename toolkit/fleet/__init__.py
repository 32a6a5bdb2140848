"""The fleet: one phase across many databases, canary wave first, with a ledger to resume from.

targets.py (which databases, in which waves) -> ledger.py (the rollout's record and the runners' work queue)
-> rollout.py (claim, run as `toolkit apply` would, record) -> status.py (where every target is).
"""

from .ledger import APPLY, ROLLBACK, Ledger, Rollout, ledger_target
from .rollout import Watcher, raise_if_stopped, reopen, rollout_to_run, run_rollout, start, work
from .status import fleet_status, rollout_report
from .targets import Fleet, FleetTarget, chosen_fleet, load_targets, targets_from_query

__all__ = ["APPLY", "ROLLBACK", "Fleet", "FleetTarget", "Ledger", "Rollout", "Watcher", "chosen_fleet",
           "fleet_status", "ledger_target", "load_targets", "raise_if_stopped", "reopen", "rollout_report",
           "rollout_to_run", "run_rollout", "start", "targets_from_query", "work"]
