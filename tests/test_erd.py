"""Pictures of the schema: `toolkit erd` (Mermaid, DOT, SVG) and `toolkit docs` (a static site, rendered by
headless Chromium), on a database with every phase applied (a copy of the suite's template)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner
from conftest import REPO, sql_on

from toolkit.catalog import erd as drawing
from toolkit.cli import BAD_INPUT, OK, cli
from toolkit.plan import load_plan

ALL_PHASES = len(load_plan(REPO).phases)  # database_before(ALL_PHASES): phases 0-7 applied


def run(target, *args):
    return CliRunner().invoke(cli, list(args), env={"DATABASE_URL": target.dsn, "TOOLKIT_PROJECT": str(REPO)})


def needs(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if os.environ.get("TOOLKIT_TEST_REQUIRE_TOOLS"):
            pytest.fail(f"{program} is not installed (.ci/run installs it)")
        pytest.skip(f"{program} is not installed here (Debian's package; .ci/run installs it)")
    return found


def catalog(target):
    with sql_on(target) as sql:
        tables = {name for (name,) in sql("SELECT relname FROM pg_class c JOIN pg_namespace n "
                                          "ON n.oid = c.relnamespace "
                                          "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")}
        keys = sql("SELECT conname, conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                   "WHERE contype = 'f' AND connamespace = 'public'::regnamespace")
    return tables, keys


@pytest.fixture
def platform(database_before):
    return database_before(ALL_PHASES)


def test_mermaid_names_every_table_of_phases_0_to_7_and_every_foreign_key_between_them(platform):
    result = run(platform, "erd", "--format", "mermaid")
    assert result.exit_code == OK, result.output
    tables, keys = catalog(platform)
    assert len(tables) >= 50 and len(keys) >= 40  # the platform of phases 0-7, not an empty catalog
    entities = set(re.findall(r"^    (\w+)\[", result.stdout, re.M))
    assert entities == tables
    edges = set(re.findall(r"^    (\w+) \|\|--o\{ (\w+) :", result.stdout, re.M))
    assert {(parent, child) for _, child, parent in keys} <= edges
    assert 'users["users · phase 0"]' in result.stdout and "ON DELETE CASCADE" in result.stdout


def test_a_phase_is_highlighted_in_the_svg_with_every_foreign_key_it_adds(platform, tmp_path):
    needs("dot")
    out = tmp_path / "phase5.svg"
    result = run(platform, "erd", "--phase", "5", "--format", "svg", "--out", str(out))
    assert result.exit_code == OK, result.output
    svg = out.read_text()
    added = {name for (kind, name), origin in drawing.origins(load_plan(REPO)).items()
             if kind == "key" and origin.phase == 5}
    _, keys = catalog(platform)
    phase_5_keys = [k for k in keys if k[0] in added]
    assert len(phase_5_keys) >= 20
    assert svg.count('class="edge new"') == len(phase_5_keys)
    assert drawing._NEW in svg  # drawn in the highlight colour


def test_without_dot_svg_is_one_line_and_mermaid_still_works(platform, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    result = run(platform, "erd", "--format", "svg")
    assert result.exit_code == BAD_INPUT
    assert result.stderr.strip().splitlines() == [
        "toolkit: error: --format svg needs Graphviz's dot, which is not installed (Debian: apt-get install "
        "graphviz); --format mermaid needs nothing"]
    assert run(platform, "erd").exit_code == OK


def test_mermaid_past_its_limit_is_split_one_diagram_per_phase_and_says_so(platform, monkeypatch):
    monkeypatch.setattr(drawing, "MERMAID_LIMIT", 5_000)
    result = run(platform, "erd")
    assert result.exit_code == OK, result.output
    creating = {origin.phase for (kind, _), origin in drawing.origins(load_plan(REPO)).items() if kind == "table"}
    assert len(creating) == ALL_PHASES - 1  # phase 2 moves data only
    assert result.stdout.count("erDiagram") == len(creating)
    assert all(len(part) <= 5_000 for part in result.stdout.split("---\ntitle:")[1:])
    assert "title: phase 7" in result.stdout and "title: phase 2" not in result.stdout
    assert f"split into {len(creating)} diagrams, one per phase" in result.stderr


def test_around_a_table_draws_the_tables_within_its_hops(platform):
    result = run(platform, "erd", "--around", "winners", "--hops", "1")
    assert result.exit_code == OK, result.output
    _, keys = catalog(platform)
    one_hop = {"winners"} | {parent for _, child, parent in keys if child == "winners"} | \
        {child for _, child, parent in keys if parent == "winners"}
    assert len(one_hop) >= 3
    assert set(re.findall(r"^    (\w+)\[", result.stdout, re.M)) == one_hop
    assert run(platform, "erd", "--around", "nonesuch").exit_code == BAD_INPUT


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def _every_link_resolves_and_chromium_loads_every_page_quietly(site: Path) -> list[str]:
    """Each page's links point at files that exist, and one headless Chromium run loads every page (each in a
    frame) without a console message or a missing file. The browser command, for screenshots."""
    chromium = needs("chromium")
    pages = sorted(site.glob("*.html"))
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            target = link.split("#")[0]
            assert not target or (site / unquote(target)).exists(), (page.name, link)
    frames = "".join(f"<iframe src='{quote(page.name)}' width='800' height='200'></iframe>" for page in pages)
    (site / "_all.html").write_text(f"<!DOCTYPE html><html><body>{frames}</body></html>")
    browser = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
               "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]
    loaded = subprocess.run([*browser, "--dump-dom", (site / "_all.html").as_uri()], capture_output=True, text=True,
                            timeout=120)
    (site / "_all.html").unlink()
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.count("<iframe") == len(pages)
    console = [line for line in loaded.stderr.splitlines() if "CONSOLE" in line or "ERR_FILE_NOT_FOUND" in line]
    assert console == []
    return browser


def test_the_docs_site_links_resolve_and_chromium_renders_every_page_without_a_console_error(platform, tmp_path):
    site = tmp_path / "site"
    result = run(platform, "docs", "--out", str(site))
    assert result.exit_code == OK, result.output
    tables, _ = catalog(platform)
    assert len(list(site.glob("*.html"))) == 1 + ALL_PHASES + len(tables)
    browser = _every_link_resolves_and_chromium_loads_every_page_quietly(site)
    for name, page in (("index.png", "index.html"), ("phase.png", "phase-5.html")):
        subprocess.run([*browser, f"--screenshot={tmp_path / name}", "--window-size=1280,1600",
                        (site / page).as_uri()], capture_output=True, timeout=120, check=True)
        assert (tmp_path / name).stat().st_size > 10_000


def test_the_erd_in_docs_phases_is_what_toolkit_erd_draws_today(platform):
    page = (REPO / "docs" / "phases.md").read_text()
    drawn = page.split("```mermaid\n", 1)[1].split("```", 1)[0]
    result = run(platform, "erd")
    assert result.exit_code == OK, result.output
    assert drawn == result.stdout, "docs/phases.md's ERD is stale: paste `toolkit erd` on phases 0-7 there"


def test_the_phase_0_erd_in_the_readme_is_what_toolkit_erd_draws_of_phase_0(database_before):
    page = (REPO / "README.md").read_text()
    drawn = page.split("```mermaid\n", 1)[1].split("```", 1)[0]
    result = run(database_before(1), "erd")  # a database at phase 0
    assert result.exit_code == OK, result.output
    assert drawn == result.stdout, "the README's phase 0 ERD is stale: paste `toolkit erd` of a phase 0 database"


HOSTILE = {
    "migrations/0001_names.sql": '''
        CREATE TABLE "Upper" (id bigint PRIMARY KEY);
        CREATE TABLE "a b" (id bigint PRIMARY KEY);
        CREATE TABLE a_b (id bigint PRIMARY KEY);
        CREATE TABLE "a-b" (id bigint PRIMARY KEY, "up""ref" bigint REFERENCES "Upper" (id));
        CREATE TABLE evil ("x
    injected ||--o{ a_b : ""pwned""" bigint REFERENCES "Upper" (id));
        ''',
    "rollbacks/0001_names.sql": 'DROP TABLE evil, "a-b", a_b, "a b", "Upper";\n',
}


@pytest.fixture
def hostile(toolkit, project, db):
    root = project(HOSTILE)
    assert toolkit("apply", project=root).exit_code == OK
    return root


def test_any_name_postgresql_accepts_draws_as_its_own_mermaid_entity_and_injects_nothing(toolkit, hostile):
    result = toolkit("erd", project=hostile)
    assert result.exit_code == OK, result.output
    entities = re.findall(r'^    (\S+)\["', result.stdout, re.M)
    assert len(entities) == len(set(entities)) == 5
    assert not any(line.lstrip().startswith("injected") for line in result.stdout.splitlines())
    # both keys to "Upper" are drawn, the quoted column names kept in the edge labels
    keys = [line for line in result.stdout.splitlines() if re.match(r'^    \S+ \|\|--o\{ \S+ : "', line)]
    assert len(keys) == 2 and 'up#quot;ref' in result.stdout


def test_any_name_postgresql_accepts_draws_in_dot_and_svg(toolkit, hostile, tmp_path):
    needs("dot")
    result = toolkit("erd", "--format", "svg", "--out", str(tmp_path / "erd.svg"), project=hostile)
    assert result.exit_code == OK, result.output
    svg = (tmp_path / "erd.svg").read_text()
    assert svg.count('class="node"') == 5 and svg.count('class="edge') == 2


def test_the_docs_site_gives_every_table_a_page_of_its_own(toolkit, hostile, tmp_path):
    result = toolkit("docs", "--out", str(tmp_path / "site"), project=hostile)
    assert result.exit_code == OK, result.output
    pages = sorted(p.name for p in (tmp_path / "site").glob("table-*.html"))
    assert len(pages) == 5 and len({p.lower() for p in pages}) == 5


def test_the_docs_site_of_hostile_names_links_and_loads_in_chromium_like_any_other(toolkit, hostile, tmp_path):
    result = toolkit("docs", "--out", str(tmp_path / "site"), project=hostile)
    assert result.exit_code == OK, result.output
    _every_link_resolves_and_chromium_loads_every_page_quietly(tmp_path / "site")


def test_a_phase_page_lists_the_columns_it_adds_to_earlier_tables_and_the_indexes_it_builds(platform, tmp_path):
    site = tmp_path / "site"
    assert run(platform, "docs", "--out", str(site)).exit_code == OK
    phase_6 = (site / "phase-6.html").read_text()
    section = phase_6.split("Columns it adds to earlier tables, and indexes it builds")[1].split("<h2>")[0]
    assert "subscription_plans</a>.product_id" in section and "0613_subscription_plan_products" in section
    phase_3 = (site / "phase-3.html").read_text()
    assert "idx_ai_sessions_user_status" in phase_3.split("indexes it builds")[1].split("<h2>")[0]


def test_a_primary_keys_index_is_attributed_to_the_migration_that_made_its_constraint(platform, tmp_path):
    site = tmp_path / "site"
    assert run(platform, "docs", "--out", str(site)).exit_code == OK
    indexes = (site / "table-users.html").read_text().split("<h2>Indexes</h2>")[1].split("<h2>")[0]
    row = next(r for r in indexes.split("<tr>") if ">users_pkey<" in r)
    assert "0003_users" in row


def test_the_front_pages_erd_is_a_map_a_box_per_phase_each_table_a_link_to_its_page(platform, tmp_path):
    site = tmp_path / "site"
    assert run(platform, "docs", "--out", str(site)).exit_code == OK
    if "<svg" not in (site / "index.html").read_text():
        needs("dot")
    erd = (site / "index.html").read_text().split("<div class='erd'>")[1].split("</div>")[0]
    boxes = [n for n in range(ALL_PHASES) if f">phase {n}<" in erd]
    assert len(boxes) == ALL_PHASES - 1 and 2 not in boxes  # a box per phase that creates tables (2 moves data)
    tables, _ = catalog(platform)
    links = set(re.findall(r'xlink:href="(table-[^"]+\.html)"', erd))
    assert len(links) == len(tables) and all((site / link).exists() for link in links)
    assert "timestamp with time zone" not in erd  # names only: the columns are on each table's page
