# The course's commands. `make help` lists them.
# Pass lesson flags with ARGS, e.g.:  make lesson03 ARGS="--cell lstm --epochs 3"

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SITE_STAMP := $(VENV)/.site-installed
ARGS ?=

# A folder of the datasets beside the checkout (as on the course's CI) is used as the
# data root unless COURSE_DATA_DIR is already set.
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(origin COURSE_DATA_DIR), undefined)
ifneq ($(wildcard $(SHARED_DATA)/README.md),)
export COURSE_DATA_DIR := $(SHARED_DATA)
endif
endif

.DEFAULT_GOAL := help
.PHONY: help venv notebooks lab test lesson01 lesson02 lesson03 compare03 lesson04 lesson05 lesson06 lesson07 compare07 lesson08 lesson09 data tensorboard bench bench-readme export clean \
	format lint exercises check hint watch reset solution site readme-figures
EX ?=

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# GPU=1 (make venv GPU=1) installs TensorFlow's GPU build, tensorflow[and-cuda] at the pinned
# version (Linux with an NVIDIA driver), instead of the CPU build; the venv remembers the choice
# (GPU=0 switches back). Everything else is the same pinned list.
ifeq ($(origin GPU), undefined)
GPU := $(if $(wildcard $(VENV)/.gpu),1,0)
endif
TF_VERSION := $(shell sed -n 's/^tensorflow-cpu==\([0-9.]*\).*/\1/p' requirements.txt)
ifeq ($(GPU),1)
STAMP := $(VENV)/.installed-gpu
endif
PIP := $(PY) -m pip --disable-pip-version-check

