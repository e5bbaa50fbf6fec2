# airlock — two commands: `make run` (the main job on the shipped defaults) and `make test`.
CARGO ?= cargo
DEMO_DIR ?= target/airlock-demo
# Honours CARGO_TARGET_DIR (cargo writes the binary there).
TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)
AIRLOCK = $(TARGET_DIR)/release/airlock
IMPORT = bundles/import

.PHONY: run build test test-deps bench lint fuzz fmt clean-demo install

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
	@# The real example (public-good trust root, installed above), then the test examples
	@# (signed by the test suite's fake Sigstore, verified against its TEST-ONLY root). Two of
	@# them are meant to be refused: exit 1 is expected, 2 is an error.
	$(AIRLOCK) --data-dir $(DEMO_DIR) import $(IMPORT)/real-release \
		--policy $(IMPORT)/policy.public-good.yaml
	chmod 600 $(IMPORT)/hmac-example.key
	$(AIRLOCK) --data-dir $(DEMO_DIR) import \
		$(IMPORT)/cosign-legacy-signature.tar \
		$(IMPORT)/cosign-new-format-with-sbom-and-slsa.tar.gz \
		$(IMPORT)/hauler-multi-arch.tar.zst \
		$(IMPORT)/helm-chart.tar \
		$(IMPORT)/release-blobs \
		$(IMPORT)/REFUSED-signature-for-another-image.tar \
		$(IMPORT)/REFUSED-path-traversal.tar \
		--policy $(IMPORT)/policy.TEST-ONLY.yaml \
		--trusted-root $(IMPORT)/test-trust-root.TEST-ONLY.json \
		|| [ $$? -eq 1 ]
	@# What was imported, read back from the ledger, and its chain verified.
	$(AIRLOCK) --data-dir $(DEMO_DIR) query
	$(AIRLOCK) --data-dir $(DEMO_DIR) audit verify

# What the tests drive for real (not mocks), from Debian: promtool (package `prometheus`) lints
# the daemon's metrics; systemd-nspawn (package `systemd-container`) boots the shipped unit under
# a real systemd; `docker-registry` (CNCF distribution 2.8) receives `airlock push` and `skopeo`
# reads back what it holds; Chromium (headless, `--dump-dom` and `--screenshot`, which log every
# console message and CSP violation) loads the console (chromium-driver comes with it for
# WebDriver use; the tests drive Chromium directly). Installed once when missing, as root with apt-get (a fresh CI
# machine); elsewhere the tests that need them say SKIPPED loudly. Python's `cryptography` (from
# PyPI when missing) checks the pushed VSA's DSSE signature independently of airlock.
TEST_DEBS = prometheus:promtool systemd-container:systemd-nspawn docker-registry:docker-registry \
	skopeo:skopeo chromium:chromium chromium-driver:chromedriver
test-deps:
	@python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography \
		|| echo "WARNING: could not install Python's cryptography: the push VSA check will fail"
	@missing=""; for pair in $(TEST_DEBS); do \
		pkg=$${pair%%:*}; cmd=$${pair##*:}; \
		command -v "$$cmd" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing for the tests:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
			|| echo "WARNING: could not install$$missing: the tests that need it will say SKIPPED"; \
	else \
		echo "WARNING: missing$$missing and cannot install (not root, or no apt-get): the tests that need it will say SKIPPED"; \
	fi

test: test-deps
	$(CARGO) test --locked --all-targets --features fault-injection
	@# The shipped binary carries no fault injection: the crash tests' switch is compiled only
	@# with the `fault-injection` feature, so its name must be absent from the release build.
	$(CARGO) build --release --locked
	@if grep -aq AIRLOCK_CRASH_AT $(AIRLOCK); then \
		echo "FAIL: $(AIRLOCK) reads AIRLOCK_CRASH_AT (fault injection in the shipped binary)"; exit 1; \
	else echo "ok: the release binary has no fault injection"; fi

# Criterion (benches/verify.rs), then whole commands and the peer (benches/commands.sh), one table.
bench:
	start=$$(date +%s) && $(CARGO) bench --locked --bench verify && \
		$(CARGO) bench --locked --bench ledger && \
		$(CARGO) bench --locked --bench daemon && \
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

# Installs the binary and the systemd unit, and writes nothing else: $(DESTDIR)$(BINDIR)/airlock,
# $(DESTDIR)$(UNITDIR)/airlock.service and $(DESTDIR)$(DOCDIR)/{README.md,https-api.conf}.
# Users, groups, the data dir and the inbox are created by hand (see dist/airlock.service).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DOCDIR ?= $(PREFIX)/share/doc/airlock
UNITDIR ?= /etc/systemd/system
install: build
	install -D -m 0755 $(AIRLOCK) $(DESTDIR)$(BINDIR)/airlock
	install -D -m 0644 dist/airlock.service $(DESTDIR)$(UNITDIR)/airlock.service
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 dist/airlock.service.d/https-api.conf $(DESTDIR)$(DOCDIR)/https-api.conf
	@echo "installed: $(DESTDIR)$(BINDIR)/airlock $(DESTDIR)$(UNITDIR)/airlock.service $(DESTDIR)$(DOCDIR)/"
