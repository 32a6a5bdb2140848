"""The platform's phases (phases.md): each applies and rolls back, empty or with data,
and each post-check catches its invariant when it is broken on purpose."""

import shutil
from pathlib import Path

import pytest

from toolkit import api, load_plan
from toolkit.cli import CHECK_ROLLED_BACK, OK

REPO = Path(__file__).resolve().parent.parent
PHASES = [p.number for p in load_plan(REPO).phases]


def run(target, *args, project=REPO):
    from click.testing import CliRunner

    from toolkit.cli import cli

    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(project)})


@pytest.mark.parametrize("sample", [False, True], ids=["empty", "sample_data"])
@pytest.mark.parametrize("phase", PHASES)
def test_phase_applies_and_rolls_back_to_the_same_schema(database_before, phase, sample):
    target = database_before(phase, sample)
    before = api.fingerprint(target)
    applied = run(target, "apply", "--phase", str(phase))
    assert applied.exit_code == OK, applied.output
    assert run(target, "validate", "--phase", str(phase), "--post").exit_code == OK
    rolled_back = run(target, "rollback", "--phase", str(phase))
    assert rolled_back.exit_code == OK, rolled_back.output
    assert api.fingerprint(target) == before


# Every table phases.md names, with the words it names it by (so this list cannot
# drift from the document unnoticed).
TABLES_IN_PHASES_MD = {
    "users": "`users`", "auth_accounts": "`auth_accounts`", "sessions": "`sessions`",
    "token_blacklist": "`token_blacklist`", "businesses": "`businesses`", "health_metrics": "`health_metrics`",
    "subscription_plans": "`subscription_plans`", "user_subscriptions": "`user_subscriptions`",
    "usage_metrics": "`usage_metrics`", "billing_transactions": "`billing_transactions`", "credits": "`credits`",
    "credit_ledger": "`credit_ledger`", "webhook_events": "`webhook_events`", "tool_runs": "`tool_runs`",
    "template_downloads": "`template_downloads`", "donations": "`donations`",
    "ai_analysis_sessions": "`ai_analysis_sessions`", "portfolios": "`portfolios`",
    "portfolio_businesses": "`portfolio_businesses`", "generated_reports": "`generated_reports`",
    "query_performance_samples": "performance monitoring table", "audit_logs": "`audit_logs`",
    "customer_profiles": "customer_profiles", "notifications": "notifications", "products": "products (slug",
    "product_variants": "variants", "product_option_groups": "option groups",
    "product_options": "and options", "orders": "orders (order_number", "order_items": "order_items",
    "fulfillment_tasks": "fulfillment_tasks", "payments": "payments (stripe_payment_intent_id",
    "invoices": "invoices", "lexoffice_sync_logs": "lexoffice_sync_logs", "order_events": "order_events",
    "carts": "carts", "support_tickets": "support_tickets", "integration_credentials": "integration_credentials",
    "instagram_account_snapshots": "instagram_account_snapshots", "gdpr_requests": "gdpr_requests",
    "service_campaigns": "service campaigns", "product_categories": "product categories",
    "vat_rates": "VAT rates", "apps": "apps", "rooms": "rooms", "participants": "participants",
    "prizes": "prizes", "winners": "winners",
}


