//! `airlock push` against a real registry (Debian's `docker-registry`, CNCF distribution 2.8,
//! started on loopback with a config under the test's temp dir), read back with a real client
//! (`skopeo`), the VSA checked by an independent DSSE implementation (Python `cryptography`):
//! digests byte for byte, signatures under their cosign tags, bundles through the referrers tag
//! schema (distribution 2.8 has no referrers API), TLS with a test CA and mutual TLS, a rejected
//! image refused, a registry killed mid-push leaving a retryable record that a second push
//! finishes, and a second push changing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::daemon_support;
use crate::import_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use daemon_support::{ca, example, free_port, leaf, write_secret, Env, BIN};
use serde_json::Value;

const LEGACY: &str = "cosign-legacy-signature.tar";
const NEW_FORMAT: &str = "cosign-new-format-with-sbom-and-slsa.tar.gz";
const MULTI_ARCH: &str = "hauler-multi-arch.tar.zst";
const REFUSED: &str = "REFUSED-signature-for-another-image.tar";

/// Whether the real parts are here; when not, the test says so loudly and does not pass
/// silently (it returns early with SKIPPED on stderr).
fn tools_present(test: &str) -> bool {
    let missing: Vec<&str> = ["docker-registry", "skopeo"]
        .into_iter()
        .filter(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED (loudly): {test}: {} not installed (Debian packages docker-registry and skopeo; `make test` installs them)",
        missing.join(", ")
    );
    false
}

/// TLS material of a registry: its CA, its certificate and key, and a client CA for mutual TLS.
struct Tls {
    dir: PathBuf,
    mutual: bool,
}

/// A `docker-registry` on loopback, killed when dropped.
struct Registry {
    child: Child,
    port: u16,
    storage: PathBuf,
    config: PathBuf,
}

impl Registry {
    fn start(base: &Path, tls: Option<&Tls>) -> Registry {
        Self::start_on(base, free_port(), tls)
    }

    fn start_on(base: &Path, port: u16, tls: Option<&Tls>) -> Registry {
        let storage = base.join("registry-data");
        std::fs::create_dir_all(&storage).unwrap();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        if let Some(t) = tls {
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                t.dir.with_file_name("server.crt").display(),
                t.dir.with_file_name("server.key").display()
            ));
            if t.mutual {
                cfg.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    t.dir.join("ca.crt").display()
                ));
            }
        }
        let config = base.join(format!("registry-{port}.yml"));
        std::fs::write(&config, cfg).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Registry {
            child,
            port,
            storage,
            config,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A test CA, a server certificate for 127.0.0.1 and a client certificate, written as the
/// registry and skopeo read them (`ca.crt`, `client.cert`/`client.key` in a certs dir).
fn tls_material(base: &Path, mutual: bool) -> Tls {
    let dir = base.join("tls");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = ca("airlock push test CA");
    let (cert, key) = leaf(&ca, "127.0.0.1", true);
    std::fs::write(dir.join("ca.crt"), &ca.pem).unwrap();
    // The server's pair beside, not inside, the certs dir skopeo reads.
    std::fs::write(base.join("server.crt"), cert).unwrap();
    write_secret(&base.join("server.key"), &key);
    let (ccert, ckey) = leaf(&ca, "airlock", false);
    std::fs::write(dir.join("client.cert"), ccert).unwrap();
    write_secret(&dir.join("client.key"), &ckey);
    Tls { dir, mutual }
}

fn skopeo(args: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new("skopeo").args(args).output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// SHA-256 through the system's `sha256sum` (a second implementation, not airlock's).
fn sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut c = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = c.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    format!("sha256:{}", text.split_whitespace().next().unwrap())
}

/// `skopeo inspect --raw` of `docker://127.0.0.1:PORT/REPO<sep>REF` over plain HTTP.
fn raw(port: u16, repo: &str, reference: &str) -> Vec<u8> {
    let sep = if reference.starts_with("sha256:") {
        "@"
    } else {
        ":"
    };
    let (ok, out, err) = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://127.0.0.1:{port}/{repo}{sep}{reference}"),
    ]);
    assert!(ok, "skopeo inspect {repo}{sep}{reference}: {err}");
    out
}

