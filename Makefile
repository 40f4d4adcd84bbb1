# Duet: build, test, run and benchmark from a fresh Debian 12 (as root).
#
#   make run      install dependencies, build, run the server (role all, both
#                 example domains) on $(HOST):$(PORT) with data in $(DATA_DIR)
#   make demo     the scripted demo of both domains in a scratch folder
#   make test     clang-format check, then the whole suite: Release -Werror, ASan+UBSan, TSan (label
#                 `concurrency`), installed-package consumer, then each libFuzzer
#                 target for FUZZ_TEST_SECONDS (default 30); prints totals
#   make fuzz     every libFuzzer target (tests/fuzz) for FUZZ_SECONDS (default
#                 300) each in build-fuzz/ (clang-14); FUZZ_TARGET=name runs one.
#                 New inputs stay in build-fuzz/, never in the source corpus
#   make npm-tools  the OpenAPI validators (package.json, pinned by
#                 package-lock.json) into $(BUILD_DIR)/npm; `make test` runs them
#   make bench    Google Benchmark binaries under build/bench/ and bench/run.sh
#   make bench-peers   PostgreSQL 15 / Redis 7 peer figures (bench/peers/run.sh)
#   make soak     DURATION seconds (default 600) of mixed HTTP load on a command
#                 node and two query nodes with random SIGKILLs, then the checks
#                 of tests/soak/README.md (Release build)
#
# Every dependency comes from Debian and is listed in DEPS or DEPS_PEERS below;
# docs/decisions.md says why each one is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# Packages needed to build and test. clang-14 + libclang-rt-14-dev are for the
# fuzzers (libFuzzer) and -Wthread-safety; clang-format-14 for `make format`.
DEPS := build-essential cmake pkg-config g++ libgtest-dev libgmock-dev \
	libbenchmark-dev libboost1.81-dev libboost-json1.81-dev libsqlite3-dev \
	clang-14 libclang-rt-14-dev clang-format-14 libtomlplusplus-dev libjemalloc-dev libpq-dev \
	libssl-dev zlib1g-dev
# The PostgreSQL server the tests start their own throwaway clusters of
# (tests/support/postgres_cluster.h); only `make test` installs it. Debian's
# package would also create and start a system cluster on port 5432, which
# nothing of Duet's uses: before installing it, deps-test writes
# create_main_cluster = false into postgresql-common's createcluster.d (a
# drop-in folder its createcluster.conf includes, so no packaged
# configuration file is touched and apt-get asks nothing).
DEPS_TEST := postgresql-15
# The TLS tests make a throwaway CA and certificates with the openssl command
# and check the server with curl (tests/integration/server_tls_test.cc).
DEPS_TEST += openssl curl
# The web console's browser test drives Debian's chromium headless through
# chromium-driver and Selenium's Python bindings (tests/console/).
DEPS_TEST += chromium chromium-driver python3-selenium
# Node and npm run the OpenAPI validators (tests/openapi/validate_openapi.sh);
# a node already on the PATH (e.g. a newer one from NodeSource) is used as is.
DEPS_NODE := nodejs npm
# Benchmark peers, only for `make bench` / `make bench-peers` (heavy, and they
# are never needed to build or test Duet); python3 summarizes bench/run.sh;
# libxapian-dev is the search peer (bench/peers/xapian_search.cc).
DEPS_PEERS := postgresql-15 redis-server wrk python3 libxapian-dev

JOBS ?= 2
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# The libFuzzer tree (clang-14, tests/fuzz/README.md): `make test` runs each
# target FUZZ_TEST_SECONDS, `make fuzz` FUZZ_SECONDS (FUZZ_TARGET=name: one).
FUZZ_DIR ?= build-fuzz
FUZZ_TEST_SECONDS ?= 30
FUZZ_SECONDS ?= 300
FUZZ_TARGET ?=
FUZZ_CMAKE_ARGS := -DDUET_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo
PREFIX ?= /usr/local
# Where `make promtool` puts promtool; tests/integration finds it there.
PROMTOOL_DIR ?= $(BUILD_DIR)/tools
# The server of `make run`: its data folder (kept between runs) and address.
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8080
# The demo replays a script, so it needs an empty folder: a scratch one,
# recreated on every `make run` and left behind for `duet read/verify/stats`.
DEMO_DIR ?= demo-data
# What `make run` runs: Duet's main job, the server; it prints where to point curl.
RUN_CMD ?= $(BUILD_DIR)/duet serve --data $(DATA_DIR) --host $(HOST) --port $(PORT)
# Default per-test timeout in seconds (duet_add_test sets its own per test).
TEST_TIMEOUT ?= 300
CTEST_ARGS ?=
CMAKE_ARGS ?=
# `make soak`: how long the load runs, in seconds, and extra duet_soak flags
# (--seed N, --command-clients N, --query-clients N, --max-rss-mib N, ...).
DURATION ?= 600
SOAK_ARGS ?=
FORMAT_DIRS := src include tests bench examples
CLANG_FORMAT ?= $(shell command -v clang-format-14 || command -v clang-format || echo clang-format-14)