# BACKEND=jax or torch (make lesson07 BACKEND=jax) runs a lesson on that Keras backend, installing it
# into .venv the first time (versions pinned in requirements-backends.txt); tensorflow is the default.
# The build fits the machine, as TensorFlow's does: with GPU=1 and an NVIDIA driver (nvidia-smi on the
# PATH) the CUDA builds, jax[cuda12] and PyPI's torch (several GB); otherwise the CPU builds, jax[cpu]
# and, on Linux, torch from PyTorch's CPU index (PyPI's Linux torch is the CUDA build). Changing build
# uninstalls the other one first.
BACKEND ?=
BACKENDS := tensorflow jax torch
NVIDIA_SMI ?= $(shell command -v nvidia-smi 2>/dev/null)
OS_NAME ?= $(shell uname -s)
BACKEND_BUILD := $(if $(and $(filter 1,$(GPU)),$(NVIDIA_SMI)),gpu,cpu)
ifneq ($(BACKEND),)
ifeq ($(filter $(BACKEND),$(BACKENDS)),)
$(error BACKEND must be one of: $(BACKENDS) (got "$(BACKEND)"))
endif
export KERAS_BACKEND := $(BACKEND)
BACKEND_STAMP := $(if $(filter tensorflow,$(BACKEND)),,$(VENV)/.backend-$(BACKEND)-$(BACKEND_BUILD))
endif
BACKEND_PIN = $(shell sed -n 's/^$(1)\(\[[^]]*\]\)\{0,1\}==\([^ ;]*\).*/\2/p' requirements-backends.txt)
JAX_VERSION := $(call BACKEND_PIN,jax)
TORCH_VERSION := $(call BACKEND_PIN,torch)
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# What pip installs for each backend and build, and what it uninstalls before changing build
BACKEND_PIP_jax_cpu := "jax[cpu]==$(JAX_VERSION)"
BACKEND_PIP_jax_gpu := "jax[cuda12]==$(JAX_VERSION)"
BACKEND_PIP_torch_cpu := "torch==$(TORCH_VERSION)" $(if $(filter Linux,$(OS_NAME)),--index-url $(TORCH_CPU_INDEX) --extra-index-url https://pypi.org/simple)
BACKEND_PIP_torch_gpu := "torch==$(TORCH_VERSION)"
BACKEND_PACKAGES_jax := jax jaxlib jax-cuda12-plugin jax-cuda12-pjrt
BACKEND_PACKAGES_torch := torch

# $* is <backend>-<build>, e.g. jax-cpu
$(VENV)/.backend-%: requirements-backends.txt | $(STAMP)
	@echo "Installing the $(firstword $(subst -, ,$*)) backend's $(lastword $(subst -, ,$*)) build into $(VENV) (first time only)..."
	@other=$(VENV)/.backend-$(firstword $(subst -, ,$*))-$(if $(filter %-cpu,$*),gpu,cpu); \
	if test -f $$other; then $(PIP) uninstall --quiet --yes $(BACKEND_PACKAGES_$(firstword $(subst -, ,$*))) 2>/dev/null; rm -f $$other; fi
	@$(PIP) install --quiet $(BACKEND_PIP_$(subst -,_,$*))
	@touch $@

# `make test` needs JAX (some tests run on it): the build already installed, else the CPU build.
$(VENV)/.backend-jax: $(or $(wildcard $(VENV)/.backend-jax-gpu),$(VENV)/.backend-jax-cpu)
	@touch $@

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@echo "Setting up $(VENV) (first time only, about a minute)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
ifeq ($(GPU),1)
	@echo "GPU=1: TensorFlow $(TF_VERSION)'s GPU build with its CUDA libraries (a few GB)..."
	@$(PIP) uninstall --quiet --yes tensorflow-cpu 2>/dev/null || true
	@grep -vE '^tensorflow(-cpu)?[=;]' requirements.txt > $(VENV)/requirements-gpu.txt
	@$(PIP) install --quiet -r $(VENV)/requirements-gpu.txt "tensorflow[and-cuda]==$(TF_VERSION)"
	@touch $(VENV)/.gpu
else
	@if test -f $(VENV)/.gpu; then $(PIP) uninstall --quiet --yes tensorflow && rm -f $(VENV)/.gpu $(VENV)/.installed-gpu; fi
	@$(PIP) install --quiet -r requirements.txt
endif
	@# the course itself, editable: lessons import course_utils from any folder (a notebook's kernel starts in lessons/)
	@$(PIP) install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install the pinned dependencies (GPU=1: TensorFlow's GPU build)

notebooks: $(STAMP) ## write every lesson as a notebook, lessons/lessonNN_*.ipynb (kernel: this .venv)
	@$(PY) -m course_utils.notebooks

# JupyterLab, pinned in requirements-lab.txt (the course's own pins hold), serves on 127.0.0.1 unless LAB_IP
# says otherwise (LAB_IP=0.0.0.0 in a container you reach from outside); --allow-root only when run as root;
# no browser is opened on Linux without a display (open the URL it prints).
LAB_IP ?= 127.0.0.1
LAB_UID ?= $(shell id -u)
LAB_FLAGS = --ip=$(LAB_IP) $(if $(filter 0,$(LAB_UID)),--allow-root) \
	$(if $(and $(filter Linux,$(OS_NAME)),$(if $(DISPLAY)$(WAYLAND_DISPLAY),,1)),--no-browser)

$(VENV)/.lab: requirements-lab.txt | $(STAMP)
	@echo "Installing JupyterLab into $(VENV) (first time only)..."
	@$(PIP) install --quiet -r requirements-lab.txt -c requirements.txt
	@touch $@

lab: notebooks $(VENV)/.lab ## open the lessons in JupyterLab (installs it into .venv the first time)
	@$(VENV)/bin/jupyter lab $(strip $(LAB_FLAGS)) lessons/

lesson01: $(STAMP) $(BACKEND_STAMP) ## an RNN from scratch: NumPy step, BPTT, "hello", names
	@$(PY) -m lessons.lesson01_rnn_from_scratch $(ARGS)

lesson02: $(STAMP) $(BACKEND_STAMP) ## LSTM and GRU gates, vanishing gradients, clipping
	@$(PY) -m lessons.lesson02_gates $(ARGS)

lesson03: $(STAMP) $(BACKEND_STAMP) ## many-to-one: IMDB sentiment (--cell rnn|lstm|gru)
	@$(PY) -m lessons.lesson03_sentiment $(ARGS)

compare03: $(STAMP) $(BACKEND_STAMP) ## lesson03 with rnn, lstm and gru at the same budget, one table
	@$(PY) -m lessons.lesson03_sentiment compare $(ARGS)

lesson04: $(STAMP) $(BACKEND_STAMP) ## synced many-to-many: part-of-speech tagging and NER
	@$(PY) -m lessons.lesson04_tagging $(ARGS)

lesson05: $(STAMP) $(BACKEND_STAMP) ## seq2seq: English to French with attention and beam search
	@$(PY) -m lessons.lesson05_translation $(ARGS)

lesson06: $(STAMP) $(BACKEND_STAMP) ## one-to-many: image captioning on Flickr8k
	@$(PY) -m lessons.lesson06_captioning $(ARGS)

lesson07: $(STAMP) $(BACKEND_STAMP) ## character-level language model and its neurons
	@$(PY) -m lessons.lesson07_char_lm $(ARGS)

compare07: $(STAMP) $(BACKEND_STAMP) ## lesson07 stateless vs stateful, same seed and budget
	@$(PY) -m lessons.lesson07_char_lm compare $(ARGS)

lesson08: $(STAMP) $(BACKEND_STAMP) ## forecasting: Beijing PM2.5, baselines first, 80% intervals
	@$(PY) -m lessons.lesson08_forecasting $(ARGS)

lesson09: $(STAMP) $(BACKEND_STAMP) ## after attention: GRU, causal Transformer and minGRU at one budget
	@$(PY) -m lessons.lesson09_recurrence $(ARGS)

# When an exercise command fails (a check that does not pass yet), it has already said why, and make
# adds one line of its own, "make: *** [Makefile:NN: check] Error 1", and exits 2, its status for a
# failed recipe. GNU make prints that line for every failing recipe (.IGNORE or a "-" prefix hide it
# only by making make succeed); the only way around it is to kill make with a signal, which leaves
# scripts and CI a status (141 for SIGPIPE) that reads as a crash, so the line stays.
# `python -m exercises check` gives the plain status, 1.

exercises: $(STAMP) ## create your exercise files (first time) and list them with your progress
	@$(PY) -m exercises list $(EX)

check: $(STAMP) ## check your exercises (all, or one: make check EX=ex03)
	@$(PY) -m exercises check $(EX)

hint: $(STAMP) ## a hint for an exercise (make hint EX=ex03; again for a second hint)
	@$(PY) -m exercises hint $(EX)

watch: $(STAMP) ## re-check an exercise each time you save it (make watch EX=ex03)
	@$(PY) -m exercises watch $(EX)

reset: $(STAMP) ## restore an exercise's stub, after asking, keeping a backup (EX=ex03)
	@$(PY) -m exercises reset $(EX)

solution: $(STAMP) ## the reference solution beside yours, once you pass (EX=ex03a)
	@$(PY) -m exercises solution $(EX)

test: $(STAMP) $(VENV)/.backend-jax $(SITE_STAMP) ## run the test suite (installs JAX and the site's packages the first time: tests use them)
	@$(PY) -m pytest -q

data: $(STAMP) ## download every dataset into the cache (with progress)
	@$(PY) -m course_utils.data

tensorboard: $(STAMP) ## serve runs/ in TensorBoard (http://localhost:6006)
	@mkdir -p runs
	@$(VENV)/bin/tensorboard --logdir runs

# The rendered site: mkdocs, Material, mkdocs-jupyter and Playwright (its browser test), pinned in
# requirements-site.txt, installed into .venv the first time (SITE_STAMP is set at the top: `test` needs it too).
$(SITE_STAMP): requirements-site.txt | $(STAMP)
	@echo "Installing the site's packages (mkdocs, Material, mkdocs-jupyter, Playwright) into $(VENV) (first time only)..."
	@$(PIP) install --quiet -r requirements-site.txt
	@touch $@

site: $(STAMP) $(SITE_STAMP) ## every lesson executed, as a website in site/ (long; COURSE_QUICK=1 make site: quick runs)
	@$(PY) -m course_utils.site $(ARGS)

readme-figures: $(STAMP) ## README's figures (docs/images/) from the newest runs of lessons 05 and 07
	@$(PY) -m course_utils.readme_figures

bench: $(STAMP) ## full-size runs; writes bench/results.md and README's results tables
	@$(PY) -m bench $(ARGS)

bench-readme: $(STAMP) ## rewrite README.md's results tables and bench/results.md from bench/results.json (runs nothing)
	@$(PY) -m bench --readme

export: $(STAMP) ## save each lesson's definitions into lessons/saved/ (after editing a lesson's .py file)
	@$(PY) -m course_utils.export

clean: ## remove caches and runs (never your exercise files or notebooks)
	rm -rf .cache runs site .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

# The learner's files: their exercise answers (git-ignored, created from exercises/source/), the
# solutions they asked for, the backups `make reset` keeps, and their notebooks. No course command
# rewrites them: `make format` leaves them out of both the formatter and the lint auto-fix.
LEARNER_FILES := exercises/ex[0-9][0-9][a-z]_*.py exercises/quiz[0-9]_*.py exercises/solutions exercises/.backup lessons/*.ipynb
NOT_LEARNER_FILES := $(foreach f,$(LEARNER_FILES),--extend-exclude '$(f)')

format: $(STAMP) ## format the course's code with ruff (never your exercise files or notebooks)
	@$(VENV)/bin/ruff format $(NOT_LEARNER_FILES) course_utils lessons exercises tests bench
	@$(VENV)/bin/ruff check --fix --quiet $(NOT_LEARNER_FILES) course_utils lessons exercises tests bench

lint: $(STAMP) ## check the code with ruff (lint and formatting)
	@$(VENV)/bin/ruff check course_utils lessons exercises tests bench
	@$(VENV)/bin/ruff format --check course_utils lessons exercises tests bench
