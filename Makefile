# Everything starts from a fresh clone: the venv is built on first use.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

STAGE ?= dev
REGION ?= eu-central-1
STACK ?= freigabe-$(STAGE)
BUILD := build/$(STAGE)

.PHONY: install run test lint clean package lint-template deploy browser-deps screenshots fuzz bench soak examples

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m devstack

# ruff, mypy (pyproject.toml [tool.mypy]) and the import contracts ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot run here).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-deps:
	@test -x $(CHROMIUM) || ($(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

# The example integrations' 360° players (examples/<player>/) and the bench's minifier
# (bench/minify/, esbuild): `npm ci` from the npm registry when missing or changed, versions
# pinned in each package-lock.json (npm itself from Debian when missing).
EXAMPLES := pannellum photo-sphere-viewer marzipano
EXAMPLE_STAMPS := $(foreach e,$(EXAMPLES),examples/$(e)/node_modules/.installed)
MINIFIER := bench/minify/node_modules/.installed

%/node_modules/.installed: %/package.json %/package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm)
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

examples: $(EXAMPLE_STAMPS)

test: lint browser-deps examples $(MINIFIER)
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=15

# The long fuzzing run: schemathesis with 200 examples per operation and mode against the
# local stack, and 2000 examples per hypothesis property (make test runs a few).
fuzz: $(STAMP)
	FREIGABE_FUZZ_EXAMPLES=200 FREIGABE_PROPERTY_EXAMPLES=2000 \
		$(BIN)/python -m pytest -q -s tests/fuzz tests/properties

# The long soak (docs/reliability.md): ten minutes of mixed traffic against the local stack;
# make test runs the same test for a minute. SOAK_SECONDS overrides.
SOAK_SECONDS ?= 600
soak: $(STAMP)
	FREIGABE_SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m pytest -q -s -p no:logging tests/soak

# README screenshots: the browser tests write them into docs/screenshots instead of build/.
screenshots: $(STAMP) browser-deps examples
	FREIGABE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/browser

# Not part of `make test` (≈ 15 min): AWS calls per request and per sweep, cold start,
# zip size, handler overhead, the local stack under load. Writes bench/results.json.
bench: $(STAMP) $(MINIFIER)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Offline: no AWS credentials, only PyPI (chalice downloads the Lambda dependencies).
package: $(STAMP)
	rm -rf $(BUILD) && mkdir -p $(BUILD)
	$(BIN)/python -m infra.build_template --stage $(STAGE) --out $(BUILD)/merge.json
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package --stage $(STAGE) \
		--merge-template $(BUILD)/merge.json $(BUILD)/package
	$(BIN)/cfn-lint $(BUILD)/package/sam.json

# Needs AWS credentials and an S3 bucket for the code (docs/deploy.md). Not run in CI.
deploy: package
	@test -n "$(BUCKET)" || (echo "BUCKET=<artifact bucket> is required" && exit 2)
	aws cloudformation package --region $(REGION) --template-file $(BUILD)/package/sam.json \
		--s3-bucket $(BUCKET) --s3-prefix $(STACK) --output-template-file $(BUILD)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --stack-name $(STACK) \
		--template-file $(BUILD)/packaged.yaml --capabilities CAPABILITY_IAM \
		--no-fail-on-empty-changeset $(if $(ALARM_EMAIL),--parameter-overrides AlarmEmail=$(ALARM_EMAIL))

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache
