# Two commands for a fresh clone with Python 3.11:  make book  and  make test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test-nbval test-book test-browser help venv book student-book assignments autograde launch-cells test-binder test-assignments test test-main test-baseline audit-fp test-fast notebooks strip lab fixtures bench clean test-live

# pytest-xdist workers; nbval keeps each notebook in one worker (--dist loadscope)
JOBS   ?= 2
PYTEST := $(BIN)/python -m pytest -p no:randomly
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=120
# the chapters, or NB=chapters/04_adagrad.ipynb for one
NB     ?= chapters

help:
	@echo "make book       build the site into _build/html (notebooks executed, warnings are errors)"
	@echo "make student-book  the same site with every solution removed, into _build/student/_build/html"
	@echo "make book-lite  the site with a \"Run in your browser\" button on every chapter: JupyterLite"
	@echo "                and Pyodide in _build/html/lite, all served by the site (installs its tools)"
	@echo "make test-lite  build the JupyterLite site, run a chapter in it in headless Chromium: cells,"
	@echo "                figures, a slider, every request on 127.0.0.1 (LITE_NB=...; default chapter 2)"
	@echo "make test-lite-all  make book-lite, then every chapter from its page's button"
	@echo "make test-min-versions  optlib's tests in a venv with numpy 2.0.2 and matplotlib 3.8.4"
	@echo "                (the oldest versions declared; the browser's): requirements-min.txt"
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
	@echo "make test-browser  every page of the built site in headless Chromium: console errors,"
	@echo "                images and alt text, static twins, page weight, requests, axe-core"
	@echo "                accessibility (WCAG 2.1 A/AA); screenshots in $(BROWSER_OUT)"
	@echo "make test-live  run every chapter in JupyterLab in headless Chromium as a student would:"
	@echo "                errors, explorer layout at 1280 and 1024 px, slider redraws, players, MyST"
	@echo "                (NB=chapters/02_momentum.ipynb: one chapter; screenshots in $(LIVE_OUT))"

# uv installs requirements.txt into the venv in a quarter of pip's time (35 s against 116 s
# here, the same versions), and the extras' files (live, instructor, lite) in 3 s against
# pip's 34 s (the same versions); pip does it if uv cannot (its index unreachable, say).
UV_VERSION := 0.13.9

# Every requirements file goes in this way: $(call uv_install,requirements-live.txt).
uv_install = $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
	  $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS)) -r $(1) \
	  || $(BIN)/python -m pip install --quiet -r $(1)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(call uv_install,requirements.txt)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# The live test's extras (JupyterLab, jupyterlab-myst, Notebook 7, selenium), in .venv with
# their own stamp; Debian's chromium and chromium-driver are checked on every run and
# installed with apt-get when missing (scripts/install_chromium.sh).
LIVE_STAMP := $(VENV)/.installed-live
LIVE_OUT   ?= _build/live

$(LIVE_STAMP): $(STAMP) requirements-live.txt
	$(call uv_install,requirements-live.txt)
	touch $(LIVE_STAMP)

# nbgrader for the course tools and their tests (requirements-instructor.txt), own stamp
INSTRUCTOR_STAMP := $(VENV)/.installed-instructor
ASSIGNMENTS_DIR  ?= _build/course

$(INSTRUCTOR_STAMP): $(STAMP) requirements-instructor.txt
	$(call uv_install,requirements-instructor.txt)
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

# Each chapter runs once per dispatch: nbval's kernels' outputs (conftest.py) fill the book's
# execution cache (scripts/book_cache.py), so the book build renders them without running
# them again; the build then runs beside the baseline nbval pass, one core each.
EXECUTED := _build/executed

test: test-nbval
	$(MAKE) --no-print-directory -j2 --output-sync=target test-book test-baseline

test-main: test-nbval
	$(MAKE) --no-print-directory test-book

# optlib's tests, doctests, the course tools' tests and nbval over the chapters
test-nbval: $(STAMP) $(INSTRUCTOR_STAMP)
	rm -rf $(EXECUTED)
	OPTLIB_EXECUTED_DIR=$(CURDIR)/$(EXECUTED) \
	  $(PYTEST) tests optlib chapters --doctest-modules $(NBVAL) -n $(JOBS) --dist loadscope \
	  --ignore=tests/test_book.py
	$(BIN)/python scripts/book_cache.py $(EXECUTED)

# the book built as `make book` builds it (warnings are errors), its pages read back
test-book: $(STAMP)
	$(PYTEST) tests/test_book.py

# The committed outputs compared against a second floating-point path: numpy's sin, exp,
# log, power differ in the last bit between SIMD code paths (AVX-512, AVX2, baseline), so
# a digit that depends on that bit fails here (CONTRIBUTING.md, "Outputs that hold on
# every machine"). fp_baseline.py check prints numpy.show_runtime()'s SIMD report and
# fails if a dispatch target is still on.
#
# These second passes compare text only (nbval skips images), so their kernels draw no
# figure (scripts/text_kernel.py: an IPython profile that gives matplotlib's inline backend
# no image format; a figure shows as its text, as the committed notebooks hold it). The
# first pass, whose figures the book shows, draws them all.
TEXT_KERNEL := $(CURDIR)/_build/text-kernel
TEXT_KERNEL_CONFIG := $(TEXT_KERNEL)/profile_default/ipython_kernel_config.py

$(TEXT_KERNEL_CONFIG): scripts/text_kernel.py
	@$(PYTHON) scripts/text_kernel.py $(TEXT_KERNEL) >/dev/null