# Sanitizer builds: -O1 keeps them quick to compile and bearable to run.
SAN_CMAKE_ARGS := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	-DDUET_BUILD_BENCH=OFF -DDUET_WERROR=ON
export ASAN_OPTIONS ?= halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1

TEST_LOGS := $(BUILD_DIR)/test-logs
# Where `make npm-tools` installs the validators (CMake's DUET_NPM_DIR default).
NPM_DIR ?= $(BUILD_DIR)/npm

.PHONY: deps deps-test deps-peers npm-tools promtool build build-duet test test-release test-asan test-tsan test-fuzz \
	test-summary run demo bench bench-peers soak fuzz clean format format-check install

# install_missing(packages): apt-get only what dpkg says is not installed, so a
# second run is a few dpkg-query calls and nothing else.
define install_missing
	if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "deps: dpkg-query not found: Duet's Makefile expects Debian 12; install by hand: $(1)" >&2; \
	  exit 1; \
	fi; \
	missing=""; \
	for p in $(1); do \
	  if [ "$$(dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null)" != "install ok installed" ]; then \
	    missing="$$missing $$p"; \
	  fi; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present ($(strip $(2)))"; exit 0; fi; \
	echo "deps: missing:$$missing"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else \
	  echo "deps: not root and sudo is not installed; as root, run:" >&2; \
	  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$$missing" >&2; \
	  exit 1; \
	fi; \
	$$sudo apt-get update; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing
endef

deps:
	@$(call install_missing,$(DEPS),build and test)
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  echo "deps: node $$(node --version) and npm $$(npm --version) already on the PATH"; \
	else \
	  $(call install_missing,$(DEPS_NODE),the OpenAPI validators); \
	fi

