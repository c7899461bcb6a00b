# Two commands for a new machine with python3, make and git: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check format install migrate seed clean fuzz bench-render bench-api bench-faults

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/desk run

migrate: $(STAMP)
	$(BIN)/desk migrate

seed: $(STAMP)
	$(BIN)/desk seed-demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# What CI holds every change to besides the tests: formatting, lint, types, the layers' imports.
check: $(STAMP)
	$(BIN)/ruff format --check backend tests bench migrations
	$(BIN)/ruff check backend tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format backend tests bench migrations
	$(BIN)/ruff check --fix backend tests bench migrations

clean:
	rm -rf $(VENV) var

# Schemathesis, every phase and check, over every operation on SQLite and PostgreSQL (≥ 5,000
# requests each). Needs PostgreSQL on 127.0.0.1:5432 (Redis: a private server per database).
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py

# Benchmarks print figures; WeasyPrint, pinned to the version the figures were taken with, is
# installed only for the render comparison.
bench-render: $(STAMP)
	$(BIN)/python -m pip install --quiet "weasyprint==70.0"
	$(BIN)/python bench/render.py

# Needs PostgreSQL on 127.0.0.1:5432 and Debian's wrk (Redis: a private server of its own).
# Both sizes run (about 10 minutes in all); the target fails the run if either size missed it.
bench-api: $(STAMP)
	$(BIN)/python bench/api.py --engagements 10000; small=$$?; \
	$(BIN)/python bench/api.py --engagements 100000; large=$$?; \
	test $$small = 0 && test $$large = 0

# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
bench-faults: $(STAMP)
	$(BIN)/python bench/faults.py
