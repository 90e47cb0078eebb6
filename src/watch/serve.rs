//! `--metrics-listen ADDR`: serves the newest metrics text at `/metrics` from a background
//! thread while `watch` runs (tiny_http: a scrape every few seconds needs no async stack), and
//! 404 for any other path. The loop replaces the text after each run; a scrape never waits for
//! a run.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A running metrics endpoint.
pub(crate) struct MetricsServer {
    text: Arc<RwLock<String>>,
    addr: SocketAddr,
}

impl MetricsServer {
    /// Binds `addr` and starts serving `initial`.
    pub(crate) fn start(addr: SocketAddr, initial: String) -> std::io::Result<Self> {
        let server = tiny_http::Server::http(addr).map_err(std::io::Error::other)?;
        let bound = server.server_addr().to_ip().unwrap_or(addr);
        let text = Arc::new(RwLock::new(initial));
        let shared = Arc::clone(&text);
        std::thread::Builder::new()
            .name("wheelwatch-metrics".into())
            .spawn(move || {
                for request in server.incoming_requests() {
                    let path = request.url().split('?').next().unwrap_or("").to_string();
                    let response = if path == "/metrics" {
                        let body = shared.read().map(|t| t.clone()).unwrap_or_default();
                        tiny_http::Response::from_string(body).with_header(
                            tiny_http::Header::from_bytes("Content-Type", CONTENT_TYPE)
                                .expect("a valid header"),
                        )
                    } else {
                        tiny_http::Response::from_string("not found: try /metrics\n")
                            .with_status_code(404)
                    };
                    let _ = request.respond(response);
                }
            })?;
        Ok(Self { text, addr: bound })
    }

    /// Replaces the text served.
    pub(crate) fn update(&self, text: String) {
        if let Ok(mut t) = self.text.write() {
            *t = text;
        }
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}
