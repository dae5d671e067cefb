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
# It is a local trial: the console and its demo clock, on loopback (`MASHBOT_DEMO=0 make run` for neither).
run: install
	MASHBOT_DEMO=$${MASHBOT_DEMO:-1} $(BIN)/mashbot serve --host 127.0.0.1 --port 3978

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python bench/tick_bench.py
	$(BIN)/python bench/slack_ack_bench.py
	$(BIN)/python bench/graph_mail_bench.py
	$(BIN)/python bench/identifier_bench.py

clean:
	rm -rf $(VENV) mashbot.db .pytest_cache
