#!/usr/bin/env bash
# Whole-command timings for `make bench` (after `cargo bench --bench verify`), with a table of
# ratios against baselines measured in the same run. No timing is ever asserted: the figures are
# printed, nothing fails on them. A figure whose command did not verify is printed as such, never
# as a time.
#
# Measures (wall = elapsed, CPU = user + sys of the process, medians of RUNS runs):
#   - `verify-bundle --batch` over 1,000 lines (500 copies each of the Rekor v1 v0.3 bundle and of
#     the Rekor v2 + TSA bundle, one file per line), on all cores and with RAYON_NUM_THREADS=1;
#   - one `verify-bundle` process (start-up included), and `airlock --version` (start-up alone);
#   - the TUF trust-root install through the 12 → 15 root chain (`trust init --root 12.root.json
#     --from 2026-08-21_root15`) and the `trust update` from the 2025-05-24 (root 12) state to it;
#   - airlock against sigstore-rust's sigstore-verify on the same bundles, in one process, in
#     interleaved rounds (benches/peer; skipped with PEER=0);
#   - the criterion figures of benches/verify.rs (target/criterion), read back for the table.
# Environment: RUNS (default 5), BATCH_LINES (default 1000), PEER (default 1), PEER_N (default 200),
# PEER_ROUNDS (default 10),
# BENCH_START (criterion figures older than this epoch second are not shown; `make bench` sets it).
set -euo pipefail

root_dir="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root_dir"
target_dir="${CARGO_TARGET_DIR:-$root_dir/target}"
airlock="$target_dir/release/airlock"
runs="${RUNS:-5}"
lines="${BATCH_LINES:-1000}"
conf="$root_dir/tests/data/conformance"
identity="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
issuer="https://token.actions.githubusercontent.com"

echo "== building release binary"
cargo build --release --locked --bin airlock

work="$(mktemp -d "${TMPDIR:-/tmp}/airlock-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---- helpers ------------------------------------------------------------------------------

# timed OUT_PREFIX CMD...: runs CMD once; appends "wall user sys" (seconds, ms resolution, from
# the shell's `time`, children included) to OUT_PREFIX.times; CMD's stdout goes to
# OUT_PREFIX.out, stderr to OUT_PREFIX.err; returns CMD's exit code.
timed() {
    local prefix="$1"
    shift
    local rc=0
    local TIMEFORMAT='%3R %3U %3S'
    { time "$@" >"$prefix.out" 2>"$prefix.err"; } 2>"$prefix.t" || rc=$?
    tail -n 1 "$prefix.t" >>"$prefix.times"
    return $rc
}

# timed_loop OUT_PREFIX N CMD...: runs CMD N times in one timed loop (for commands too short to
# time one by one); appends per-run "wall user sys" to OUT_PREFIX.times; fails if any run fails.
timed_loop() {
    local prefix="$1" n="$2"
    shift 2
    local rc=0
    local TIMEFORMAT='%3R %3U %3S'
    { time (for ((k = 0; k < n; k++)); do "$@" >/dev/null 2>"$prefix.err" || exit 1; done); } \
        2>"$prefix.t" || rc=$?
    awk -v n="$n" '{ printf "%.6f %.6f %.6f\n", $1 / n, $2 / n, $3 / n }' "$prefix.t" >>"$prefix.times"
    return $rc
}

# rss_mib CMD...: peak resident set of one run of CMD, MiB.
rss_mib() {
    /usr/bin/time -f "%M" -o "$work/rss.t" "$@" >/dev/null 2>&1 || true
    # GNU time writes "Command exited with non-zero status N" first when the command fails.
    tail -n 1 "$work/rss.t" | awk '{ printf "%.1f\n", $1 / 1024 }'
}

# median FILE COLUMN_EXPR: median over lines of an awk expression of the columns ($1 wall,
# $2 user, $3 sys).
median() {
    awk "{print $2}" "$1" | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# best FILE COLUMN_EXPR: the smallest value (the run least disturbed by other load).
best() {
    awk "{print $2}" "$1" | sort -g | head -n 1
}

# criterion_ms GROUP/NAME: criterion's mean estimate in ms, or "nan" when there is none or it is
# older than BENCH_START (epoch seconds, set by `make bench`): a benchmark that was skipped in
# this run (its bundle did not verify) must not show an old figure.
criterion_ms() {
    local f="$target_dir/criterion/$1/new/estimates.json"
    if [ -f "$f" ] && [ "$(stat -c %Y "$f")" -ge "${BENCH_START:-0}" ]; then
        jq -r '.mean.point_estimate / 1e6' "$f"
    else
        echo nan
    fi
}

# fmt NUMBER [DECIMALS]: prints a number, or "n/a" when it is not one.
fmt() {
    awk -v x="$1" -v d="${2:-3}" 'BEGIN { if (x == "nan" || x == "" || x+0 != x) print "n/a"; else printf "%.*f\n", d, x }'
}

# ratio A B: A / B, or nan.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b+0 == 0) print "nan"; else printf "%.2f\n", a / b }'
}

