//! A small HTTP/1 client for Restate's ingress and admin API on 127.0.0.1: one POST with
//! headers and a body, bounded in time, answering its status and body.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The server answered: its status and body.
    Status(u16, Bytes),
    /// No answer in time.
    TimedOut,
    /// No answer at all (the connection was refused or broke): why.
    Broken(String),
}

/// An HTTP/1 client with pooled connections.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    /// A new client; it must be used inside a Tokio runtime.
    pub fn new() -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        Http {
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(connector),
        }
    }

    /// POSTs `body` (JSON, when not empty) to `url` with `headers`, waiting at most `bound` for
    /// the whole answer.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        bound: Duration,
    ) -> Answer {
        let mut request = Request::post(url);
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => return Answer::Broken(format!("a request to {url} cannot be made: {e}")),
        };
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(inner) = source {
                    text = format!("{text}: {inner}");
                    source = inner.source();
                }
                text
            })?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        match tokio::time::timeout(bound, exchange).await {
            Ok(Ok((status, body))) => Answer::Status(status, body),
            Ok(Err(why)) => Answer::Broken(why),
            Err(_) => Answer::TimedOut,
        }
    }
}
