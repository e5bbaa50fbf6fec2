#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the conformance test data (run from the repository root or
# anywhere: paths are resolved from this script). Corpora are never committed; this recreates
# them. Needs jq and base64 (coreutils). Idempotent: existing corpus files are kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/../tests/data/conformance"
tuf="$here/../tests/data/tuf/sigstore-public-good-tuf-states.tar.gz"
corpus="$here/corpus"

for t in bundle_json trusted_root_json intoto_statement certificate rfc3161_timestamp \
         checkpoint tlog_entry verify_bundle tuf_tarball batch_lines text_render archive oci_layout simple_signing policy_yaml; do
    mkdir -p "$corpus/$t"
done

b64() { base64 -d 2>/dev/null || true; }

for dir in "$data"/bundle-verify/*/; do
    name="$(basename "$dir")"
    b="$dir/bundle.sigstore.json"
    [ -f "$b" ] || continue
    cp "$b" "$corpus/bundle_json/$name.json"
    cp "$b" "$corpus/verify_bundle/$name.json"
    [ -f "$dir/trusted_root.json" ] && cp "$dir/trusted_root.json" "$corpus/trusted_root_json/$name.json"
    # jq fails on the deliberately malformed bundles: skip those for the extracted seeds.
    jq -r '.dsseEnvelope.payload // empty' "$b" 2>/dev/null | b64 > "$corpus/intoto_statement/$name" || true
    jq -r '(.verificationMaterial.certificate.rawBytes
            // .verificationMaterial.x509CertificateChain.certificates[0].rawBytes) // empty' \
        "$b" 2>/dev/null | b64 > "$corpus/certificate/$name.der" || true
    jq -r '.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp // empty' \
        "$b" 2>/dev/null | b64 > "$corpus/rfc3161_timestamp/$name.der" || true
    jq -j '.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope // empty' \
        "$b" > "$corpus/checkpoint/$name.txt" 2>/dev/null || true
done
cp "$data"/trusted-roots/*.json "$corpus/trusted_root_json/"
# Empty extractions are useless seeds.
find "$corpus" -type f -empty -delete

# Two small TUF repository states, as .tar.gz and as plain .tar (the medium accepts both).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tuf" -C "$tmp" 2022-01-22_root2 2025-05-24_root12
tar -czf "$corpus/tuf_tarball/root2.tar.gz" -C "$tmp" 2022-01-22_root2
tar -cf "$corpus/tuf_tarball/root2.tar" -C "$tmp" 2022-01-22_root2
tar -czf "$corpus/tuf_tarball/root12.tar.gz" -C "$tmp" 2025-05-24_root12
# The import reader takes the same media, and zstd ones.
cp "$corpus/tuf_tarball/root2.tar.gz" "$corpus/tuf_tarball/root2.tar" "$corpus/archive/"
if command -v zstd >/dev/null; then
    tar -cf - -C "$tmp" 2022-01-22_root2 | zstd -q -c > "$corpus/archive/root2.tar.zst"
fi
for dir in "$data"/bundle-verify/*/; do
    [ -f "$dir/bundle.sigstore.json" ] && cp "$dir/bundle.sigstore.json" "$corpus/text_render/$(basename "$dir").json"
done
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2}]}\0{}' \
    > "$corpus/oci_layout/index"
printf '{"critical":{"identity":{"docker-reference":"a/b"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}' \
    > "$corpus/simple_signing/payload"
cat > "$corpus/policy_yaml/policy.yaml" <<'YAML'
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: p
spec:
  images:
  - glob: "ghcr.io/**"
  authorities:
  - keyless:
      identities:
      - issuer: https://token.actions.githubusercontent.com
        subjectRegExp: "^https://github.com/acme/"
    attestations:
    - name: a
      predicateType: slsaprovenance1
YAML
printf '{"bundle":"b.json","artifact":"a.txt","identity":"x","issuer":"y"}\n\n{"bundle":"c"}\n' \
    > "$corpus/batch_lines/two.jsonl"
echo "seeded: $(for t in "$corpus"/*/; do printf '%s=%s ' "$(basename "$t")" "$(ls "$t" | wc -l)"; done)"