# ---- inputs -------------------------------------------------------------------------------

mkdir -p "$work/b" "$work/roots"
cp "$conf/bundle-verify/a.txt" "$work/a.txt"
cp "$conf/trusted-roots/public-good-production.json" "$work/roots/production.json"
cp "$conf/bundle-verify/rekor2-happy-path/trusted_root.json" "$work/roots/rekor2-staging.json"
rekor1="$conf/bundle-verify/happy-path-v0.3/bundle.sigstore.json"
rekor2="$conf/bundle-verify/rekor2-happy-path/bundle.sigstore.json"
batch="$work/batch.jsonl"
: >"$batch"
for i in $(seq 1 "$lines"); do
    if [ $((i % 2)) -eq 1 ]; then
        src="$rekor1" root="roots/production.json" kind=r1
    else
        src="$rekor2" root="roots/rekor2-staging.json" kind=r2
    fi
    f="b/$(printf '%05d' "$i")-$kind.sigstore.json"
    cp "$src" "$work/$f"
    printf '{"bundle":"%s","artifact":"a.txt","identity":"%s","issuer":"%s","trusted_root":"%s"}\n' \
        "$f" "$identity" "$issuer" "$root" >>"$batch"
done

data="$work/data"
mkdir -p "$data"
cores="$(nproc)"

# ---- batch --------------------------------------------------------------------------------

# batch_run NAME ENV...: RUNS timed runs of the whole batch; checks every line verified.
batch_ok=1
batch_run() {
    local name="$1"
    shift
    rm -f "$work/$name.times"
    for _ in $(seq 1 "$runs"); do
        timed "$work/$name" env "$@" "$airlock" --data-dir "$data" verify-bundle --batch "$batch" || true
        local ok
        ok=$(grep -c '"verified":true' "$work/$name.out" || true)
        if [ "$ok" -ne "$lines" ]; then
            batch_ok=0
            echo "   $name: only $ok of $lines lines verified; first refusal:"
            grep -m1 '"verified":false' "$work/$name.out" | cut -c1-400 || head -c 400 "$work/$name.err"
            return 0
        fi
    done
}
echo "== verify-bundle --batch, $lines bundles, $runs runs each (all $cores cores, then 1 thread)"
batch_run batch_all
batch_run batch_one RAYON_NUM_THREADS=1

# ---- single process -----------------------------------------------------------------------

loops=$((runs * 20))
echo "== one verify-bundle process ($runs x $loops runs), airlock --version and /bin/true alike"
single_ok=1
rm -f "$work/single.times" "$work/version.times" "$work/true.times"
single=("$airlock" --data-dir "$data" verify-bundle --bundle "$rekor1"
    --certificate-identity "$identity" --certificate-oidc-issuer "$issuer"
    --trusted-root "$work/roots/production.json" "$work/a.txt")
for _ in $(seq 1 "$runs"); do
    if ! timed_loop "$work/single" "$loops" "${single[@]}"; then
        single_ok=0
        echo "   single verify-bundle refused: $(head -c 300 "$work/single.err")"
        break
    fi
    timed_loop "$work/version" "$loops" "$airlock" --version || true
    timed_loop "$work/true" "$loops" /bin/true || true
done
single_rss=$(rss_mib "${single[@]}")

# ---- TUF ----------------------------------------------------------------------------------

echo "== TUF: install through roots 12 -> 15, and update from the root-12 state to root 15"
tuf_dir="$work/tuf"
mkdir -p "$tuf_dir"
tar -xzf "$root_dir/tests/data/tuf/sigstore-public-good-tuf-states.tar.gz" -C "$tuf_dir" \
    2026-08-21_root15 2025-05-24_root12
