# socket-lessons: every command a learner, teacher or CI needs.
#
#   make test-all            everything CI checks (fmt, clippy, tests, docs, book, exercises,
#                            and a 15 s smoke run of the benchmark harness)
#   make book / serve-book   build / serve the mdBook
#   make exercise EX=03-1    check your answer to exercise 1 of lesson 03
#   make exercises           every exercise and where you stand on it
#   make watch EX=03-1       check again on every save until it passes
#   make grade SUBMISSIONS=<dir>   grade a class (see the teacher's guide)
#   make student-kit OUT=<dir>     the workspace without any solution
#   make rustlings [OUT=<dir>]     the exercises as a rustlings 6 set

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
MDBOOK_VERSION := 0.5.4
# The concept figures' preprocessor (0.17 supports mdBook 0.5).
MDBOOK_MERMAID_VERSION := 0.17.1
# gettext for the Chinese edition (0.4 supports mdBook 0.5).
MDBOOK_I18N_VERSION := 0.4.0
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: test-all fmt-check clippy test doc check-includes book serve-book \
        check-exercises exercise exercise-table tools bench bench-smoke \
        exercises watch grade student-kit rustlings check-rustlings register-exercises
.PHONY: captures i18n-update check-i18n serve-book-zh
test-all: check-i18n

test-all: fmt-check clippy test doc check-includes book check-exercises check-rustlings bench-smoke
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

# The English edition into book/book/, the Chinese one (po/zh-CN.po) into
# book/book/zh-CN/; every page of both has a language switch.
book: tools check-includes
	mdbook build book
	book/i18n.sh build

# make i18n-update: after editing English text, refresh po/messages.pot and
# merge it into po/zh-CN.po; then translate what is new or fuzzy there.
i18n-update: tools
	book/i18n.sh update

# The Chinese edition is complete (no untranslated or fuzzy message) and its
# template is current with the English chapters.
check-i18n: tools
	book/i18n.sh check

serve-book: tools
	mdbook serve book

# The Chinese edition with live reload, on port 3001.
serve-book-zh: tools
	MDBOOK_BOOK__LANGUAGE=zh-CN mdbook serve book -d book/book/zh-CN -p 3001

# Every solution passes its tests, every untouched starter and every
# checked-in wrong answer fails them, the teacher's guide's exercise table is
# current, and the grader and the student kit work end to end.
check-exercises:
	$(CARGO) run -q --locked -p xtask -- check-exercises
	$(CARGO) run -q --locked -p xtask -- check-exercise-table
	$(CARGO) run -q --locked -p xtask -- selftest-grade
	$(CARGO) run -q --locked -p xtask -- selftest-kit

# make exercise EX=03-1: run exercise 1 of lesson 03 against your starter.
exercise:
	@test -n "$(EX)" || { echo "usage: make exercise EX=03-1 (see the teacher's guide for the list)"; exit 2; }
	$(CARGO) run -q -p xtask -- exercise $(EX)

# Regenerate the teacher's guide's table after adding an exercise.
exercise-table:
	$(CARGO) run -q -p xtask -- exercise-table

# make exercises: every exercise with its state (not started, failing, passing).
exercises:
	$(CARGO) run -q -p xtask -- exercises

# make watch EX=03-1: check again on every save of the exercise, until it passes.
watch:
	@test -n "$(EX)" || { echo "usage: make watch EX=03-1"; exit 2; }
	$(CARGO) run -q -p xtask -- watch $(EX)

# make grade SUBMISSIONS=<dir>: <dir>/<student>/<NN-K>.rs to <dir>/report.csv and report.md.
grade:
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<dir> (<dir>/<student>/<NN-K>.rs)"; exit 2; }
	$(CARGO) run -q -p xtask -- grade $(abspath $(SUBMISSIONS))

