//! RFC 9162 Merkle tree hashing and inclusion-proof verification (SHA-256).
//!
//! Owns: leaf and interior node hashes and the audit-path walk. Must not touch: signatures,
//! checkpoints, entry bodies, the trusted root.

use crate::bundle::HashAlgorithm;
use crate::crypto::{self, Hasher};

/// Length of every node hash in a Rekor tree (SHA-256).
pub(crate) const HASH_LEN: usize = 32;

/// Why an inclusion proof does not prove anything.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a proof hash is {len} bytes, not {HASH_LEN}")]
    HashLength { len: usize },
    #[error("the audit path has {given} hashes, the tree shape needs {needed}")]
    PathLength { given: usize, needed: usize },
    #[error("the computed root differs from the proof's rootHash")]
    RootMismatch,
}

impl ProofError {
    pub(crate) fn code(&self) -> &'static str {
        "inclusion-proof-invalid"
    }
}

/// RFC 9162 §2.1.1: "MTH({d(0)}) = HASH(0x00 || d(0))".
pub(crate) fn leaf_hash(data: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Hasher::new(HashAlgorithm::Sha256);
    h.update(&[0x00]);
    h.update(data);
    let mut out = [0u8; HASH_LEN];
    let d = h.finish();
    if let Some(src) = d.get(..HASH_LEN) {
        out.copy_from_slice(src);
    }
    out
}

/// RFC 9162 §2.1.1: "MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))".
pub(crate) fn node_hash(left: &[u8; HASH_LEN], right: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    let mut buf = [0u8; 1 + 2 * HASH_LEN];
    buf[0] = 0x01;
    buf[1..1 + HASH_LEN].copy_from_slice(left);
    buf[1 + HASH_LEN..].copy_from_slice(right);
    crypto::sha256(&buf)
}

