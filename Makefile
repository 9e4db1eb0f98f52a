# Loanwatch: `make demo` runs the system on its embedded default; `make test` runs the tests
# against real Neo4j, PostgreSQL and Redis servers started on this machine for the tests
# alone (tools/services.sh: a test Neo4j on 127.0.0.1:7688 with its data in var/neo4j-test,
# the database loanwatch_test), never the Neo4j of `make neo4j` (127.0.0.1:7687, var/neo4j).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ML_STAMP := $(VENV)/.installed-ml-stamp

.PHONY: install install-ml demo serve test test-fast services neo4j neo4j-stop stop lint bench clean

install: $(STAMP)

# Reinstall whenever the pinned versions change. constraints.txt is the lock file.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# The GNN's torch (several GiB from PyPI): `make test` installs it, `make demo` does not.
install-ml: $(ML_STAMP)

$(ML_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,ml]'
	@touch $(ML_STAMP)

demo: install
	$(BIN)/loanwatch demo

serve: install
	$(BIN)/loanwatch serve

# The test servers (see tools/services.sh).
services: install
	tools/services.sh start

# Your own Neo4j, for `LOANWATCH_NEO4J_URI=bolt://127.0.0.1:7687 loanwatch demo`.
neo4j: install
	$(BIN)/loanwatch neo4j start

neo4j-stop:
	$(BIN)/loanwatch neo4j stop

stop:
	tools/services.sh stop

# The lint and the layer contract run first, so that they cannot drift from the tests.
test: install-ml lint services
	$(BIN)/python -m pytest

# Unit tests only: no server needed.
test-fast: install-ml
	$(BIN)/python -m pytest -m "not neo4j and not postgres and not redis"

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install-ml services
	$(BIN)/python -m benchmarks.import_throughput
	$(BIN)/python -m benchmarks.generation
	$(BIN)/python -m benchmarks.detection
	$(BIN)/python -m benchmarks.groups_rings
	$(BIN)/python -m benchmarks.debtrank
	$(BIN)/python -m benchmarks.scan
	$(BIN)/python -m benchmarks.early_warning
	$(BIN)/python -m benchmarks.model_train
	$(BIN)/python -m benchmarks.portfolio_features
	$(BIN)/python -m benchmarks.pd_models
	$(BIN)/python -m benchmarks.neighbourhood

clean:
	rm -rf var/demo var/bench .pytest_cache
