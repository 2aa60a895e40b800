# hh-auth — see README.md.
#   make run     build and start the development stack (stand-in HH, hh-auth, nginx)
#   make test    lint formatting, build, docs/openapi.yaml against the route table (scripts/check-openapi.sh), swift test,
#                schemathesis through nginx (scripts/schemathesis.sh), 10 s of each fuzz target, nginx -t on both configs,
#                verify the systemd units, promtool on the alert rules (scripts/check-monitoring.sh)
#   make fuzz    libFuzzer + ASan on every parser of client bytes, 60 s per target (scripts/fuzz.sh)
#   make bench   release build, wrk through nginx against the C ceiling -> BENCHMARKS.md
#   make soak    release build, DURATION (600) s of mixed traffic: no 5xx, no RSS growth
#   make leak-check  hh-auth under valgrind with ~30 s of traffic: definite leaks in our code

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
SWIFT_TEST_FLAGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages (dpkg names); `deps` installs only the missing ones.
# libpq-dev: the CLibPQ system-library target links libpq (the PostgreSQL client), so every build needs it.
DEPS_BASE  := nginx libfcgi-dev libsqlite3-dev libcrypt-dev openssl curl systemd sqlite3 libpq-dev
# make bench's PostgreSQL rows run on a throwaway cluster (scripts/pg-cluster.sh): deps-postgresql.
DEPS_BENCH := wrk time python3
DEPS_RELEASE := libcurl4-openssl-dev libxml2-dev
DEPS_SOAK  := python3
DEPS_LEAK  := valgrind binutils python3
DEPS_SHOTS := chromium fonts-dejavu-core
# `make test`: the end-to-end BrowserTests drive headless Chromium; promtool (Debian's prometheus)
# checks and unit-tests monitoring/alerts.yml, and MonitoringTests run a real Prometheus of their
# own (a free port, a temporary data dir); python3-yaml reads the rules for the metric-name check
# (scripts/check-monitoring.sh). Prometheus's own daemon:
# in containers with a policy-rc.d that refuses (as here) it is not started; on a systemd machine
# it starts on :9090, which no test uses (`systemctl disable --now prometheus` if it is not wanted).
# Debian's postgresql gives the PostgreSQLTests (and make bench) the server binaries (initdb, pg_ctl
# under /usr/lib/postgresql/<version>/bin): scripts/pg-cluster.sh starts a throwaway cluster of their
# own in a temporary directory, on a unix socket only, as an unprivileged user. deps-postgresql
# installs it through scripts/install-postgresql.sh: postgresql-common first, then
# `create_main_cluster = false` in its createcluster.conf (where no line sets it), then postgresql,
# so the system cluster (`main`, port 5432) the package would make and start, which no test uses,
# is not made. A machine that already has postgresql (or a postgresql-NN) is left as it is.
DEPS_TEST  := chromium fonts-dejavu-core prometheus python3 python3-yaml
# The pinned PyPI tools in .venv/ (scripts/requirements-test.txt: openapi-spec-validator,
# schemathesis; scripts/python-test-tools.sh): python3 (3.11 or newer) and its venv with pip.
DEPS_PYTHON_TOOLS := python3 python3-venv

