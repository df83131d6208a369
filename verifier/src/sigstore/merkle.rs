//! Merkle inclusion proofs for RFC 6962 / RFC 9162 trees (the trees Rekor keeps).

use sha2::{Digest, Sha256};

/// The hash of a leaf: SHA-256(0x00 || data). The prefix keeps a leaf from passing as a node.
pub(super) fn leaf_hash(data: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(data)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub(super) fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// Verifies that `leaf` is the leaf at `index` of the tree of `tree_size` leaves whose root is
/// `root`, given `proof`, the sibling hashes from the leaf up (RFC 9162, section 2.1.3.2).
///
/// The proof's length is fixed by `index` and `tree_size`: `inner` hashes where the path to
/// the leaf and the path to the last leaf differ (the bit length of `index XOR (tree_size -
/// 1)`), then `border` hashes along the right border of the tree (the set bits of `index` above
/// `inner`). A proof of any other length is refused, so no hash can be skipped or added.
pub(super) fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    tree_size: u64,
    proof: &[[u8; 32]],
    root: &[u8; 32],
) -> Result<(), String> {
    if index >= tree_size {
        return Err(format!(
            "the leaf index {index} is not inside a tree of {tree_size} leaves"
        ));
    }
    let inner = u64::BITS - (index ^ (tree_size - 1)).leading_zeros();
    // `inner` is at most 64; a shift by 64 leaves nothing.
    let border = index.checked_shr(inner).unwrap_or(0).count_ones() as usize;
    let inner = inner as usize;
    if proof.len() != inner + border {
        return Err(format!(
            "it has {} hashes where a leaf at index {index} of a tree of {tree_size} leaves needs \
             {}",
            proof.len(),
            inner + border
        ));
    }

    let mut hash = *leaf;
    for (level, sibling) in proof[..inner].iter().enumerate() {
        hash = if (index >> level) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    for sibling in &proof[inner..] {
        hash = node_hash(sibling, &hash);
    }

    if &hash == root {
        Ok(())
    } else {
        Err("the root hash it leads to is not the proof's root hash".into())
    }
}