/// Walks an audit path from `leaf` (already leaf-hashed) at `index` in a tree of `size` leaves
/// and checks that it ends at `root`.
pub(crate) fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8; HASH_LEN],
    path: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    let computed = root_from_path(index, size, leaf, path)?;
    // RFC 9162 §2.1.3.2 step 5: "If sn is equal to 0 and r and the root_hash are equal, then
    // the log has proven the inclusion of hash. Otherwise, fail the proof verification."
    if !crypto::ct_eq(&computed, root) {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.3.2, steps 1–5 up to the final comparison: the root the path leads to.
pub(crate) fn root_from_path(
    index: u64,
    size: u64,
    leaf: &[u8; HASH_LEN],
    path: &[Vec<u8>],
) -> Result<[u8; HASH_LEN], ProofError> {
    // Step 1: "Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If
    // leaf_index is greater than or equal to tree_size, then fail the proof verification."
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Step 2: "Set fn to leaf_index and sn to tree_size - 1."
    let mut fnode = index;
    let mut snode = size - 1;
    // Step 3: "Set r to hash."
    let mut r = *leaf;
    // Step 4: "For each value p in the inclusion_path array: ..."
    for p in path {
        let p: &[u8; HASH_LEN] = p
            .as_slice()
            .try_into()
            .map_err(|_| ProofError::HashLength { len: p.len() })?;
        // 4a: "If sn is 0, then stop the iteration and fail the proof verification."
        if snode == 0 {
            return Err(ProofError::PathLength {
                given: path.len(),
                needed: path_len(index, size),
            });
        }
        // 4b: "If LSB(fn) is set, or if fn is equal to sn, then: Set r to HASH(0x01 || p || r);
        // If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
        // is set or fn is 0. Otherwise: Set r to HASH(0x01 || r || p)."
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c: "Finally, right-shift both fn and sn one time."
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5: "Compare sn to 0. ... If sn is equal to 0 and r and the root_hash are equal ..."
    if snode != 0 {
        return Err(ProofError::PathLength {
            given: path.len(),
            needed: path_len(index, size),
        });
    }
    Ok(r)
}

/// How many hashes the audit path of `index` in a tree of `size` leaves has (for messages).
fn path_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let (mut fnode, mut snode, mut n) = (index, size - 1, 0usize);
    while snode != 0 {
        if fnode & 1 == 1 || fnode == snode {
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        }
        fnode >>= 1;
        snode >>= 1;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The certificate-transparency test leaves (RFC 6962 reference implementation vectors).
    fn ct_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            (0x50..=0x57).collect(),
            (0x60..=0x6f).collect(),
        ]
    }

    /// RFC 9162 §2.1.1 MTH, recursively, as a reference independent of the path walk.
    fn mth(leaves: &[Vec<u8>]) -> [u8; HASH_LEN] {
        match leaves {
            [one] => leaf_hash(one),
            _ => {
                let k = split(leaves.len());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// "the largest power of two smaller than n".
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// RFC 9162 §2.1.3.1 PATH(m, D[n]).
    fn audit_path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n);
        if m < k {
            let mut p = audit_path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = audit_path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    fn hx(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap_or_default()
    }

    #[test]
    fn roots_of_trees_of_one_to_eight_leaves_match_the_ct_vectors() {
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (n, want) in (1..=8).zip(expected) {
            assert_eq!(mth(&leaves[..n]).to_vec(), hx(want), "size {n}");
        }
    }

    #[test]
    fn every_leaf_of_trees_of_one_to_eight_leaves_proves_inclusion() {
        let leaves = ct_leaves();
        for n in 1..=8usize {
            let tree = &leaves[..n];
            let root = mth(tree);
            for m in 0..n {
                let path = audit_path(m, tree);
                assert_eq!(path.len(), path_len(m as u64, n as u64), "n={n} m={m}");
                let leaf = leaf_hash(&tree[m]);
                assert_eq!(
                    verify_inclusion(m as u64, n as u64, &leaf, &path, &root),
                    Ok(()),
                    "n={n} m={m}"
                );
            }
        }
    }

    #[test]
    fn proof_with_a_flipped_hash_is_refused() {
        let leaves = ct_leaves();
        for n in 2..=8usize {
            let tree = &leaves[..n];
            let root = mth(tree);
            for m in 0..n {
                let path = audit_path(m, tree);
                for i in 0..path.len() {
                    let mut bad = path.clone();
                    bad[i][7] ^= 0x01;
                    let leaf = leaf_hash(&tree[m]);
                    assert_eq!(
                        verify_inclusion(m as u64, n as u64, &leaf, &bad, &root),
                        Err(ProofError::RootMismatch),
                        "n={n} m={m} i={i}"
                    );
                }
            }
        }
    }

    #[test]
    fn proof_for_another_leaf_or_index_is_refused() {
        let leaves = ct_leaves();
        let tree = &leaves[..7];
        let root = mth(tree);
        let path = audit_path(3, tree);
        // The right path, but the hash of a different leaf.
        assert!(verify_inclusion(3, 7, &leaf_hash(&tree[4]), &path, &root).is_err());
        // The right leaf and path, claimed at another index.
        assert!(verify_inclusion(2, 7, &leaf_hash(&tree[3]), &path, &root).is_err());
        // The right leaf, index and path, claimed in a tree of another shape. (Sizes whose
        // path to the leaf has the same shape give the same root: only the signed checkpoint
        // binds the size.)
        let path6 = audit_path(6, tree);
        assert_eq!(
            verify_inclusion(6, 7, &leaf_hash(&tree[6]), &path6, &root),
            Ok(())
        );
        assert!(verify_inclusion(6, 8, &leaf_hash(&tree[6]), &path6, &root).is_err());
    }

    #[test]
    fn index_at_or_past_tree_size_is_refused() {
        let leaf = leaf_hash(b"x");
        assert_eq!(
            verify_inclusion(1, 1, &leaf, &[], &leaf),
            Err(ProofError::IndexOutOfRange { index: 1, size: 1 })
        );
        assert_eq!(
            verify_inclusion(0, 0, &leaf, &[], &leaf),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn padded_or_truncated_audit_path_is_refused() {
        let leaves = ct_leaves();
        let tree = &leaves[..5];
        let root = mth(tree);
        let leaf = leaf_hash(&tree[1]);
        let mut path = audit_path(1, tree);
        let mut longer = path.clone();
        longer.push(vec![0u8; HASH_LEN]);
        assert!(matches!(
            verify_inclusion(1, 5, &leaf, &longer, &root),
            Err(ProofError::PathLength { .. })
        ));
        path.pop();
        assert!(verify_inclusion(1, 5, &leaf, &path, &root).is_err());
    }

    #[test]
    fn short_proof_hash_is_refused_without_panicking() {
        let leaves = ct_leaves();
        let tree = &leaves[..4];
        let root = mth(tree);
        let mut path = audit_path(0, tree);
        path[0].truncate(31);
        assert_eq!(
            verify_inclusion(0, 4, &leaf_hash(&tree[0]), &path, &root),
            Err(ProofError::HashLength { len: 31 })
        );
    }

    #[test]
    fn single_leaf_tree_root_is_the_leaf_hash() {
        let leaf = leaf_hash(b"only");
        assert_eq!(verify_inclusion(0, 1, &leaf, &[], &leaf), Ok(()));
    }

    #[test]
    fn huge_tree_indices_do_not_overflow() {
        // Index u64::MAX - 1 in a tree of u64::MAX leaves needs 64 hashes; 64 zero hashes give
        // some root, and the walk must terminate without overflow.
        let path = vec![vec![0u8; HASH_LEN]; 64];
        let leaf = leaf_hash(b"x");
        let r = root_from_path(u64::MAX - 1, u64::MAX, &leaf, &path);
        assert!(r.is_ok() || matches!(r, Err(ProofError::PathLength { .. })));
    }
}