s15="$tuf_dir/2026-08-21_root15"
s12="$tuf_dir/2025-05-24_root12"
tuf_init_ok=0
tuf_update_ok=0
if "$airlock" trust init --help 2>/dev/null | grep -q -- '--root'; then
    tuf_init_ok=1
    tuf_update_ok=1
    rm -f "$work/tuf_init.times" "$work/tuf_update.times"
    # Each run needs a fresh data dir: init into new dirs; update dirs pre-initialized at root 12
    # (not timed).
    n_tuf=$((runs * 4))
    for i in $(seq 1 "$n_tuf"); do
        if ! timed "$work/tuf_init" "$airlock" --data-dir "$work/tufdata-init-$i" trust init \
            --root "$s15/12.root.json" --from "$s15" --at 2026-08-22T00:00:00Z; then
            tuf_init_ok=0
            echo "   trust init refused: $(head -c 300 "$work/tuf_init.err")"
            break
        fi
    done
    for i in $(seq 1 "$n_tuf"); do
        d="$work/tufdata-update-$i"
        if ! "$airlock" --data-dir "$d" trust init --root "$s12/12.root.json" --from "$s12" \
            --at 2025-05-25T00:00:00Z >/dev/null 2>"$work/tuf_pre.err"; then
            tuf_update_ok=0
            echo "   trust init at root 12 refused: $(head -c 300 "$work/tuf_pre.err")"
            break
        fi
        if ! timed "$work/tuf_update" "$airlock" --data-dir "$d" trust update \
            --from "$s15" --at 2026-08-22T00:00:00Z; then
            tuf_update_ok=0
            echo "   trust update refused: $(head -c 300 "$work/tuf_update.err")"
            break
        fi
    done
else
    echo "   (airlock trust init --root is not there yet: skipped)"
fi

# ---- peer ---------------------------------------------------------------------------------

