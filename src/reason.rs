//! Reason codes: every code airlock gives, in one place, with the exit code it leads to and one
//! line of meaning (the README's tables list exactly these; a test checks both ways).
//!
//! Owns: the registry and the plain words for a code. Must not touch: deciding anything.

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
        _ => "verification failed",
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
