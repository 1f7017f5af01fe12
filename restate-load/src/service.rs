//! The counter service, served by Restate's Rust SDK on 127.0.0.1 in a thread of this process,
//! and what makes a cluster use it: its registration through the admin API, and the wait until
//! every ingress the load goes through knows it.

use std::net::TcpListener as StdListener;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use restate_sdk::prelude::*;
use tokio::sync::oneshot;

use crate::client::{Answer, Http};
use crate::wait::{block_on, poll};
use crate::LoadError;

/// The virtual object's state key.
const COUNT: &str = "count";
/// How long the service's runtime may take to drop its connections when it stops.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// Restate's virtual object `Counter`, one counter per object key.
struct Counter;

#[restate_sdk::object]
impl Counter {
    /// Adds `amount` to the counter and returns its new value.
    #[handler]
    async fn add(&self, ctx: ObjectContext<'_>, amount: u64) -> Result<u64, TerminalError> {
        let new = ctx.get::<u64>(COUNT).await?.unwrap_or(0) + amount;
        ctx.set(COUNT, new);
        Ok(new)
    }

    /// The counter's value (0 before the first `add`).
    #[handler]
    async fn get(&self, ctx: SharedObjectContext<'_>) -> Result<u64, TerminalError> {
        Ok(ctx.get::<u64>(COUNT).await?.unwrap_or(0))
    }
}

/// The counter service, listening on a free port of 127.0.0.1 until it is dropped.
pub struct CounterService {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl CounterService {
    /// Starts the service on a free port of 127.0.0.1, in a thread with a runtime of its own.
    pub fn start() -> Result<CounterService, LoadError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("counter-service")
            .enable_all()
            .build()
            .map_err(LoadError::io("starting the counter service's runtime"))?;
        let listener = StdListener::bind(("127.0.0.1", 0))
            .map_err(LoadError::io("binding the counter service to 127.0.0.1"))?;
        let port = listener
            .local_addr()
            .map_err(LoadError::io("reading the counter service's port"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(LoadError::io("setting up the counter service's socket"))?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(LoadError::io("setting up the counter service's socket"))?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("counter-service".into())
            .spawn(move || {
                let server = HttpServer::new(Endpoint::builder().bind(Counter).build());
                runtime.block_on(async move {
                    tokio::select! {
                        _ = server.serve_with_cancel(listener, std::future::pending::<()>()) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_timeout(STOP_GRACE);
            })
            .map_err(LoadError::io("starting the counter service's thread"))?;
        Ok(CounterService {
            url: format!("http://127.0.0.1:{port}/"),
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where Restate reaches it: `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for CounterService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Registers the service at `service_url` with the cluster whose admin API is `admin_url`
/// (`POST /deployments`), retrying for at most `bound` while the admin API is not up yet.
pub fn register(admin_url: &str, service_url: &str, bound: Duration) -> Result<(), LoadError> {
    let url = format!("{}/deployments", admin_url.trim_end_matches('/'));
    let body = Bytes::from(serde_json::json!({ "uri": service_url }).to_string());
    let what = format!("the admin API at {admin_url} to register {service_url}");
    block_on(async {
        let http = Http::new();
        poll(&what, bound, || async {
            match http
                .post(&url, &[], body.clone(), Duration::from_secs(10))
                .await
            {
                Answer::Status(200..=299, _) => Ok(Ok(())),
                Answer::Status(status @ 400..=499, text) if status != 404 => {
                    Err(LoadError::Cluster {
                        what: format!("registering {service_url} at {url}"),
                        detail: format!("{status}: {}", String::from_utf8_lossy(&text)),
                    })
                }
                other => Ok(Err(describe(&other))),
            }
        })
        .await
    })
}

/// Waits (at most `bound`) until every ingress of `ingresses` serves the counter service: a
/// `get` of a probe counter answers 200 on each (the registration reaches the nodes one by one).
pub fn wait_ready(ingresses: &[String], bound: Duration) -> Result<(), LoadError> {
    block_on(async {
        let http = Http::new();
        for ingress in ingresses {
            let url = format!("{}/Counter/probe/get", ingress.trim_end_matches('/'));
            let what = format!("the ingress at {ingress} to serve Counter");
            poll(&what, bound, || async {
                Ok(
                    match http
                        .post(&url, &[], Bytes::new(), Duration::from_secs(5))
                        .await
                    {
                        Answer::Status(200, _) => Ok(()),
                        other => Err(describe(&other)),
                    },
                )
            })
            .await?;
        }
        Ok(())
    })
}

/// A short description of an answer that was not the one waited for.
pub(crate) fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Status(status, body) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(200).collect();
            format!("{status}: {text}")
        }
        Answer::TimedOut => "no answer in time".to_string(),
        Answer::Broken(why) => why.clone(),
    }
}
