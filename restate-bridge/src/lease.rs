//! One controller per cluster: a lease held in Restate's own replicated metadata store, under a
//! key of worker-policy's own ([`LEASE_KEY`]), read with `restatectl metadata get` and written
//! with `restatectl metadata put --version V`, a compare-and-swap on the record's version
//! (`--version 0` creates the key only when it does not exist). The record names the holder, the
//! policy's SHA-256 and when the lease expires; a holder renews it before it expires, another
//! controller takes it over only once it has expired or was released, and a controller with
//! another policy is refused like any other.

use serde::{Deserialize, Serialize};

use crate::import::live::{LiveError, Restatectl, Scratch};

/// The metadata store key of the lease.
pub const LEASE_KEY: &str = "worker_policy_controller";

/// The lease record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it (`control --holder`); empty once released.
    pub holder: String,
    /// The SHA-256 of the holder's policy.
    pub policy_sha256: String,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_unix_ms: u64,
}

impl Lease {
    /// Whether someone holds it at `now_ms`.
    pub fn is_held(&self, now_ms: u64) -> bool {
        !self.holder.is_empty() && self.expires_unix_ms > now_ms
    }

    /// The lease in words: `ctl-a (policy sha256 0123456789ab…) until 1765000000000`.
    pub fn describe(&self, now_ms: u64) -> String {
        let digest = self.policy_sha256.get(..12).unwrap_or(&self.policy_sha256);
        let left = self.expires_unix_ms.saturating_sub(now_ms) / 1000;
        format!(
            "`{}` (policy sha256 {digest}…), for {left} s more unless renewed",
            self.holder
        )
    }
}

/// The record as stored: its version (0 when the key does not exist) and the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The record's version; the next write must name it.
    pub version: u32,
    /// The lease; `None` when the key does not exist.
    pub lease: Option<Lease>,
}

/// What an attempt to take or renew the lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The lease is ours until the record's new expiry; the record's version.
    Ours(u32),
    /// Someone else holds it.
    HeldBy(Lease),
}

/// Why the lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// `restatectl` failed.
    #[error(transparent)]
    Restatectl(#[from] LiveError),
    /// The record is not a lease of ours.
    #[error("the metadata store key `{LEASE_KEY}` holds something other than worker-policy's lease ({0}); it is not touched: remove it or choose other clusters")]
    NotALease(String),
}

/// The lease in the cluster `ctl` reaches.
pub struct LeaseStore<'c> {
    ctl: &'c Restatectl,
    scratch: Scratch,
}

impl<'c> LeaseStore<'c> {
    /// The lease of the cluster `ctl` reaches.
    pub fn new(ctl: &'c Restatectl) -> Result<LeaseStore<'c>, LeaseError> {
        Ok(LeaseStore {
            ctl,
            scratch: Scratch::new()?,
        })
    }

    /// Reads the record.
    pub fn read(&self) -> Result<Stored, LeaseError> {
        let args = ["metadata", "get", "-k", LEASE_KEY].map(String::from);
        parse_stored(&self.ctl.stdout_of(&args, self.scratch.path())?)
    }

    /// Writes `lease` over the record of `version` (0: only when the key does not exist).
    /// `false` when the record has moved on since (another controller wrote it).
    fn write(&self, version: u32, lease: &Lease) -> Result<bool, LeaseError> {
        let doc = self.scratch.path().join("lease.json");
        let text = serde_json::to_string(lease).unwrap_or_default();
        std::fs::write(&doc, text).map_err(|error| LiveError::Scratch {
            what: format!("cannot write {}", doc.display()),
            error,
        })?;
        let args = [
            "metadata",
            "put",
            "-k",
            LEASE_KEY,
            "--version",
            &version.to_string(),
            &doc.display().to_string(),
        ]
        .map(String::from);
        match self.ctl.stdout_of(&args, self.scratch.path()) {
            Ok(_) => Ok(true),
            Err(LiveError::Failed { message, .. }) if message.contains("Version mismatch") => {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Takes the lease for `holder` with policy `policy_sha256` until `now_ms + ttl_ms`, or
    /// renews it when `holder` has it; refused while someone else holds it.
    pub fn take(
        &self,
        holder: &str,
        policy_sha256: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<Taken, LeaseError> {
        let stored = self.read()?;
        if let Some(lease) = &stored.lease {
            let ours = lease.holder == holder && lease.policy_sha256 == policy_sha256;
            if lease.is_held(now_ms) && !ours {
                return Ok(Taken::HeldBy(lease.clone()));
            }
        }
        let lease = Lease {
            holder: holder.to_string(),
            policy_sha256: policy_sha256.to_string(),
            expires_unix_ms: now_ms + ttl_ms,
        };
        match self.write(stored.version, &lease)? {
            true => Ok(Taken::Ours(stored.version + 1)),
            // Someone wrote the record between our read and our write: whoever it is holds it.
            // It is ours when it is exactly what we wrote: our write landed, and was sent again
            // to the next address after the first did not answer in time.
            false => match self.read()? {
                Stored {
                    version,
                    lease: Some(other),
                } if other == lease => Ok(Taken::Ours(version)),
                Stored {
                    lease: Some(other), ..
                } => Ok(Taken::HeldBy(other)),
                Stored { lease: None, .. } => {
                    Err(LeaseError::NotALease("it changed and vanished".into()))
                }
            },
        }
    }

    /// Releases the lease when `holder` has it (the record stays, with no holder).
    pub fn release(&self, holder: &str) -> Result<(), LeaseError> {
        let stored = self.read()?;
        if stored.lease.as_ref().is_some_and(|l| l.holder == holder) {
            let released = Lease {
                holder: String::new(),
                policy_sha256: String::new(),
                expires_unix_ms: 0,
            };
            self.write(stored.version, &released)?;
        }
        Ok(())
    }
}

/// The record as `restatectl metadata get` prints it: `null`, or its version with its fields.
fn parse_stored(text: &str) -> Result<Stored, LeaseError> {
    let value: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| LeaseError::NotALease(format!("not JSON: {e}")))?;
    if value.is_null() {
        return Ok(Stored {
            version: 0,
            lease: None,
        });
    }
    let version = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| LeaseError::NotALease("no version".into()))?;
    let lease: Lease =
        serde_json::from_value(value).map_err(|e| LeaseError::NotALease(e.to_string()))?;
    Ok(Stored {
        version,
        lease: Some(lease),
    })
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_reads_as_restatectl_prints_it() {
        assert_eq!(
            parse_stored("null\n").unwrap(),
            Stored {
                version: 0,
                lease: None
            }
        );
        let stored = parse_stored(
            r#"{"version": 3, "expires_unix_ms": 5000, "holder": "a", "policy_sha256": "ab"}"#,
        )
        .unwrap();
        assert_eq!(stored.version, 3);
        let lease = stored.lease.unwrap();
        assert!(lease.is_held(4999) && !lease.is_held(5000));
        assert!(parse_stored(r#"{"version": 1, "other": 2}"#).is_err());
    }

    #[test]
    fn a_released_lease_is_held_by_nobody() {
        let released = Lease {
            holder: String::new(),
            policy_sha256: String::new(),
            expires_unix_ms: u64::MAX,
        };
        assert!(!released.is_held(0));
    }
}
