# socket-lessons: every command a learner, teacher or CI needs.
#
#   make test-all            everything CI checks (fmt, clippy, tests, docs, book, exercises,
#                            and a 15 s smoke run of the benchmark harness)
#   make book / serve-book   build / serve the mdBook
#   make exercise EX=03-1    check your answer to exercise 1 of lesson 03

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
MDBOOK_VERSION := 0.5.4
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: test-all fmt-check clippy test doc check-includes book serve-book \
        check-exercises exercise exercise-table tools bench bench-smoke

test-all: fmt-check clippy test doc check-includes book check-exercises bench-smoke
	@echo "test-all: everything passed"

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test: tools
	$(CARGO) test --workspace --locked

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace --locked

# mdBook prints but does not fail on a broken include, and renders a missing
# anchor as an empty block; this check fails on both.
check-includes:
	$(CARGO) run -q --locked -p xtask -- check-includes

book: tools check-includes
	mdbook build book

serve-book: tools
	mdbook serve book

# Every solution passes its tests, every untouched starter fails them, and
# the teacher's guide's exercise table is current.
check-exercises:
	$(CARGO) run -q --locked -p xtask -- check-exercises
	$(CARGO) run -q --locked -p xtask -- check-exercise-table

# make exercise EX=03-1: run exercise 1 of lesson 03 against your starter.
exercise:
	@test -n "$(EX)" || { echo "usage: make exercise EX=03-1 (see the teacher's guide for the list)"; exit 2; }
	$(CARGO) run -q -p xtask -- exercise $(EX)

# Regenerate the teacher's guide's table after adding an exercise.
exercise-table:
	$(CARGO) run -q -p xtask -- exercise-table

# What the checks need besides Rust: mdBook, and the services database that
# lesson 10 reads (Debian's netbase package).
tools:
	@command -v mdbook >/dev/null && mdbook --version | grep -q "v$(MDBOOK_VERSION)" \
	  || $(CARGO) install --locked mdbook --version $(MDBOOK_VERSION)
	@test -f /etc/services -a -f /etc/protocols \
	  || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	       && (apt-get update -qq && apt-get install -y -qq netbase) ; } \
	  || { echo "error: /etc/services missing: install the netbase package"; exit 1; }

# make bench: every server design measured side by side, on release builds
# (a few minutes; run it on an otherwise idle machine). Writes
# target/bench/results.json, target/bench/results.md and the book's charts
# (book/src/benchmarks/*.svg). Servers it starts are killed when it ends.
BENCH_PKGS := -p loadgen -p lesson03-echo -p lesson05-threaded -p lesson06-thread-pool \
              -p lesson07-udp -p lesson08-select-chat -p lesson09-http-fetch
BENCH_PKGS += -p lesson13-async-chat
BENCH_TARGET := $(or $(CARGO_TARGET_DIR),target)

bench:
	$(CARGO) build --release --locked $(BENCH_PKGS)
	$(CARGO) build --release --locked -p lesson08-select-chat --example poll_chat
	$(BENCH_TARGET)/release/loadgen suite --bin-dir $(BENCH_TARGET)/release \
	  --out $(BENCH_TARGET)/bench --plots book/src/benchmarks

# make bench-smoke: every workload for a moment on debug builds; fails when
# one produces no results. Checks the harness, measures nothing.
bench-smoke:
	$(CARGO) build --locked $(BENCH_PKGS)
	$(CARGO) build --locked -p lesson08-select-chat --example poll_chat
	$(BENCH_TARGET)/debug/loadgen suite --smoke --bin-dir $(BENCH_TARGET)/debug \
	  --out $(BENCH_TARGET)/bench-smoke

# make transcripts: run every scenario in book/scenarios/ against the debug
# binaries and rewrite book/src/transcripts/*.txt (the format is in
# book/scenarios/README.md). check-transcripts runs them into a scratch
# directory and fails, with a diff, when a committed transcript is stale.
.PHONY: transcripts check-transcripts transcript-tools
test-all: check-transcripts

transcripts: transcript-tools
	$(CARGO) run -q --locked -p xtask -- transcripts

check-transcripts: transcript-tools
	$(CARGO) run -q --locked -p xtask -- transcripts --check

# What the scenarios run besides the lessons: nc (netcat-openbsd), ss
# (iproute2) and python3 as peers and observers.
transcript-tools:
	@command -v nc >/dev/null \
	  || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	       && (apt-get update -qq && apt-get install -y -qq netcat-openbsd) ; } \
	  || { echo "error: nc missing: install the netcat-openbsd package"; exit 1; }
	@command -v ss >/dev/null || { echo "error: ss missing: install the iproute2 package"; exit 1; }
	@command -v python3 >/dev/null || { echo "error: python3 missing"; exit 1; }
