//! Every whole-flow test of airlock in one test binary (as ripgrep runs one integration
//! target): the binary under test is run as a child process, so sharing a process costs nothing,
//! and one link instead of two dozen makes `make test` faster. Each module is named after the
//! attack or flow it covers.
//!
//! Kept apart as their own binaries: `conformance` (its own harness), `bench_fixture` (run by
//! `make bench`), `batch_memory` / `import_memory`, which read the peak memory of their
//! children (`RUSAGE_CHILDREN`), which other tests' children would inflate in a shared process,
//! and `daemon_crash`, whose fifty kills must land while files are in flight: with other tests
//! loading both cores beside it, the daemon was often killed before it took anything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../daemon_support/mod.rs"]
mod daemon_support;
#[path = "../import_support/mod.rs"]
mod import_support;
#[path = "../trust_support/mod.rs"]
mod trust_support;

mod cli_bad_input;
mod cli_hostile_text;
mod cli_verify;
mod console_browser;
mod daemon_api;
mod daemon_hostile;
mod daemon_signals;
mod daemon_trust;
mod import_defects;
mod import_examples;
mod import_formats;
mod import_hostile;
mod import_packages;
mod import_real_exports;
mod ledger_cli;
mod ledger_crash;
mod ledger_migrate;
mod make_examples;
mod makefile;
mod push_registry;
mod trust_cli;
mod trust_concurrency;
mod trust_editor;
mod trust_instances;
mod trust_tuf_states;
mod verify_attacks;
