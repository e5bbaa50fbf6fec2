//! Reason codes: every code airlock gives, in one place, with the exit code it leads to and one
//! line of meaning (the README's table "Every reason code" lists exactly these; a test checks
//! both ways, and that every code-like literal in the source is registered).
//!
//! Owns: the registry and the plain words for a code. Must not touch: deciding anything.

/// One reason code: the code, the exit code a command ends with when it is the reason (0 for
/// warnings and notes, which decide nothing), and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub exit: u8,
    pub meaning: &'static str,
}

/// Every reason code, sorted.
pub const CODES: &[Code] = &[
    Code { code: "already-initialized", exit: 2, meaning: "the trust store is initialized (use --force)" },
    Code { code: "ambiguous-repository", exit: 2, meaning: "several TUF repositories on the stick: point --from at one" },
    Code { code: "api-failed", exit: 2, meaning: "the API failed to answer" },
    Code { code: "artifact-digest-unusable", exit: 1, meaning: "the artifact digest given is not a usable digest" },
    Code { code: "artifact-not-in-statement", exit: 1, meaning: "the in-toto statement names other subjects than this artifact" },
    Code { code: "artifact-unreadable", exit: 2, meaning: "the artifact file cannot be read" },
    Code { code: "attestation-malformed", exit: 1, meaning: "an attestation cannot be read" },
    Code { code: "attestation-missing", exit: 1, meaning: "the policy requires an attestation that is not on the stick" },
    Code { code: "attestation-type-unknown", exit: 1, meaning: "an attestation of a predicate type the policy does not know" },
    Code { code: "attestation-unreadable", exit: 1, meaning: "an attestation file cannot be read" },
    Code { code: "auth-file-invalid", exit: 2, meaning: "the auth file is not an owner-only Docker config.json" },
    Code { code: "authority-unusable", exit: 1, meaning: "an authority of the policy cannot be used offline (KMS, secretRef)" },
    Code { code: "bad-archive", exit: 1, meaning: "the archive is truncated or corrupt" },
    Code { code: "bad-request", exit: 2, meaning: "a query or filter the ledger cannot answer (the API's 400)" },
    Code { code: "bad-signature", exit: 1, meaning: "TUF metadata not signed by enough trusted keys" },
    Code { code: "blob-digest-mismatch", exit: 1, meaning: "a blob's bytes do not hash to its name" },
    Code { code: "blob-missing", exit: 1, meaning: "a blob a manifest names is not in the layout" },
    Code { code: "blob-size-mismatch", exit: 1, meaning: "a blob's size differs from its descriptor" },
    Code { code: "bundle-empty-certificate-chain", exit: 1, meaning: "the bundle's certificate chain is empty" },
    Code { code: "bundle-invalid-base64", exit: 1, meaning: "a base64 field of the bundle is not base64" },
    Code { code: "bundle-invalid-field", exit: 1, meaning: "a field of the bundle has a value outside its type (a negative log index, a bad int64 string)" },
    Code { code: "bundle-malformed-json", exit: 1, meaning: "the bundle is not JSON" },
    Code { code: "bundle-missing-field", exit: 1, meaning: "a field the bundle's version requires is absent" },
    Code { code: "bundle-missing-tlog-evidence", exit: 1, meaning: "the bundle lacks the log evidence its version requires (a SET for v0.1, an inclusion proof from v0.2)" },
    Code { code: "bundle-over-limit", exit: 1, meaning: "the bundle holds more entries, certificates or timestamps than airlock's caps" },
    Code { code: "bundle-too-deep", exit: 1, meaning: "the bundle's JSON nests deeper than the cap" },
    Code { code: "bundle-too-large", exit: 1, meaning: "the bundle file is over the size cap" },
    Code { code: "bundle-unknown-media-type", exit: 1, meaning: "not a Sigstore bundle v0.1, v0.2 or v0.3" },
    Code { code: "bundle-unreadable", exit: 2, meaning: "the bundle file cannot be read" },
    Code { code: "certificate-bundle-with-key", exit: 1, meaning: "a certificate bundle given with --key, or a key bundle without it" },
    Code { code: "certificate-chain-contains-root", exit: 1, meaning: "the bundle tries to supply its own root certificate" },
    Code { code: "certificate-chain-untrusted", exit: 1, meaning: "the certificate chain does not reach a trusted Fulcio CA" },
    Code { code: "certificate-is-ca", exit: 1, meaning: "the signing certificate is a CA certificate" },
    Code { code: "certificate-key-unsupported", exit: 1, meaning: "the certificate's key type is not one Sigstore signs with" },
    Code { code: "certificate-key-usage-invalid", exit: 1, meaning: "the certificate's key usage does not allow signing" },
    Code { code: "certificate-malformed", exit: 1, meaning: "the signing certificate cannot be parsed" },
    Code { code: "certificate-not-code-signing", exit: 1, meaning: "the certificate lacks the code-signing extended key usage" },
    Code { code: "certificate-not-valid-at-signing-time", exit: 1, meaning: "signed when the signing certificate was not valid" },
    Code { code: "certificate-outside-ca-validity", exit: 1, meaning: "signed outside the issuing CA's validity in the trust root" },
    Code { code: "certificate-signature-unsupported", exit: 1, meaning: "the certificate is signed with an algorithm airlock does not accept" },
    Code { code: "certificate-unhandled-critical-extension", exit: 1, meaning: "the certificate carries a critical extension airlock does not know" },
    Code { code: "certificate-untrusted", exit: 1, meaning: "the signing certificate was not issued by a trusted Sigstore CA" },
    Code { code: "checkpoint-malformed", exit: 1, meaning: "the log's signed checkpoint cannot be read" },
    Code { code: "checkpoint-mismatch", exit: 1, meaning: "the checkpoint is not the inclusion proof's tree" },
    Code { code: "checkpoint-missing", exit: 1, meaning: "an inclusion proof without its signed checkpoint" },
    Code { code: "checkpoint-no-valid-signature", exit: 1, meaning: "no trusted log key signs the checkpoint" },
    Code { code: "compression-bomb", exit: 1, meaning: "the archive inflates past the allowed ratio" },
    Code { code: "concurrent-update", exit: 2, meaning: "another trust update ran at the same time" },
    Code { code: "daemon-busy", exit: 2, meaning: "the daemon is serving too many clients" },
    Code { code: "daemon-connection-lost", exit: 2, meaning: "the daemon closed the connection before answering" },
    Code { code: "daemon-lock-failed", exit: 2, meaning: "the daemon lock cannot be taken" },
    Code { code: "daemon-request-refused", exit: 2, meaning: "the daemon refused a request (too large, relative paths, other version)" },
    Code { code: "daemon-running", exit: 2, meaning: "another daemon already serves this data dir" },
    Code { code: "data-dir-link", exit: 2, meaning: "the data dir or one of its folders is a link" },
    Code { code: "data-dir-unwritable", exit: 2, meaning: "the data dir cannot be written (disk full, permissions)" },
    Code { code: "der-malformed", exit: 2, meaning: "a DER structure cannot be parsed" },
    Code { code: "der-too-large", exit: 2, meaning: "a DER structure is over the cap" },
    Code { code: "digest-invalid", exit: 1, meaning: "a digest is not algorithm:hex" },
    Code { code: "dsse-hmac-invalid", exit: 1, meaning: "the HMAC-signed DSSE envelope does not verify" },
    Code { code: "dsse-payload-malformed", exit: 1, meaning: "the DSSE payload is not a well-formed in-toto statement" },
    Code { code: "dsse-payload-not-intoto", exit: 1, meaning: "the DSSE payload type is not in-toto" },
    Code { code: "dsse-signature-count", exit: 1, meaning: "the DSSE envelope holds other than one signature" },
    Code { code: "dsse-signature-invalid", exit: 1, meaning: "the DSSE signature does not verify with the signer's key" },
    Code { code: "dsse-unreadable", exit: 1, meaning: "a DSSE envelope cannot be read" },
    Code { code: "duplicate-manifest", exit: 1, meaning: "the layout lists the same manifest twice in conflicting ways" },
    Code { code: "evidence-unreadable", exit: 1, meaning: "a piece of evidence in the layout cannot be read" },
    Code { code: "expired", exit: 1, meaning: "TUF metadata on the stick had expired at the appliance clock" },
    Code { code: "export-invalid", exit: 2, meaning: "an export file fails its check" },
    Code { code: "factory-broken", exit: 2, meaning: "the factory trust state built into airlock is unusable" },
    Code { code: "factory-install", exit: 0, meaning: "trust event: the factory trust root was installed on first use" },
    Code { code: "hmac-invalid", exit: 1, meaning: "the HMAC proof record does not verify with the site key" },
    Code { code: "hmac-key-mismatch", exit: 2, meaning: "the key file is not the key this ledger is signed with" },
    Code { code: "hmac-key-missing", exit: 2, meaning: "the ledger's key is kept outside the data dir and was not given" },
    Code { code: "hmac-key-required", exit: 2, meaning: "an HMAC proof record without a site key to check it" },
    Code { code: "identity-mismatch", exit: 1, meaning: "signed by someone other than the expected identity" },
    Code { code: "image-name-ambiguous", exit: 2, meaning: "--image given when the input holds no single image to name" },
    Code { code: "image-sidecar-unreadable", exit: 1, meaning: "a signature or attestation file beside an image cannot be read" },
    Code { code: "inbox-not-regular", exit: 2, meaning: "an inbox entry is neither a file nor a folder" },
    Code { code: "inbox-other-filesystem", exit: 2, meaning: "the inbox is not on the data dir's filesystem" },
    Code { code: "inbox-unusable", exit: 2, meaning: "the inbox folder cannot be read" },
    Code { code: "inclusion-proof-invalid", exit: 1, meaning: "the Merkle inclusion proof does not lead to the checkpoint's root" },
    Code { code: "inclusion-proof-missing", exit: 1, meaning: "the log entry has no inclusion proof where one is required" },
    Code { code: "incomplete-root-chain", exit: 1, meaning: "a newer root the chain of root files cannot reach" },
    Code { code: "input-unreadable", exit: 2, meaning: "an input given on the command line cannot be read" },
    Code { code: "internal", exit: 2, meaning: "an internal error of the TUF client" },
    Code { code: "issuer-mismatch", exit: 1, meaning: "the signer's identity comes from an unexpected OIDC issuer" },
    Code { code: "journal-failed", exit: 2, meaning: "the daemon's journal cannot be written" },
    Code { code: "kept-layout-incomplete", exit: 1, meaning: "a blob or manifest is missing from the kept layout" },
    Code { code: "kept-layout-missing", exit: 1, meaning: "the accepted input is no longer kept in the data dir" },
    Code { code: "kept-layout-unusable", exit: 1, meaning: "the kept layout cannot be read or has changed since it was accepted" },
    Code { code: "key-mismatch", exit: 1, meaning: "signed with another key than the policy's" },
    Code { code: "key-required", exit: 1, meaning: "a managed-key bundle verified without --key (or the policy's key)" },
    Code { code: "key-unusable", exit: 2, meaning: "the --key file is not a usable public key" },
    Code { code: "ledger-corrupt", exit: 2, meaning: "the ledger database is damaged" },
    Code { code: "ledger-failed", exit: 2, meaning: "the ledger database failed an operation" },
    Code { code: "ledger-key-unusable", exit: 2, meaning: "the ledger's key file cannot be used" },
    Code { code: "ledger-schema-newer", exit: 2, meaning: "the ledger was written by a newer airlock" },
    Code { code: "ledger-schema-older", exit: 2, meaning: "the ledger needs `airlock db migrate`" },
    Code { code: "ledger-unavailable", exit: 2, meaning: "the ledger database cannot be opened (another process holds it)" },
    Code { code: "legacy-docker-save", exit: 1, meaning: "a pre-OCI docker save archive: no digest to bind a signature to" },
    Code { code: "listen-failed", exit: 2, meaning: "the API cannot listen on the address" },
    Code { code: "listen-not-loopback", exit: 2, meaning: "plain HTTP on a non-loopback address (give --tls-cert)" },
    Code { code: "manifest-cycle", exit: 1, meaning: "manifests refer to each other in a cycle" },
    Code { code: "message-digest-mismatch", exit: 1, meaning: "the signature covers another artifact" },
    Code { code: "metadata-malformed", exit: 1, meaning: "a TUF metadata file cannot be parsed" },
    Code { code: "method-not-allowed", exit: 2, meaning: "an API request other than GET" },
    Code { code: "mix-and-match", exit: 1, meaning: "a TUF file is not the version or hash the metadata above it names" },
    Code { code: "name-disagreement", exit: 0, meaning: "warning: the artifact's names disagree between the layout and the signature" },
    Code { code: "no-artifacts", exit: 1, meaning: "the input holds nothing airlock can decide" },
    Code { code: "no-destination-name", exit: 1, meaning: "an image without a name to map to a repository (give --repository)" },
    Code { code: "no-policy-matched", exit: 1, meaning: "no policy of the ClusterImagePolicy covers the artifact's names" },
    Code { code: "no-signature", exit: 1, meaning: "nothing on the stick signs the artifact" },
    Code { code: "no-such-instance", exit: 2, meaning: "no trust instance of that name" },
    Code { code: "no-verified-time", exit: 1, meaning: "no trustworthy signing time (a SET or a trusted RFC 3161 timestamp)" },
    Code { code: "not-a-tuf-repository", exit: 2, meaning: "no timestamp.json at the top of the folder or one below" },
    Code { code: "not-accepted", exit: 1, meaning: "push refused: the image's latest verdict is not accepted" },
    Code { code: "not-an-archive", exit: 1, meaning: "the input is neither a tar (plain, gzip, zstd) nor a folder" },
    Code { code: "not-an-image", exit: 1, meaning: "push refused: only images go to a registry" },
    Code { code: "not-found", exit: 1, meaning: "no such record, import or artifact (the API's 404)" },
    Code { code: "nothing-to-push", exit: 1, meaning: "the import holds no image" },
    Code { code: "oci-malformed", exit: 1, meaning: "the OCI layout is malformed" },
    Code { code: "oci-over-limit", exit: 1, meaning: "the OCI layout is over the caps on manifests or depth" },
    Code { code: "oci-unsupported", exit: 1, meaning: "the OCI layout uses a version or feature airlock does not read" },
    Code { code: "payload-digest-mismatch", exit: 1, meaning: "the signature is for another image (its payload names another digest)" },
    Code { code: "pinned-root-invalid", exit: 1, meaning: "the pinned TUF root given with --root is not usable" },
    Code { code: "plain-http-refused", exit: 2, meaning: "plain HTTP to a registry that is not on loopback" },
    Code { code: "platforms-absent", exit: 0, meaning: "warning: platforms the index names are not on the stick" },
    Code { code: "policy-invalid", exit: 2, meaning: "the policy file is not a valid ClusterImagePolicy" },
    Code { code: "policy-matched-nothing", exit: 0, meaning: "note: a policy of the file matched no artifact of the import" },
    Code { code: "policy-not-evaluable", exit: 1, meaning: "the policy guards it with a CUE or Rego policy airlock cannot evaluate" },
    Code { code: "policy-not-satisfied", exit: 1, meaning: "no authority of the matching policy is satisfied" },
    Code { code: "predicate-type-mismatch", exit: 1, meaning: "the attestation's predicate type is not the one the policy requires" },
    Code { code: "proof-record-malformed", exit: 1, meaning: "the HMAC proof record cannot be read" },
    Code { code: "proof-record-not-canonical", exit: 1, meaning: "the HMAC proof record is not in canonical form" },
    Code { code: "proof-record-subject-mismatch", exit: 1, meaning: "the HMAC proof record is about another artifact" },
    Code { code: "publisher-mismatch", exit: 1, meaning: "the Python package's Trusted Publisher is not the expected one" },
    Code { code: "query-too-long", exit: 2, meaning: "an API query string over the cap" },
    Code { code: "rate-limited", exit: 1, meaning: "too many API requests from one client (429)" },
    Code { code: "registry-auth-failed", exit: 1, meaning: "the registry refused the credentials" },
    Code { code: "registry-protocol", exit: 1, meaning: "the registry answered something the distribution API does not allow (retryable)" },
    Code { code: "registry-refused", exit: 1, meaning: "the registry refused a request (4xx)" },
    Code { code: "registry-target-invalid", exit: 2, meaning: "--to is not REGISTRY[/PREFIX]" },
    Code { code: "registry-tls-invalid", exit: 2, meaning: "the registry CA or client certificate files cannot be used" },
    Code { code: "registry-tls-refused", exit: 1, meaning: "TLS with the registry failed (its certificate or a client certificate)" },
    Code { code: "registry-unavailable", exit: 1, meaning: "the registry answered 5xx or 429 (retryable)" },
    Code { code: "registry-unreachable", exit: 1, meaning: "the registry cannot be reached (retryable)" },
    Code { code: "repository-incomplete", exit: 1, meaning: "a file the signed TUF metadata needs is missing" },
    Code { code: "request-too-large", exit: 2, meaning: "an API request over the caps" },
    Code { code: "rollback", exit: 1, meaning: "the stick holds metadata older than what airlock accepted" },
    Code { code: "sct-invalid", exit: 1, meaning: "the certificate's embedded SCT does not verify" },
    Code { code: "sct-missing", exit: 1, meaning: "the certificate carries no SCT from a trusted CT log" },
    Code { code: "sct-unknown-log", exit: 1, meaning: "the certificate's SCT is from a CT log this site does not trust" },
    Code { code: "set-invalid", exit: 1, meaning: "the log's signed entry timestamp is forged or damaged" },
    Code { code: "set-missing", exit: 1, meaning: "a v0.1 bundle without its signed entry timestamp" },
    Code { code: "signature-invalid", exit: 1, meaning: "the signature does not match the artifact and the signer's key" },
    Code { code: "signature-malformed", exit: 1, meaning: "a signature layer or file is malformed" },
    Code { code: "signature-missing", exit: 1, meaning: "a signature layer names no signature" },
    Code { code: "signature-unreadable", exit: 1, meaning: "a signature file cannot be read" },
    Code { code: "signer-key-unusable", exit: 1, meaning: "the signer's public key cannot be used" },
    Code { code: "simple-signing-malformed", exit: 1, meaning: "the cosign simple-signing payload cannot be read" },
    Code { code: "simulated-crash", exit: 2, meaning: "a crash injected by the tests (fault-injection builds only)" },
    Code { code: "slsa-source-mismatch", exit: 1, meaning: "the SLSA provenance names another source repository than the policy's" },
    Code { code: "socket-failed", exit: 2, meaning: "the control socket cannot be created" },
    Code { code: "source-missing", exit: 2, meaning: "the --from path does not exist" },
    Code { code: "source-unreadable", exit: 2, meaning: "the --from path or an input cannot be read" },
    Code { code: "staging-failed", exit: 2, meaning: "the data dir's staging area cannot be written" },
    Code { code: "static-fail", exit: 1, meaning: "the policy's static authority refuses everything" },
    Code { code: "store-corrupt", exit: 2, meaning: "the trust store on disk is damaged" },
    Code { code: "store-io", exit: 2, meaning: "the trust store cannot be read or written" },
    Code { code: "subject-name-mismatch", exit: 1, meaning: "the signed statement names the artifact under another name" },
    Code { code: "target-hash-mismatch", exit: 1, meaning: "trusted_root.json does not match its signed hash" },
    Code { code: "target-missing", exit: 1, meaning: "trusted_root.json is not listed in the signed targets" },
    Code { code: "time-in-future", exit: 1, meaning: "the verified signing time is ahead of the clock" },
    Code { code: "timestamp-duplicate", exit: 1, meaning: "the same RFC 3161 timestamp is given twice" },
    Code { code: "timestamp-invalid-signature", exit: 1, meaning: "the RFC 3161 timestamp's signature does not verify" },
    Code { code: "timestamp-malformed", exit: 1, meaning: "the RFC 3161 timestamp cannot be parsed" },
    Code { code: "timestamp-not-granted", exit: 1, meaning: "the TSA did not grant the timestamp" },
    Code { code: "timestamp-outside-tsa-cert-validity", exit: 1, meaning: "the timestamp falls outside its signing certificate's validity" },
    Code { code: "timestamp-outside-tsa-validity", exit: 1, meaning: "the timestamp falls outside the TSA's validity in the trust root" },
    Code { code: "timestamp-payload-mismatch", exit: 1, meaning: "the timestamp is over other bytes than the signature" },
    Code { code: "timestamp-signer-not-timestamping", exit: 1, meaning: "the timestamp's signing certificate is not for timestamping" },
    Code { code: "timestamp-signing-certificate-mismatch", exit: 1, meaning: "the timestamp names another signing certificate than the one that signed it" },
    Code { code: "timestamp-signing-certificate-missing", exit: 1, meaning: "the timestamp's signing certificate is absent" },
    Code { code: "timestamp-tsa-name-mismatch", exit: 1, meaning: "the timestamp names another TSA than the one that signed it" },
    Code { code: "timestamp-unsupported-algorithm", exit: 1, meaning: "the timestamp uses an algorithm airlock does not accept" },
    Code { code: "timestamp-untrusted", exit: 1, meaning: "the timestamp was not issued by a TSA this site trusts" },
    Code { code: "tlog-body-malformed", exit: 1, meaning: "the log entry's body cannot be read" },
    Code { code: "tlog-entry-mismatch", exit: 1, meaning: "the log entry is about something else than this signature" },
    Code { code: "tlog-entry-missing", exit: 1, meaning: "no transparency-log entry where the policy requires one" },
    Code { code: "tlog-index-mismatch", exit: 1, meaning: "the log index in the entry disagrees with its proof" },
    Code { code: "tlog-key-not-valid-at-time", exit: 1, meaning: "the log's key was not valid when the entry was integrated" },
    Code { code: "tlog-key-unusable", exit: 1, meaning: "the trust root's log key cannot be used" },
    Code { code: "tlog-unknown-log", exit: 1, meaning: "logged in a transparency log this site does not trust" },
    Code { code: "tlog-unsupported-kind", exit: 1, meaning: "the log entry is of a kind airlock does not verify" },
    Code { code: "tls-unusable", exit: 2, meaning: "the API's TLS files cannot be used" },
    Code { code: "too-large", exit: 1, meaning: "the input (or a TUF file) is over airlock's size caps" },
    Code { code: "trust-root-unavailable", exit: 2, meaning: "no trust root is installed for the instance yet" },
    Code { code: "trust-root-unusable", exit: 2, meaning: "the daemon cannot load the trust root" },
    Code { code: "trusted-ca-invalid", exit: 1, meaning: "a CA certificate of the trust root cannot be used" },
    Code { code: "trusted-root-invalid", exit: 1, meaning: "the trusted root is not a usable Sigstore trusted root" },
    Code { code: "trusted-root-unreadable", exit: 2, meaning: "the --trusted-root file cannot be read" },
    Code { code: "tuf-failed", exit: 2, meaning: "the TUF client failed" },
    Code { code: "unreadable", exit: 2, meaning: "a trust store file cannot be read" },
    Code { code: "unsafe-archive", exit: 1, meaning: "the archive holds links, devices, absolute paths, '..' or duplicate names" },
    Code { code: "usage", exit: 2, meaning: "the command line or request is not usable" },
    Code { code: "verdicts-changed", exit: 0, meaning: "reverify: verdicts would change (or did, with --apply)" },
    Code { code: "zarf-aggregate-mismatch", exit: 1, meaning: "the Zarf package's aggregate checksum does not match" },
    Code { code: "zarf-file-extra", exit: 1, meaning: "the Zarf package holds a file its checksums do not name" },
    Code { code: "zarf-file-mismatch", exit: 1, meaning: "a file of the Zarf package does not match its checksum" },
    Code { code: "zarf-file-missing", exit: 1, meaning: "a file the Zarf checksums name is missing" },
    Code { code: "zarf-malformed", exit: 1, meaning: "the Zarf package's zarf.yaml or layout cannot be read" },
    Code { code: "zarf-package-rejected", exit: 1, meaning: "the Zarf package that covers this artifact was rejected" },
];