# make student-kit OUT=<dir>: the workspace without solutions, wrong answers or teacher's guide.
student-kit:
	@test -n "$(OUT)" || { echo "usage: make student-kit OUT=<dir>"; exit 2; }
	$(CARGO) run -q -p xtask -- student-kit $(abspath $(OUT))

# make rustlings [OUT=<dir>]: the exercises as a rustlings 6 third-party set.
RUSTLINGS_OUT ?= $(or $(OUT),$(or $(CARGO_TARGET_DIR),target)/rustlings)
rustlings:
	$(CARGO) run -q -p xtask -- rustlings $(abspath $(RUSTLINGS_OUT))

# rustlings' own check of the generated set: every starter fails, every
# solution passes (and is clippy- and rustfmt-clean).
check-rustlings: tools rustlings
	cd $(abspath $(RUSTLINGS_OUT)) && CARGO_TARGET_DIR=$(abspath $(or $(CARGO_TARGET_DIR),target)) rustlings dev check

# After adding an exercise directory: write its tests/exK.rs harness.
register-exercises:
	$(CARGO) run -q -p xtask -- register
	$(CARGO) fmt --all

# What the checks need besides Rust: mdBook, rustlings (for the generated
# exercise set), and the services database that lesson 10 reads (Debian's
# netbase package).
tools:
	@command -v mdbook >/dev/null && mdbook --version | grep -q "v$(MDBOOK_VERSION)" \
	  || $(CARGO) install --locked mdbook --version $(MDBOOK_VERSION)
	@command -v mdbook-mermaid >/dev/null && mdbook-mermaid --version | grep -q " $(MDBOOK_MERMAID_VERSION)" \
	  || $(CARGO) install --locked mdbook-mermaid --version $(MDBOOK_MERMAID_VERSION)
	@command -v rustlings >/dev/null || $(CARGO) install --locked rustlings
	@command -v mdbook-xgettext >/dev/null && command -v mdbook-gettext >/dev/null \
	  || $(CARGO) install --locked mdbook-i18n-helpers --version $(MDBOOK_I18N_VERSION)
	@command -v msgfmt >/dev/null \
	  || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	       && (apt-get update -qq && apt-get install -y -qq gettext) ; } \
	  || { echo "error: msgfmt missing: install the gettext package"; exit 1; }
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
	  --out $(BENCH_TARGET)/bench --plots book/src/benchmarks 2>&1 | tee $(BENCH_TARGET)/bench/run.log
	@# The chapter shows this run's start and its targets: an excerpt of the real output.
	{ echo '$$ make bench'; echo '...'; sed -n '1,3p' $(BENCH_TARGET)/bench/run.log; echo '...'; \
	  sed -n '/^bench: targets/,$$p' $(BENCH_TARGET)/bench/run.log; } > book/src/benchmarks/run.txt

# make bench-smoke: every workload for a moment on debug builds; fails when
# one produces no results. Checks the harness, measures nothing.
bench-smoke:
	$(CARGO) build --locked $(BENCH_PKGS)
	$(CARGO) build --locked -p lesson08-select-chat --example poll_chat
	$(BENCH_TARGET)/debug/loadgen suite --smoke --bin-dir $(BENCH_TARGET)/debug \
	  --out $(BENCH_TARGET)/bench-smoke

# make captures: record the loopback packets of the lessons' key scenarios
# (handshake and FINs, TIME_WAIT, RST, datagrams, ICMP) against the debug
# binaries and rewrite book/src/captures/*.txt. Recording needs CAP_NET_RAW:
# as another user it says so and leaves the committed captures. A test
# (cargo test -p capture) checks the committed files' shape either way.
CAPTURE_PKGS := -p capture -p lesson01-basic-client -p lesson02-basic-server \
                -p lesson04-reuse-addr -p lesson07-udp -p lesson11-errors

captures:
	$(CARGO) build --locked $(CAPTURE_PKGS)
	$(BENCH_TARGET)/debug/capture --bin-dir $(BENCH_TARGET)/debug --out book/src/captures

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
