# `make figures` and `make test` are all a new user types: each creates .venv
# and installs the project into it when that is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test test-code test-notebooks figures figures-quick lab bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,cluster]"
	@# the tuning test on a real PostgreSQL server needs its binaries: Debian's package, installed as root
	@if [ "$$(id -u)" = 0 ] && ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	        && command -v apt-get >/dev/null; then \
	    echo "installing PostgreSQL (Debian's postgresql) for tests/test_tuning_postgres.py"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >$(VENV)/apt-postgresql.log 2>&1 \
	        || echo "warning: could not install PostgreSQL (see $(VENV)/apt-postgresql.log); its test will be skipped"; \
	fi
	$(BIN)/python -m dendritic warmup
	touch $(STAMP)

test: $(STAMP)
	DENDRITIC_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests notebooks/*.ipynb --nbval-lax -q

test-code: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q

test-notebooks: $(STAMP)
	DENDRITIC_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest notebooks/*.ipynb --nbval-lax -q

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m dendritic figures

figures-quick: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m dendritic figures --quick --out /tmp/dendritic-figures

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python -m dendritic bench

clean:
	rm -rf $(VENV) *.egg-info