peer_r1=nan peer_r2=nan peer_setup=nan ours_r1=nan ours_r2=nan h2h_r1=nan h2h_r2=nan
# field NAME LINE: the value of NAME=… in LINE, or nan.
field() { local v; v=$(sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"); echo "${v:-nan}"; }
if [ "${PEER:-1}" != 0 ]; then
    n="${PEER_N:-200}"
    rounds="${PEER_ROUNDS:-10}"
    echo "== head-to-head: airlock vs sigstore-rust sigstore-verify 0.15.1 (benches/peer), one" \
        "thread, interleaved rounds ($rounds x $n each)"
    # Not --locked: the peer links airlock, whose dependencies may have moved since the lock.
    if cargo build --release --manifest-path "$root_dir/benches/peer/Cargo.toml" \
        >"$work/peer-build.log" 2>&1; then
        peer="$root_dir/benches/peer/target/release/airlock-bench-peer"
        out=$("$peer" "$rekor1" "$work/a.txt" "$work/roots/production.json" "$identity" "$issuer" \
            "$n" "$rounds" || true)
        echo "   rekor v1 v0.3: $out"
        ours_r1=$(field airlock_ms "$out")
        peer_r1=$(field peer_ms "$out")
        h2h_r1=$(field ratio "$out")
        peer_setup=$(field peer_setup_ms "$out")
        out=$("$peer" "$rekor2" "$work/a.txt" "$work/roots/rekor2-staging.json" "$identity" \
            "$issuer" "$n" "$rounds" || true)
        echo "   rekor v2 + TSA: $out"
        ours_r2=$(field airlock_ms "$out")
        peer_r2=$(field peer_ms "$out")
        h2h_r2=$(field ratio "$out")
    else
        echo "   peer build failed; no peer figures:"
        tail -n 5 "$work/peer-build.log"
    fi
fi

# ---- import ---------------------------------------------------------------------------------

import_mib="${BENCH_IMPORT_MIB:-1024}"
echo "== import: a signed OCI layout of ${import_mib} MiB as .tar and .tar.gz, against sha256sum and gzip -dc | sha256sum"
fixture="$work/import"
BENCH_FIXTURE_DIR="$fixture" BENCH_IMPORT_MIB="$import_mib" \
    cargo test --release --locked --test bench_fixture -- --ignored --quiet >/dev/null 2>&1 || true
if [ -f "$fixture/layout.tar" ]; then
    gzip -1 -c "$fixture/layout.tar" >"$fixture/layout.tar.gz"
    cat "$fixture/layout.tar" "$fixture/layout.tar.gz" >/dev/null # both in the page cache
    for k in $(seq 1 "$runs"); do
        timed "$work/sha256sum" sha256sum "$fixture/layout.tar" || true
        rm -rf "$work/import-data"
        timed "$work/import_tar" "$airlock" --data-dir "$work/import-data" import "$fixture/layout.tar" \
            --policy "$fixture/policy.yaml" --trusted-root "$fixture/trusted_root.json" || true
        timed "$work/gunzip_sha" sh -c "gzip -dc '$fixture/layout.tar.gz' | sha256sum" || true
        rm -rf "$work/import-data"
        timed "$work/import_tgz" "$airlock" --data-dir "$work/import-data" import "$fixture/layout.tar.gz" \
            --policy "$fixture/policy.yaml" --trusted-root "$fixture/trusted_root.json" || true
    done
    grep -q "1 accepted" "$work/import_tar.out" || echo "   import of the .tar did not accept: $(head -c 300 "$work/import_tar.out")"
    sha_wall=$(median "$work/sha256sum.times" '$1*1000')
    imp_tar_wall=$(median "$work/import_tar.times" '$1*1000')
    gun_wall=$(median "$work/gunzip_sha.times" '$1*1000')
    imp_tgz_wall=$(median "$work/import_tgz.times" '$1*1000')
    rm -rf "$work/import-data"
    imp_rss=$(rss_mib "$airlock" --data-dir "$work/import-data" import "$fixture/layout.tar" \
        --policy "$fixture/policy.yaml" --trusted-root "$fixture/trusted_root.json")
    rm -rf "$work/import-data"
    imp_tgz_rss=$(rss_mib "$airlock" --data-dir "$work/import-data" import "$fixture/layout.tar.gz" \
        --policy "$fixture/policy.yaml" --trusted-root "$fixture/trusted_root.json")
    # ---- push: the accepted layout to a loopback registry, against skopeo copy of it ----------
    push_wall=nan skopeo_wall=nan
    if command -v docker-registry >/dev/null && command -v skopeo >/dev/null; then
        echo "== push: the accepted ${import_mib} MiB image to a loopback docker-registry, against skopeo copy oci:… docker://… of the same layout"
        rm -rf "$work/import-data"
        "$airlock" --data-dir "$work/import-data" import "$fixture/layout.tar" --json \
            --policy "$fixture/policy.yaml" --trusted-root "$fixture/trusted_root.json" >"$work/push-import.json" || true
        push_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["importId"])' "$work/push-import.json" 2>/dev/null || true)
        contents="$work/import-data/accepted/$push_id/layout.tar.contents"
        # Each run gets a fresh registry on a new port: nothing is already there, and skopeo's blob
        # cache (keyed by registry) cannot turn its copy into mounts from an earlier run.
        start_registry() {
            reg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
            rm -rf "$work/registry" && mkdir -p "$work/registry"
            printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
                "$work/registry/data" "$reg_port" >"$work/registry/config.yml"
            docker-registry serve "$work/registry/config.yml" >/dev/null 2>&1 &
            reg_pid=$!
            for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$reg_port/v2/" >/dev/null && break; sleep 0.1; done
        }
        stop_registry() {
            kill "$reg_pid" 2>/dev/null || true
            wait "$reg_pid" 2>/dev/null || true
        }
        if [ -n "$push_id" ] && [ -d "$contents" ]; then
            for k in $(seq 1 "$runs"); do
                start_registry
                timed "$work/push" "$airlock" --data-dir "$work/import-data" push "$push_id" \
                    --to "http://127.0.0.1:$reg_port/a" || true
                stop_registry
                start_registry
                timed "$work/skopeo" skopeo copy --quiet --dest-tls-verify=false \
                    "oci:$contents:registry.example/bench:1" "docker://127.0.0.1:$reg_port/s/bench:1" || true
                stop_registry
            done
            grep -q "PUSHED" "$work/push.out" || echo "   push did not push: $(head -c 300 "$work/push.out") $(head -c 300 "$work/push.err")"
            push_wall=$(median "$work/push.times" '$1*1000')
            skopeo_wall=$(median "$work/skopeo.times" '$1*1000')
        else
            echo "   (the import for the push bench failed: skipped)"
        fi
        rm -rf "$work/registry"
    else
        echo "   (docker-registry or skopeo missing: the push bench is skipped; \`make test-deps\` installs them)"
    fi
    rm -rf "$fixture" "$work/import-data"
else
    echo "   (the import fixture could not be written: skipped)"
    sha_wall=nan imp_tar_wall=nan gun_wall=nan imp_tgz_wall=nan imp_rss=nan imp_tgz_rss=nan
    push_wall=nan skopeo_wall=nan
fi

# ---- a wheelhouse ----------------------------------------------------------------------------

wheels="${BENCH_WHEELS:-2000}"
echo "== import of a wheelhouse: ${wheels} wheels with PEP 740 attestations, against verify-bundle --batch of the same bundles"
whfix="$work/wheelhouse"
BENCH_FIXTURE_DIR="$whfix" BENCH_WHEELS="$wheels" \
    cargo test --release --locked --test bench_fixture write_wheelhouse_fixture -- --ignored --quiet >/dev/null 2>&1 || true
if [ -f "$whfix/bundles/batch.jsonl" ]; then
    for k in $(seq 1 "$runs"); do
        rm -rf "$work/wh-data"
        timed "$work/wh_import" "$airlock" --data-dir "$work/wh-data" import "$whfix/wheelhouse" \
            --policy "$whfix/wheel_policy.yaml" --trusted-root "$whfix/wheel_trusted_root.json" || true
        timed "$work/wh_batch" "$airlock" --data-dir "$work/wh-batch-data" verify-bundle \
            --batch "$whfix/bundles/batch.jsonl" --trusted-root "$whfix/wheel_trusted_root.json" || true
    done
    grep -q "1 accepted" "$work/wh_import.out" || echo "   the wheelhouse import did not accept: $(tail -c 300 "$work/wh_import.out")"
    wh_import_wall=$(median "$work/wh_import.times" '$1*1000')
    wh_batch_wall=$(median "$work/wh_batch.times" '$1*1000')
    rm -rf "$whfix" "$work/wh-data" "$work/wh-batch-data"
else
    echo "   (the wheelhouse fixture could not be written: skipped)"
    wh_import_wall=nan wh_batch_wall=nan
fi

# ---- memory at each cap -----------------------------------------------------------------------

echo "== peak memory of imports at the caps (inputs written by python3)"
capdir="$work/caps"
mkdir -p "$capdir"
if python3 - "$capdir" <<'PY'
import io, json, os, sys, tarfile
d = sys.argv[1]
def tar(path, files):
    with tarfile.open(path, "w") as t:
        for name, data in files:
            ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
# 12 large inputs of 64 MiB each, in one import
for i in range(12):
    tar(f"{d}/big{i}.tar", [(f"big{i}.bin", os.urandom(64 << 20))])
# 12 inputs each carrying a bundle file just under the 16 MiB evidence cap
body = json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                   "verificationMaterial": {"publicKey": {"hint": "x" * (15 << 20)}},
                   "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": "AAAA"}, "signature": "AAAA"}}).encode()
