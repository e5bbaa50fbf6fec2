//! airlock against sigstore-rust's `sigstore-verify` on one bundle, in one process, on one
//! thread, interleaved: rounds of N verifications by one then N by the other, so that both see
//! the same machine (a shared VM's speed drifts by tens of percent from minute to minute).
//!
//! Owns: nothing of airlock or of sigstore-verify (public APIs only). Usage:
//! `airlock-bench-peer BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N ROUNDS`
//! Prints one line: `airlock_ms=… peer_ms=… ratio=… peer_setup_ms=… airlock_setup_ms=… n=…
//! rounds=…` (per-bundle medians over the rounds; ratio = median of per-round airlock/peer), or
//! `error=…` (exit 1) when either does not verify the bundle.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use airlock::policy::{IdentityPolicy, Matcher};
use airlock::verify::{Artifact, SignerPolicy, Verifier as AirlockVerifier};
use sigstore_verify::trust_root::TrustedRoot as PeerRoot;
use sigstore_verify::types::Bundle as PeerBundle;
use sigstore_verify::{VerificationPolicy, Verifier as PeerVerifier};

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("error={e:?}");
            ExitCode::FAILURE
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v.get(n / 2).copied().unwrap_or(f64::NAN),
        n => {
            (v.get(n / 2 - 1).copied().unwrap_or(f64::NAN)
                + v.get(n / 2).copied().unwrap_or(f64::NAN))
                / 2.0
        }
    }
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bundle, artifact, root, identity, issuer, n, rounds] = args.as_slice() else {
        return Err("usage: BUNDLE ARTIFACT TRUSTED_ROOT IDENTITY ISSUER N ROUNDS".into());
    };
    let n: u32 = n.parse().map_err(|e| format!("N: {e}"))?;
    let rounds: u32 = rounds.parse().map_err(|e| format!("ROUNDS: {e}"))?;
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("{p}: {e}"));
    let bundle_bytes = read(bundle)?;
    let bundle_text = String::from_utf8(bundle_bytes.clone()).map_err(|e| e.to_string())?;
    let artifact = read(artifact)?;
    let root_bytes = read(root)?;
    let root_text = String::from_utf8(root_bytes.clone()).map_err(|e| e.to_string())?;

    // Once per process for each: trust root parse and verifier set-up.
    let t = Instant::now();
    let peer_root = PeerRoot::from_json(&root_text).map_err(|e| format!("peer root: {e}"))?;
    let peer = PeerVerifier::new(&peer_root).map_err(|e| format!("peer verifier: {e}"))?;
    let peer_policy = VerificationPolicy::new(identity.as_str(), issuer.as_str());
    let peer_setup = t.elapsed().as_secs_f64() * 1e3;

    let t = Instant::now();
    let root = airlock::trust::TrustedRoot::from_json(&root_bytes)
        .map_err(|e| format!("airlock root: {e}"))?;
    let ours = AirlockVerifier::new(root);
    let policy = SignerPolicy::Identity(IdentityPolicy {
        identity: Matcher::exact(identity.as_str()),
        issuer: Matcher::exact(issuer.as_str()),
    });
    let airlock_setup = t.elapsed().as_secs_f64() * 1e3;
    let now = airlock::clock::now();

    // Per bundle, for each: parse + verify.
    let peer_once = || -> Result<(), String> {
        let b = PeerBundle::from_json(&bundle_text).map_err(|e| format!("peer bundle: {e}"))?;
        peer.verify(artifact.as_slice(), &b, &peer_policy)
            .map(|_| ())
            .map_err(|e| format!("peer verify: {e}"))
    };
    let airlock_once = || -> Result<(), String> {
        let b = airlock::bundle::Bundle::from_json(&bundle_bytes)
            .map_err(|e| format!("airlock bundle: {e}"))?;
        ours.verify(&b, Artifact::Bytes(&artifact), &policy, now)
            .map(|_| ())
            .map_err(|e| format!("airlock verify: {} {e}", e.code()))
    };
    // Both must verify before anything is timed (and this warms caches for both).
    for _ in 0..20 {
        peer_once()?;
        airlock_once()?;
    }
    let block = |f: &dyn Fn() -> Result<(), String>| -> Result<f64, String> {
        let t = Instant::now();
        for _ in 0..n {
            f()?;
        }
        Ok(t.elapsed().as_secs_f64() * 1e3 / f64::from(n.max(1)))
    };
    let (mut a, mut p, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        // Alternate who goes first, so neither always follows the other.
        let (ta, tp) = if i % 2 == 0 {
            let ta = block(&airlock_once)?;
            (ta, block(&peer_once)?)
        } else {
            let tp = block(&peer_once)?;
            (block(&airlock_once)?, tp)
        };
        a.push(ta);
        p.push(tp);
        r.push(ta / tp);
    }
    Ok(format!(
        "airlock_ms={:.4} peer_ms={:.4} ratio={:.3} airlock_setup_ms={airlock_setup:.3} \
         peer_setup_ms={peer_setup:.3} n={n} rounds={rounds} peer=sigstore-verify-0.15.1",
        median(&mut a),
        median(&mut p),
        median(&mut r),
    ))
}
