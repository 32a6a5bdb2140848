"""Least privilege: the whole platform applies, rolls back and re-applies as a role
that owns its database and is no superuser."""

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import api
from toolkit.cli import OK, STEP_ROLLED_BACK, cli
from platform_data.sample_data import load_sample_data

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def owner_database(server):
    role, database = f"tk_owner_{uuid.uuid4().hex[:6]}", f"t_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'owner-pw'")
        conn.execute(f'CREATE DATABASE "{database}" OWNER {role}')
    p = server.params
    yield f"postgresql://{role}:owner-pw@{p['host']}:{p['port']}/{database}"
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.slow
def test_every_phase_applies_and_rolls_back_as_a_non_superuser_owner(owner_database):
    from toolkit.connection import Target

    target = Target(owner_database)
    with target.connect() as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
    empty = api.fingerprint(target)

    def run(*args):
        result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": owner_database, "TOOLKIT_PROJECT": str(REPO)})
        assert result.exit_code == OK, result.output
        return result

    run("apply", "--phase", "0")
    load_sample_data(target, users=500)  # without superuser: foreign-key triggers stay on
    run("apply")
    run("rollback", "--phase", "1", "--cascade")
    run("apply")
    assert api.status(target).phases[-1].state == "applied"
    run("rollback", "--phase", "0", "--cascade")
    assert api.fingerprint(target) == empty


def test_a_foreign_key_to_a_table_the_role_may_only_reference_applies(owner_database, server, project):
    # The runner locks a foreign key's parent first, which LOCK TABLE allows only with UPDATE, DELETE or
    # TRUNCATE; a role holding just REFERENCES on the parent must still be able to add the key.
    from toolkit.connection import Target

    role = Target(owner_database).params
    with server.with_database(role["dbname"]).connect() as conn:
        conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY)")
        conn.execute(f"GRANT REFERENCES ON accounts TO {role['user']}")
    root = project({
        "migrations/0001_plans.sql": "CREATE TABLE plans (account_id bigint);\n",
        "rollbacks/0001_plans.sql": "DROP TABLE plans;\n",
        "migrations/0101_fk_plans_account.sql": "ALTER TABLE plans ADD CONSTRAINT fk_plans_account "
                                                "FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;\n",
        "rollbacks/0101_fk_plans_account.sql": "ALTER TABLE plans DROP CONSTRAINT fk_plans_account;\n",
    })
    env = {"DATABASE_URL": owner_database, "TOOLKIT_PROJECT": str(root)}
    for phase in ("0", "1"):
        result = CliRunner().invoke(cli, ["apply", "--phase", phase], env=env)
        assert result.exit_code == OK, result.output


def test_a_role_that_may_not_cancel_autovacuum_waits_for_it_instead_of_failing_on_the_cancel(
        owner_database, server, project, autovacuum_on):
    # pg_read_all_stats lets the role see how long autovacuum has held the table; cancelling it needs
    # superuser (or, from PostgreSQL 18, pg_signal_autovacuum_worker).
    from toolkit.connection import Target

    target = Target(owner_database)
    with server.connect() as conn:
        conn.execute(f"GRANT pg_read_all_stats TO {target.params['user']}")
    root = project({
        "migrations/0001_items.sql": "CREATE TABLE items (id bigint, code text);\n",
        "rollbacks/0001_items.sql": "DROP TABLE items;\n",
        "migrations/0101_add_note.sql": "ALTER TABLE items ADD COLUMN note text;\n",
        "rollbacks/0101_add_note.sql": "ALTER TABLE items DROP COLUMN note;\n",
    })
    env = {"DATABASE_URL": owner_database, "TOOLKIT_PROJECT": str(root)}
    assert CliRunner().invoke(cli, ["apply", "--phase", "0"], env=env).exit_code == OK
    autovacuum_on(target, "items")
    result = CliRunner().invoke(cli, ["apply", "--phase", "1", "--lock-retries", "0", "--long-transaction-wait", "1"],
                                env=env)
    assert result.exit_code == STEP_ROLLED_BACK, result.output
    assert "which holds ShareUpdateExclusiveLock on items (active, transaction open" in result.stderr
    assert "autovacuum: VACUUM" in result.stderr
    assert "permission denied" not in result.stderr