for i in range(12):
    tar(f"{d}/ev{i}.tar", [(f"f{i}.bin", os.urandom(1024)), (f"f{i}.bin.sigstore.json", body)])
# a tarball at the entry cap (50,000 entries)
tar(f"{d}/entries.tar", [(f"e/{k}", b"") for k in range(50000)])
# a policy at its caps: 1,024 globs over 8 documents, padded to ~1 MiB
doc = ("apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: p{n}\nspec:\n  images:\n{globs}"
       "  authorities:\n  - static:\n      action: pass\nstatus:\n  note: \"{pad}\"\n")
globs = "".join(f"  - glob: \"ghcr.io/acme/app-{k}*\"\n" for k in range(128))
open(f"{d}/policy.yaml", "w").write("---\n".join(doc.format(n=n, globs=globs, pad="x" * 120000) for n in range(8)))
PY
then
    pol="$capdir/policy.yaml"
    rm -rf "$work/cap-data"
    cap_big=$(rss_mib "$airlock" --data-dir "$work/cap-data" import "$capdir"/big*.tar --policy "$pol")
    rm -rf "$work/cap-data"
    cap_ev=$(rss_mib "$airlock" --data-dir "$work/cap-data" import "$capdir"/ev*.tar --policy "$pol")
    rm -rf "$work/cap-data"
    cap_entries=$(rss_mib "$airlock" --data-dir "$work/cap-data" import "$capdir/entries.tar" --policy "$pol")
    rm -rf "$work/cap-data"
    cap_policy=$(rss_mib "$airlock" --data-dir "$work/cap-data" import "$capdir/big0.tar" --policy "$pol")
    rm -rf "$work/cap-data"
    cap_floor=$(rss_mib "$airlock" --data-dir "$work/cap-data" import "$capdir/ev0.tar" --policy "$pol")
else
    echo "   (python3 could not write the cap inputs: skipped)"
    cap_big=nan cap_ev=nan cap_entries=nan cap_policy=nan cap_floor=nan
fi
rm -rf "$capdir" "$work/cap-data"

# ---- hostile batch input --------------------------------------------------------------------

echo "== verify-bundle --batch on endless input: /dev/zero and a 1.5 GB file without a newline"
truncate -s 1536M "$work/no-newline.jsonl"
for k in $(seq 1 "$runs"); do
    timed "$work/endless" "$airlock" --data-dir "$work/endless-data" verify-bundle \
        --batch "$work/no-newline.jsonl" || true
    timed "$work/devzero" "$airlock" --data-dir "$work/endless-data" verify-bundle \
        --batch /dev/zero || true
done
echo "   $(head -c 200 "$work/endless.err")"
endless_wall=$(median "$work/endless.times" '$1*1000')
endless_rss=$(rss_mib "$airlock" --data-dir "$work/endless-data" verify-bundle --batch "$work/no-newline.jsonl")
devzero_wall=$(median "$work/devzero.times" '$1*1000')
devzero_rss=$(rss_mib "$airlock" --data-dir "$work/endless-data" verify-bundle --batch /dev/zero)
rm -f "$work/no-newline.jsonl"

# ---- table --------------------------------------------------------------------------------

