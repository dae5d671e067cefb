# One command installs and runs the service; one runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export MASHBOT_DATABASE_URL ?= sqlite+aiosqlite:///./mashbot.db
# `make run` is the demo: its own database, so the demo clock's future-dated events never
# reach the CLI or the reports of a real database.
DEMO_DATABASE_URL ?= sqlite+aiosqlite:///./mashbot-demo.db
# Stamps: install again only when pyproject.toml changes (a second `make run` starts at once).
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: install install-test run reset-demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(INSTALLED)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install-test: $(TEST_INSTALLED)

$(TEST_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(INSTALLED)

# serve migrates the database and, with no roster yet and no MASHBOT_ROSTER, loads the demo roster.
# It is a local trial: the console and its demo clock, on loopback (`MASHBOT_DEMO=0 make run` for neither).
run: install
	MASHBOT_DEMO=$${MASHBOT_DEMO:-1} MASHBOT_DATABASE_URL=$(DEMO_DATABASE_URL) $(BIN)/mashbot serve --host 127.0.0.1 --port 3978

# Stop the demo first (Ctrl-C in its terminal); this forgets every demo challenge and the demo clock.
reset-demo:
	rm -f mashbot-demo.db

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Each bench prints ratios measured in its own run; `-` so one missed target does not hide the rest.
# The Slack press is compared with the tree before the front desk (ack to chat.update).
PRESS_BASE ?= c1e87f0
bench: install-test
	-$(BIN)/python bench/list_bench.py
	-$(BIN)/python bench/tick_bench.py $(TICK_BENCH_ARGS)
	-$(BIN)/python bench/press_bench.py
	-$(BIN)/python bench/console_bench.py
	-$(BIN)/python bench/startup_bench.py
	-$(BIN)/python bench/slack_ack_bench.py
	-$(BIN)/python bench/press_update_bench.py --base $(PRESS_BASE)
	-$(BIN)/python bench/graph_mail_bench.py
	-$(BIN)/python bench/identifier_bench.py

clean:
	rm -rf $(VENV) mashbot.db mashbot-demo.db .pytest_cache