fn push(e: &Env, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["push", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = e.cli(&all);
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn import_examples(e: &Env, names: &[&str]) -> String {
    let mut args: Vec<String> = vec!["import".into()];
    args.extend(names.iter().map(|n| example(n).display().to_string()));
    args.extend([
        "--policy".into(),
        e.policy.display().to_string(),
        "--json".into(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out, err) = e.cli(&refs);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    v["importId"].as_str().unwrap().to_string()
}

/// Checks a DSSE envelope with Python's `cryptography` (not airlock's code): the signature over
/// PAE under the exported deployment key, the VSA predicate, the subject digest. Returns the
/// statement.
fn python_verifies_vsa(dir: &Path, envelope: &[u8], public_key_pem: &str, subject: &str) -> Value {
    let script = r#"
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
env = json.load(open(sys.argv[1]))
key = serialization.load_pem_public_key(open(sys.argv[2], 'rb').read())
payload = base64.b64decode(env['payload'])
t = env['payloadType'].encode()
pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(payload), payload)
ok = False
for s in env['signatures']:
    try:
        key.verify(base64.b64decode(s['sig']), pae, ec.ECDSA(hashes.SHA256()))
        ok = True
    except Exception:
        pass
if not ok:
    print('NO VALID SIGNATURE'); sys.exit(1)
print(payload.decode())
"#;
    let py = dir.join("verify_dsse.py");
    std::fs::write(&py, script).unwrap();
    let env_file = dir.join("envelope.json");
    std::fs::write(&env_file, envelope).unwrap();
    let key_file = dir.join("deployment.pem");
    std::fs::write(&key_file, public_key_pem).unwrap();
    let out = Command::new("python3")
        .arg(&py)
        .arg(&env_file)
        .arg(&key_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the VSA does not verify with an independent DSSE check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        st["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    assert_eq!(
        st["subject"][0]["digest"]["sha256"],
        subject.trim_start_matches("sha256:")
    );
    assert_eq!(st["predicate"]["verificationResult"], "PASSED");
    st
}

/// A blob's bytes from the registry, through `skopeo copy` of the manifest naming it into a
/// `dir:` folder (skopeo writes every blob there under its hex).
fn blob_via_skopeo(port: u16, repo: &str, reference: &str, digest: &str, into: &Path) -> Vec<u8> {
    let sep = if reference.starts_with("sha256:") {
        "@"
    } else {
        ":"
    };
    let _ = std::fs::remove_dir_all(into);
    let (ok, _, err) = skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://127.0.0.1:{port}/{repo}{sep}{reference}"),
        &format!("dir:{}", into.display()),
    ]);
    assert!(ok, "skopeo copy {repo}{sep}{reference}: {err}");
    std::fs::read(into.join(digest.trim_start_matches("sha256:"))).unwrap()
}

#[test]
fn accepted_images_reach_the_registry_with_their_evidence_and_a_verifiable_vsa() {
    if !tools_present("push to a plain loopback registry") {
        return;
    }
    let e = daemon_support::env();
    let id = import_examples(&e, &[LEGACY, NEW_FORMAT, MULTI_ARCH, REFUSED]);
    let reg = Registry::start(e.dir.path(), None);
    let to = format!("http://127.0.0.1:{}/site", reg.port);

    // The whole import: the rejected image is refused with its reason, the others pushed.
    let (code, r, err) = push(&e, &[&id, "--to", &to]);
    assert_eq!(code, 1, "{err}");
    let images = r["images"].as_array().unwrap();
    assert_eq!(images.len(), 4, "{r:#}");
    let refused: Vec<&Value> = images
        .iter()
        .filter(|i| i["outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["reason"], "not-accepted");
    assert!(refused[0]["message"]
        .as_str()
        .unwrap()
        .contains("payload-digest-mismatch"));
    assert!(err.contains("not-accepted"), "{err}");

    let public_key = {
        let (c, out, err) = e.cli(&["export", "--public-key"]);
        assert_eq!(c, 0, "{err}");
        out
    };
    let scratch = e.dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    for img in images.iter().filter(|i| i["outcome"] == "pushed") {
        let digest = img["digest"].as_str().unwrap();
        let hex = digest.trim_start_matches("sha256:");
        let p = &img["repositories"][0];
        let repo = p["repository"].as_str().unwrap();
        assert!(repo.starts_with("site/acme/"), "{repo}");
        assert_eq!(p["referrersApi"], false, "distribution 2.8 has none");
        // The image, byte for byte, by digest and under each tag.
        assert_eq!(sha256(&raw(reg.port, repo, digest)), digest);
        for t in p["tags"].as_array().unwrap() {
            assert_eq!(sha256(&raw(reg.port, repo, t.as_str().unwrap())), digest);
        }
        // Evidence as it arrived: the same manifest digests under the cosign tags, and the
        // referrers under the referrers tag schema.
        let evidence = p["evidence"].as_array().unwrap();
        for ev in evidence {
            let d = ev["digest"].as_str().unwrap();
            assert_eq!(sha256(&raw(reg.port, repo, d)), d, "{ev}");
            match ev["kind"].as_str().unwrap() {
                "signature" => {
                    let tag = format!("sha256-{hex}.sig");
                    assert_eq!(ev["tag"], tag.as_str());
                    assert_eq!(sha256(&raw(reg.port, repo, &tag)), d);
                }
                "referrer" | "vsa-bundle" => {
                    let listed: Value =
                        serde_json::from_slice(&raw(reg.port, repo, &format!("sha256-{hex}")))
                            .unwrap();
                    assert!(
                        listed["manifests"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|m| m["digest"] == d),
                        "{d} is not listed under the referrers tag: {listed:#}"
                    );
                }
                _ => {}
            }
        }
        // The VSA, as the last DSSE layer of the `.att` image and as a bundle referrer, both
        // verified by Python's `cryptography` with the exported deployment key.
        let att_tag = format!("sha256-{hex}.att");
        let att: Value = serde_json::from_slice(&raw(reg.port, repo, &att_tag)).unwrap();
        let vsa_layer = att["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| {
                l["annotations"]["predicateType"] == "https://slsa.dev/verification_summary/v1"
            })
            .unwrap_or_else(|| panic!("no VSA layer in {att:#}"))
            .clone();
        assert_eq!(
            vsa_layer["mediaType"],
            "application/vnd.dsse.envelope.v1+json"
        );
        let envelope = blob_via_skopeo(
            reg.port,
            repo,
            &att_tag,
            vsa_layer["digest"].as_str().unwrap(),
            &scratch.join("att"),
        );
        python_verifies_vsa(&scratch, &envelope, &public_key, digest);
        let bundle_ref = evidence
            .iter()
            .find(|ev| ev["kind"] == "vsa-bundle")
            .unwrap();
        let bundle_manifest: Value =
            serde_json::from_slice(&raw(reg.port, repo, bundle_ref["digest"].as_str().unwrap()))
                .unwrap();
        assert_eq!(bundle_manifest["subject"]["digest"], digest);
        assert_eq!(
            bundle_manifest["artifactType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        let bundle: Value = serde_json::from_slice(&blob_via_skopeo(
            reg.port,
            repo,
            bundle_ref["digest"].as_str().unwrap(),
            bundle_manifest["layers"][0]["digest"].as_str().unwrap(),
            &scratch.join("bundle"),
        ))
        .unwrap();
        assert_eq!(
            bundle["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert!(bundle["verificationMaterial"]["publicKey"]["hint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"));
        python_verifies_vsa(
            &scratch,
            &serde_json::to_vec(&bundle["dsseEnvelope"]).unwrap(),
            &public_key,
            digest,
        );
    }

    // The multi-platform image copies out whole with a real client, every platform present.
    let multi = images
        .iter()
        .find(|i| i["name"] == "ghcr.io/acme/agent:3.1")
        .unwrap();
    let out = scratch.join("copied");
    let (ok, _, err) = skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://127.0.0.1:{}/site/acme/agent:3.1", reg.port),
        &format!("oci:{}", out.display()),
    ]);
    assert!(ok, "{err}");
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], multi["digest"]);
    let platforms = multi["repositories"][0]["manifests"]
        .as_array()
        .unwrap()
        .len();
    assert!(platforms >= 3, "the index and its platforms: {multi:#}");

    // A second push changes nothing: no blob sent, the same manifests and tags.
    let tags_before: Vec<String> = images
        .iter()
        .filter(|i| i["outcome"] == "pushed")
        .map(|i| {
            let p = &i["repositories"][0];
            sha256(&raw(
                reg.port,
                p["repository"].as_str().unwrap(),
                &format!(
                    "sha256-{}.att",
                    i["digest"].as_str().unwrap().trim_start_matches("sha256:")
                ),
            ))
        })
        .collect();
    let (code, again, err) = push(&e, &[&id, "--to", &to]);
    assert_eq!(code, 1, "{err}");
    for (img, before) in again["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "pushed")
        .zip(&tags_before)
    {
        let p = &img["repositories"][0];
        assert_eq!(p["blobsUploaded"], 0, "a second push sent a blob: {p:#}");
        let after = sha256(&raw(
            reg.port,
            p["repository"].as_str().unwrap(),
            &format!(
                "sha256-{}.att",
                img["digest"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("sha256:")
            ),
        ));
        assert_eq!(&after, before, "the .att tag moved on a second push");
    }

    // The same image into another repository of the destination: its blobs are mounted from
    // the repository the first push filled, not sent again.
    let (code, other, err) = push(
        &e,
        &[
            "--digest",
            multi["digest"].as_str().unwrap(),
            "--to",
            &to,
            "--repository",
            "site/other",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let p = &other["images"][0]["repositories"][0];
    assert!(p["blobsMounted"].as_u64().unwrap() >= 1, "{p:#}");
    assert_eq!(
        sha256(&raw(
            reg.port,
            "site/other",
            multi["digest"].as_str().unwrap()
        )),
        multi["digest"].as_str().unwrap()
    );

    // Every push is recorded and queryable.
    let (c, out, err) = e.cli(&["query", "--pushed", "--json"]);
    assert_eq!(c, 0, "{err}");
    let pushed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(pushed.len(), 7, "three images pushed twice, one once more");
    assert!(pushed.iter().all(|r| r["kind"] == "push"
        && r["push"]["destination"] == to.as_str()
        && r["verdict"] == "accepted"));
    // `show` renders the push.
    let (c, out, err) = e.cli(&["show", &pushed[0]["id"].to_string()]);
    assert_eq!(c, 0, "{err}");
    assert!(out.contains("pushed to    http://127.0.0.1:"), "{out}");
    assert!(out.contains("vsa-attestation"), "{out}");
}

#[test]
fn the_kept_layout_names_every_image_so_skopeo_can_pick_one() {
    if !tools_present("skopeo reads the kept layout") {
        return;
    }
    let e = daemon_support::env();
    let id = import_examples(&e, &[NEW_FORMAT]);
    let contents = e
        .data
        .join("accepted")
        .join(&id)
        .join(format!("{NEW_FORMAT}.contents"));
    // Two manifests (the image and its `.att`): without names skopeo cannot choose.
    let (ok, out, err) = skopeo(&[
        "inspect",
        "--raw",
        &format!("oci:{}:ghcr.io/acme/api:2.0.0", contents.display()),
    ]);
    assert!(ok, "{err}");
    let index: Value =
        serde_json::from_slice(&std::fs::read(contents.join("index.json")).unwrap()).unwrap();
    let image = &index["manifests"][0];
    assert_eq!(sha256(&out), image["digest"].as_str().unwrap());
    for m in index["manifests"].as_array().unwrap() {
        assert!(
            m["annotations"]["org.opencontainers.image.ref.name"].is_string(),
            "{m}"
        );
    }
}

#[test]
fn push_over_tls_needs_the_site_ca_and_under_mutual_tls_a_client_certificate() {
    if !tools_present("push over TLS and mutual TLS") {
        return;
    }
    let e = daemon_support::env();
    let id = import_examples(&e, &[LEGACY]);
    let tls = tls_material(e.dir.path(), false);
    let reg = Registry::start(e.dir.path(), Some(&tls));
    let to = format!("127.0.0.1:{}", reg.port);
    let ca = tls.dir.join("ca.crt").display().to_string();

    // Without the site's CA the registry's certificate is not trusted: nothing is pushed.
    let (code, r, err) = push(
        &e,
        &[
            &id,
            "--to",
            &to,
            "--registry-ca",
            &example(LEGACY).display().to_string(),
        ],
    );
    assert_eq!(
        code, 2,
        "a CA file that holds no certificate is a usage error: {r} {err}"
    );
    let other = tls_material(&e.dir.path().join("other"), false);
    let (code, r, _) = push(
        &e,
        &[
            &id,
            "--to",
            &to,
            "--registry-ca",
            &other.dir.join("ca.crt").display().to_string(),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(r["images"][0]["outcome"], "failed", "{r:#}");
    assert_eq!(r["images"][0]["reason"], "registry-tls-refused", "{r:#}");
    assert_eq!(r["images"][0]["retryable"], false, "{r:#}");
    // With it, the push goes through, and skopeo reads it back over TLS with the same CA.
    let (code, r, err) = push(&e, &[&id, "--to", &to, "--registry-ca", &ca]);
    assert_eq!(code, 0, "{err} {r:#}");
    let digest = r["images"][0]["digest"].as_str().unwrap();
    let (ok, out, err) = skopeo(&[
        "inspect",
        "--raw",
        "--cert-dir",
        &tls.dir.display().to_string(),
        &format!("docker://127.0.0.1:{}/acme/web@{digest}", reg.port),
    ]);
    assert!(ok, "{err}");
    assert_eq!(sha256(&out), digest);
    drop(reg);

    // Mutual TLS: refused without a client certificate, pushed with one.
    let mtls = tls_material(&e.dir.path().join("mtls"), true);
    let reg = Registry::start(&e.dir.path().join("mtls"), Some(&mtls));
    let to = format!("127.0.0.1:{}", reg.port);
    let ca = mtls.dir.join("ca.crt").display().to_string();
    let (code, r, _) = push(&e, &[&id, "--to", &to, "--registry-ca", &ca]);
    assert_eq!(code, 1);
    assert_eq!(r["images"][0]["outcome"], "failed", "{r:#}");
    assert_eq!(r["images"][0]["reason"], "registry-tls-refused", "{r:#}");
    let (code, r, err) = push(
        &e,
        &[
            &id,
            "--to",
            &to,
            "--registry-ca",
            &ca,
            "--client-cert",
            &mtls.dir.join("client.cert").display().to_string(),
            "--client-key",
            &mtls.dir.join("client.key").display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{err} {r:#}");
}

#[test]
fn plain_http_to_a_remote_registry_and_a_shared_auth_file_are_refused_before_anything_is_sent() {
    let e = daemon_support::env();
    let id = import_examples(&e, &[LEGACY]);
    let (code, r, err) = push(&e, &[&id, "--to", "http://registry.site:5000"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(r["reason"], "plain-http-refused");
    let auth = e.dir.path().join("config.json");
    std::fs::write(&auth, r#"{"auths":{"127.0.0.1:5000":{"auth":"dTpw"}}}"#).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, r, err) = push(
        &e,
        &[
            &id,
            "--to",
            "http://127.0.0.1:5000",
            "--auth-file",
            &auth.display().to_string(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(r["reason"], "auth-file-invalid");
    assert!(
        err.contains("config.json"),
        "the message names the file: {err}"
    );
    // Nothing was recorded for a push that never started.
    let (_, out, _) = e.cli(&["query", "--pushed", "--json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 0);
}

/// A signed image with one large layer (so that a push of it takes long enough to be cut),
/// as a folder input.
fn large_signed_image(dir: &Path, mib: usize) -> (PathBuf, String) {
    use import_support::oci;
    let mut l = oci::Layout::new();
    // Incompressible bytes from a small xorshift generator (no randomness crate needed).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut layer = vec![0u8; mib * 1024 * 1024];
    for chunk in layer.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let config = l.put(
        "application/vnd.oci.image.config.v1+json",
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec(),
    );
    let layer = l.put("application/vnd.oci.image.layer.v1.tar", layer);
    let img = l.manifest(config, vec![layer], None, None);
    let digest = img["digest"].as_str().unwrap().to_string();
    let reference = "registry.example/big/app:1.0";
    let (m, payload) = oci::mint_legacy_signature(&digest, reference);
    let sig = oci::sig_manifest(&mut l, &m, &payload, None);
    l.list(
        img,
        serde_json::json!({"kind": "dev.cosignproject.cosign/image"}),
    );
    l.list(
        sig,
        serde_json::json!({"kind": "dev.cosignproject.cosign/sigs"}),
    );
    let out = dir.join("big-image");
    l.write(&out);
    (out, digest)
}

#[test]
fn a_registry_killed_mid_push_leaves_a_retryable_record_that_a_second_push_finishes() {
    if !tools_present("registry killed mid-push") {
        return;
    }
    let e = import_support::env(&import_support::all_policy());
    let (folder, digest) = large_signed_image(e.dir.path(), 64);
    let run = e.import(&[&folder]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json["importId"].as_str().unwrap().to_string();
    let mut reg = Registry::start(e.dir.path(), None);
    let port = reg.port;
    let to = format!("http://127.0.0.1:{port}");

    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&e.data)
        .args(["push", "--json", &id, "--to", &to])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Freeze the registry as soon as an upload has started, then kill it: the push is cut
    // with blobs half sent and no manifest put.
    let uploads = reg
        .storage
        .join("docker/registry/v2/repositories/big/app/_uploads");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if std::fs::read_dir(&uploads).is_ok_and(|mut d| d.next().is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "no upload started");
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(reg.child.id() as i32),
        nix::sys::signal::Signal::SIGSTOP,
    );
    reg.kill();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let img = &r["images"][0];
    assert_eq!(img["outcome"], "failed", "{r:#}");
    assert_eq!(img["retryable"], true, "{r:#}");
    assert_eq!(img["reason"], "registry-unreachable", "{r:#}");

    let records = || -> Vec<Value> {
        let out = Command::new(BIN)
            .arg("--data-dir")
            .arg(&e.data)
            .args(["query", "--pushed", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let pushed = records();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0]["verdict"], "rejected");
    assert_eq!(pushed[0]["push"]["retryable"], true);
    assert_eq!(pushed[0]["reason"], "registry-unreachable");

    // The registry comes back (same storage, same port): the same push finishes.
    let reg = Registry::start_on(e.dir.path(), port, None);
    let _ = &reg.config;
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(&e.data)
        .args(["push", "--json", &id, "--to", &to])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sha256(&raw(port, "big/app", &digest)), digest);
    assert_eq!(sha256(&raw(port, "big/app", "1.0")), digest);
    let copied = e.dir.path().join("copied");
    let (ok, _, err) = skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://127.0.0.1:{port}/big/app:1.0"),
        &format!("dir:{}", copied.display()),
    ]);
    assert!(ok, "the image cannot be read back whole: {err}");
    assert_eq!(records().len(), 2);
    assert_eq!(records()[0]["verdict"], "accepted");
}

/// Polls `f` every 100 ms until it holds or `bound` passes.
fn eventually(bound: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + bound;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_daemon_pushes_what_it_accepts_delays_while_the_registry_is_down_and_replays_after_a_crash() {
    if !tools_present("daemon --push-to") {
        return;
    }
    let e = daemon_support::env();
    let port = free_port();
    let api = free_port();
    let to = format!("http://127.0.0.1:{port}/site");
    let listen = format!("127.0.0.1:{api}");
    let args = ["--push-to", to.as_str(), "--listen", listen.as_str()];
    let addr: std::net::SocketAddr = listen.parse().unwrap();

    // The registry is down: the import is recorded all the same, the push waits.
    let mut d = e.daemon(&args);
    d.wait_log("airlock daemon started", Duration::from_secs(20));
    e.drop_bytes(LEGACY, &std::fs::read(example(LEGACY)).unwrap());
    let artifacts = || -> Vec<Value> {
        e.records()
            .into_iter()
            .filter(|r| r["kind"] == "artifact")
            .collect()
    };
    eventually(Duration::from_secs(30), "the import", || {
        artifacts().len() == 1
    });
    eventually(
        Duration::from_secs(30),
        "/readyz to say pushes are delayed",
        || {
            let a = daemon_support::http_get(addr, "/readyz");
            a.status == 200
                && a.json()["pushesDelayed"]
                    .as_str()
                    .is_some_and(|s| s.contains("registry-unreachable"))
        },
    );
    let metrics = String::from_utf8(daemon_support::http_get(addr, "/metrics").body).unwrap();
    assert!(metrics.contains("airlock_push_pending 1"), "{metrics}");
    assert!(
        metrics.contains("airlock_pushes_total{outcome=\"failed\"}"),
        "{metrics}"
    );

    // A crash between the import and its push: the push is replayed at the next start, the
    // import is not.
    d.kill();
    let reg = Registry::start_on(e.dir.path(), port, None);
    let mut d = e.daemon(&args);
    d.wait_log("airlock daemon started", Duration::from_secs(20));
    let pushes = || -> Vec<Value> {
        e.records()
            .into_iter()
            .filter(|r| r["kind"] == "push" && r["verdict"] == "accepted")
            .collect()
    };
    eventually(Duration::from_secs(60), "the replayed push", || {
        pushes().len() == 1
    });
    assert_eq!(artifacts().len(), 1, "the import was not done again");
    let digest = pushes()[0]["artifact"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sha256(&raw(reg.port, "site/acme/web", &digest)), digest);
    eventually(
        Duration::from_secs(10),
        "/readyz to stop saying pushes are delayed",
        || daemon_support::http_get(addr, "/readyz").json()["pushesDelayed"].is_null(),
    );
    // Nothing is pushed twice: after a restart the ledger says it is done.
    d.stop(Duration::from_secs(20));
    let mut d = e.daemon(&args);
    d.wait_log("airlock daemon started", Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(pushes().len(), 1, "pushed again after a restart");
    d.stop(Duration::from_secs(20));
}
