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
