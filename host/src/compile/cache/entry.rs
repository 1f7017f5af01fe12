//! The bytes of one cache entry: wasmtime's precompiled artifact, then a trailer of ours (the
//! artifact comes first so that wasmtime can map the entry's file as it is).
//!
//! The trailer says what the entry is (magic, format version), what it was made for (the
//! component's SHA-256 and the engine's compatibility hash), the component's compile figures,
//! the artifact's length and an xxh3-128 checksum of the artifact and the trailer's fields
//! together. Nothing in an entry is trusted before all of it has been verified.

use xxhash_rust::xxh3::Xxh3;

use crate::compile::CompileFigures;

/// The first bytes of every entry.
const MAGIC: [u8; 8] = *b"wpcache\0";
/// The layout described here; an entry of another version is recompiled.
const FORMAT_VERSION: u32 = 1;
/// The length of a SHA-256 in hex.
const SHA256_HEX_LEN: usize = 64;

/// Offsets of the trailer's fields.
const VERSION_AT: usize = MAGIC.len();
const SHA256_AT: usize = VERSION_AT + 4;
const ENGINE_AT: usize = SHA256_AT + SHA256_HEX_LEN;
const FIGURES_AT: usize = ENGINE_AT + 16;
const LENGTH_AT: usize = FIGURES_AT + 5 * 8;
const CHECKSUM_AT: usize = LENGTH_AT + 8;
/// The trailer's length: the artifact is everything before it.
pub(crate) const TRAILER_LEN: usize = CHECKSUM_AT + 16;

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
    /// Shorter than a trailer.
    #[error("the entry is truncated: {found} bytes, shorter than its {TRAILER_LEN}-byte trailer")]
    TooShort {
        /// The entry's length.
        found: u64,
    },
    /// Does not end with our trailer: cut short, or something else under the entry's name.
    #[error("the entry is truncated or not a worker-policy cache entry: it does not end with this host's trailer")]
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
    /// The artifact is not as long as the trailer says.
    #[error("the entry is truncated or padded: its trailer declares {declared} bytes of artifact, the file has {found}")]
    Length {
        /// What the trailer declares.
        declared: u64,
        /// What precedes the trailer.
        found: u64,
    },
    /// The checksum does not match the bytes.
    #[error("the entry's checksum does not match its contents")]
    Checksum,
}

/// What a trailer declares, once its magic, version, key and length are checked: the checksum
/// is left to verify over the artifact.
pub(crate) struct Trailer {
    /// The trailer's fields before the checksum (they are checksummed after the artifact).
    fields: [u8; CHECKSUM_AT],
    /// The checksum of the artifact, then the fields.
    checksum: u128,
    /// The length of the artifact before it.
    pub(crate) artifact_len: u64,
}

/// The trailer of the entry for `key` whose artifact is `artifact` (the entry is the artifact,
/// then the trailer).
pub(crate) fn trailer(key: &EntryKey, figures: &CompileFigures, artifact: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(TRAILER_LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&sha256_field(&key.component_sha256));
    bytes.extend_from_slice(&key.engine.to_le_bytes());
    for figure in figure_fields(figures) {
        bytes.extend_from_slice(&figure.to_le_bytes());
    }
    bytes.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    let mut hasher = Xxh3::new();
    hasher.update(artifact);
    hasher.update(&bytes);
    bytes.extend_from_slice(&hasher.digest128().to_le_bytes());
    bytes
}

/// Checks the last [`TRAILER_LEN`] bytes of an entry of `entry_len` bytes as the trailer of the
/// entry for `key`: magic, format version, key, and the artifact's length.
pub(crate) fn parse_trailer(
    trailer: &[u8; TRAILER_LEN],
    entry_len: u64,
    key: &EntryKey,
) -> Result<Trailer, EntryDefect> {
    if trailer[..VERSION_AT] != MAGIC {
        return Err(EntryDefect::NotAnEntry);
    }
    let version = u32::from_le_bytes(field(trailer, VERSION_AT));
    if version != FORMAT_VERSION {
        return Err(EntryDefect::OtherFormat { found: version });
    }
    let engine = u128::from_le_bytes(field(trailer, ENGINE_AT));
    if trailer[SHA256_AT..ENGINE_AT] != sha256_field(&key.component_sha256) || engine != key.engine
    {
        return Err(EntryDefect::OtherKey);
    }
    let declared = u64::from_le_bytes(field(trailer, LENGTH_AT));
    let found = entry_len - TRAILER_LEN as u64;
    if declared != found {
        return Err(EntryDefect::Length { declared, found });
    }
    Ok(Trailer {
        fields: field(trailer, 0),
        checksum: u128::from_le_bytes(field(trailer, CHECKSUM_AT)),
        artifact_len: declared,
    })
}

impl Trailer {
    /// The component's figures, when the checksum matches: `artifact` has been fed every byte
    /// of the artifact, and nothing else.
    pub(crate) fn verify(&self, mut artifact: Xxh3) -> Result<CompileFigures, EntryDefect> {
        artifact.update(&self.fields);
        if artifact.digest128() != self.checksum {
            return Err(EntryDefect::Checksum);
        }
        Ok(read_figures(&self.fields))
    }
}

/// Verifies every byte of `bytes` as the entry for `key`, and returns the component's figures
/// and the artifact.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    key: &EntryKey,
) -> Result<(CompileFigures, &'a [u8]), EntryDefect> {
    let Some(artifact_len) = bytes.len().checked_sub(TRAILER_LEN) else {
        return Err(EntryDefect::TooShort {
            found: bytes.len() as u64,
        });
    };
    let (artifact, trailer) = bytes.split_at(artifact_len);
    let trailer = parse_trailer(&field(trailer, 0), bytes.len() as u64, key)?;
    let mut hasher = Xxh3::new();
    hasher.update(artifact);
    Ok((trailer.verify(hasher)?, artifact))
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

/// The figures stored in a trailer's `fields`.
fn read_figures(fields: &[u8]) -> CompileFigures {
    let at = |index: usize| u64::from_le_bytes(field(fields, FIGURES_AT + 8 * index));
    CompileFigures {
        component_size: at(0),
        functions: at(1),
        max_locals: at(2),
        max_function_size: at(3),
        max_nesting: at(4),
    }
}

/// The `N` bytes of `bytes` at `at` (a trailer's length is fixed, so every field is there).
fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
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
        [artifact.to_vec(), trailer(key, figures, artifact)].concat()
    }

    #[test]
    fn an_entry_reads_back_its_figures_and_artifact() {
        let bytes = encode(&key(), &figures(), b"artifact bytes");
        assert_eq!(bytes.len(), 14 + TRAILER_LEN);
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
            decode(&bytes[..TRAILER_LEN - 1], &key()),
            Err(EntryDefect::TooShort {
                found: TRAILER_LEN as u64 - 1
            })
        );
        assert_eq!(
            decode(&bytes[..bytes.len() - 1], &key()),
            Err(EntryDefect::NotAnEntry)
        );
        let mut padded = bytes[..14].to_vec();
        padded.push(0);
        padded.extend_from_slice(&bytes[14..]);
        assert_eq!(
            decode(&padded, &key()),
            Err(EntryDefect::Length {
                declared: 14,
                found: 15
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
        assert_eq!(
            decode(b"\x7fELF", &key()),
            Err(EntryDefect::TooShort { found: 4 })
        );
        let mut next_version = bytes.clone();
        next_version[8 + VERSION_AT] = 2;
        assert_eq!(
            decode(&next_version, &key()),
            Err(EntryDefect::OtherFormat { found: 2 })
        );
    }
}
