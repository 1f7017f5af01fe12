//! The two ways this crate waits on async work from synchronous callers: a bounded poll until
//! something is done, and a runtime of its own to run a future to its end on this thread.

use std::time::{Duration, Instant};

use crate::LoadError;

/// Calls `look` every 250 ms until it answers `Ok(value)` (done) or an error, for at most
/// `bound`; `Err(seen)` is what was seen while not done, named in the error when the bound runs
/// out.
pub(crate) async fn poll<T, F, Fut>(
    what: &str,
    bound: Duration,
    mut look: F,
) -> Result<T, LoadError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Result<T, String>, LoadError>>,
{
    let start = Instant::now();
    loop {
        let last = match look().await? {
            Ok(value) => return Ok(value),
            Err(seen) => seen,
        };
        if start.elapsed() >= bound {
            return Err(LoadError::Timeout {
                what: what.to_string(),
                seconds: bound.as_secs(),
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Runs `future` to its end on a runtime of its own, on this thread.
pub(crate) fn block_on<T>(
    future: impl std::future::Future<Output = Result<T, LoadError>>,
) -> Result<T, LoadError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LoadError::io("starting a runtime"))?
        .block_on(future)
}