/// The registered code `code`, if it is one.
pub fn lookup(code: &str) -> Option<&'static Code> {
    CODES
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .and_then(|i| CODES.get(i))
}

/// Plain words for a reason code, for operators who have never seen Sigstore.
pub fn explain(code: &str) -> &'static str {
    match code {
        "signature-invalid" | "dsse-signature-invalid" => {
            "the signature does not match the file and the signer's key"
        }
        "message-digest-mismatch" | "artifact-not-in-statement" => {
            "the file is not the one that was signed"
        }
        "set-invalid" => "the transparency log's signed promise is forged or damaged",
        "payload-digest-mismatch" | "subject-name-mismatch" => "the signature is for another image",
        "no-signature" | "attestation-missing" => "nothing on the stick signs it",
        "no-policy-matched" => "no policy covers this name",
        "unsafe-archive" => "the archive holds links, absolute paths or '..': refused unopened",
        "bad-archive" | "not-an-archive" => "the file is damaged or not an archive",
        "too-large" | "compression-bomb" | "oci-over-limit" => {
            "the input is over airlock's size limits"
        }
        "oci-malformed" | "blob-missing" | "blob-digest-mismatch" | "blob-size-mismatch" => {
            "the image layout is damaged or incomplete"
        }
        "publisher-mismatch" | "key-mismatch" => {
            "signed by someone other than the expected publisher"
        }
        "policy-not-evaluable" | "static-fail" | "authority-unusable" => {
            "the policy cannot admit it offline as written"
        }
        "inclusion-proof-invalid" => "the proof that the signature is in the public log is wrong",
        "checkpoint-mismatch"
        | "checkpoint-no-valid-signature"
        | "checkpoint-malformed"
        | "checkpoint-missing" => {
            "the public log's signed checkpoint does not vouch for this entry"
        }
        "tlog-unknown-log" => "logged in a transparency log this site does not trust",
        "tlog-entry-mismatch" => "the public log entry is about something else",
        "certificate-untrusted" => {
            "the signing certificate was not issued by a trusted Sigstore CA"
        }
        "certificate-chain-contains-root" => "the bundle tries to supply its own root certificate",
        "certificate-not-valid-at-signing-time" | "certificate-outside-ca-validity" => {
            "signed when the signing certificate was not valid"
        }
        "identity-mismatch" => "signed by someone other than the expected publisher",
        "issuer-mismatch" => "the signer's identity comes from an unexpected login provider",
        "sct-unknown-log" | "sct-invalid" | "sct-missing" => {
            "the certificate was not publicly logged by a trusted CT log"
        }
        "no-verified-time" => "no trustworthy signing time (log promise or timestamp)",
        "key-required" | "key-unusable" => "signed with a managed key; the right key is needed",
        c if c.starts_with("timestamp-") => "the signed timestamp cannot be trusted",
        c if c.starts_with("bundle-") => "the bundle file is malformed",
        c if c.starts_with("trusted-root") || c.starts_with("trust-root") => {
            "the trust root is unusable"
        }
        c => lookup(c).map_or("verification failed", |r| r.meaning),
    }
}

