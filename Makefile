# hh-auth — see README.md.
#   make run     build and start the development stack (stand-in HH, hh-auth, nginx)
#   make test    build, swift test, nginx -t on both configs, verify the systemd units
#   make bench   release build, wrk through nginx against the C ceiling -> BENCHMARKS.md

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=
SWIFT_TEST_FLAGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages (dpkg names); `deps` installs only the missing ones.
DEPS_BASE  := nginx libfcgi-dev libsqlite3-dev libcrypt-dev openssl curl systemd
DEPS_BENCH := wrk
DEPS_SHOTS := chromium fonts-dejavu-core

bold := \033[1m
reset := \033[0m
say = @printf '$(bold)==> %s$(reset)\n' "$(1)"

.PHONY: help deps deps-bench deps-screenshots build build-release run test check-nginx verify-systemd bench screenshots clean

help:
	@echo "make run          build and start the development stack (http://127.0.0.1:8080, https://127.0.0.1:8443)"
	@echo "make test         build, swift test, nginx -t on both configs, verify the systemd units"
	@echo "make bench        release build + wrk through nginx vs the C ceiling, appends BENCHMARKS.md"
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
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(DEPS_BASE))

deps-bench: deps
	$(call install_missing,$(DEPS_BENCH))

deps-screenshots: deps
	$(call install_missing,$(DEPS_SHOTS))

build: deps
	$(call say,swift build)
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS)

build-release: deps
	$(call say,swift build -c release)
	@$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

run: build
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" scripts/dev-stack.sh

test: build
	$(call say,swift test)
	@HH_AUTH_BIN_DIR="$$($(SWIFT) build --show-bin-path)" HH_AUTH_REPO="$(CURDIR)" \
	  $(SWIFT) test $(SWIFT_BUILD_FLAGS) $(SWIFT_TEST_FLAGS)
	@$(MAKE) check-nginx verify-systemd

check-nginx:
	$(call say,nginx -t: production site and development config)
	@scripts/check-nginx.sh

verify-systemd:
	$(call say,systemd-analyze verify systemd/hh-auth.socket systemd/hh-auth.service)
	@scripts/verify-systemd.sh "$$($(SWIFT) build --show-bin-path)/hh-auth"

bench: deps-bench build-release
	@BENCH_SKIP_BUILD=1 HH_AUTH_BIN_DIR="$$($(SWIFT) build -c release --show-bin-path)" scripts/bench.sh

screenshots: deps-screenshots
	@scripts/screenshots.sh

clean:
	$(call say,clean)
	@rm -rf .build .run .test-output
