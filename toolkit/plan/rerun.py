"""Which statements are safe to run again after they ran, or half ran, once.

A script that cannot run in a transaction (CONCURRENTLY) runs statement by statement; after a crash the rerun
resumes at the statement that was running, which may have done part of its work. Only a statement whose
effect is the same however often it runs may share such a file, or be resumed without a human.
"""

from __future__ import annotations

from pglast import ast, enums

# ALTER TABLE actions that leave the same state however often they run (setting a default, an option, NOT NULL,
# validating a constraint); ADD COLUMN and the DROPs only with IF [NOT] EXISTS.
_SETTLED_ALTERS = {
    "AT_ColumnDefault", "AT_DropNotNull", "AT_SetNotNull", "AT_SetStatistics", "AT_SetOptions", "AT_ResetOptions",
    "AT_SetStorage", "AT_SetCompression", "AT_ValidateConstraint", "AT_ClusterOn", "AT_DropCluster", "AT_SetLogged",
    "AT_SetUnLogged", "AT_SetRelOptions", "AT_ResetRelOptions", "AT_ReplaceRelOptions", "AT_EnableTrig",
    "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig", "AT_DisableTrig", "AT_EnableTrigAll", "AT_DisableTrigAll",
    "AT_EnableTrigUser", "AT_DisableTrigUser", "AT_ReplicaIdentity", "AT_EnableRowSecurity",
    "AT_DisableRowSecurity", "AT_ForceRowSecurity", "AT_NoForceRowSecurity", "AT_ChangeOwner",
}
_IF_EXISTS_ALTERS = {"AT_AddColumn", "AT_DropColumn", "AT_DropConstraint"}


def idempotent(node: ast.Node) -> bool:
    """Safe to run again after it ran (or half ran) once: what it makes exists the same way afterwards. A named
    concurrent index build or drop is, with or without IF [NOT] EXISTS: on the rerun of the statement a run
    stopped in, the runner looks the index up (toolkit/runner/executor.py)."""
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname:
        return True
    if isinstance(node, ast.DropStmt) and node.concurrent and node.removeType == enums.ObjectType.OBJECT_INDEX:
        return True
    if isinstance(node, (ast.IndexStmt, ast.CreateStmt, ast.CreateExtensionStmt, ast.CreateSchemaStmt,
                         ast.CreateSeqStmt, ast.CreateTableAsStmt)):
        return bool(node.if_not_exists)
    if isinstance(node, ast.DropStmt):
        return bool(node.missing_ok)
    if isinstance(node, (ast.ViewStmt, ast.CreateFunctionStmt, ast.CreateTrigStmt)):
        return bool(node.replace)  # CREATE OR REPLACE
    if isinstance(node, ast.AlterTableStmt):
        return all(_alter_settles(command) for command in node.cmds or ())
    return isinstance(node, (ast.ReindexStmt, ast.VacuumStmt, ast.SelectStmt, ast.VariableSetStmt,
                             ast.CommentStmt, ast.GrantStmt))


def _alter_settles(command) -> bool:
    kind = enums.AlterTableType(command.subtype).name
    return kind in _SETTLED_ALTERS or (kind in _IF_EXISTS_ALTERS and bool(command.missing_ok))
