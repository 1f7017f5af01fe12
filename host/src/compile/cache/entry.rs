//! The bytes of one cache entry: a header of ours, then wasmtime's precompiled artifact.
//!
//! The header says what the entry is (magic, format version), what it was made for (the
//! component's SHA-256 and the engine's compatibility hash), the component's compile figures,
//! the artifact's length and an xxh3-128 checksum of the header and the artifact together.
//! Nothing in an entry is trusted before all of it has been verified.

use xxhash_rust::xxh3::Xxh3;

use crate::compile::CompileFigures;

/// The first bytes of every entry.
const MAGIC: [u8; 8] = *b"wpcache\0";
/// The layout described here; an entry of another version is recompiled.
const FORMAT_VERSION: u32 = 1;
/// The length of a SHA-256 in hex.
const SHA256_HEX_LEN: usize = 64;

/// Offsets of the header's fields.
const VERSION_AT: usize = MAGIC.len();
const SHA256_AT: usize = VERSION_AT + 4;
const ENGINE_AT: usize = SHA256_AT + SHA256_HEX_LEN;
const FIGURES_AT: usize = ENGINE_AT + 16;
const LENGTH_AT: usize = FIGURES_AT + 5 * 8;
const CHECKSUM_AT: usize = LENGTH_AT + 8;
/// The header's length: the artifact starts here.
pub(super) const HEADER_LEN: usize = CHECKSUM_AT + 16;

/// What an entry is made for: one component (its SHA-256 in hex) compiled by one engine
/// configuration (wasmtime's compatibility hash, hashed into 128 bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryKey {
    /// The component's SHA-256, lowercase hex.
    pub(crate) component_sha256: String,
    /// The engine's `precompile_compatibility_hash`, hashed with xxh3-128.
    pub(crate) engine: u128,
}

impl EntryKey {
    /// The entry's file name: both halves of the key, in hex.
    pub(crate) fn file_name(&self) -> String {
        format!("{}-{:032x}.entry", self.component_sha256, self.engine)
    }
}

/// Why the bytes of an entry are not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EntryDefect {
    /// Shorter than a header.
    #[error("the entry is truncated: {found} bytes, shorter than its {HEADER_LEN}-byte header")]
    TruncatedHeader {
        /// The entry's length.
        found: usize,
    },
    /// Does not start with our magic bytes.
    #[error("the file is not a worker-policy cache entry")]
    NotAnEntry,
    /// Written by another version of this layout.
    #[error("the entry has format version {found}, this host writes {FORMAT_VERSION}")]
    OtherFormat {
        /// The entry's format version.
        found: u32,
    },
    /// Made for another component or another engine configuration.
    #[error("the entry was made for another component or engine than its name says")]
    OtherKey,
    /// The artifact is not as long as the header says.
    #[error("the entry is truncated or padded: its header declares {declared} bytes of artifact, the file has {found}")]
    Length {
        /// What the header declares.
        declared: u64,
        /// What follows the header.
        found: u64,
    },
    /// The checksum does not match the bytes.
    #[error("the entry's checksum does not match its contents")]
    Checksum,
}

/// The header of the entry for `key` whose artifact is `artifact` (the entry is the header,
/// then the artifact).
pub(crate) fn header(key: &EntryKey, figures: &CompileFigures, artifact: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&sha256_field(&key.component_sha256));
    bytes.extend_from_slice(&key.engine.to_le_bytes());
    for figure in figure_fields(figures) {
        bytes.extend_from_slice(&figure.to_le_bytes());
    }
    bytes.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    let checksum = checksum(&bytes, artifact);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Verifies every byte of `bytes` as the entry for `key`, and returns the component's figures
/// and the artifact.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    key: &EntryKey,
) -> Result<(CompileFigures, &'a [u8]), EntryDefect> {
    if bytes.len() < HEADER_LEN {
        if !bytes.starts_with(&MAGIC[..bytes.len().min(MAGIC.len())]) {
            return Err(EntryDefect::NotAnEntry);
        }
        return Err(EntryDefect::TruncatedHeader { found: bytes.len() });
    }
    let (header, artifact) = bytes.split_at(HEADER_LEN);
    if header[..VERSION_AT] != MAGIC {
        return Err(EntryDefect::NotAnEntry);
    }
    let version = u32::from_le_bytes(field(header, VERSION_AT));
    if version != FORMAT_VERSION {
        return Err(EntryDefect::OtherFormat { found: version });
    }
    let engine = u128::from_le_bytes(field(header, ENGINE_AT));
    if header[SHA256_AT..ENGINE_AT] != sha256_field(&key.component_sha256) || engine != key.engine {
        return Err(EntryDefect::OtherKey);
    }
    let declared = u64::from_le_bytes(field(header, LENGTH_AT));
    if declared != artifact.len() as u64 {
        return Err(EntryDefect::Length {
            declared,
            found: artifact.len() as u64,
        });
    }
    let stored = u128::from_le_bytes(field(header, CHECKSUM_AT));
    if stored != checksum(&header[..CHECKSUM_AT], artifact) {
        return Err(EntryDefect::Checksum);
    }
    Ok((read_figures(header), artifact))
}

