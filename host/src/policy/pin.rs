//! Pinning: a policy file is loaded only when its SHA-256 is the one the operator expects.

use sha2::{Digest, Sha256};

use crate::error::Error;

/// The hex SHA-256 of a policy file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Refuses bytes whose SHA-256 is not `expected` (hex, any case).
pub fn check_pin(bytes: &[u8], expected: &str) -> Result<(), Error> {
    let actual = sha256_hex(bytes);
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(Error::PolicyFile(format!(
            "the policy's SHA-256 is {actual}, but --policy-sha256 pins {}; refusing to load it",
            expected.trim()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_matches_its_digest_in_any_case_and_nothing_else() {
        let digest = sha256_hex(b"policy");
        assert_eq!(digest.len(), 64);
        assert!(check_pin(b"policy", &digest.to_uppercase()).is_ok());
        assert!(check_pin(b"policy", &format!(" {digest}\n")).is_ok());
        let error = check_pin(b"other", &digest).unwrap_err().to_string();
        assert!(error.contains(&digest), "{error}");
    }
}
