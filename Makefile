# Two commands for a fresh clone with Python 3.11:  make book  and  make test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv book student-book test test-fast notebooks strip lab fixtures bench clean

help:
	@echo "make book       build the site into _build/html (notebooks executed, warnings are errors)"
	@echo "make student-book  the same site with every solution removed, into _build/student/_build/html"
	@echo "make test       run every test: optlib, doctests, nbval over the chapters, the book build"
	@echo "make test-fast  optlib tests and doctests only"
	@echo "make notebooks  re-execute every chapter and store its text outputs only"
	@echo "make strip      remove images, HTML and widget state from the committed notebooks"
	@echo "make lab        open the chapters in JupyterLab"
	@echo "make fixtures   regenerate tests/fixtures/torch_trajectories.npz (installs torch)"
	@echo "make bench      print the speed figures of optlib's runners and widgets"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

student-book: $(STAMP)
	$(BIN)/python scripts/exercises.py student-book

test: $(STAMP)
	$(BIN)/python -m pytest tests optlib chapters --doctest-modules --nbval --nbval-current-env --nbval-cell-timeout=120 -p no:randomly

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests optlib --doctest-modules --ignore=tests/test_book.py

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py chapters/*.ipynb

strip: $(STAMP)
	$(BIN)/python scripts/strip_notebooks.py chapters/*.ipynb

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet jupyterlab
	$(BIN)/jupyter lab chapters

fixtures: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python scripts/make_torch_fixtures.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf _build