test-baseline: $(STAMP) $(TEXT_KERNEL_CONFIG)
	@export NPY_DISABLE_CPU_FEATURES="$$($(BIN)/python scripts/fp_baseline.py features)"; \
	$(BIN)/python scripts/fp_baseline.py check && \
	IPYTHONDIR=$(TEXT_KERNEL) $(PYTEST) $(NB) $(NBVAL) -n $(JOBS) --dist loadscope

# Stronger than test-baseline, and slower: every result of sin, cos, exp, log, tanh,
# arctan and power is moved by -1, 0 or +1 ulp (a fixed function of the input, one per
# seed). A printed figure that changes here would change on some reader's machine.
audit-fp: $(STAMP) $(TEXT_KERNEL_CONFIG)
	@for seed in 1 2 3; do \
	  echo "== one-ulp audit, seed $$seed"; \
	  OPTLIB_ULP_NOISE=1 OPTLIB_ULP_SEED=$$seed PYTHONPATH=$(CURDIR)/scripts/ulp_noise \
	    IPYTHONDIR=$(TEXT_KERNEL) \
	    $(PYTEST) $(NB) $(NBVAL) -n $(JOBS) --dist loadscope -q || exit 1; \
	done

test-fast: $(STAMP) $(INSTRUCTOR_STAMP)
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

# Debian's chromium and chromium-driver, installed once per make run when missing (a
# prerequisite, so that targets run side by side with -j2 never race on apt-get)
.PHONY: chromium
chromium:
	@bash scripts/install_chromium.sh

bench: $(STAMP) $(LIVE_STAMP) chromium
	$(BIN)/python benchmarks/run_benchmarks.py

# Every chapter of _toc.yml (or NB=...) opened in JupyterLab, Run All, explorers and players
# checked in headless Chromium (tests/live/test_live.py); not part of `make test`.
test-live: $(STAMP) $(LIVE_STAMP) chromium
	OPTLIB_LIVE=1 OPTLIB_LIVE_NB="$(NB)" OPTLIB_LIVE_OUT="$(LIVE_OUT)" \
	  $(PYTEST) tests/live -v -s -p no:xdist

# Every page of the built site in headless Chromium (tests/browser, scripts/site_check.py):
# console errors, images and players loaded with real alt text, static twins present, page
# weight, no request leaving the site, axe-core's WCAG 2.1 A/AA checks; screenshots of every
# page in $(BROWSER_OUT). Builds the book first (incremental when make test just built it).
BROWSER_OUT ?= _build/browser
AXE_STAMP   := tests/browser/node_modules/.package-lock.json

$(AXE_STAMP): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || bash scripts/install_chromium.sh npm
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

test-browser: $(STAMP) $(LIVE_STAMP) $(AXE_STAMP) chromium
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going >/dev/null
	OPTLIB_BROWSER=1 OPTLIB_BROWSER_OUT="$(BROWSER_OUT)" $(PYTEST) tests/browser -v -p no:xdist

# JupyterLite (issue 14): its build tools in .venv with their own stamp (requirements-lite.txt);
# npm (Debian's) fetches Pyodide's core. `make book` stays as it is: the button and the site
# are switched on by OPTLIB_LITE=1 (_ext/lite.py, scripts/build_lite.py).
.PHONY: book-lite test-lite test-lite-all test-min-versions lite-tools
LITE_STAMP := $(VENV)/.installed-lite
LITE_NB    ?= chapters/02_momentum.ipynb
LITE_TEST_OUT ?= $(CURDIR)/_build/lite-test

# after the live extras: two pip runs in one venv at once (make -j2) would race
$(LITE_STAMP): $(STAMP) $(LIVE_STAMP) requirements-lite.txt
	$(call uv_install,requirements-lite.txt)
	touch $(LITE_STAMP)

lite-tools: $(LITE_STAMP)
	@command -v npm >/dev/null || bash scripts/install_chromium.sh npm

book-lite: $(STAMP) lite-tools
	OPTLIB_LITE=1 $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

# The JupyterLite site alone (no book build), LITE_NB run in it: about 2 minutes for chapter 2.
test-lite: $(STAMP) lite-tools chromium
	OPTLIB_LITE_TEST=1 OPTLIB_LITE_NB="$(LITE_NB)" OPTLIB_LITE_OUT="$(LITE_TEST_OUT)" \
	  $(PYTEST) tests/lite -v -s -p no:xdist

# Every chapter, opened from its page's "Run in your browser" button in the book book-lite built.
test-lite-all: book-lite chromium
	OPTLIB_LITE_TEST=1 OPTLIB_LITE_NB=chapters OPTLIB_LITE_HTML="$(CURDIR)/_build/html" \
	  OPTLIB_LITE_OUT="$(LITE_TEST_OUT)" $(PYTEST) tests/lite -v -s -p no:xdist

# optlib's tests and doctests against the oldest versions pyproject.toml declares (the ones
# the browser's Pyodide has), in a venv of their own (Python 3.11, $(MIN_VENV)).
MIN_VENV  := $(VENV)/min-versions
MIN_STAMP := $(MIN_VENV)/.installed
MIN_TESTS := $(filter-out tests/test_book.py tests/test_notebooks.py tests/test_assignments.py \
               tests/test_launch.py tests/test_workflow.py tests/test_fp_tools.py, \
               $(wildcard tests/test_*.py))

$(MIN_STAMP): requirements-min.txt pyproject.toml
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet -r requirements-min.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -e .
	touch $(MIN_STAMP)

test-min-versions: $(MIN_STAMP)
	$(MIN_VENV)/bin/python -c "import numpy, matplotlib; print('numpy', numpy.__version__, \
	  'matplotlib', matplotlib.__version__)"
	$(MIN_VENV)/bin/python -m pytest -p no:randomly -p no:cacheprovider $(MIN_TESTS) optlib \
	  --doctest-modules -n $(JOBS) -q

clean:
	rm -rf _build
