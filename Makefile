# Two commands for a fresh machine (see README.md):
#   make book   build the HTML book into _build/html
#   make test   a clean -W book build, then every test, the chapter notebooks
#               and the browser tests of the built book
# Both create .venv and install requirements.txt into it first, when needed.
# For instructors (README, "Instructor edition"):
#   make assignments   the exercises as nbgrader assignments in _build/course
# For maintainers (README, "Tests"; CI runs it after make test):
#   make prove  retrain every stored result of chapters 7-9 and compare

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JB     := $(BIN)/jupyter-book
# -W: warnings are errors; -n: nit-picky, so every broken cross-reference is one;
# --keep-going: report all of them, then fail.
JB_STRICT := -W -n --keep-going
# The execution cache (see _config.yml) keys on notebook code only. This stamp
# holds a hash of the library and its data, so a library change clears the cache.
LIB_HASH_FILE := _build/.jupyter_cache/.rnn_course.sha256

.PHONY: book test lab assignments clean install bench prove help

# The chapters, tests and tasks multiply small matrices (D = 16 to 64), where
# a multi-threaded BLAS only adds overhead, and 2 to 5 times more of it on a
# shared machine (measured). One BLAS thread for them; `make bench`, which
# times large sizes against PyTorch, keeps numpy's default.
book test lab assignments prove: export OPENBLAS_NUM_THREADS = 1
book test lab assignments prove: export OMP_NUM_THREADS = 1
book test lab assignments prove: export MKL_NUM_THREADS = 1

help:
	@echo "make book   build the HTML book (creates .venv on first use)"
	@echo "make test   a clean -W book build, then the tests, the chapter notebooks (nbval) and the browser tests"
	@echo "make lab    open JupyterLab on book/ in the project's environment;"
	@echo "            LAB_ARGS passes options to it, e.g. make lab LAB_ARGS=--no-browser"
	@echo "make assignments  for instructors: every chapter's exercises as an nbgrader assignment,"
	@echo "            source and student release in _build/course (see the README)"
	@echo "make bench  time the library against PyTorch when it is installed"
	@echo "make prove  retrain every file in book/beyond/checkpoints/ (one process per core, minutes),"
	@echo "            compare each with the committed one, and run chapters 7-9 on the retrained files"
	@echo "make clean  remove the build output and the execution cache"

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# The library hash: every file under rnn_course/ that a notebook could see.
lib-hash = $$(find rnn_course -type f ! -path '*/__pycache__/*' ! -name '*.pyc' | LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1)

book: $(STAMP)
	@mkdir -p _build/.jupyter_cache
	@if [ "$$(cat $(LIB_HASH_FILE) 2>/dev/null)" != "$(lib-hash)" ]; then \
	  echo "rnn_course changed since the last build: clearing the notebook execution cache"; \
	  rm -rf _build/.jupyter_cache; mkdir -p _build/.jupyter_cache; \
	fi
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(JB) build . $(JB_STRICT)
	@echo "$(lib-hash)" > $(LIB_HASH_FILE)
	@echo
	@echo "The book is built: $(CURDIR)/_build/html/index.html"

# make test: first a clean -W build of the book with notebook execution off,
# then pytest: the library tests, every chapter notebook under nbval (which
# executes each notebook once and compares every output with the stored one, so
# it proves that the outputs the build just rendered are exactly what the code
# produces), and the browser tests of that build (tests/test_browser.py: every
# page in headless Chromium, offline; they skip when no Chromium is installed).
# What skipped, and why, is the last thing make test prints: one line per reason,
# from tests/conftest.py, which writes them to _build/skipped.txt too. The option
# is written with `=`: pytest reads its paths before tests/conftest.py defines the
# option, so a separate value that names an existing file would become a test path.
# pytest runs on one worker per core (pytest-xdist). --dist loadscope keeps
# each notebook on one worker, as nbval needs (a notebook's cells share one
# kernel), and each test module; tests/conftest.py splits the browser tests
# by page (one load per page serves its tests).
# The build's config is a copy in _build/, and Jupyter Book reads the
# local_extensions paths relative to the config file, hence the second sed.
test: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute _build/screenshots _build/skipped.txt
	@mkdir -p _build
	sed -e 's/^\(  *execute_notebooks:\).*/\1 "off"/' -e 's|: book/_ext$$|: ../book/_ext|' \
	  _config.yml > _build/_config.noexec.yml
	grep -q 'execute_notebooks: "off"' _build/_config.noexec.yml
	grep -q ': ../book/_ext$$' _build/_config.noexec.yml
	$(JB) build . $(JB_STRICT) --config _build/_config.noexec.yml
	$(BIN)/python -m pytest -n auto --dist loadscope --durations=15 --skip-summary-file=_build/skipped.txt
	@echo
	@echo "All tests passed, and the book builds with zero warnings: $(CURDIR)/_build/html/index.html"
	@cat _build/skipped.txt

# JupyterLab refuses to start as root (a container, a CI machine) unless given
# --allow-root, so it gets that flag only then. LAB_ARGS passes anything else:
#   make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
lab-as-root = $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=book $(lab-as-root) $(LAB_ARGS)

# make assignments: the instructor edition. scripts/make_assignments.py writes an nbgrader course
# directory, _build/course: nbgrader_config.py, source/<chapter>/ (the chapters with nbgrader's cell
# metadata and their solutions) and, by `nbgrader generate_assignment`, release/<chapter>/ (the student
# copies, without solutions). The gradebook is _build/course/gradebook.db; run the other nbgrader
# commands (autograde, export ...) from _build/course.
assignments: $(STAMP)
	$(BIN)/python scripts/make_assignments.py --course _build/course

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rnn.py
	$(BIN)/python benchmarks/bench_train.py

# make prove: the files under book/beyond/checkpoints/ hold trainings too slow for a chapter
# (minutes of CPU), written by its skipped RETRAIN cells. scripts/prove_checkpoints.py reads
# each cell's settings, retrains every file into a temporary directory on one process per core,
# compares it with the committed one, then runs chapters 7-9 under nbval on the retrained files.
# It never writes under book/. Too slow for make test, which checks in seconds that the files
# record their cells' settings (tests/test_prove_checkpoints.py); CI runs make prove after it.
prove: $(STAMP)
	$(BIN)/python scripts/prove_checkpoints.py

clean:
	rm -rf _build