bold := \033[1m
reset := \033[0m
say = @printf '$(bold)==> %s$(reset)\n' "$(1)"

.PHONY: help deps deps-bench deps-postgresql deps-soak deps-leak deps-screenshots deps-test deps-python-tools python-test-tools build build-release run test lint fuzz check-nginx check-monitoring check-openapi schemathesis verify-systemd bench soak soak-short leak-check screenshots clean

help:
	@echo "make run          build and start the development stack (http://127.0.0.1:8080, https://127.0.0.1:8443)"
	@echo "make test         build, docs/openapi.yaml checks, swift test, schemathesis (installs chromium, prometheus, postgresql, .venv/), nginx -t on both configs, verify the systemd units, promtool on monitoring/"
	@echo "make lint         swift format lint --strict on Package.swift, Sources, Tests and Fuzz"
	@echo "make fuzz         libFuzzer + ASan on every parser of client bytes, 60 s per target"
	@echo "make bench        release build + wrk through nginx vs the C ceiling (SQLite; PostgreSQL with 1 and 2 nodes), appends BENCHMARKS.md"
	@echo "make soak         release build + DURATION=600 s mixed traffic (no 5xx, no RSS growth), appends BENCHMARKS.md"
	@echo "make leak-check   hh-auth under valgrind with ~30 s of traffic; fails on definite leaks in our code"
	@echo "make screenshots  PNGs of the static pages in .run/screenshots (installs chromium)"
	@echo "make deps         install missing Debian packages ($(DEPS_BASE))"
	@echo "make build        swift build        make clean   remove .build and .run"

# install_missing(packages): apt-get only what dpkg does not report as installed;
# `apt-get update` once, only when something is missing.
define install_missing
	@missing=(); \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$$p"); \
	done; \
	if (( $${#missing[@]} )); then \
	  printf '$(bold)==> installing %s$(reset)\n' "$${missing[*]}"; \
	  $(SUDO) apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(DEPS_BASE))

deps-bench: deps deps-postgresql
	$(call install_missing,$(DEPS_BENCH))

deps-soak: deps
	$(call install_missing,$(DEPS_SOAK))

deps-leak: deps
	$(call install_missing,$(DEPS_LEAK))

deps-screenshots: deps
	$(call install_missing,$(DEPS_SHOTS))

deps-test: deps deps-postgresql
	$(call install_missing,$(DEPS_TEST))

# After deps: two apt-get at once (make -j) would fight over dpkg's lock.
deps-postgresql: deps
	@SUDO='$(SUDO)' scripts/install-postgresql.sh

deps-python-tools:
	$(call install_missing,$(DEPS_PYTHON_TOOLS))

# .venv/ with scripts/requirements-test.txt, from PyPI only when missing or the pins changed.
python-test-tools: deps-python-tools
	@scripts/python-test-tools.sh

build: deps
	$(call say,swift build)
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS)

# The Swift runtime and Foundation linked statically: measured 25k -> 31k req/s on /health and
# 45 -> 39 MiB RSS (no relocation of the big shared libraries); FoundationNetworking then links
# libcurl directly, hence libcurl4-openssl-dev.
build-release: deps
	$(call install_missing,$(DEPS_RELEASE))
	$(call say,swift build -c release --static-swift-stdlib (the two executables))
	@# Products only: a release build of every target would also build the tests' ContractScenarios,
	@# which imports Testing (not there for a release build).
	@$(SWIFT) build -c release --static-swift-stdlib $(SWIFT_BUILD_FLAGS) --product hh-auth
	@$(SWIFT) build -c release --static-swift-stdlib $(SWIFT_BUILD_FLAGS) --product hh-standin

run: build
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" scripts/dev-stack.sh

test: lint build deps-test python-test-tools
	@# Seconds, and the cheapest way to fail: before the 10 minutes of swift test.
	@$(MAKE) check-openapi
	$(call say,swift test)
	@mkdir -p .test-output
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" HH_AUTH_REPO="$(CURDIR)" \
	  $(SWIFT) test $(SWIFT_BUILD_FLAGS) $(SWIFT_TEST_FLAGS) 2>&1 | tee .test-output/swift-test.log
	@$(MAKE) schemathesis
	$(call say,fuzz: 10 s per target (scripts/fuzz.sh))
	@scripts/fuzz.sh 10
	@$(MAKE) check-nginx verify-systemd check-monitoring soak-short
	@# One closing line for whoever reads the log: the Swift Testing count (everything above passed).
	@count=$$(grep -oE 'Test run with [0-9]+ tests' .test-output/swift-test.log | tail -1 | grep -oE '[0-9]+'); \
	  echo "tests: $${count:-0} passed, 0 failed"

# The committed .swift-format, strict: a warning fails the build like a failing test.
lint:
	$(call say,swift format lint --strict)
	@$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Fuzz

fuzz:
	$(call say,fuzz: 60 s per target (scripts/fuzz.sh))
	@scripts/fuzz.sh 60

check-nginx:
	$(call say,nginx -t: production site and development config)
	@scripts/check-nginx.sh

# promtool check + test rules on monitoring/alerts.yml, and every metric name the rules and the
# Grafana dashboard use is one the service exports (monitoring/metric-names.txt).
check-monitoring: deps-test
	$(call say,promtool: monitoring/alerts.yml and its unit tests; metric names in the rules and the dashboard)
	@scripts/check-monitoring.sh

# docs/openapi.yaml: valid OpenAPI 3.1, the same routes and security as `hh-auth routes`, README.md's
# API table current (scripts/openapi-readme-table.py), info.version the binary's, nginx's 502/504 on
# every operation, nginx/www/openapi.yaml the document. After `build`: `hh-auth routes` is this tree's.
check-openapi: build python-test-tools
	$(call say,docs/openapi.yaml: openapi-spec-validator; against hh-auth routes; the README's API table)
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" scripts/check-openapi.sh

# schemathesis against the debug build through nginx, with admin credentials and a real session;
# its log in .test-output/schemathesis.log, the JUnit report in .test-output/schemathesis/.
schemathesis: build python-test-tools
	$(call say,schemathesis: docs/openapi.yaml against the stack through nginx (scripts/schemathesis.sh))
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" scripts/schemathesis.sh

verify-systemd:
	$(call say,systemd-analyze verify systemd/hh-auth.socket systemd/hh-auth.service)
	@scripts/verify-systemd.sh "$$($(SWIFT) build --show-bin-path)/hh-auth"

bench: deps-bench build-release
	@BENCH_SKIP_BUILD=1 HH_AUTH_BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" scripts/bench.sh

DURATION ?= 600
soak: deps-soak build-release
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" DURATION="$(DURATION)" scripts/soak.sh

# The 30-s soak `make test` ends with: the debug build, quiet, nothing appended to BENCHMARKS.md.
soak-short: deps-soak
	$(call say,soak: 30 s of mixed traffic through nginx (scripts/soak.sh))
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" DURATION=30 SOAK_QUIET=1 SOAK_RECORD=0 scripts/soak.sh

leak-check: deps-leak build-release
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" scripts/leak-check.sh

screenshots: deps-screenshots
	@scripts/screenshots.sh

clean:
	$(call say,clean)
	@rm -rf .build .run .test-output