deps-test: deps
	@if [ "$$(dpkg-query -W -f='$${Status}' postgresql-15 2>/dev/null)" != "install ok installed" ] \
	    && [ "$$(id -u)" -eq 0 ]; then \
	  mkdir -p /etc/postgresql-common/createcluster.d; \
	  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/duet.conf; \
	fi
	@$(call install_missing,$(DEPS_TEST),the tests' PostgreSQL server and TLS tools)

deps-peers:
	@$(call install_missing,$(DEPS_PEERS),benchmark peers)

# Release build; the CLI lands at $(BUILD_DIR)/duet (cmake/DuetInstall.cmake
# points src/cli's executables at the top of the build tree).
build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Runs every phase, stopping at the first failing one, then prints the totals.
test: deps-test format-check
	@rm -rf $(TEST_LOGS); mkdir -p $(TEST_LOGS); \
	status=0; \
	for phase in release asan tsan fuzz; do \
	  if ! $(MAKE) --no-print-directory test-$$phase; then status=1; \
	    echo "make test: phase $$phase failed" >&2; break; fi; \
	done; \
	$(MAKE) --no-print-directory test-summary; \
	exit $$status

# ctest_phase(dir, log, extra ctest args)
define ctest_phase
	(cd $(1) && ctest --output-on-failure -j$(JOBS) --timeout $(TEST_TIMEOUT) $(3) $(CTEST_ARGS)) \
	  2>&1 | tee $(TEST_LOGS)/$(2).log
endef

# The OpenAPI validators, exactly as package-lock.json pins them, installed
# with `npm ci` (no install scripts) into $(NPM_DIR). Skipped when that folder
# already holds what the current lock file pins (.installed-lock is written
# only after a successful install).
npm-tools: deps
	@mkdir -p $(NPM_DIR)
	@if [ -d $(NPM_DIR)/node_modules ] && cmp -s package-lock.json $(NPM_DIR)/.installed-lock; then \
	  echo "npm-tools: up to date in $(NPM_DIR)"; \
	else \
	  rm -f $(NPM_DIR)/.installed-lock; \
	  cp package.json package-lock.json $(NPM_DIR)/; \
	  (cd $(NPM_DIR) && npm ci --ignore-scripts --no-audit --no-fund); \
	  cp package-lock.json $(NPM_DIR)/.installed-lock; \
	fi

# promtool (Prometheus's own metrics linter) for the metrics test
# (tests/integration/server_metrics_test.cc) into $(PROMTOOL_DIR). Debian ships
# it only inside the `prometheus` package, whose installation would also
# install and start a Prometheus server as a system service: so the package is
# downloaded (apt-get download, no installation) and promtool alone extracted
# from it. Skipped once extracted; docs/decisions.md says why.
promtool:
	@if [ -x $(PROMTOOL_DIR)/promtool ]; then \
	  echo "promtool: present in $(PROMTOOL_DIR)"; \
	else \
	  rm -rf $(PROMTOOL_DIR)/deb $(PROMTOOL_DIR)/root; mkdir -p $(PROMTOOL_DIR)/deb; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  (cd $(PROMTOOL_DIR)/deb && { apt-get download prometheus 2>/dev/null || \
	    { echo "promtool: refreshing apt's package lists"; $$sudo apt-get update -qq && \
	      apt-get download prometheus; }; }); \
	  dpkg-deb -x $(PROMTOOL_DIR)/deb/prometheus_*.deb $(PROMTOOL_DIR)/root; \
	  cp $(PROMTOOL_DIR)/root/usr/bin/promtool $(PROMTOOL_DIR)/promtool; \
	  rm -rf $(PROMTOOL_DIR)/deb $(PROMTOOL_DIR)/root; \
	  $(PROMTOOL_DIR)/promtool --version | head -1; \
	fi

# Phase 1: Release, -Werror, everything including the installed-package
# consumer test (tests/consumer, label `integration`), the OpenAPI
# validators (npm-tools) and promtool's check of /metrics (promtool).
test-release: npm-tools promtool
	@mkdir -p $(TEST_LOGS); echo "== test phase: release (-Werror) in $(BUILD_DIR)/"
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DDUET_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) -j$(JOBS) 2>&1 | tee $(TEST_LOGS)/release.build.log
	@$(call ctest_phase,$(BUILD_DIR),release,)

# Phase 2: AddressSanitizer + UndefinedBehaviorSanitizer, whole suite.
test-asan:
	@mkdir -p $(TEST_LOGS); echo "== test phase: address,undefined in $(ASAN_DIR)/"
	cmake -S . -B $(ASAN_DIR) $(SAN_CMAKE_ARGS) -DDUET_SANITIZE=address,undefined $(CMAKE_ARGS)
	cmake --build $(ASAN_DIR) -j$(JOBS) 2>&1 | tee $(TEST_LOGS)/asan.build.log
	@$(call ctest_phase,$(ASAN_DIR),asan,)

# Phase 3: ThreadSanitizer, only the tests labelled `concurrency`.
test-tsan:
	@mkdir -p $(TEST_LOGS); echo "== test phase: thread in $(TSAN_DIR)/ (label concurrency)"
	cmake -S . -B $(TSAN_DIR) $(SAN_CMAKE_ARGS) -DDUET_SANITIZE=thread $(CMAKE_ARGS)
	cmake --build $(TSAN_DIR) -j$(JOBS) 2>&1 | tee $(TEST_LOGS)/tsan.build.log
	@$(call ctest_phase,$(TSAN_DIR),tsan,-L concurrency)

# Phase 4: every libFuzzer target for FUZZ_TEST_SECONDS over a scratch copy
# of its corpus and kept regressions (label `fuzz`), so CI exercises them.
test-fuzz:
	@mkdir -p $(TEST_LOGS); echo "== test phase: libFuzzer in $(FUZZ_DIR)/ ($(FUZZ_TEST_SECONDS) s per target)"
	cmake -S . -B $(FUZZ_DIR) $(FUZZ_CMAKE_ARGS) -DDUET_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) $(CMAKE_ARGS)
	cmake --build $(FUZZ_DIR) --target duet_fuzz_all -j$(JOBS) 2>&1 | tee $(TEST_LOGS)/fuzz.build.log
	@$(call ctest_phase,$(FUZZ_DIR),fuzz,-L fuzz)

