# airlock — two commands: `make run` (the main job on the shipped defaults) and `make test`.
CARGO ?= cargo
DEMO_DIR ?= target/airlock-demo
AIRLOCK = target/release/airlock

.PHONY: run build test bench lint fuzz fmt clean-demo

build:
	$(CARGO) build --release --locked

# A fresh data dir, the shipped trust root verified through TUF and installed, then every
# example bundle in bundles/ verified against it, with a table of the results.
run: build
	rm -rf $(DEMO_DIR)
	$(AIRLOCK) --data-dir $(DEMO_DIR) trust init
	$(AIRLOCK) --data-dir $(DEMO_DIR) trust status
	@# Exit 1 only says some examples were refused, as several are meant to be; 2 is an error.
	$(AIRLOCK) --data-dir $(DEMO_DIR) verify-bundle --batch bundles/examples.jsonl --table \
		|| [ $$? -eq 1 ]

test:
	$(CARGO) test --locked --all-targets

# Criterion (benches/verify.rs), then whole commands and the peer (benches/commands.sh), one table.
bench:
	start=$$(date +%s) && $(CARGO) bench --locked --bench verify && \
		BENCH_START=$$start bash benches/commands.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Runs each fuzz target for FUZZ_SECONDS (default 60) on stable Rust (cargo-fuzz with `-s none`;
# needs `cargo install cargo-fuzz --locked` once), seeding corpora from tests/data. See fuzz/README.md.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh

fmt:
	$(CARGO) fmt
