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
	$(BIN)/python -m pip install --quiet -e ".[test]"
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
