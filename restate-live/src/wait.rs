//! Bounded waits: poll a check until it is ready or the time runs out, then say what was
//! waited for and what was seen last.

use std::time::{Duration, Instant};

use crate::LiveError;

/// One look at what a wait waits for.
pub enum Poll<T> {
    /// It is there.
    Ready(T),
    /// Not yet; what was seen instead.
    Pending(String),
}

/// Polls `check` every `every` until it is ready, for at most `bound`; an error from `check`
/// ends the wait at once.
pub fn wait_for<T>(
    what: &str,
    bound: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<Poll<T>, LiveError>,
) -> Result<T, LiveError> {
    let start = Instant::now();
    loop {
        let seen = match check()? {
            Poll::Ready(value) => return Ok(value),
            Poll::Pending(seen) => seen,
        };
        if start.elapsed() >= bound {
            return Err(LiveError::Timeout {
                what: what.to_string(),
                waited: start.elapsed(),
                seen,
            });
        }
        std::thread::sleep(every);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_returns_what_became_ready_and_names_what_it_gave_up_on() {
        let mut tries = 0;
        let got = wait_for(
            "three tries",
            Duration::from_secs(5),
            Duration::ZERO,
            || {
                tries += 1;
                Ok(match tries {
                    3 => Poll::Ready(tries),
                    _ => Poll::Pending(format!("{tries} tries")),
                })
            },
        );
        assert_eq!(got.unwrap(), 3);
        let never = wait_for::<()>(
            "a miracle",
            Duration::from_millis(20),
            Duration::from_millis(5),
            || Ok(Poll::Pending("nothing".into())),
        );
        let message = never.unwrap_err().to_string();
        assert!(message.contains("waiting for a miracle"), "{message}");
        assert!(message.contains("last seen: nothing"), "{message}");
    }
}
