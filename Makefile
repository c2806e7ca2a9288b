# Two commands for a fresh clone with Python 3.11:  make book  and  make test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv book student-book assignments autograde launch-cells test-binder test-assignments test test-main test-baseline audit-fp test-fast notebooks strip lab fixtures bench clean test-live

# pytest-xdist workers; nbval keeps each notebook in one worker (--dist loadscope)
JOBS   ?= 2
PYTEST := $(BIN)/python -m pytest -p no:randomly
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=120
# the chapters, or NB=chapters/04_adagrad.ipynb for one
NB     ?= chapters

help:
	@echo "make book       build the site into _build/html (notebooks executed, warnings are errors)"
	@echo "make student-book  the same site with every solution removed, into _build/student/_build/html"
	@echo "make assignments   every chapter as an nbgrader assignment: student notebooks, no solutions,"
	@echo "                   in $(ASSIGNMENTS_DIR)/release (ASSIGNMENTS_DIR=path to choose; installs nbgrader)"
	@echo "make autograde SUBMISSIONS=path  nbgrader autograde on path/<student>/NN_name.ipynb, scores printed"
	@echo "make test-assignments  nbgrader autograde on every chapter (make test: first and last)"
	@echo "make test-binder   a fresh venv from requirements.txt and runtime.txt alone runs every chapter"
	@echo "make launch-cells  rewrite each chapter's Colab set-up cell from repository: in _config.yml"
	@echo "make test       run every test: optlib, doctests, nbval over the chapters, the book build,"
	@echo "                then nbval again with numpy at its baseline SIMD dispatch (test-baseline)"
	@echo "make test-baseline  nbval over the chapters with numpy's SIMD dispatch switched off"
	@echo "make audit-fp   nbval with sin/exp/... moved by one ulp (3 seeds): finds fragile printed digits"
	@echo "make test-fast  optlib tests and doctests only"
	@echo "make notebooks  re-execute every chapter and store its text outputs only"
	@echo "                (NB=chapters/04_adagrad.ipynb: one chapter; also for test-baseline, audit-fp)"
	@echo "make strip      remove images, HTML and widget state from the committed notebooks"
	@echo "make lab        open the chapters in JupyterLab"
	@echo "make fixtures   regenerate tests/fixtures/torch_trajectories.npz (installs torch)"
	@echo "make bench      print the speed figures of optlib's runners and widgets, and the"
	@echo "                slider-to-figure time in JupyterLab (installs what test-live needs)"
	@echo "make test-live  run every chapter in JupyterLab in headless Chromium as a student would:"
	@echo "                errors, explorer layout at 1280 and 1024 px, slider redraws, players, MyST"
	@echo "                (NB=chapters/02_momentum.ipynb: one chapter; screenshots in $(LIVE_OUT))"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# The live test's extras (JupyterLab, jupyterlab-myst, Notebook 7, selenium), in .venv with
# their own stamp; Debian's chromium and chromium-driver are checked on every run and
# installed with apt-get when missing (scripts/install_chromium.sh).
LIVE_STAMP := $(VENV)/.installed-live
LIVE_OUT   ?= _build/live

$(LIVE_STAMP): $(STAMP) requirements-live.txt
	$(BIN)/python -m pip install --quiet -r requirements-live.txt
	touch $(LIVE_STAMP)

# nbgrader for the course tools and their tests (requirements-instructor.txt), own stamp
INSTRUCTOR_STAMP := $(VENV)/.installed-instructor
ASSIGNMENTS_DIR  ?= _build/course

