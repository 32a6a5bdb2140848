"""Every lint rule: its id, the one-line message, why it matters, and the fix.

The README's rule table is generated from this list, and a test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    message: str
    why: str
    fix: str


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str
    suppressed: str | None = None  # the reason, when a suppression silenced it

    def human(self) -> str:
        text = f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}"
        return f"{text} (allowed: {self.suppressed})" if self.suppressed else text


SAFETY = [
    Rule("index-not-concurrent",
         "index built or dropped without CONCURRENTLY on an existing table",
         "CREATE/DROP INDEX takes a SHARE / ACCESS EXCLUSIVE lock: every write (or every query) waits "
         "for the whole build.",
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS ... (alone in its file); DROP INDEX CONCURRENTLY IF EXISTS."),
    Rule("constraint-builds-index",
         "UNIQUE or PRIMARY KEY added to an existing table builds its index under the table's lock",
         "ALTER TABLE ... ADD CONSTRAINT ... UNIQUE / PRIMARY KEY (or ADD COLUMN ... UNIQUE) builds the index "
         "while holding ACCESS EXCLUSIVE: every query waits for the whole build.",
         "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ... in its own migration, then "
         "ALTER TABLE ... ADD CONSTRAINT c UNIQUE USING INDEX i (PRIMARY KEY USING INDEX i)."),
    Rule("reindex-not-concurrent",
         "REINDEX without CONCURRENTLY",
         "REINDEX locks the table against writes (and the index against reads) for the whole rebuild.",
         "REINDEX INDEX CONCURRENTLY (PostgreSQL 12+), alone in a non-transactional file; before 12, build a "
         "new index concurrently and drop the old one."),
    Rule("detach-partition-not-concurrent",
         "DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+)",
         "A plain DETACH takes ACCESS EXCLUSIVE on the partitioned table: every query on any partition waits.",
         "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (the runner runs it outside a transaction)."),
    Rule("truncate-cascade",
         "TRUNCATE ... CASCADE",
         "Empties every table that references this one, and theirs, without naming them.",
         "TRUNCATE the tables by name, so the review sees each one."),
    Rule("table-rewrite",
         "VACUUM FULL or CLUSTER",
         "Both rewrite the whole table under ACCESS EXCLUSIVE: no query gets through until it ends.",
         "pg_repack or pg_squeeze outside the migration; or plain VACUUM."),
    Rule("identifier-too-long",
         "a name longer than 63 bytes",
         "PostgreSQL cuts it to 63 bytes with only a NOTICE: two names that share their first 63 bytes are one "
         "object, and whatever compares names outside the server (an ORM, a diff, a grep) sees another name.",
         "Name it in 63 bytes or fewer."),
    Rule("constraint-without-not-valid",
         "foreign key or check constraint added to an existing table without NOT VALID",
         "Adding it validates every row while holding a lock that blocks writes (and, for a foreign key, "
         "the referenced table too).",
         "ADD CONSTRAINT ... NOT VALID now, ALTER TABLE ... VALIDATE CONSTRAINT in a later migration."),
    Rule("add-column-not-null-without-default",
         "ADD COLUMN ... NOT NULL without a default",
         "Fails outright on a table that holds rows; works only on the empty test database. Not flagged on a "
         "table the same migration created (or its phase, with `--new-tables phase`), or the same file emptied "
         "first.",
         "Add the column nullable (or with a constant default), backfill in batches, then enforce NOT NULL "
         "via a validated CHECK."),
    Rule("volatile-default",
         "ADD COLUMN with a volatile default (or any default before PostgreSQL 11) rewrites the table",
         "A volatile default (gen_random_uuid(), random(), clock_timestamp(), nextval()) must be computed "
         "per row: a full rewrite under ACCESS EXCLUSIVE. now() is stable and fine.",
         "Add the column without a default, set the default separately, backfill in batches."),
    Rule("alter-column-type",
         "ALTER COLUMN ... TYPE on an existing table",
         "Most type changes rewrite the table and its indexes under ACCESS EXCLUSIVE.",
         "Add a new column, backfill in batches, switch readers, drop the old one later."),
    Rule("set-not-null-without-check",
         "SET NOT NULL without a validated CHECK (column IS NOT NULL) first",
         "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE unless a validated CHECK proves it "
         "(PostgreSQL 12+).",
         "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL."),
    Rule("rename",
         "RENAME of a table or column",
         "Running application code still uses the old name: the deploy breaks it the moment it commits.",
         "Add the new name (view or column), migrate readers and writers, drop the old name later."),
    Rule("drop-in-migration",
         "DROP TABLE, DROP COLUMN, DROP SCHEMA or DROP DATABASE in a migration (outside a rollback)",
         "Data loss that no rollback can undo, and running code that still reads it breaks.",
         "Stop using it first; drop it in a later release, with a backup; rollbacks may drop what their "
         "migration created."),
    Rule("timestamp-without-time-zone",
         "timestamp without time zone",
         "Stores wall-clock time with no zone: ambiguous across DST and servers (002: TIMESTAMPTZ).",
         "Use timestamptz."),
    Rule("json-not-jsonb",
         "json instead of jsonb",
         "json keeps text, cannot be indexed or compared; jsonb is what every query wants.",
         "Use jsonb."),
    Rule("varchar-or-char",
         "varchar(n) or char(n)",
         "A length limit in the type needs a rewrite-free but lock-taking ALTER to change, and char pads "
         "with spaces.",
         "Use text, with a CHECK (length(col) <= n) if the limit is a business rule."),
    Rule("int4-primary-key",
         "integer (int4/serial) primary key",
         "Runs out at 2^31 rows; changing a primary key's type later is a full rewrite.",
         "Use uuid (uuidv7()) or bigint identity."),
    Rule("not-in-subquery",
         "NOT IN (subquery)",
         "If the subquery yields one NULL, NOT IN is never true: the query silently returns nothing. Not "
         "flagged when the subquery selects one column the earlier migrations made NOT NULL or primary key.",
         "Use NOT EXISTS (SELECT 1 FROM ... WHERE ...)."),
    Rule("concurrent-not-alone",
         "a CONCURRENTLY statement shares its file with a statement that is not safe to run twice",
         "The file runs statement by statement outside a transaction; after a crash the rerun resumes at the "
         "statement that was running, so that one runs twice.",
         "Give every statement of the file IF [NOT] EXISTS (several concurrent index builds may share a file), "
         "or move the others to a file of their own (the runner refuses the plan until then)."),
    Rule("not-idempotent-autocommit",
         "statement in a non-transactional file is not safe to run twice",
         "A non-transactional file resumes by running again after a crash; a statement that fails the "
         "second time blocks the rerun.",
         "Use IF NOT EXISTS / IF EXISTS, or move the statement to a transactional file."),
    Rule("plpgsql-syntax",
         "PL/pgSQL body does not parse",
         "PostgreSQL checks function bodies only when they are created, i.e. in production.",
         "Fix the body; the message says what the PL/pgSQL parser met."),
]

# Rules that need a server: `lint --dsn` (tests/test_lint_plpgsql_check.py has their cases)
SERVER = [
    Rule("plpgsql-check",
         "plpgsql_check found a problem in a PL/pgSQL function (lint --dsn, where the server has plpgsql_check)",
         "PostgreSQL checks a body's SQL only when the function runs: a wrong column, table or type, or a missing "
         "RETURN, fails in production the first time that line is reached.",
         "Fix the function; or, where the finding is wrong (dynamic SQL it cannot see through), "
         "`-- toolkit:allow plpgsql-check because ...` above its CREATE FUNCTION."),
]

STRUCTURE = [
    Rule("plan", "file cannot be part of the plan",
         "The runner refuses the whole plan while one file is wrong (missing rollback, orphan rollback, "
         "bad or duplicate number, syntax error, check that writes or has no name, ...).",
         "Do what the message says; `toolkit apply --dry-run` must load the plan."),
    Rule("irreversible-without-reason", "rollback marked toolkit:irreversible without a reason",
         "`rollback` and `verify` refuse the phase and print the reason: the DBA at 3 a.m. needs to know why "
         "there is no way back, and what to do instead.",
         "Write `-- toolkit:irreversible REASON` (e.g. what a restore would need)."),
    Rule("phase-without-pre-checks", "phase has no pre-checks (validation/PP_pre.sql)",
         "Nothing verifies the data the phase relies on before it starts.",
         "Add validation/PP_pre.sql with at least one named check."),
    Rule("phase-without-post-checks", "phase has no post-checks (validation/PP_post.sql)",
         "Nothing verifies what the phase promises; a broken phase would not roll back.",
         "Add validation/PP_post.sql with at least one named check."),
]

SUPPRESSION = [
    Rule("unused-suppression", "suppression silences nothing",
         "A stale allowance hides the next real problem of that rule on the statement.",
         "Remove the `-- toolkit:allow` line."),
    Rule("suppression-without-reason", "suppression gives no reason (or names an unknown rule)",
         "An exception nobody can explain is a finding nobody can review.",
         "Write `-- toolkit:allow RULE-ID because ...` with a known rule id."),
]

RULES = {rule.id: rule for rule in SAFETY + SERVER + STRUCTURE + SUPPRESSION}


def rules_markdown() -> str:
    """The README's rule tables (a test keeps the README equal to this)."""
    def table(rules):
        rows = ["| rule | finds | why | fix |", "|---|---|---|---|"]
        return "\n".join(rows + [f"| `{r.id}` | {r.message} | {r.why} | {r.fix} |" for r in rules])

    return (f"### Safety rules\n\n{table(SAFETY)}\n\n"
            f"### With a server (`--dsn`)\n\n{table(SERVER)}\n\n"
            f"### Structure and suppression rules\n\n{table(STRUCTURE + SUPPRESSION)}\n")