crit_r1=$(criterion_ms verify/rekor1_v03)
crit_r2=$(criterion_ms verify/rekor2_tsa)
once_r1=$(criterion_ms oneshot/rekor1_v03)
once_r2=$(criterion_ms oneshot/rekor2_tsa)
floor_r1=$(criterion_ms floor/rekor1_signatures)
floor_r2=$(criterion_ms floor/rekor2_tsa_signatures)
p384=$(criterion_ms floor/ecdsa_p384_sha384)
p256=$(criterion_ms floor/ecdsa_p256_sha256)
ed=$(criterion_ms floor/ed25519)
parse_b=$(criterion_ms parse/bundle_v03_rekor1)
parse_r=$(criterion_ms parse/trusted_root_production)

if [ "$batch_ok" = 1 ]; then
    all_wall=$(median "$work/batch_all.times" '$1')
    all_cpu=$(median "$work/batch_all.times" '$2+$3')
    one_wall=$(median "$work/batch_one.times" '$1')
    one_cpu=$(median "$work/batch_one.times" '$2+$3')
    all_wall_best=$(best "$work/batch_all.times" '$1')
    one_wall_best=$(best "$work/batch_one.times" '$1')
    one_cpu_best=$(best "$work/batch_one.times" '$2+$3')
    all_rss=$(rss_mib "$airlock" --data-dir "$data" verify-bundle --batch "$batch")
else
    all_wall=nan all_cpu=nan one_wall=nan one_cpu=nan all_rss=nan
    all_wall_best=nan one_wall_best=nan one_cpu_best=nan
fi
per() { awk -v t="$1" -v n="$lines" 'BEGIN { if (t == "nan") print "nan"; else print t * 1000 / n }'; }
rate() { awk -v t="$1" -v n="$lines" 'BEGIN { if (t == "nan" || t+0 == 0) print "nan"; else print n / t }'; }
all_rate=$(rate "$all_wall")
one_rate=$(rate "$one_wall")
all_cpu_ms=$(per "$all_cpu")
one_cpu_ms=$(per "$one_cpu")
one_wall_ms=$(per "$one_wall")
all_rate_best=$(rate "$all_wall_best")
one_rate_best=$(rate "$one_wall_best")
one_cpu_ms_best=$(per "$one_cpu_best")
peer_mix=$(awk -v a="$peer_r1" -v b="$peer_r2" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else print (a + b) / 2 }')
crit_mix=$(awk -v a="$crit_r1" -v b="$crit_r2" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else print (a + b) / 2 }')
if [ "$single_ok" = 1 ]; then
    single_wall=$(median "$work/single.times" '$1*1000')
    single_cpu=$(median "$work/single.times" '($2+$3)*1000')
else
    single_wall=nan single_cpu=nan single_rss=nan
fi
version_wall=$(median "$work/version.times" '$1*1000' 2>/dev/null || echo nan)
version_cpu=$(median "$work/version.times" '($2+$3)*1000' 2>/dev/null || echo nan)
true_wall=$(median "$work/true.times" '$1*1000' 2>/dev/null || echo nan)
if [ "$tuf_init_ok" = 1 ]; then
    tuf_init_wall=$(median "$work/tuf_init.times" '$1*1000')
    tuf_init_cpu=$(median "$work/tuf_init.times" '($2+$3)*1000')
else
    tuf_init_wall=nan tuf_init_cpu=nan
fi
if [ "$tuf_update_ok" = 1 ]; then
    tuf_update_wall=$(median "$work/tuf_update.times" '$1*1000')
    tuf_update_cpu=$(median "$work/tuf_update.times" '($2+$3)*1000')
else
    tuf_update_wall=nan tuf_update_cpu=nan
fi

echo
echo "airlock bench — $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(rustc --version | cut -d' ' -f1-2)"
echo -e "Caveat: a shared ${cores}-core machine; wall times move with other load. Medians of $runs runs\n(one process: of $runs loops of $loops processes; TUF: of $((runs * 4)) runs)."
echo
printf '%-58s %12s   %s\n' "in-process, one thread, prepared Verifier (criterion mean)" "ms/bundle" "ratio"
printf '%-58s %12s   %s\n' "  parse + verify, Rekor v1 v0.3 (happy-path-v0.3)" "$(fmt "$crit_r1")" \
    "$(fmt "$(ratio "$crit_r1" "$floor_r1")" 2)x its signature floor"
printf '%-58s %12s   %s\n' "  parse + verify, Rekor v2 + TSA (rekor2-happy-path)" "$(fmt "$crit_r2")" \
    "$(fmt "$(ratio "$crit_r2" "$floor_r2")" 2)x its signature floor"