$(INSTRUCTOR_STAMP): $(STAMP) requirements-instructor.txt
	$(BIN)/python -m pip install --quiet -r requirements-instructor.txt
	touch $(INSTRUCTOR_STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

student-book: $(STAMP)
	$(BIN)/python scripts/assignments.py student-book

# nbgrader autograde on every chapter (make test autogrades the first and the last only:
# each chapter runs twice); the handout checks run on every chapter in make test too.
test-assignments: $(STAMP) $(INSTRUCTOR_STAMP)
	OPTLIB_AUTOGRADE=all $(PYTEST) tests/test_assignments.py -n $(JOBS)

# Binder's path: a fresh venv from requirements.txt and runtime.txt alone runs every chapter
# (NB=chapters/02_momentum.ipynb for one); needs the Python runtime.txt names on PATH.
test-binder: $(STAMP)
	$(BIN)/python scripts/binder_check.py $(filter-out chapters,$(NB))

launch-cells: $(STAMP)
	$(BIN)/python scripts/launch_cells.py

assignments: $(INSTRUCTOR_STAMP)
	$(BIN)/python scripts/assignments.py generate --course "$(ASSIGNMENTS_DIR)"

autograde: $(INSTRUCTOR_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make autograde SUBMISSIONS=path [ASSIGNMENTS_DIR=...]" >&2; exit 2; }
	$(BIN)/python scripts/assignments.py autograde "$(SUBMISSIONS)" --course "$(ASSIGNMENTS_DIR)"

test: test-main test-baseline

test-main: $(STAMP) $(INSTRUCTOR_STAMP)
	$(PYTEST) tests optlib chapters --doctest-modules $(NBVAL) -n $(JOBS) --dist loadscope

# The committed outputs compared against a second floating-point path: numpy's sin, exp,
# log, power differ in the last bit between SIMD code paths (AVX-512, AVX2, baseline), so
# a digit that depends on that bit fails here (CONTRIBUTING.md, "Outputs that hold on
# every machine"). fp_baseline.py check prints numpy.show_runtime()'s SIMD report and
# fails if a dispatch target is still on.
test-baseline: $(STAMP)
	@export NPY_DISABLE_CPU_FEATURES="$$($(BIN)/python scripts/fp_baseline.py features)"; \
	$(BIN)/python scripts/fp_baseline.py check && \
	$(PYTEST) $(NB) $(NBVAL) -n $(JOBS) --dist loadscope

# Stronger than test-baseline, and slower: every result of sin, cos, exp, log, tanh,
# arctan and power is moved by -1, 0 or +1 ulp (a fixed function of the input, one per
# seed). A printed figure that changes here would change on some reader's machine.
audit-fp: $(STAMP)
	@for seed in 1 2 3; do \
	  echo "== one-ulp audit, seed $$seed"; \
	  OPTLIB_ULP_NOISE=1 OPTLIB_ULP_SEED=$$seed PYTHONPATH=$(CURDIR)/scripts/ulp_noise \
	    $(PYTEST) $(NB) $(NBVAL) -n $(JOBS) --dist loadscope -q || exit 1; \
	done

test-fast: $(STAMP)
	$(PYTEST) tests optlib --doctest-modules --ignore=tests/test_book.py -n $(JOBS)

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py $(if $(filter chapters,$(NB)),chapters/*.ipynb,$(NB))

strip: $(STAMP)
	$(BIN)/python scripts/strip_notebooks.py chapters/*.ipynb

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet $$(grep -oE '^(jupyterlab|jupyterlab-myst)==[^ ]+' requirements-live.txt)
	$(BIN)/jupyter lab chapters

fixtures: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python scripts/make_torch_fixtures.py

bench: $(STAMP) $(LIVE_STAMP)
	@bash scripts/install_chromium.sh
	$(BIN)/python benchmarks/run_benchmarks.py

# Every chapter of _toc.yml (or NB=...) opened in JupyterLab, Run All, explorers and players
# checked in headless Chromium (tests/live/test_live.py); not part of `make test`.
test-live: $(STAMP) $(LIVE_STAMP)
	@bash scripts/install_chromium.sh
	OPTLIB_LIVE=1 OPTLIB_LIVE_NB="$(NB)" OPTLIB_LIVE_OUT="$(LIVE_OUT)" \
	  $(PYTEST) tests/live -v -s -p no:xdist

clean:
	rm -rf _build
