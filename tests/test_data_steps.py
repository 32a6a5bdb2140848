"""Batched data steps and phase 2's data migration, on sample data."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from toolkit import api
from toolkit.cli import OK
from platform_data.sample_data import load_sample_data

SUBSCRIPTIONS = "SELECT user_id, plan_id, status, source FROM user_subscriptions ORDER BY user_id"
CREDITS = "SELECT user_id, monthly_quota, balance, daily_cap, source FROM credits ORDER BY user_id"


@pytest.fixture
def phase_1_with_users(toolkit, db):
    assert toolkit("apply", "--phase", "0").exit_code == OK
    load_sample_data(db, users=3000)
    assert toolkit("apply", "--phase", "1").exit_code == OK


@pytest.fixture
def twin(db, phase_1_with_users, clone_of):
    """A copy of the scratch database as it is now, to compare two runs."""
    return clone_of(db.params["dbname"])


def rows(target, query):
    with target.connect() as conn:
        return conn.execute(query).fetchall()


def test_phase_2_gives_every_user_one_free_subscription_and_credits(toolkit, sql, phase_1_with_users):
    result = toolkit("apply", "--phase", "2", "--batch-size", "700", "--fixed-batches")
    assert result.exit_code == OK, result.output
    assert "0201_free_subscriptions: batch 5, 3000 rows so far" in result.stderr
    assert sql("SELECT count(DISTINCT user_id), count(*) FROM user_subscriptions") == [(3000, 3000)]
    assert sql("SELECT count(*) FROM credits WHERE monthly_quota = 50 AND balance = 50") == [(3000,)]


@pytest.mark.slow
def test_batched_step_killed_in_the_middle_resumes_to_the_same_rows(db, twin, toolkit):
    env = {**os.environ, "DATABASE_URL": db.dsn}
    # fixed batches: adaptive ones grow and their pauses shrink, and the run could end before the kill lands
    runner = subprocess.Popen([sys.executable, "-m", "toolkit", "apply", "--phase", "2", "--batch-size", "200",
                               "--batch-pause", "0.1", "--fixed-batches"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while rows(db, "SELECT count(*) FROM user_subscriptions")[0][0] < 600:
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.05)
        runner.send_signal(signal.SIGKILL)
    finally:
        runner.wait()
    done = rows(db, "SELECT count(*) FROM user_subscriptions")[0][0]
    assert 600 <= done < 3000
    assert api.status(db).phases[2].migrations[0].state == "interrupted"

    assert toolkit("apply", "--phase", "2", "--batch-size", "200").exit_code == OK
    assert toolkit("apply", "--phase", "2", "--batch-size", "200", dsn=twin.dsn).exit_code == OK
    strip = lambda rs: [r[:1] + r[2:] for r in rs]  # noqa: E731 (plan ids differ between the twins)
    assert strip(rows(db, SUBSCRIPTIONS)) == strip(rows(twin, SUBSCRIPTIONS))
    assert rows(db, CREDITS) == rows(twin, CREDITS)


def test_phase_2_rollback_keeps_a_free_subscription_a_user_chose_later(toolkit, sql, phase_1_with_users):
    assert toolkit("apply", "--phase", "2").exit_code == OK
    [(chooser,)] = sql("SELECT user_id FROM user_subscriptions LIMIT 1")
    # The user cancels the assigned Free plan and later picks Free themselves.
    sql("UPDATE user_subscriptions SET status = 'canceled' WHERE user_id = %s", (chooser,))
    sql("""INSERT INTO user_subscriptions (user_id, plan_id, status, source)
           SELECT %s, id, 'active', 'application' FROM subscription_plans WHERE name = 'Free'""", (chooser,))

    assert toolkit("rollback", "--phase", "2").exit_code == OK

    assert sql("SELECT user_id, source FROM user_subscriptions") == [(chooser, "application")]
    assert sql("SELECT count(*) FROM credits") == [(0,)]


def test_user_with_a_plan_override_gets_that_plans_credits(toolkit, sql, phase_1_with_users):
    [(power_user,)] = sql("UPDATE users SET plan_override = 'power' WHERE id = (SELECT min(id::text)::uuid FROM users) "
                          "RETURNING id")
    assert toolkit("apply", "--phase", "2").exit_code == OK
    assert sql("SELECT monthly_quota, daily_cap FROM credits WHERE user_id = %s", (power_user,)) == [(10000, None)]


def test_data_level_rollback_keeps_phase_1_tables_and_removes_its_plan_rows(toolkit, sql):
    toolkit("apply", "--phase", "0")
    toolkit("apply", "--phase", "1")
    result = toolkit("rollback", "--phase", "1", "--level", "data")
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM subscription_plans") == [(0,)]
    assert sql("SELECT to_regclass('user_subscriptions') IS NOT NULL") == [(True,)]
    status = json.loads(toolkit("status", "--json").stdout)
    states = {m["migration"]: m["state"] for m in status["phases"][1]["migrations"]}
    assert states["0102_subscription_plan_rows"] == "pending" and states["0101_subscription_plans"] == "applied"
    # Applying the phase again redoes the data steps.
    again = toolkit("apply", "--phase", "1")
    assert again.exit_code == OK and "partly applied: resuming" in again.stderr
    assert sql("SELECT count(*) FROM subscription_plans WHERE is_active") == [(4,)]


def test_data_level_rollback_of_phase_2_removes_the_migrated_rows_only(toolkit, sql, phase_1_with_users):
    toolkit("apply", "--phase", "2")
    sql("""INSERT INTO users (email) VALUES ('new@example.com')""")
    sql("""INSERT INTO user_subscriptions (user_id, plan_id, source)
           SELECT u.id, p.id, 'application' FROM users u, subscription_plans p
           WHERE u.email = 'new@example.com' AND p.name = 'Pro'""")
    assert toolkit("rollback", "--phase", "2", "--level", "data").exit_code == OK
    assert sql("SELECT source, count(*) FROM user_subscriptions GROUP BY 1") == [("application", 1)]
    assert sql("SELECT count(*) FROM credits") == [(0,)]


def test_feature_level_rollback_switches_plans_off_and_keeps_every_row(toolkit, sql, phase_1_with_users):
    toolkit("apply", "--phase", "2")
    before = sql("SELECT count(*) FROM user_subscriptions")
    result = toolkit("rollback", "--phase", "2", "--level", "feature")
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM subscription_plans WHERE is_active") == [(0,)]
    assert sql("SELECT count(*) FROM user_subscriptions") == before
    assert json.loads(toolkit("status", "--json").stdout)["phases"][2]["state"] == "applied"
    assert sql("SELECT detail FROM toolkit.history WHERE action = 'rollback' ORDER BY id DESC LIMIT 1") == \
        [("level=feature",)]


def test_level_without_what_it_needs_is_refused(toolkit):
    toolkit("apply", "--phase", "0")
    result = toolkit("rollback", "--phase", "0", "--level", "feature")
    assert result.exit_code == 2
    assert "phase 0 has no feature rollback (rollbacks/levels/00_feature.sql)" in result.stderr


REPO = api.Settings().project


def _phase_7_backfills(project):
    """Phase 7's two backfills (the real files) over 3000 apps and rooms, each app's manifest naming 2.0.0."""
    files = {"migrations/0001_apps.sql":
             "CREATE TABLE apps (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), manifest jsonb NOT NULL,\n"
             "    manifest_version text NOT NULL DEFAULT '1.0.0');\n"
             "CREATE TABLE rooms (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
             "    app_id uuid NOT NULL REFERENCES apps, app_manifest_version text NOT NULL DEFAULT '1.0.0');\n"
             "INSERT INTO apps (manifest)\n"
             "SELECT '{\"meta\": {\"version\": \"2.0.0\"}}' FROM generate_series(1, 3000);\n"
             "INSERT INTO rooms (app_id) SELECT id FROM apps;\n",
             "rollbacks/0001_apps.sql": "DROP TABLE rooms;\nDROP TABLE apps;\n"}
    for name in ("0707_backfill_app_manifest_versions", "0708_backfill_room_manifest_versions"):
        for folder in ("migrations", "rollbacks"):
            files[f"{folder}/{name}.sql"] = (REPO / folder / f"{name}.sql").read_text()
    return project(files)


def _rows_read(sql, table, written, *, counted="n_tup_upd",
               read="coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"):
    """Heap rows the table's scans returned so far (`read`), once the runner's backend has reported its `written`
    rows (`counted`: updated, or n_tup_ins for inserted)."""
    query = f"SELECT {counted}, {read} FROM pg_stat_user_tables WHERE relname = '{table}'"
    ends = time.monotonic() + 30
    while True:
        sql("SELECT pg_stat_clear_snapshot()")
        done, seen = sql(query)[0]
        if done >= written or time.monotonic() > ends:
            return seen


def test_phase_7_backfills_read_each_row_about_once_not_every_done_row_again_each_batch(toolkit, sql, project,
                                                                                      monkeypatch):
    root = _phase_7_backfills(project)
    # the plans a large table gets (index order, nested loops), which 3000 rows would not get by cost
    monkeypatch.setenv("PGOPTIONS", "-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off "
                                    "-c jit=off")  # disabled plans cost enough to be compiled
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    before = {table: _rows_read(sql, table, 0) for table in ("apps", "rooms")}
    result = toolkit("apply", "--phase", "7", "--batch-size", "50", "--batch-pause", "0", project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM rooms AS r JOIN apps AS a ON a.id = r.app_id "
               "WHERE r.app_manifest_version = '2.0.0' AND a.manifest_version = '2.0.0'") == [(3000,)]
    # 60 batches each: rescanning from the start reads 50 + 100 + ... + 3000 = 91,500 rows of a table per step;
    # after the last key each step reads a row a few times (find, update, join, the last look from the start)
    assert _rows_read(sql, "apps", 3000) - before["apps"] < 10 * 3000
    assert _rows_read(sql, "rooms", 3000) - before["rooms"] < 10 * 3000

    result = toolkit("rollback", "--phase", "7", "--batch-size", "50", "--batch-pause", "0", project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM apps WHERE manifest_version = '1.0.0'") == [(3000,)]
    assert sql("SELECT count(*) FROM rooms WHERE app_manifest_version = '1.0.0'") == [(3000,)]


# A keyset batch: the runner keeps the greatest key each batch returns in toolkit.batch_after for the next.
KEYS = {  # key type -> (the key of row g, the smallest key: where the first batch starts)
    "bigint": ("g", "0"),
    "uuid": ("md5(g::text)::uuid", "'00000000-0000-0000-0000-000000000000'"),
    "text": ("md5(g::text)", "''"),
}


def keyset_project(key_type: str = "bigint") -> dict[str, str]:
    key, smallest = KEYS[key_type]
    return {
        "migrations/0001_items.sql":
            f"CREATE TABLE items (id {key_type} PRIMARY KEY, done boolean NOT NULL DEFAULT false);\n"
            f"INSERT INTO items (id) SELECT {key} FROM generate_series(1, 3000) AS g;\n",
        "rollbacks/0001_items.sql": "DROP TABLE items;\n",
        "migrations/0101_mark_items.sql":
            "-- toolkit:batch\n"
            "UPDATE items SET done = true WHERE id IN (\n"
            "    SELECT id FROM items\n"
            f"    WHERE id > coalesce(nullif(current_setting('toolkit.batch_after', true), '')::{key_type}, "
            f"{smallest}) AND NOT done\n"
            "    ORDER BY id LIMIT current_setting('toolkit.batch_size')::integer\n"
            ")\nRETURNING id;\n",
        "rollbacks/0101_mark_items.sql": "UPDATE items SET done = false;\n",
    }


BATCHES_OF_50 = ("--batch-size", "50", "--batch-pause", "0", "--fixed-batches")


@pytest.mark.parametrize("key_type", sorted(KEYS))
def test_a_keyset_batch_reads_each_row_about_once_where_a_rescanning_batch_reads_the_done_rows_again(
        toolkit, sql, project, monkeypatch, key_type):
    # the plans a large table gets (walk the primary key), which 3000 rows would not get by cost
    monkeypatch.setenv("PGOPTIONS", "-c enable_seqscan=off -c enable_bitmapscan=off -c enable_hashjoin=off "
                                    "-c enable_mergejoin=off -c jit=off")
    keyset = keyset_project(key_type)
    rescanning = dict(keyset)
    step = keyset["migrations/0101_mark_items.sql"]
    rescanning["migrations/0101_mark_items.sql"] = step[:step.index("WHERE id >") + 6] + \
        step[step.index("AND NOT done") + 4:].replace("\nRETURNING id", "")
    read = {}
    for name, files in (("keyset", keyset), ("rescanning", rescanning)):
        root = project(files)
        assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
        before = _rows_read(sql, "items", 0)
        result = toolkit("apply", "--phase", "1", *BATCHES_OF_50, project=root)
        assert result.exit_code == OK, result.output
        assert sql("SELECT count(*) FROM items WHERE done") == [(3000,)]
        read[name] = _rows_read(sql, "items", 3000) - before
        assert toolkit("rollback", "--phase", "1", project=root).exit_code == OK
        assert toolkit("rollback", "--phase", "0", project=root).exit_code == OK
    # 60 batches: from the start each time, 50 + 100 + ... + 3000 rows; after the last key, each row a few times
    assert read["keyset"] < 10 * 3000 < 30 * 3000 < read["rescanning"], read


def test_a_keyset_batch_looks_from_the_start_once_more_so_a_row_changed_behind_it_is_done(toolkit, sql, project):
    files = keyset_project()
    files["migrations/0001_items.sql"] += (  # once the batches pass item 2000, item 10 (long done) is undone
        "CREATE FUNCTION undo_item_10() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN UPDATE items SET done = false WHERE id = 10; RETURN NULL; END $$;\n"
        "CREATE TRIGGER items_undo_10 AFTER UPDATE ON items FOR EACH ROW WHEN (NEW.id = 2000)\n"
        "    EXECUTE FUNCTION undo_item_10();\n")
    files["rollbacks/0001_items.sql"] = "DROP TABLE items;\nDROP FUNCTION undo_item_10();\n"
    root = project(files)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("apply", "--phase", "1", *BATCHES_OF_50, project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM items WHERE NOT done") == [(0,)]
    assert "3001 rows so far" in result.stderr  # item 10 twice: the last look from the start found it again


# A backfill written like the platform's 0201/0202: it finds where it got to with `ORDER BY key DESC LIMIT 1`
# over the rows it tagged. Its target was analyzed while it held 60 rows of another tag, and autovacuum stays
# away (as it did for a minute in the live-load benchmark): planned by those statistics, the lookup is a
# sequential scan of everything written so far, in every batch.
TAGGED_BACKFILL = {
    "migrations/0001_people.sql":
        "CREATE TABLE people (id bigint PRIMARY KEY);\n"
        "INSERT INTO people SELECT g FROM generate_series(1, 30000) AS g;\n"
        "CREATE TABLE tagged (person_id bigint PRIMARY KEY, source text NOT NULL)\n"
        "    WITH (autovacuum_enabled = false);\n"
        "INSERT INTO tagged SELECT g, 'application' FROM generate_series(1000001, 1000060) AS g;\n"
        "ANALYZE tagged;\n",
    "rollbacks/0001_people.sql": "DROP TABLE tagged;\nDROP TABLE people;\n",
    "migrations/0101_tag_people.sql":
        "-- toolkit:batch\n"
        "WITH done AS (\n"
        "    SELECT coalesce((SELECT t.person_id FROM tagged AS t WHERE t.source = 'backfill'\n"
        "                     ORDER BY t.person_id DESC LIMIT 1), 0) AS last_id\n"
        ")\n"
        "INSERT INTO tagged (person_id, source)\n"
        "SELECT p.id, 'backfill' FROM people AS p\n"
        "WHERE p.id > (SELECT d.last_id FROM done AS d)\n"
        "    AND NOT EXISTS (SELECT 1 FROM tagged AS t\n"
        "                    WHERE t.person_id = p.id AND t.person_id > (SELECT d.last_id FROM done AS d))\n"
        "ORDER BY p.id LIMIT current_setting('toolkit.batch_size')::integer;\n",
    "rollbacks/0101_tag_people.sql": "DELETE FROM tagged WHERE source = 'backfill';\n",
}


def _sequential_reads(sql, table, inserted):
    return _rows_read(sql, table, inserted, counted="n_tup_ins", read="coalesce(seq_tup_read, 0)")


def test_a_batched_step_refreshes_its_tables_statistics_as_it_grows_so_batches_stop_rescanning_it(
        toolkit, sql, project):
    root = project(TAGGED_BACKFILL)
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    before = _sequential_reads(sql, "tagged", 60)
    result = toolkit("apply", "--phase", "1", "--batch-size", "1000", "--batch-pause", "0", "--fixed-batches",
                     project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT count(*) FROM tagged WHERE source = 'backfill'") == [(30000,)]
    assert "0101_tag_people: statistics of tagged refreshed at 10,000 rows" in result.stderr
    assert "0101_tag_people: statistics of tagged refreshed at 20,000 rows" in result.stderr
    # planned by the 60-row statistics all the way, the 30 batches read 1,000 + 2,000 + ... = 465,000 rows;
    # refreshed at 10,000 rows, the first 10 read about 55,000 and the rest find the last key by the index
    assert _sequential_reads(sql, "tagged", 30060) - before < 150_000


def test_batches_run_without_jit_compilation(toolkit, sql, project):
    files = {"migrations/0001_items.sql": "CREATE TABLE items (id bigint PRIMARY KEY, jit text);\n"
                                          "INSERT INTO items (id) SELECT g FROM generate_series(1, 300) AS g;\n",
             "rollbacks/0001_items.sql": "DROP TABLE items;\n",
             "migrations/0101_mark.sql": "-- toolkit:batch\n"
                                         "UPDATE items SET jit = current_setting('jit') WHERE id IN (\n"
                                         "    SELECT id FROM items WHERE jit IS NULL ORDER BY id\n"
                                         "    LIMIT current_setting('toolkit.batch_size')::integer);\n",
             "rollbacks/0101_mark.sql": "UPDATE items SET jit = NULL;\n"}
    root = project(files)
    assert sql("SHOW jit") == [("on",)]  # the server's default, which the batches leave
    assert toolkit("apply", "--phase", "0", project=root).exit_code == OK
    result = toolkit("apply", "--phase", "1", *BATCHES_OF_50, project=root)
    assert result.exit_code == OK, result.output
    assert sql("SELECT jit, count(*) FROM items GROUP BY jit") == [("off", 300)]