printf '%-58s %12s\n' "  same, free verify() preparing the root per call, Rekor v1" "$(fmt "$once_r1")"
printf '%-58s %12s\n' "  same, free verify() preparing the root per call, v2 + TSA" "$(fmt "$once_r2")"
printf '%-58s %12s\n' "  bundle JSON parse alone (v0.3)" "$(fmt "$parse_b" 4)"
printf '%-58s %12s\n' "  trusted root parse (production; once per root)" "$(fmt "$parse_r" 4)"
printf '%-58s %12s   %s\n' "  log key: parsed for each entry / SCT (before)" "$(fmt "$(criterion_ms parse/log_key_spki_each_time)" 6)" \
    "now once per prepared root: $(fmt "$(criterion_ms parse/log_key_cached)" 6) ms a use"
printf '%-58s %12s\n' "  floor: 1 P-384 + 4 P-256 verifies (Rekor v1 bundle)" "$(fmt "$floor_r1")"
printf '%-58s %12s\n' "  floor: 2 P-384 + 2 P-256 + 1 Ed25519 (Rekor v2 + TSA)" "$(fmt "$floor_r2")"
printf '%-58s %12s\n' "  one ECDSA P-384/SHA-384 verify (aws-lc-rs)" "$(fmt "$p384" 4)"
printf '%-58s %12s\n' "  one ECDSA P-256/SHA-256 verify (aws-lc-rs)" "$(fmt "$p256" 4)"
printf '%-58s %12s\n' "  one Ed25519 verify (aws-lc-rs)" "$(fmt "$ed" 4)"
echo
printf '%-58s %12s   %s\n' "head-to-head, one thread, interleaved (benches/peer)" "ms/bundle" "airlock / peer"
printf '%-58s %12s   %s\n' "  airlock, Rekor v1 v0.3" "$(fmt "$ours_r1")" "$(fmt "$h2h_r1" 2)x"
printf '%-58s %12s\n' "  sigstore-verify 0.15.1, Rekor v1 v0.3" "$(fmt "$peer_r1")"
printf '%-58s %12s   %s\n' "  airlock, Rekor v2 + TSA" "$(fmt "$ours_r2")" "$(fmt "$h2h_r2" 2)x"
printf '%-58s %12s\n' "  sigstore-verify 0.15.1, Rekor v2 + TSA" "$(fmt "$peer_r2")"
printf '%-58s %12s\n' "  sigstore-verify set-up (root parse + Verifier), once" "$(fmt "$peer_setup")"
echo
printf '%-58s %12s   %s\n' "verify-bundle --batch, $lines bundles (half v1, half v2)" "value" "ratio"
printf '%-58s %12s   %s\n' "  bundles/s, all $cores cores" "$(fmt "$all_rate" 0)" \
    "$(fmt "$(ratio "$all_rate" "$one_rate")" 2)x the 1-thread rate (ideal ${cores}x)"
printf '%-58s %12s\n' "  bundles/s, RAYON_NUM_THREADS=1" "$(fmt "$one_rate" 0)"
printf '%-58s %12s   %s\n' "  cores busy, all cores ((user+sys) / wall)" "$(fmt "$(ratio "$all_cpu" "$all_wall")" 2)" \
    "of $cores (a speed-up below this: the vCPUs share hardware)"
printf '%-58s %12s   %s\n' "  best run: bundles/s all cores / 1 thread" \
    "$(fmt "$all_rate_best" 0)" "/ $(fmt "$one_rate_best" 0) (best of $runs each)"
printf '%-58s %12s   %s\n' "  CPU ms/bundle (user+sys / count), all cores" "$(fmt "$all_cpu_ms")" \
    "$(fmt "$(ratio "$all_cpu_ms" "$peer_mix")" 2)x sigstore-verify in-process (no file I/O)"
printf '%-58s %12s   %s\n' "  CPU ms/bundle, 1 thread" "$(fmt "$one_cpu_ms")" \
    "$(fmt "$(ratio "$one_cpu_ms" "$crit_mix")" 2)x the in-process mean (I/O, JSON out)"
printf '%-58s %12s\n' "  CPU ms/bundle, 1 thread, best run" "$(fmt "$one_cpu_ms_best")"
printf '%-58s %12s\n' "  wall ms/bundle, 1 thread" "$(fmt "$one_wall_ms")"
printf '%-58s %12s\n' "  peak RSS MiB, all cores" "$(fmt "$all_rss" 1)"
echo
printf '%-58s %12s   %s\n' "one process (start-up included)" "ms" ""
printf '%-58s %12s   %s\n' "  verify-bundle, one Rekor v1 bundle, wall" "$(fmt "$single_wall" 2)" \
    "$(fmt "$(ratio "$single_wall" "$version_wall")" 2)x airlock --version"
