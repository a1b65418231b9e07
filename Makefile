# `make figures` and `make test` are all a new user types: each creates .venv
# and installs the project into it when that is missing or out of date.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup chromium test test-fast test-code test-notebooks test-lab gallery run figures figures-quick lab bench sync student instructor book book-quick clean

setup: $(STAMP) chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,cluster,book]"
	@# the tuning test on a real PostgreSQL server needs its binaries: Debian's package, installed as root
	@if [ "$$(id -u)" = 0 ] && ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	        && command -v apt-get >/dev/null; then \
	    echo "installing PostgreSQL (Debian's postgresql) for tests/test_tuning_postgres.py"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >$(VENV)/apt-postgresql.log 2>&1 \
	        || echo "warning: could not install PostgreSQL (see $(VENV)/apt-postgresql.log); its test will be skipped"; \
	fi
	$(BIN)/python -m dendritic warmup
	touch $(STAMP)

# Debian's Chromium, for the browser tests (tests/test_book.py: the website; tests/test_lab.py: JupyterLab);
# playwright's own browser downloads are not used.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium (for tests/test_book.py and tests/test_lab.py)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will be skipped (and fail under CI=true)"; \
	  else \
	    echo "no /usr/bin/chromium: the browser tests (tests/test_book.py, tests/test_lab.py) will be skipped (install Debian's chromium package)"; \
	  fi; \
	fi

# two pytest workers (one per core); a file's tests (or a test class), and a notebook's cells, stay on one worker, in order
test: $(STAMP) chromium
	DENDRITIC_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests notebooks/*.ipynb --nbval-lax -q -rs -n 2 --dist loadscope

# The edit-test loop: the package's tests without the browser, full-size notebook, website and
# PostgreSQL tests (about 6 minutes); make test runs everything.
test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q -n 2 --dist loadscope --ignore=tests/test_lab.py \
	    --ignore=tests/test_notebooks_full.py --ignore=tests/test_book.py --ignore=tests/test_tuning_postgres.py

test-code: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q

test-notebooks: $(STAMP)
	DENDRITIC_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest notebooks/*.ipynb --nbval-lax -q

# The notebooks in JupyterLab in Debian's Chromium (tests/test_lab.py; part of `make test`).
test-lab: $(STAMP) chromium
	$(BIN)/python -m pytest tests/test_lab.py -q -rs

# The README's screenshots (docs/gallery, <= 1 MB): each demo before and after a control change, each
# animation's first frame, taken by the JupyterLab test.
gallery: $(STAMP) chromium
	DENDRITIC_GALLERY=1 $(BIN)/python -m pytest tests/test_lab.py -q -rs -k notebook_runs

# Execute one notebook outside the tests, as a student runs it (QUICK=1: small), into build/run/:
# make run NB=notebooks/02_spiral_and_backprop.ipynb
run: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make run NB=notebooks/02_spiral_and_backprop.ipynb [QUICK=1]"; exit 2; }
	$(BIN)/python notebooks/tools/editions.py run $(NB) $(if $(QUICK),--quick)

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m dendritic figures

figures-quick: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m dendritic figures --quick --out /tmp/dendritic-figures

# (as root, e.g. in a container, JupyterLab refuses to start without --allow-root)
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python -m dendritic bench

# Each notebook is a pair: 0N_name.py (edit this, or the notebook in JupyterLab) and 0N_name.ipynb.
# sync copies the more recently saved file of each pair over the other and clears the notebooks' outputs.
sync: $(STAMP)
	$(BIN)/jupytext --quiet --sync notebooks/[0-9][0-9]_*.py
	$(BIN)/jupyter nbconvert --clear-output --inplace --log-level=WARN notebooks/[0-9][0-9]_*.ipynb
	@# once more from the cleared .ipynb: the .py in exactly jupytext's form, so JupyterLab opens every pair
	$(BIN)/jupytext --quiet --sync notebooks/[0-9][0-9]_*.ipynb

# The two editions (cell tags, see notebooks/tools/editions.py), into build/student and build/instructor.
student instructor: $(STAMP)
	$(BIN)/python notebooks/tools/editions.py $@

# The course website from the executed student edition, into build/book (book-quick: notebooks run small).
book: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python notebooks/tools/book.py

book-quick: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python notebooks/tools/book.py --quick

clean:
	rm -rf $(VENV) *.egg-info build