def test_every_table_of_phases_md_exists_after_apply(toolkit, sql):
    assert toolkit("apply").exit_code == OK
    tables = {r[0] for r in sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert set(TABLES_IN_PHASES_MD) - tables == set()


def test_the_table_list_above_still_matches_phases_md():
    doc = REPO.parent / "shared" / "design" / "phases.md"
    if not doc.exists():
        pytest.skip(f"{doc} is not beside this checkout")  # a bare clone: the list above still runs
    text = doc.read_text()
    assert [t for t, words in TABLES_IN_PHASES_MD.items() if words not in text] == []


# Each post-check, broken on purpose by a last migration of its phase (with the
# rollback that undoes the sabotage), must fail and roll the phase back (exit 5).
SABOTAGE = {
    "baseline_tables_present": (0, "ALTER TABLE health_metrics RENAME TO hm_hidden;",
                                "ALTER TABLE hm_hidden RENAME TO health_metrics;"),
    "users_email_lowercase_enforced": (0, "ALTER TABLE users DROP CONSTRAINT users_email_lowercase_check;",
                                       "ALTER TABLE users ADD CONSTRAINT users_email_lowercase_check "
                                       "CHECK (email = lower(email));"),
    "subscription_tables_present": (1, "ALTER TABLE donations RENAME TO donations_hidden;",
                                    "ALTER TABLE donations_hidden RENAME TO donations;"),
    "free_plan_active": (1, "UPDATE subscription_plans SET is_active = false WHERE name = 'Free';",
                         "UPDATE subscription_plans SET is_active = true WHERE name = 'Free';"),
    "every_tier_has_an_active_plan": (1, "UPDATE subscription_plans SET is_active = false WHERE tier = 'power';",
                                      "UPDATE subscription_plans SET is_active = true WHERE tier = 'power';"),
    "phase_1_indexes_valid": (1, "DROP INDEX idx_donations_user_id;",
                              "CREATE INDEX idx_donations_user_id ON donations (user_id);"),
    "append_only_tables_guarded": (1, "DROP TRIGGER donations_append_only ON donations;",
                                   "CREATE TRIGGER donations_append_only BEFORE UPDATE OR DELETE ON donations "
                                   "FOR EACH ROW EXECUTE FUNCTION reject_row_change();"),
    "users_without_subscription": (2, "INSERT INTO users (email) VALUES ('late-signup@example.com');",
                                   "DELETE FROM users WHERE email = 'late-signup@example.com';"),
    "subscriptions_with_unknown_user": (2, "INSERT INTO user_subscriptions (user_id, plan_id, status, source) "
                                           "SELECT gen_random_uuid(), id, 'canceled', 'sabotage' "
                                           "FROM subscription_plans WHERE name = 'Free';",
                                        "DELETE FROM user_subscriptions WHERE source = 'sabotage';"),
    "credits_above_quota": (2, "UPDATE credits SET balance = monthly_quota + 1;",
                            "UPDATE credits SET balance = monthly_quota;"),
    "ai_tables_present": (3, "ALTER TABLE portfolios RENAME TO portfolios_hidden;",
                          "ALTER TABLE portfolios_hidden RENAME TO portfolios;"),
    "phase_3_indexes_valid": (3, "DROP INDEX idx_ai_sessions_business_id;",
                              "CREATE INDEX idx_ai_sessions_business_id ON ai_analysis_sessions (business_id);"),
    "reporting_table_present": (4, "ALTER TABLE generated_reports RENAME TO generated_reports_hidden;",
                                "ALTER TABLE generated_reports_hidden RENAME TO generated_reports;"),
    "phase_4_indexes_valid": (4, "DROP INDEX idx_generated_reports_business_id;",
                              "CREATE INDEX idx_generated_reports_business_id ON generated_reports (business_id);"),
    "constraints_not_validated": (5, "ALTER TABLE users ADD CONSTRAINT sabotage_check CHECK (true) NOT VALID;",
                                  "ALTER TABLE users DROP CONSTRAINT sabotage_check;"),
    "foreign_keys_present": (5, "ALTER TABLE credits DROP CONSTRAINT credits_user_id_fkey;",
                             "ALTER TABLE credits ADD CONSTRAINT credits_user_id_fkey FOREIGN KEY (user_id) "
                             "REFERENCES users (id) ON DELETE CASCADE;"),
    "subscription_data_without_row_security": (5, "ALTER TABLE credits DISABLE ROW LEVEL SECURITY;",
                                               "ALTER TABLE credits ENABLE ROW LEVEL SECURITY;"),
    "billing_tables_without_audit_trigger": (5, "DROP TRIGGER credits_audit ON credits;",
                                             "CREATE TRIGGER credits_audit AFTER INSERT OR UPDATE OR DELETE ON credits "
                                             "FOR EACH ROW EXECUTE FUNCTION audit_billing_change();"),
    "commerce_tables_present": (6, "ALTER TABLE carts RENAME TO carts_hidden;",
                                "ALTER TABLE carts_hidden RENAME TO carts;"),
    "natural_keys_unique": (6, "ALTER TABLE products DROP CONSTRAINT products_slug_key;",
                            "ALTER TABLE products ADD CONSTRAINT products_slug_key UNIQUE (slug);"),
    "reference_data_present": (6, "DELETE FROM product_categories WHERE slug = 'services';",
                               "INSERT INTO product_categories (slug, name, sort_order) VALUES ('services', 'Services', 4);"),
    "phase_6_indexes_valid": (6, "DROP INDEX idx_payments_status;",
                              "CREATE INDEX idx_payments_status ON payments (status);"),
    "event_tables_present": (7, "ALTER TABLE winners RENAME TO winners_hidden;",
                             "ALTER TABLE winners_hidden RENAME TO winners;"),
    "apps_without_manifest_version": (7, "INSERT INTO apps (app_id, name, manifest_version) VALUES ('s', 's', '');",
                                      "DELETE FROM apps WHERE app_id = 's';"),
    "apps_version_differs_from_manifest": (7, "INSERT INTO apps (app_id, name, manifest) "
                                              "VALUES ('s', 's', '{\"meta\": {\"version\": \"2.0.0\"}}');",
                                           "DELETE FROM apps WHERE app_id = 's';"),
    "delete_rules_as_designed": (7, "ALTER TABLE winners DROP CONSTRAINT winners_prize_id_fkey;\n"
                                    "ALTER TABLE winners ADD CONSTRAINT winners_prize_id_fkey FOREIGN KEY (prize_id) "
                                    "REFERENCES prizes (id) ON DELETE CASCADE;",
                                 "ALTER TABLE winners DROP CONSTRAINT winners_prize_id_fkey;\n"
                                 "ALTER TABLE winners ADD CONSTRAINT winners_prize_id_fkey FOREIGN KEY (prize_id) "
                                 "REFERENCES prizes (id) ON DELETE RESTRICT;"),
    "phase_7_indexes_valid": (7, "DROP INDEX idx_winners_room_prize;",
                              "CREATE INDEX idx_winners_room_prize ON winners (room_id, prize_id);"),
}

# Post-checks not in SABOTAGE, and why they cannot be broken from inside their phase.
UNBREAKABLE = {
    "uuidv7_gives_version_7": "on PostgreSQL 18 uuidv7() is pg_catalog's; nothing in the phase can replace it",
    "users_with_several_current_subscriptions": "uq_user_subscriptions_current_user refuses the second row",
    "users_without_current_subscription": "the same rows as users_without_subscription break it (phase 2)",
    "users_without_credits": "the same late sign-up that breaks users_without_subscription breaks it",
    "users_with_several_default_portfolios": "uq_portfolios_one_default_per_user refuses the second row",
    "invalid_indexes": "an INVALID index needs a failed concurrent build, which fails the step (exit 4) first",
    "plan_product_link_valid": "covered by constraints_not_validated's rule; phase 6's key is validated in 0614",
    "rooms_without_manifest_version": "a room needs an app and an organizer; apps_without_manifest_version covers it",
    "apps_with_history": "manifest_history is NOT NULL DEFAULT '[]'; only a non-array breaks it",
    "01_post_invariants": "pgTAP, skipped where the template databases have none; tests/test_pgtap.py installs "
                          "pgTAP and breaks it",
}


def test_every_post_check_is_sabotaged_or_says_why_not():
    names = {c.name for p in load_plan(REPO).phases for c in p.post_checks}
    assert names == set(SABOTAGE) | set(UNBREAKABLE)


@pytest.mark.parametrize("check", sorted(SABOTAGE))
def test_post_check_fails_and_rolls_back_when_its_invariant_is_broken(database_before, tmp_path, check):
    phase, breaking, mending = SABOTAGE[check]
    for folder in ("migrations", "rollbacks", "validation"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    name = f"{phase:02d}99_sabotage.sql"
    (tmp_path / "migrations" / name).write_text(breaking + "\n")
    (tmp_path / "rollbacks" / name).write_text(mending + "\n")
    target = database_before(phase, sample=True)
    before = api.fingerprint(target)

    result = run(target, "apply", "--phase", str(phase), project=tmp_path)

    assert result.exit_code == CHECK_ROLLED_BACK, result.output
    assert f"check {check} (" in result.stderr
    assert api.fingerprint(target) == before
