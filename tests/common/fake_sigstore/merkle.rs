//! An RFC 9162 Merkle tree over leaf bodies, with inclusion proofs, and an independent proof
//! checker (RFC 9162 §2.1.3.2) so the fake can check itself.

use super::keys::sha256;

pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut v = vec![0u8];
    v.extend_from_slice(body);
    sha256(&v)
}

pub fn node_hash(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut v = vec![1u8];
    v.extend_from_slice(l);
    v.extend_from_slice(r);
    sha256(&v)
}

/// Largest power of two strictly below n (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) over leaf hashes (RFC 9162 §2.1.1).
pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha256(b""),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]) (RFC 9162 §2.1.3.1), leaf-to-root order.
pub fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(root(&leaves[..k]));
        p
    }
}

/// RFC 9162 §2.1.3.2 verification, written from the spec text, for self-checks.
pub fn verify(index: u64, size: u64, leaf: &[u8; 32], proof: &[[u8; 32]], root: &[u8; 32]) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && &r == root
}

/// A log's tree: filler entries around the entry under test.
#[derive(Debug, Clone)]
pub struct Tree {
    pub leaves: Vec<[u8; 32]>,
}

impl Tree {
    /// A tree of `size` leaves whose leaf `index` is `body`; the others are filler entries
    /// named after `label` (deterministic).
    pub fn with_entry(label: &str, size: usize, index: usize, body: &[u8]) -> Tree {
        let leaves = (0..size)
            .map(|i| {
                if i == index {
                    leaf_hash(body)
                } else {
                    leaf_hash(format!("{{\"filler\":\"{label}\",\"i\":{i}}}").as_bytes())
                }
            })
            .collect();
        Tree { leaves }
    }

    pub fn root(&self) -> [u8; 32] {
        root(&self.leaves)
    }

    pub fn path(&self, index: usize) -> Vec<[u8; 32]> {
        path(index, &self.leaves)
    }
}
