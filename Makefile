# HRV Guide. `make run` starts everything; `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10; find it on PATH, in pyenv, or in the usual places.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
PYTHON3 ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
MODEL := models/current.tar.gz
RASA := $(RASA_VENV)/bin/rasa
DOMAIN := build/domain.yml
DOMAIN_SOURCES := nlu/domain.yml nlu/languages.yml $(wildcard nlu/responses/*.yml)
TRAINING_DATA := config.yml $(DOMAIN_SOURCES) $(wildcard nlu/data/*.yml)
PIP_QUIET := --quiet --disable-pip-version-check

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup run test test-unit test-e2e test-rasa test-eval train lint format bench \
	bench-handoff clean browser registry-check eval compare-models safety-model \
	cluster cluster-packages

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@$(PYTHON3) -c 'import sys; assert sys.version_info >= (3, 11), "the gateway needs python3 >= 3.11"'
	@test -x $(VENV)/bin/python || $(PYTHON3) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[gateway,gateway-test]'
	@touch $@

$(RASA_VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (Rasa 3.6 needs it); set PYTHON310=/path/to/python3.10"; exit 1; }
	@test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(RASA_VENV)/bin/pip install $(PIP_QUIET) -e '.[rasa,rasa-test]'
	@touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed ## create both virtual environments

# Rasa's domain, joined from nlu/domain.yml and one response file per language (checked).
$(DOMAIN): $(RASA_VENV)/.installed scripts/build_domain.py $(DOMAIN_SOURCES)
	$(RASA_VENV)/bin/python scripts/build_domain.py --out $@

$(MODEL): $(RASA_VENV)/.installed $(DOMAIN) $(TRAINING_DATA)
	$(RASA) train --config config.yml --domain $(DOMAIN) --data nlu/data \
	  --out models --fixed-model-name current --quiet

train: $(MODEL) ## train the Rasa model if the training data changed

browser: ## install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq chromium >/dev/null || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }; }

# On a fresh clone the gateway's environment installs and its safety model trains while Rasa's
# environment is installed and its model trains (one core each), so the first answer does not
# wait for each in turn.
run: ## start Redis (or use REDIS_URL), Rasa, the action server and the gateway
	@$(MAKE) --no-print-directory -j2 safety-model $(MODEL)
	$(VENV)/bin/hrv-guide run

# The high-availability layout on loopback (bot/ops/cluster.py; deploy/ holds its configs).
# CLUSTER_PORT=8080 fixes nginx's port (default: a free one, printed).
cluster: cluster-packages ## nginx, 2 gateways, 2 Rasa, 2 action servers, Redis + replica + 3 sentinels
	@$(MAKE) --no-print-directory -j2 safety-model $(MODEL)
	$(VENV)/bin/python -m bot.ops.cluster_run $(if $(CLUSTER_PORT),--port $(CLUSTER_PORT))

cluster-packages: ## install Debian's nginx-light and redis-sentinel for `make cluster` when missing
	@{ test -x /usr/sbin/nginx && command -v redis-sentinel >/dev/null && command -v redis-server >/dev/null; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -qq nginx-light redis-server redis-sentinel >/dev/null || { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nginx-light redis-server redis-sentinel; }; }

safety-model: $(VENV)/.installed ## train the safety layer's model if its data changed (else the gateway does at start)
	$(VENV)/bin/hrv-guide safety train

# ESLint for the widget and the console (package.json pins it; nothing of it is served).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed node_modules/.installed ## ruff, the gateway's types (mypy), ESLint on the JavaScript
	$(VENV)/bin/ruff check bot actions registry rasa_plugins textnorm tests scripts
	$(VENV)/bin/ruff format --check bot actions registry rasa_plugins textnorm tests scripts
	$(VENV)/bin/mypy
	node_modules/.bin/eslint bot/static eslint.config.js

format: $(VENV)/.installed ## format the code
	$(VENV)/bin/ruff format bot actions registry rasa_plugins textnorm tests scripts
	$(VENV)/bin/ruff check --fix bot actions registry rasa_plugins textnorm tests scripts

# The dialogue must be right in every story (intents as annotated: rules are deterministic).
# The NLU on the stories' own texts is reported, not gated: it is statistical, and its floors
# per language are gated by `make test-eval` on the held-out split.
test-rasa: $(MODEL) ## rasa data validate + the test stories in every language
	$(RASA) data validate --config config.yml --domain $(DOMAIN) --data nlu/data --fail-on-warnings
	$(RASA) test core --stories tests/stories --model $(MODEL) \
	  --fail-on-prediction-errors --out results/core --quiet
	$(RASA) test core --e2e --stories tests/stories --model $(MODEL) --out results/core-e2e --quiet
	@echo "stories whose texts the NLU read wrongly (see results/core-e2e/failed_test_stories.yml):" \
	  $$(grep -c '^- story:' results/core-e2e/failed_test_stories.yml || true)

test-unit: setup ## fast tests: gateway (real Redis), actions, registry, danger net; no model needed
	$(RASA_VENV)/bin/python -m pytest tests/actions tests/textnorm -m "not e2e" -q
	$(VENV)/bin/python -m pytest tests/bot tests/registry tests/scripts tests/textnorm -m "not e2e" -q

registry-check: $(VENV)/.installed ## validate data/ (municipalities, sources, dates, numbers); print coverage
	$(VENV)/bin/hrv-guide registry check

test-e2e: setup $(MODEL) browser cluster-packages ## end to end: real model, Rasa, actions, gateway, headless chromium
	$(VENV)/bin/python -m pytest tests/e2e -m e2e -q
	$(RASA_VENV)/bin/python -m pytest tests/actions -m e2e -q

# The evaluation on a small split in CI: the first 3 held-out messages per intent and language (with 2, one
# message moved a language by 0.03), with floors below the bar (macro-F1 0.90, detection 0.95)
# that catch a broken language.
CI_EVAL_PER_INTENT := 3
CI_MIN_F1 := 0.75
CI_MIN_DETECTION := 0.85
# The safety layer on the whole held-out and blind risk splits, each language
# (scripts/eval_safety.py). The bar is recall 0.98, false alarms 0.10 and the suicide line for
# every suicidal message; not every language reaches it yet (docs/SAFETY_AND_PRIVACY.md), so these floors catch a
# broken language. The blind split has 36 danger messages and 40 safe ones per language: one
# message moves a figure by 0.03, so its floors leave room for two.
CI_MIN_DANGER_RECALL := 0.95
CI_MAX_FALSE_ALARMS := 0.16
CI_MIN_SUICIDE_LINE := 0.8
CI_BLIND_MIN_DANGER_RECALL := 0.94
CI_BLIND_MAX_FALSE_ALARMS := 0.20
test-eval: setup $(MODEL) ## the evaluation below on a small split, failing under floor scores
	$(VENV)/bin/python scripts/eval.py --per-intent $(CI_EVAL_PER_INTENT) --out results/eval-ci \
	  --min-f1 $(CI_MIN_F1) --min-detection $(CI_MIN_DETECTION)
	$(VENV)/bin/python scripts/eval_safety.py --out results/eval-safety-ci \
	  --min-recall $(CI_MIN_DANGER_RECALL) --max-false-alarms $(CI_MAX_FALSE_ALARMS) \
	  --min-suicide-line $(CI_MIN_SUICIDE_LINE) \
	  --blind-min-recall $(CI_BLIND_MIN_DANGER_RECALL) \
	  --blind-max-false-alarms $(CI_BLIND_MAX_FALSE_ALARMS)

eval: setup $(MODEL) ## per language: intent accuracy, macro-F1 and detection; the safety layer's recall and false alarms
	$(VENV)/bin/python scripts/eval.py
	$(VENV)/bin/python scripts/eval_safety.py

compare-models: setup $(MODEL) ## one multilingual NLU model vs one per language (slow: trains each)
	$(VENV)/bin/python scripts/compare_models.py

test: lint registry-check test-unit test-rasa test-eval test-e2e ## everything CI runs
	@echo "make test: all suites passed"

DEFAULT_MODEL := models/default-config.tar.gz
$(DEFAULT_MODEL): $(RASA_VENV)/.installed scripts/bench_default_config.yml $(DOMAIN) $(TRAINING_DATA)
	@mkdir -p models && cp scripts/bench_default_config.yml models/default-config.yml
	$(RASA) train --config models/default-config.yml --domain $(DOMAIN) --data nlu/data \
	  --out models --fixed-model-name default-config --quiet

bench: setup $(MODEL) $(DEFAULT_MODEL) ## the safety layer per message; throughput and latency: gateway vs Rasa webhook vs default-config Rasa
	$(VENV)/bin/python scripts/bench_safety.py
	$(VENV)/bin/python scripts/bench_contacts.py
	$(VENV)/bin/python scripts/bench.py

bench-handoff: setup $(MODEL) browser ## delay from a staff message to the widget, p50/p95
	$(VENV)/bin/python scripts/bench_handoff.py

# Not part of `make test`: minutes of traffic on the whole stack. LOAD_ARGS e.g. --sessions 50.
.PHONY: load
load: setup $(MODEL) ## 200 concurrent sessions for 3 min (questions, danger, handoffs): latency, errors, lost messages
	$(VENV)/bin/python scripts/load.py $(LOAD_ARGS)

# Not part of `make test` (tests/e2e/test_drill.py, one fault, is): minutes of load on `make
# cluster`'s layout while a gateway, a Rasa replica, an action server and the Redis primary are
# killed in turn (docs/FAILURE_DRILL.md). DRILL_ARGS e.g. --throughput, --faults gateway redis.
.PHONY: drill
drill: setup $(MODEL) cluster-packages ## kill each kind of process under load; per fault: failures, recovery, losses
	$(VENV)/bin/python scripts/drill.py $(DRILL_ARGS)

clean: ## remove models, results and logs (keeps the venvs)
	rm -rf build models results .run .pytest_cache
