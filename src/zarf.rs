//! Zarf packages (`zarf-package-NAME-ARCH-VERSION.tar.zst`): the package definition, its
//! checksums, and where its signature is.
//!
//! Owns: reading `zarf.yaml` (name, version, the aggregate checksum, the provenance files), the
//! `checksums.txt` format, and the integrity check `zarf package verify` makes (zarf
//! `src/pkg/packager/layout/package.go`, `validatePackageIntegrity`). Must not touch: crypto
//! beyond the digests the archive reader already computed, the policy, the clock, the database.
//! The signature over `zarf.yaml` (`zarf.bundle.sig`, or the older `zarf.yaml.sig`) is found here
//! and verified by `verify`, like every other signature.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::archive::StagedFile;
use crate::limits;

/// The package definition, the root of trust (zarf: "zarf.yaml is the root of trust and is
/// always excluded from checksums").
pub const ZARF_YAML: &str = "zarf.yaml";
/// `<sha256> <path>` for every other file of the package.
pub const CHECKSUMS: &str = "checksums.txt";
/// A Sigstore bundle over `zarf.yaml` (Zarf >= 0.71).
pub const BUNDLE_SIG: &str = "zarf.bundle.sig";
/// A bare cosign sign-blob signature over `zarf.yaml` (older Zarf; key-signed only).
pub const LEGACY_SIG: &str = "zarf.yaml.sig";

/// Why a package is refused before its signature is even looked at.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ZarfError {
    #[error("{package}: zarf.yaml cannot be read: {why}")]
    Malformed { package: String, why: String },
    #[error("{package}: checksums.txt hashes to sha256:{actual}, but zarf.yaml's aggregateChecksum is {expected}")]
    AggregateMismatch {
        package: String,
        expected: String,
        actual: String,
    },
    #[error("{package}: checksums.txt line {line} is not `<sha256> <path>`")]
    ChecksumLine { package: String, line: usize },
    #[error("{package}: {path} is listed in checksums.txt but not in the package")]
    FileMissing { package: String, path: String },
    #[error("{package}: {path} does not match checksums.txt (it hashes to sha256:{actual})")]
    FileMismatch {
        package: String,
        path: String,
        actual: String,
    },
    #[error("{package}: {path} is in the package but not in checksums.txt")]
    FileExtra { package: String, path: String },
}

impl ZarfError {
    /// Stable kebab-case reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "zarf-malformed",
            Self::AggregateMismatch { .. } => "zarf-aggregate-mismatch",
            Self::ChecksumLine { .. } => "zarf-malformed",
            Self::FileMissing { .. } => "zarf-file-missing",
            Self::FileMismatch { .. } => "zarf-file-mismatch",
            Self::FileExtra { .. } => "zarf-file-extra",
        }
    }
}

/// What airlock reads of `zarf.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub architecture: Option<String>,
    /// `metadata.aggregateChecksum` (v1alpha1) or `build.aggregateChecksum` (v1beta1).
    pub aggregate_checksum: String,
    /// `build.signed`, when written.
    pub signed: Option<bool>,
    /// `build.provenanceFiles`: files added after the checksums (signatures), authenticated by
    /// the signed `zarf.yaml`.
    pub provenance_files: Vec<String>,
}

