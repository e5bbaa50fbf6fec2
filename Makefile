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

bench:
	$(CARGO) bench --locked --bench verify
	bash benches/commands.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

# Runs each fuzz target for a short while (needs `cargo install cargo-fuzz` and nightly-free
# libFuzzer via cargo-fuzz's stable support; see fuzz/README.md).
fuzz:
	cd fuzz && for t in $$($(CARGO) fuzz list); do $(CARGO) fuzz run $$t -- -max_total_time=30 || exit 1; done

fmt:
	$(CARGO) fmt