# Sums CTest's "x% tests passed, F tests failed out of T" over the phases. A
# phase that failed before CTest could summarize (a build error) counts as one
# failure, so the totals never look clean when something broke.
test-summary:
	@passed=0; failed=0; \
	for phase in release asan tsan fuzz; do \
	  log=$(TEST_LOGS)/$$phase.log; \
	  line=""; \
	  if [ -f "$$log" ]; then \
	    line=$$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$$log" | tail -n1 || true); \
	  fi; \
	  if [ -n "$$line" ]; then \
	    f=$$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$$line"); \
	    t=$$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$$line"); \
	    passed=$$((passed + t - f)); failed=$$((failed + f)); \
	    echo "phase $$phase: $$((t - f)) of $$t tests passed"; \
	  elif [ -f "$$log" ] && grep -q 'No tests were found' "$$log"; then \
	    echo "phase $$phase: no tests"; \
	  elif [ -f "$$log" ] || [ -f $(TEST_LOGS)/$$phase.build.log ]; then \
	    failed=$$((failed + 1)); echo "phase $$phase: did not finish (counted as 1 failure)"; \
	  else \
	    echo "phase $$phase: not run"; \
	  fi; \
	done; \
	echo "$$passed passed, $$failed failed"

# `make run` and `make demo` build the `duet` binary alone (and what it
# links), not the tests: a first run on a fresh machine waits minutes.
build-duet: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) --target duet_exe -j$(JOBS)

run: build-duet
	$(RUN_CMD)

demo: build-duet
	rm -rf $(DEMO_DIR) && $(BUILD_DIR)/duet demo --data $(DEMO_DIR)

bench: deps deps-peers build
	@mkdir -p $(BUILD_DIR)/bench/results; \
	found=0; \
	for b in $$(find $(BUILD_DIR)/bench -maxdepth 1 -type f -perm -u+x | sort); do \
	  found=1; name=$$(basename "$$b"); echo "== $$name"; \
	  "$$b" --benchmark_out=$(BUILD_DIR)/bench/results/$$name.json --benchmark_out_format=json; \
	done; \
	if [ $$found -eq 0 ]; then echo "bench: no benchmark binaries under $(BUILD_DIR)/bench/"; fi; \
	if [ -x bench/run.sh ]; then echo "== bench/run.sh"; bench/run.sh; \
	elif [ -f bench/run.sh ]; then echo "== bench/run.sh"; bash bench/run.sh; fi

bench-peers: deps-peers
	bench/peers/run.sh

# The soak: a Release build of the server and of tests/soak/duet_soak, then one
# run; it prints a summary and exits non-zero when a check fails.
soak: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR) --target duet_soak -j$(JOBS)
	$(BUILD_DIR)/tests/soak/duet_soak --duration $(DURATION) $(SOAK_ARGS)

# Longer fuzzing: each target FUZZ_SECONDS (one at a time, so each gets a
# core); crash inputs land in $(FUZZ_DIR)/tests/fuzz/work/<name>/artifacts/.
fuzz: deps
	cmake -S . -B $(FUZZ_DIR) $(FUZZ_CMAKE_ARGS) -DDUET_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_ARGS)
	cmake --build $(FUZZ_DIR) --target $(if $(FUZZ_TARGET),$(FUZZ_TARGET),duet_fuzz_all) -j$(JOBS)
	cd $(FUZZ_DIR) && ctest --output-on-failure -L fuzz \
	  $(if $(FUZZ_TARGET),-R '^fuzz\.$(FUZZ_TARGET)$$') $(CTEST_ARGS)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

format:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format: $(CLANG_FORMAT) not found (make deps)" >&2; exit 1; }
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 2>/dev/null \
	  | xargs -0 -r $(CLANG_FORMAT) -i

# Fails on any C++ file that `make format` would change (the first step of
# `make test`): formatting is checked, not hoped for.
format-check: deps
	@find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' \) -print0 2>/dev/null \
	  | xargs -0 -r $(CLANG_FORMAT) --dry-run -Werror \
	  || { echo "format-check: run 'make format' and commit the result" >&2; exit 1; }

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