impl Package {
    /// `NAME:VERSION`, what policy globs match (and `NAME` alone).
    pub fn reference(&self) -> String {
        if self.version.is_empty() {
            self.name.clone()
        } else {
            format!("{}:{}", self.name, self.version)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Doc {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    build: Build,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    aggregate_checksum: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Build {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    aggregate_checksum: Option<String>,
    #[serde(default)]
    signed: Option<bool>,
    #[serde(default)]
    provenance_files: Vec<String>,
}

/// Parses `zarf.yaml` (one document, or Zarf's v1alpha1 then v1beta1 pair): the first
/// non-empty value of each field wins.
pub fn parse_definition(bytes: &[u8], package: &str) -> Result<Package, ZarfError> {
    let malformed = |why: String| ZarfError::Malformed {
        package: package.to_string(),
        why,
    };
    if bytes.len() as u64 > limits::MAX_ZARF_YAML_BYTES {
        return Err(malformed(format!(
            "it is over the {}-byte limit",
            limits::MAX_ZARF_YAML_BYTES
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8".into()))?;
    if crate::yaml::too_deep(text) {
        return Err(malformed(format!(
            "it nests more than {} deep",
            crate::yaml::MAX_YAML_DEPTH
        )));
    }
    let mut p = Package::default();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        if i >= 8 {
            return Err(malformed("more than 8 YAML documents".into()));
        }
        let d = Doc::deserialize(doc).map_err(|e| malformed(e.to_string()))?;
        let fill = |slot: &mut String, v: Option<String>| {
            if slot.is_empty() {
                if let Some(v) = v {
                    *slot = v;
                }
            }
        };
        fill(&mut p.name, d.metadata.name);
        fill(&mut p.version, d.metadata.version);
        fill(&mut p.aggregate_checksum, d.metadata.aggregate_checksum);
        fill(&mut p.aggregate_checksum, d.build.aggregate_checksum);
        if p.architecture.is_none() {
            p.architecture = d.build.architecture.or(d.metadata.architecture);
        }
        if p.signed.is_none() {
            p.signed = d.build.signed;
        }
        if p.provenance_files.is_empty() {
            p.provenance_files = d.build.provenance_files;
        }
    }
    if p.name.is_empty() {
        return Err(malformed("metadata.name is missing".into()));
    }
    Ok(p)
}

/// The files of the package at `dir` of the medium, by their path inside the package.
pub fn package_files<'a>(dir: &str, files: &'a [StagedFile]) -> BTreeMap<String, &'a StagedFile> {
    files
        .iter()
        .filter_map(|f| {
            let rel = if dir.is_empty() {
                Some(f.path.as_str())
            } else {
                f.path.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
            };
            rel.map(|r| (r.to_string(), f))
        })
        .collect()
}

/// The check `zarf package verify` makes of a package's files: `checksums.txt` hashes to the
/// aggregate checksum, every file it lists is there with that SHA-256, and no other file is,
/// but `zarf.yaml`, `checksums.txt`, the two signature files and (for a signed package) the
/// provenance files the signed `zarf.yaml` lists.
pub fn verify_integrity(
    package: &str,
    def: &Package,
    checksums_text: &[u8],
    files: &BTreeMap<String, &StagedFile>,
) -> Result<(), ZarfError> {
    let actual = files
        .get(CHECKSUMS)
        .map(|f| hex::encode(f.sha256))
        .unwrap_or_default();
    // zarf: helpers.SHAsMatch(checksums.txt, pkg.Metadata.AggregateChecksum).
    if !def.aggregate_checksum.eq_ignore_ascii_case(&actual) {
        return Err(ZarfError::AggregateMismatch {
            package: package.to_string(),
            expected: crate::text::escape(&def.aggregate_checksum),
            actual,
        });
    }
    let mut rest: BTreeMap<&str, &StagedFile> =
        files.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    for fixed in [ZARF_YAML, CHECKSUMS, LEGACY_SIG, BUNDLE_SIG] {
        rest.remove(fixed);
    }
    if def.signed == Some(true) {
        for f in &def.provenance_files {
            rest.remove(f.as_str());
        }
    }
    let text = std::str::from_utf8(checksums_text).map_err(|_| ZarfError::ChecksumLine {
        package: package.to_string(),
        line: 1,
    })?;
    for (n, line) in text.split('\n').enumerate() {
        // zarf: "If the line is empty (i.e. there is no checksum) simply skip it".
        if line.is_empty() {
            continue;
        }
        let bad = || ZarfError::ChecksumLine {
            package: package.to_string(),
            line: n + 1,
        };
        // zarf: strings.Split(line, " ") must give exactly two non-empty parts.
        let mut parts = line.split(' ');
        let (Some(sha), Some(rel), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if sha.is_empty() || rel.is_empty() {
            return Err(bad());
        }
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        let Some(f) = files.get(rel) else {
            return Err(ZarfError::FileMissing {
                package: package.to_string(),
                path: crate::text::escape(rel),
            });
        };
        let actual = hex::encode(f.sha256);
        if !sha.eq_ignore_ascii_case(&actual) {
            return Err(ZarfError::FileMismatch {
                package: package.to_string(),
                path: crate::text::escape(rel),
                actual,
            });
        }
        rest.remove(rel);
    }
    if let Some(extra) = rest.keys().next() {
        return Err(ZarfError::FileExtra {
            package: package.to_string(),
            path: crate::text::escape(extra),
        });
    }
    Ok(())
}

/// Whether the folder `dir` of the medium holds a Zarf package (`zarf.yaml` beside
/// `checksums.txt`).
pub fn is_package_dir(dir: &str, files: &[StagedFile]) -> bool {
    let at = |name: &str| {
        let p = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        files.iter().any(|f| f.path == p)
    };
    at(ZARF_YAML) && at(CHECKSUMS)
}

/// The folders of the medium that hold a Zarf package, shallowest first.
pub fn package_dirs(files: &[StagedFile]) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .filter_map(|f| {
            if f.path == ZARF_YAML {
                Some(String::new())
            } else {
                f.path
                    .strip_suffix(&format!("/{ZARF_YAML}"))
                    .map(str::to_string)
            }
        })
        .filter(|d| is_package_dir(d, files))
        .collect();
    out.sort_by_key(|d| d.len());
    // A package inside another package's folder is a file of the outer one.
    let mut kept: Vec<String> = Vec::new();
    for d in out {
        if !kept
            .iter()
            .any(|k| k.is_empty() || d.starts_with(&format!("{k}/")))
        {
            kept.push(d);
        }
    }
    kept
}

/// Joins a package folder and a file name.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// For messages: the package's folder in the medium.
pub fn label(medium: &str, dir: &str) -> String {
    if dir.is_empty() {
        medium.to_string()
    } else {
        format!("{medium}:{dir}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(path: &str, bytes: &[u8]) -> StagedFile {
        StagedFile {
            path: path.into(),
            size: bytes.len() as u64,
            sha256: crate::crypto::sha256(bytes),
        }
    }

    fn package(files: &[(&str, &[u8])]) -> (Package, Vec<StagedFile>, Vec<u8>) {
        let mut sums = String::new();
        let mut staged_files = Vec::new();
        for (p, b) in files {
            sums.push_str(&format!("{} {p}\n", hex::encode(crate::crypto::sha256(b))));
            staged_files.push(staged(p, b));
        }
        let sums = sums.into_bytes();
        let def = Package {
            name: "demo".into(),
            version: "1.0.0".into(),
            aggregate_checksum: hex::encode(crate::crypto::sha256(&sums)),
            ..Package::default()
        };
        staged_files.push(staged(CHECKSUMS, &sums));
        staged_files.push(staged(ZARF_YAML, b"kind: ZarfPackageConfig\n"));
        (def, staged_files, sums)
    }

    #[test]
    fn an_intact_package_verifies_and_each_tamper_is_named() {
        let (def, files, sums) = package(&[("components/a.tar", b"a"), ("sboms.tar", b"s")]);
        let map = package_files("", &files);
        assert_eq!(verify_integrity("p", &def, &sums, &map), Ok(()));

        let mut extra = files.clone();
        extra.push(staged("components/b.tar", b"b"));
        let e = verify_integrity("p", &def, &sums, &package_files("", &extra)).unwrap_err();
        assert_eq!(e.code(), "zarf-file-extra");

        let missing: Vec<StagedFile> = files
            .iter()
            .filter(|f| f.path != "sboms.tar")
            .cloned()
            .collect();
        let e = verify_integrity("p", &def, &sums, &package_files("", &missing)).unwrap_err();
        assert_eq!(e.code(), "zarf-file-missing");

        let mut changed = files.clone();
        changed[0] = staged("components/a.tar", b"A");
        let e = verify_integrity("p", &def, &sums, &package_files("", &changed)).unwrap_err();
        assert_eq!(e.code(), "zarf-file-mismatch");

        let mut other = def.clone();
        other.aggregate_checksum = "00".repeat(32);
        let e = verify_integrity("p", &other, &sums, &map).unwrap_err();
        assert_eq!(e.code(), "zarf-aggregate-mismatch");
    }

    #[test]
    fn signature_files_and_declared_provenance_files_are_not_checksummed() {
        let (mut def, mut files, sums) = package(&[("components/a.tar", b"a")]);
        files.push(staged(BUNDLE_SIG, b"{}"));
        files.push(staged("attestation.json", b"{}"));
        def.provenance_files = vec!["attestation.json".into()];
        let e = verify_integrity("p", &def, &sums, &package_files("", &files)).unwrap_err();
        assert_eq!(
            e.code(),
            "zarf-file-extra",
            "unsigned: provenance files count"
        );
        def.signed = Some(true);
        assert_eq!(
            verify_integrity("p", &def, &sums, &package_files("", &files)),
            Ok(())
        );
    }

    #[test]
    fn both_api_versions_are_read() {
        let y = b"kind: ZarfPackageConfig\nmetadata:\n  name: demo\n  version: 1.2.3\n  aggregateChecksum: abc\nbuild:\n  architecture: amd64\n  signed: true\n---\napiVersion: zarf.dev/v1beta1\nmetadata:\n  name: demo\nbuild:\n  aggregateChecksum: abc\n";
        let p = parse_definition(y, "p").unwrap();
        assert_eq!(p.reference(), "demo:1.2.3");
        assert_eq!(p.aggregate_checksum, "abc");
        assert_eq!(p.signed, Some(true));
        let beta = b"apiVersion: zarf.dev/v1beta1\nmetadata:\n  name: b\n  version: '2'\nbuild:\n  aggregateChecksum: def\n";
        assert_eq!(
            parse_definition(beta, "p").unwrap().aggregate_checksum,
            "def"
        );
    }

    #[test]
    fn deeply_nested_yaml_is_refused_before_parsing() {
        let y = format!("metadata: {}", "[".repeat(10_000));
        assert_eq!(
            parse_definition(y.as_bytes(), "p").unwrap_err().code(),
            "zarf-malformed"
        );
    }
}
