//! A minimal HTTP/1.1 server for the test index: a thread accepting on `127.0.0.1:0`, one
//! thread per connection, keep-alive, `Content-Length` bodies, GET/HEAD only. Written by hand
//! because tiny_http 0.12's connection pool can lose a wake-up under bursts of new connections
//! while idle keep-alive ones hold its threads, leaving a request unserved for 30 s (seen with
//! gdb while the resolver fetched concurrently); a thread per connection cannot starve.
//!
//! Writing the wire by hand also lets a [`Response`] misbehave on purpose ([`Fault`]): reset the
//! connection mid-body, trickle the body, never end it, never answer, or send raw bytes.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as the handler sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The request target (path and query).
    pub path: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// How a response misbehaves (the connection is closed after any of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Announce the whole body, send this many bytes of it, then reset the connection (TCP RST).
    ResetAfter(usize),
    /// Announce the whole body and send it one byte at a time with this pause between bytes (a
    /// slow-loris server: always sending, never done).
    Trickle(Duration),
    /// `Transfer-Encoding: chunked` with no end: the body is sent again and again until the
    /// client hangs up.
    Endless,
    /// Read the request and never answer (the connection is dropped after a minute).
    Stall,
    /// Write these bytes as the whole answer (status line and headers included).
    Raw(Vec<u8>),
}

/// A response: status, headers and a body.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    fault: Option<Fault>,
}

impl Response {
    /// 200 with a text body.
    pub fn from_string(body: impl Into<String>) -> Self {
        Self::from_data(body.into().into_bytes())
    }

    /// 200 with a byte body.
    pub fn from_data(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body,
            fault: None,
        }
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status_code(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, header: (String, String)) -> Self {
        self.headers.push(header);
        self
    }

    /// Adds a header in place.
    pub fn add_header(&mut self, header: (String, String)) {
        self.headers.push(header);
    }

    /// Replaces every header called `name` (case-insensitive) with this one.
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: Vec<u8>) {
        self.body = body;
    }

    /// Sets the status in place.
    pub fn set_status(&mut self, status: u16) {
        self.status = status;
    }

    /// Makes the response misbehave.
    #[must_use]
    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// Identity (kept so handler code reads as before).
    #[must_use]
    pub fn boxed(self) -> Self {
        self
    }

    fn head(&self, close: bool, chunked: bool) -> String {
        use std::fmt::Write as _;
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        } else {
            let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head
    }

    fn write_to(&self, out: &mut impl Write, head_only: bool, close: bool) -> std::io::Result<()> {
        out.write_all(self.head(close, false).as_bytes())?;
        if !head_only {
            out.write_all(&self.body)?;
        }
        out.flush()
    }

    /// Writes a misbehaving answer; the caller closes the connection afterwards.
    fn write_fault(&self, fault: &Fault, out: &mut TcpStream) -> std::io::Result<()> {
        match fault {
            Fault::ResetAfter(n) => {
                out.write_all(self.head(true, false).as_bytes())?;
                out.write_all(&self.body[..(*n).min(self.body.len())])?;
                out.flush()?;
                // Linger 0: closing sends RST instead of FIN.
                socket2::SockRef::from(&*out).set_linger(Some(Duration::ZERO))?;
                Ok(())
            }
            Fault::Trickle(pause) => {
                out.write_all(self.head(true, false).as_bytes())?;
                for byte in &self.body {
                    out.write_all(std::slice::from_ref(byte))?;
                    out.flush()?;
                    std::thread::sleep(*pause);
                }
                Ok(())
            }
            Fault::Endless => {
                out.write_all(self.head(true, true).as_bytes())?;
                let unit = if self.body.is_empty() {
                    b"0".as_slice()
                } else {
                    &self.body
                };
                // Chunks of about 1 MiB, so the client, not this thread, sets the pace.
                let body = unit.repeat((1 << 20) / unit.len() + 1);
                let chunk = [format!("{:x}\r\n", body.len()).as_bytes(), &body, b"\r\n"].concat();
                // Until the client hangs up (the write fails) or a generous bound is reached.
                let mut sent = 0_u64;
                while sent < 64 << 30 {
                    out.write_all(&chunk)?;
                    sent += chunk.len() as u64;
                }
                Ok(())
            }
            Fault::Stall => {
                let _ = out.set_read_timeout(Some(Duration::from_millis(100)));
                let mut buf = [0_u8; 64];
                for _ in 0..600 {
                    if let Ok(0) = std::io::Read::read(out, &mut buf) {
                        break;
                    }
                }
                Ok(())
            }
            Fault::Raw(bytes) => {
                out.write_all(bytes)?;
                out.flush()
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A running server; stops accepting when dropped (open connections end with their clients).
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:0` and serves every request with `handler` on its connection's thread.
    pub fn start(handler: Arc<dyn Fn(Request) -> Response + Send + Sync>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve_connection(stream, &*handler));
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_connection(stream: TcpStream, handler: &(dyn Fn(Request) -> Response + Send + Sync)) {
    let _ = stream.set_nodelay(true);
    // An idle keep-alive connection is dropped after a while so threads do not pile up.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, path) = (method.to_string(), path.to_string());
        let mut headers = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut h = String::new();
            match reader.read_line(&mut h) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_string(), v.trim().to_string());
                if k.eq_ignore_ascii_case("content-length") {
                    content_length = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        if content_length > 0 {
            let mut body = vec![0u8; content_length];
            if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                return;
            }
        }
        let request = Request {
            method,
            path,
            headers,
        };
        let close = request
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let head_only = request.method == "HEAD";
        let response = handler(request);
        if let Some(fault) = &response.fault {
            let _ = response.write_fault(fault, &mut writer);
            return;
        }
        if response.write_to(&mut writer, head_only, close).is_err() || close {
            return;
        }
    }
}
