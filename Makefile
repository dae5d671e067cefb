# One command installs and runs the service; one runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export MASHBOT_DATABASE_URL ?= sqlite+aiosqlite:///./mashbot.db

.PHONY: install install-test run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

# serve migrates the database and, with no roster yet and no MASHBOT_ROSTER, loads the demo roster.
run: install
	$(BIN)/mashbot serve --host 127.0.0.1 --port 3978

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Each bench prints ratios measured in its own run; `-` so one missed target does not hide the rest.
bench: install-test
	-$(BIN)/python bench/list_bench.py
	-$(BIN)/python bench/tick_bench.py $(TICK_BENCH_ARGS)
	-$(BIN)/python bench/press_bench.py
	-$(BIN)/python bench/console_bench.py
	-$(BIN)/python bench/startup_bench.py
	-$(BIN)/python bench/slack_ack_bench.py

clean:
	rm -rf $(VENV) mashbot.db .pytest_cache
