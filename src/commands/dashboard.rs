//! `wheelwatch dashboard`: loads every project's records from the history store, renders the
//! page ([`crate::dashboard`]) and writes it (`-o FILE`, `-o -` for stdout), or serves it
//! (`--serve ADDR:PORT`), loading the store afresh for every request.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::dashboard::{self, Page, ProjectData};
use crate::exit::ExitStatus;
use crate::history::{ProjectId, RunFilter, RunResult, Store, StoreLocation};
use crate::printer::Printer;
use crate::settings::{DashboardOutput, DashboardSettings, GlobalSettings};
use crate::util::fs::{Durability, write_atomic};

/// Runs `wheelwatch dashboard`.
pub(crate) fn run(
    settings: &DashboardSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let location = &settings.store.value;
    let current = ProjectId::detect(&globals.cwd);
    match &settings.output {
        DashboardOutput::Serve(addr) => serve(*addr, location, &current, printer),
        DashboardOutput::Stdout => {
            let html = generate(location, &current)?;
            let mut out = printer.stdout();
            out.write_all(html.as_bytes())?;
            out.flush()?;
            Ok(ExitStatus::Success)
        }
        DashboardOutput::File(path) => {
            let started = Instant::now();
            let html = generate(location, &current)?;
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !dir.is_dir() {
                anyhow::bail!(
                    "cannot write the dashboard to `{}`: the directory `{}` does not exist",
                    path.display(),
                    dir.display()
                );
            }
            write_atomic(path, html.as_bytes(), Durability::Cache)
                .with_context(|| format!("cannot write the dashboard to `{}`", path.display()))?;
            printer.note(format_args!(
                "wrote {} ({} KiB) in {} ms",
                path.display(),
                html.len().div_ceil(1024),
                started.elapsed().as_millis()
            ));
            Ok(ExitStatus::Success)
        }
    }
}

/// The page's HTML, from the store as it is now.
fn generate(location: &StoreLocation, current: &ProjectId) -> Result<String> {
    let page = load(location, current)?;
    Ok(dashboard::render(&page))
}

/// Every project's records.
fn load(location: &StoreLocation, current: &ProjectId) -> Result<Page> {
    let mut store = Store::open(location, current.clone())
        .with_context(|| format!("cannot open the history store {}", location.display()))?;
    let mut projects = Vec::new();
    for row in store.projects()? {
        store.select_project(&row);
        projects.push(project_data(&mut store, row.project)?);
    }
    let generated = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    Ok(dashboard::model::page(
        projects,
        current,
        location.display(),
        generated,
    ))
}

fn project_data(store: &mut Store, project: ProjectId) -> Result<ProjectData> {
    let runs = store.runs(&RunFilter::default())?;
    let mut ok = runs.iter().filter(|r| r.result == RunResult::Ok);
    let latest = ok.next().map(|r| r.id);
    let previous = ok.next().map(|r| r.id);
    let latest = latest.map(|id| store.run_details(id)).transpose()?;
    let previous = previous.map(|id| store.run_details(id)).transpose()?;
    let points = store.target_points()?;
    let events = store.events(None)?;
    Ok(ProjectData {
        project: Some(project),
        runs,
        points,
        latest,
        previous,
        events,
    })
}

/// Serves the page on `addr` until the process is stopped.
fn serve(
    addr: std::net::SocketAddr,
    location: &StoreLocation,
    current: &ProjectId,
    printer: Printer,
) -> Result<ExitStatus> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .map_or_else(|| addr.to_string(), |a| a.to_string());
    if !addr.ip().is_loopback() {
        printer.warning(format_args!(
            "{addr} is not a loopback address: anyone who can reach it can read this history"
        ));
    }
    printer.note(format_args!(
        "serving the dashboard on http://{bound}/ (the store is read again for every request; \
         Ctrl-C stops)"
    ));
    let csp = dashboard::html::content_security_policy();
    for request in server.incoming_requests() {
        let path = request.url().split('?').next().unwrap_or("").to_string();
        let is_get = matches!(
            request.method(),
            tiny_http::Method::Get | tiny_http::Method::Head
        );
        let (status, content_type, body) = if !is_get {
            (
                405,
                "text/plain; charset=utf-8",
                "method not allowed\n".to_string(),
            )
        } else if path == "/" || path == "/index.html" {
            match generate(location, current) {
                Ok(html) => (200, "text/html; charset=utf-8", html),
                Err(e) => {
                    let text = crate::util::redact::redact_text(&format!("{e:#}"));
                    printer.error(format_args!("{text}"));
                    (500, "text/plain; charset=utf-8", format!("{text}\n"))
                }
            }
        } else {
            (404, "text/plain; charset=utf-8", "not found\n".to_string())
        };
        tracing::debug!("{} {path} -> {status}", request.method());
        let mut response = tiny_http::Response::from_string(body).with_status_code(status);
        for (name, value) in [
            ("Content-Type", content_type),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", csp.as_str()),
        ] {
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        if let Err(e) = request.respond(response) {
            tracing::debug!("could not answer a request: {e}");
        }
    }
    Ok(ExitStatus::Success)
}
