"""The table locks the executor expects a statement to take (PostgreSQL's documented modes)."""

import pytest
from pglast import parse_sql

from toolkit.plan.lock_modes import taken_by


def locks_of(statement: str) -> list[tuple[str, str]]:
    return [(lock.table, lock.mode) for lock in taken_by(parse_sql(statement)[0].stmt)]


def stalls_of(statement: str) -> list[bool]:
    return [lock.stalls_applications for lock in taken_by(parse_sql(statement)[0].stmt)]


@pytest.mark.parametrize("statement, expected", [
    ("ALTER TABLE items ADD COLUMN note text", [("items", "AccessExclusiveLock")]),
    ("ALTER TABLE plans ADD CONSTRAINT fk_plans_account FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID",
     [("plans", "ShareRowExclusiveLock"), ("accounts", "ShareRowExclusiveLock")]),
    ("ALTER TABLE plans ADD COLUMN account_id bigint REFERENCES accounts (id)",
     [("plans", "AccessExclusiveLock"), ("accounts", "ShareRowExclusiveLock")]),
    ("ALTER TABLE plans VALIDATE CONSTRAINT fk_plans_account", [("plans", "ShareUpdateExclusiveLock")]),
    ("ALTER TABLE items ENABLE ROW LEVEL SECURITY", [("items", "AccessExclusiveLock")]),
    ("ALTER TABLE items DISABLE TRIGGER items_audit", [("items", "ShareRowExclusiveLock")]),
    ("CREATE INDEX idx_items_code ON items (code)", [("items", "ShareLock")]),
    ("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_items_code ON items (code)", []),
    ("CREATE TABLE plans (id bigint, account_id bigint REFERENCES accounts (id))",
     [("accounts", "ShareRowExclusiveLock")]),
    ("CREATE POLICY items_own_rows ON items USING (true)", [("items", "AccessExclusiveLock")]),
    ("CREATE TRIGGER items_audit AFTER UPDATE ON items FOR EACH ROW EXECUTE FUNCTION audit()",
     [("items", "ShareRowExclusiveLock")]),
    ("ALTER TABLE items RENAME COLUMN code TO sku", [("items", "AccessExclusiveLock")]),
    ("DROP TABLE items, public.plans", [("items", "AccessExclusiveLock"), ("plans", "AccessExclusiveLock")]),
    ("TRUNCATE items", [("items", "AccessExclusiveLock")]),
    ("INSERT INTO items SELECT * FROM staging", []),
])
def test_statement_takes_the_documented_table_lock(statement, expected):
    assert locks_of(statement) == expected


@pytest.mark.parametrize("statement, stalls", [
    ("ALTER TABLE t VALIDATE CONSTRAINT c", False),  # SHARE UPDATE EXCLUSIVE: reads and writes go on
    ("CREATE INDEX i ON t (a)", True),  # SHARE: writes wait
    ("ALTER TABLE t ADD COLUMN a int", True),  # ACCESS EXCLUSIVE: everything waits
])
def test_only_locks_that_conflict_with_reads_or_writes_stall_applications(statement, stalls):
    assert stalls_of(statement) == [stalls]
