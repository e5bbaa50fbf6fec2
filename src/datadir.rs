//! The data dir itself: created owner-only, and its own folders and files never links.
//!
//! Owns: the check every command makes before it touches the data dir. A link planted inside it
//! (`accepted -> /etc`, `daemon.lock -> /some/file`) would make airlock write outside the data
//! dir; such a data dir is refused, whole, before anything is opened. Must not touch: what is
//! inside those folders (each module opens its own files).

use std::path::{Path, PathBuf};

/// The names airlock keeps at the top of a data dir.
pub const OWN_ENTRIES: [&str; 9] = [
    "accepted",
    "quarantine",
    "staging",
    "ledger",
    "trust",
    "daemon",
    "daemon.lock",
    "daemon.sock",
    "policy.yaml",
];

/// Why the data dir cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("{path} is a symbolic link: airlock writes nothing outside its data dir; remove the link (and move what it pointed to into the data dir, if it belongs there)")]
    Link { path: PathBuf },
    #[error("cannot create the data dir {path}: {why}")]
    Create { path: PathBuf, why: String },
}

impl DataDirError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Link { .. } => "data-dir-link",
            Self::Create { .. } => "data-dir-unwritable",
        }
    }
}

/// Creates the data dir owner-only when it does not exist; refuses one whose own entries are
/// links.
pub fn prepare(data_dir: &Path) -> Result<(), DataDirError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::symlink_metadata(data_dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Parents as the system makes them; the data dir itself owner-only.
            if let Some(parent) = data_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| DataDirError::Create {
                    path: data_dir.to_path_buf(),
                    why: e.to_string(),
                })?;
            }
            match std::fs::DirBuilder::new().mode(0o700).create(data_dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(DataDirError::Create {
                        path: data_dir.to_path_buf(),
                        why: e.to_string(),
                    })
                }
            }
        }
        // The data dir path itself may be a link the operator made (/var/lib/airlock -> /data):
        // what matters is what is inside.
        _ => {}
    }
    for name in OWN_ENTRIES {
        let p = data_dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(DataDirError::Link { path: p });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_data_dir_is_owner_only_and_a_planted_link_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let data = d.path().join("a/b/data");
        prepare(&data).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::os::unix::fs::symlink(d.path(), data.join("quarantine")).unwrap();
        assert_eq!(prepare(&data).unwrap_err().code(), "data-dir-link");
    }
}