/// What an operator does about a refusal, in plain words (the console's quarantine page and the
/// README's refusal tables say the same).
pub fn remedy(code: &str) -> &'static str {
    match code {
        "no-signature" | "attestation-missing" | "key-required" => {
            "Ask the publisher for the signature: export it with the image (cosign save, or oras/skopeo with --all) and bring both on the stick."
        }
        "identity-mismatch" | "issuer-mismatch" | "publisher-mismatch" | "key-mismatch" => {
            "Signed by someone the policy does not name. If that signer is legitimate, change the policy (a reviewed change); otherwise the artifact is not from your publisher: do not use it."
        }
        "no-policy-matched" => {
            "No policy covers this name: add a policy for it (a reviewed change) or import it under the name the policy expects."
        }
        "signature-invalid" | "dsse-signature-invalid" | "message-digest-mismatch"
        | "payload-digest-mismatch" | "artifact-not-in-statement" | "blob-digest-mismatch"
        | "blob-size-mismatch" | "subject-name-mismatch" => {
            "The bytes are not the ones that were signed: the stick was altered or corrupted. Make a fresh export from the source; if it persists, treat it as an attack."
        }
        "unsafe-archive" | "bad-archive" | "not-an-archive" | "compression-bomb" | "too-large"
        | "oci-malformed" | "oci-over-limit" | "blob-missing" | "manifest-cycle"
        | "duplicate-manifest" | "no-artifacts" => {
            "The file on the stick is not a usable export (damaged, incomplete, or crafted). Export again with the publisher's tool and copy it again."
        }
        "policy-not-evaluable" | "static-fail" | "authority-unusable" => {
            "The policy cannot admit this offline as written: review the policy (CUE/Rego policies, KMS keys and static fail are never satisfied here)."
        }
        c if c.starts_with("certificate-") || c.starts_with("sct-") => {
            "The signing certificate does not chain to a Sigstore CA this site trusts at the signing time. Refresh the trust root from USB (airlock trust update); if it persists, report it."
        }
        c if c.starts_with("tlog-") || c.starts_with("checkpoint-") || c.starts_with("set-")
            || c.starts_with("inclusion-proof-") || c == "no-verified-time" =>
        {
            "The transparency-log proof does not hold against this site's trust root. Refresh the trust root from USB; if it persists, the evidence was forged or damaged."
        }
        c if c.starts_with("zarf-") => {
            "The Zarf package is not intact or not signed as the policy requires: create the package again and bring it whole."
        }
        _ => "Read the message above; the README's refusal tables say what each code means and what to do.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kebab-case literals of the source that are not reason codes (names, kinds, headers,
    /// conformance case names, element ids): a new literal must be registered above or here.
    const NOT_CODES: &[&str] = &[
        "airlock-api",
        "app-3",
        "attacker-key-0123456789abcdef012",
        "before-flush",
        "before-record",
        "bundle-verify",
        "bundle-with-sct-with-extensions",
        "ca-cert",
        "content-type",
        "cosign-attestation",
        "cosign-sign",
        "cosign-signature",
        "daemon-h",
        "day-h",
        "docker-image",
        "docker-manifest-digest",
        "docker-reference",
        "dsse-envelope",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "fault-injection",
        "github-hosted",
        "happy-path-intoto-in-dsse-v3",
        "helm-chart",
        "hist-h",
        "hmac-dsse-envelope",
        "image-index",
        "imp-0",
        "in-transaction",
        "inbox-h",
        "intoto-with-custom-trust-root",
        "kebab-case",
        "ledger-h",
        "managed-key-and-trusted-root",
        "managed-key-happy-path",
        "names-h",
        "no-import",
        "no-referrer",
        "no-store",
        "npm-attestation",
        "oci-layout",
        "oci-subject",
        "pep740-attestation",
        "policy-watcher",
        "proof-record",
        "public-good",
        "push-mid",
        "rekor2-checkpoint-cosigned",
        "rekor2-checkpoint-multiple-cosigs",
        "rekor2-checkpoint-origin-not-first",
        "rekor2-checkpoint-two-sigs-cosigned",
        "rekor2-checkpoint-two-sigs-from-origin",
        "rekor2-dsse-happy-path",
        "rekor2-happy-path",
        "rekor2-timestamp-with-embedded-cert",
        "rekor2-timestamp-with-expired-cert-chain",
        "rekor2-timestamp-without-embedded-cert",
        "reverify-run",
        "rsassa-pss-sha256",
        "signed-payload",
        "sigstore-bundle",
        "sigstore-tsa-selfsigned",
        "slsa-provenance",
        "statement-subject",
        "trust-event",
        "trust-h",
        "trust-root-tlog-validity-end-inclusive",
        "trust-root-tsa-validity-end-inclusive",
        "trust-update",
        "trusted-root",
        "utf-8",
        "verify-bundle",
        "vsa-attestation",
        "vsa-bundle",
        "www-authenticate",
        "zarf-package",
    ];

    fn source_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                source_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The code-like strings of the source outside its tests: kebab-case literals, and the
    /// `code:` / `[code]` prefixes of warnings and notes.
    fn codes_in_source() -> std::collections::BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        source_files(&root, &mut files);
        let mut out = std::collections::BTreeSet::new();
        for f in files {
            if f.ends_with("reason.rs") || f.ends_with("layering.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for line in code.lines() {
                let line = line.split("//").next().unwrap_or("");
                for (i, piece) in line.split('"').enumerate() {
                    // Odd pieces are inside a literal.
                    if i % 2 == 0 {
                        continue;
                    }
                    let kebab = |s: &str| {
                        s.contains('-')
                            && !s.starts_with('-')
                            && !s.ends_with('-')
                            && !s.contains("--")
                            && s.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    };
                    if kebab(piece) {
                        out.insert(piece.to_string());
                    }
                    if let Some((head, _)) = piece.split_once(": ") {
                        if kebab(head) {
                            out.insert(head.to_string());
                        }
                    }
                    for part in piece.split('[').skip(1) {
                        if let Some((c, _)) = part.split_once(']') {
                            if kebab(c) {
                                out.insert(c.to_string());
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn codes_are_unique_sorted_and_kebab_case() {
        for w in CODES.windows(2) {
            assert!(w[0].code < w[1].code, "{} then {}", w[0].code, w[1].code);
        }
        for c in CODES {
            assert!(c.exit <= 2, "{}", c.code);
            assert!(!c.meaning.is_empty(), "{}", c.code);
            assert!(lookup(c.code) == Some(c));
        }
    }

    #[test]
    fn every_code_the_source_gives_is_registered() {
        let unregistered: Vec<String> = codes_in_source()
            .into_iter()
            .filter(|c| lookup(c).is_none() && !NOT_CODES.contains(&c.as_str()))
            .collect();
        assert!(
            unregistered.is_empty(),
            "codes in the source but not in reason::CODES (register them, or list them in NOT_CODES when they are not reason codes): {unregistered:?}"
        );
        for n in NOT_CODES {
            assert!(lookup(n).is_none(), "{n} is both a code and not one");
        }
    }

    #[test]
    fn the_readme_table_lists_exactly_the_registered_codes() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"),
        )
        .unwrap();
        let section = readme
            .split("### Every reason code")
            .nth(1)
            .expect("README: section \"Every reason code\"");
        let section = section.split("\n## ").next().unwrap_or(section);
        let mut listed = std::collections::BTreeMap::new();
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let code = cells[1].trim_matches('`').to_string();
            let exit: u8 = cells[2].parse().unwrap();
            assert!(listed.insert(code.clone(), exit).is_none(), "{code} twice");
        }
        let registered: std::collections::BTreeMap<String, u8> =
            CODES.iter().map(|c| (c.code.to_string(), c.exit)).collect();
        assert_eq!(
            listed, registered,
            "the README's table and reason::CODES differ"
        );
    }
}