printf '%-58s %12s\n' "  verify-bundle, one Rekor v1 bundle, CPU" "$(fmt "$single_cpu" 2)"
printf '%-58s %12s\n' "  verify-bundle, peak RSS MiB" "$(fmt "$single_rss" 1)"
printf '%-58s %12s\n' "  airlock --version, wall (start-up alone)" "$(fmt "$version_wall" 2)"
printf '%-58s %12s\n' "  airlock --version, CPU" "$(fmt "$version_cpu" 2)"
printf '%-58s %12s\n' "  /bin/true, wall (process floor)" "$(fmt "$true_wall" 2)"
echo
printf '%-58s %12s\n' "TUF (public-good states, local folder)" "ms"
printf '%-58s %12s\n' "  trust init: pin root 12, walk to 15, install, wall" "$(fmt "$tuf_init_wall" 1)"
printf '%-58s %12s\n' "  trust init 12 -> 15, CPU" "$(fmt "$tuf_init_cpu" 1)"
printf '%-58s %12s\n' "  trust update: root-12 state -> root-15 state, wall" "$(fmt "$tuf_update_wall" 1)"
printf '%-58s %12s\n' "  trust update 12 -> 15, CPU" "$(fmt "$tuf_update_cpu" 1)"
echo
printf '%-58s %12s   %s\n' "Import, signed OCI layout of ${import_mib} MiB" "ms" "ratio"
printf '%-58s %12s   %s\n' "  airlock import .tar, wall" "$(fmt "$imp_tar_wall" 0)" \
    "$(fmt "$(ratio "$sha_wall" "$imp_tar_wall")" 2)x faster than sha256sum of the file ($(fmt "$sha_wall" 0) ms)"
printf '%-58s %12s   %s\n' "  airlock import .tar.gz, wall" "$(fmt "$imp_tgz_wall" 0)" \
    "$(fmt "$(ratio "$gun_wall" "$imp_tgz_wall")" 2)x faster than gzip -dc | sha256sum ($(fmt "$gun_wall" 0) ms)"
printf '%-58s %12s\n' "  peak RSS MiB, .tar / .tar.gz" "$(fmt "$imp_rss" 1) / $(fmt "$imp_tgz_rss" 1)"
echo
printf '%-58s %12s   %s\n' "Push of the accepted ${import_mib} MiB image, loopback registry" "ms" "ratio"
printf '%-58s %12s   %s\n' "  airlock push (image, .sig, VSA .att and bundle referrer)" "$(fmt "$push_wall" 0)" \
    "$(fmt "$(ratio "$skopeo_wall" "$push_wall")" 2)x the speed of skopeo copy oci:… docker://… ($(fmt "$skopeo_wall" 0) ms)"
echo
printf '%-58s %12s   %s\n' "Wheelhouse, ${wheels} wheels with PEP 740 attestations" "ms" "ratio"
printf '%-58s %12s   %s\n' "  airlock import of the folder, wall (all cores)" "$(fmt "$wh_import_wall" 0)" \
    "$(fmt "$(ratio "$wh_import_wall" "$wh_batch_wall")" 2)x verify-bundle --batch of the same bundles ($(fmt "$wh_batch_wall" 0) ms)"
echo
printf '%-58s %12s\n' "Import peak memory at each cap (MiB)" "MiB"
printf '%-58s %12s\n' "  12 inputs of 64 MiB in one import" "$(fmt "$cap_big" 1)"
printf '%-58s %12s\n' "  12 inputs, each with a bundle of 15 MiB (the cap is 16)" "$(fmt "$cap_ev" 1)"
printf '%-58s %12s\n' "  one tarball of 50,000 entries (the entry cap)" "$(fmt "$cap_entries" 1)"
printf '%-58s %12s\n' "  a policy of ~1 MiB with 1,024 globs (both caps)" "$(fmt "$cap_policy" 1)"
printf '%-58s %12s\n' "  baseline: one small input, same policy" "$(fmt "$cap_floor" 1)"
echo
printf '%-58s %12s\n' "Hostile batch input (refused, exit 2)" "ms"
printf '%-58s %12s\n' "  1.5 GB file without a newline, wall" "$(fmt "$endless_wall" 1)"
printf '%-58s %12s\n' "  1.5 GB file without a newline, peak RSS MiB" "$(fmt "$endless_rss" 1)"
printf '%-58s %12s\n' "  /dev/zero, wall" "$(fmt "$devzero_wall" 1)"
printf '%-58s %12s\n' "  /dev/zero, peak RSS MiB" "$(fmt "$devzero_rss" 1)"
echo
echo "n/a: not measured (the command did not verify, or the feature is not there yet; see above)."
