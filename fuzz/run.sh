#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS (default 60) each, one after the other, on stable Rust:
# cargo-fuzz with `-s none` (no sanitizer: AddressSanitizer needs a nightly `-Zsanitizer`, and
# airlock forbids unsafe code, so the findings that matter are panics, overflows and hangs, which
# libFuzzer catches without it). Seeds corpora from tests/data first (seed.sh).
# Usage: bash fuzz/run.sh [target...]     (FUZZ_SECONDS=600 bash fuzz/run.sh bundle_json)
# Prints one line a target: executions, executions/s, and whether it crashed; exits 1 if any did.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
secs="${FUZZ_SECONDS:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: run 'cargo install cargo-fuzz --locked' (see fuzz/README.md)" >&2
    exit 2
fi
bash "$here/seed.sh"
cargo fuzz build -s none || exit 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
mkdir -p "$here/artifacts"
failed=()
summary=()
# Run the binaries built above (not `cargo fuzz run`, which rebuilds first): a crate being edited
# meanwhile can then neither break a run nor be mistaken for a crash.
bin_dir="$here/target/x86_64-unknown-linux-gnu/release"
for t in "${targets[@]}"; do
    log="$here/artifacts/$t.log"
    mkdir -p "$here/artifacts/$t" "$here/corpus/$t"
    echo "== $t: ${secs}s (log: fuzz/artifacts/$t.log)"
    # -timeout: an input that takes over 10 s is a hang (a denial of service), reported as one.
    "$bin_dir/$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$here/artifacts/$t/" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        failed+=("$t")
        why=$(grep -m1 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" || tail -n 1 "$log")
        summary+=("$(printf '%-18s FAILED (exit %s) %s' "$t" "$rc" "$why")")
        grep -E "panicked at|Test unit written to" -A2 "$log" | head -8
    else
        summary+=("$(printf '%-18s ok  %10s runs  %7s exec/s  %s' "$t" "${runs:-?}" "${rate:-?}" "$cov")")
    fi
done
echo
echo "fuzz summary (${secs}s a target, $(nproc) cores, no sanitizer):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "CRASHED: ${failed[*]} (inputs under fuzz/artifacts/<target>/; reproduce with" \
         "'cd fuzz && cargo fuzz run -s none <target> artifacts/<target>/<crash-file>')"
    exit 1
fi