/// The component's SHA-256 as stored: its hex digits, padded or cut to 64 bytes.
fn sha256_field(sha256: &str) -> [u8; SHA256_HEX_LEN] {
    let mut out = [0u8; SHA256_HEX_LEN];
    let digits = sha256.as_bytes();
    let len = digits.len().min(SHA256_HEX_LEN);
    out[..len].copy_from_slice(&digits[..len]);
    out
}

/// The figures in the order they are stored.
fn figure_fields(figures: &CompileFigures) -> [u64; 5] {
    [
        figures.component_size,
        figures.functions,
        figures.max_locals,
        figures.max_function_size,
        figures.max_nesting,
    ]
}

/// The figures stored in `header`.
fn read_figures(header: &[u8]) -> CompileFigures {
    let at = |index: usize| u64::from_le_bytes(field(header, FIGURES_AT + 8 * index));
    CompileFigures {
        component_size: at(0),
        functions: at(1),
        max_locals: at(2),
        max_function_size: at(3),
        max_nesting: at(4),
    }
}

/// The `N` bytes of `header` at `at` (the header's length is checked before any field is read).
fn field<const N: usize>(header: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&header[at..at + N]);
    out
}

/// The xxh3-128 of the header's fields before the checksum, then the artifact.
fn checksum(header: &[u8], artifact: &[u8]) -> u128 {
    let mut hasher = Xxh3::new();
    hasher.update(header);
    hasher.update(artifact);
    hasher.digest128()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> EntryKey {
        EntryKey {
            component_sha256: "ab".repeat(32),
            engine: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        }
    }

    fn figures() -> CompileFigures {
        CompileFigures {
            component_size: 1000,
            functions: 12,
            max_locals: 7,
            max_function_size: 300,
            max_nesting: 9,
        }
    }

    fn encode(key: &EntryKey, figures: &CompileFigures, artifact: &[u8]) -> Vec<u8> {
        [header(key, figures, artifact), artifact.to_vec()].concat()
    }

    #[test]
    fn an_entry_reads_back_its_figures_and_artifact() {
        let bytes = encode(&key(), &figures(), b"artifact bytes");
        assert_eq!(bytes.len(), HEADER_LEN + 14);
        assert_eq!(
            decode(&bytes, &key()),
            Ok((figures(), &b"artifact bytes"[..]))
        );
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_a_defect() {
        let bytes = encode(&key(), &figures(), b"artifact bytes");
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x20;
            assert!(decode(&flipped, &key()).is_err(), "byte {at} flipped");
        }
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], &key()).is_err(), "cut at {len}");
        }
        assert_eq!(
            decode(&bytes[..HEADER_LEN - 1], &key()),
            Err(EntryDefect::TruncatedHeader {
                found: HEADER_LEN - 1
            })
        );
        assert_eq!(
            decode(&bytes[..bytes.len() - 1], &key()),
            Err(EntryDefect::Length {
                declared: 14,
                found: 13
            })
        );
    }

    #[test]
    fn an_entry_for_another_key_or_another_file_is_refused_for_what_it_is() {
        let bytes = encode(&key(), &figures(), b"artifact");
        let other_component = EntryKey {
            component_sha256: "cd".repeat(32),
            ..key()
        };
        let other_engine = EntryKey { engine: 1, ..key() };
        assert_eq!(decode(&bytes, &other_component), Err(EntryDefect::OtherKey));
        assert_eq!(decode(&bytes, &other_engine), Err(EntryDefect::OtherKey));
        let elf = b"\x7fELF and then a precompiled artifact of some length".repeat(8);
        assert_eq!(decode(&elf, &key()), Err(EntryDefect::NotAnEntry));
        assert_eq!(decode(b"\x7fELF", &key()), Err(EntryDefect::NotAnEntry));
        let mut next_version = bytes.clone();
        next_version[VERSION_AT] = 2;
        assert_eq!(
            decode(&next_version, &key()),
            Err(EntryDefect::OtherFormat { found: 2 })
        );
    }
}
