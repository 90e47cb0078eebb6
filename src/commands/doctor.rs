//! `wheelwatch doctor`: the runbook's system check. For the primary Python (configured, else
//! `python3` on PATH) and each fallback: found, version, usable, pip ≥ 23.0, venv support,
//! `Python.h`; then build tools (a C compiler), a Rust toolchain (many sdists need one), free
//! disk space where the venv goes, and the index's reachability and latency through the crate's
//! index client (with proxy variables in use, credentials removed; skipped with `--offline` or
//! `--no-index`). Exit 0 when the primary or a fallback is ready (usable and able to create a
//! venv with pip) and the index answers; 1 otherwise; every failure carries a hint.
//!
//! Interpreters come from the probe cache (one probe per interpreter, shims resolved without
//! running them), and every check that waits on a process or the network runs in parallel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;
use pep440_rs::Version;
use serde::Serialize;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::python::{CacheUse, FindOptions, Interpreter, PythonRequest, discover::which_in};
use crate::settings::{CheckSettings, DoctorSettings, Format, ValueSource};
use crate::util::process::run_with_timeout;

/// Disk space a fallback venv with a typical scientific stack needs, roughly.
const NEEDED_DISK_BYTES: u64 = 500 * 1024 * 1024;
/// The oldest pip the fallback commands rely on.
const MIN_PIP: &str = "23.0";
const INDEX_TIMEOUT: Duration = Duration::from_secs(5);
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

/// A check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Level {
    Ok,
    Warn,
    Fail,
    Skip,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Fail => "FAIL",
            Self::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
struct Check {
    section: String,
    name: String,
    status: Level,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

/// One interpreter role's findings.
#[derive(Clone, Debug, Serialize)]
struct InterpreterReport {
    role: &'static str,
    request: String,
    request_source: String,
    found: bool,
    /// Found, probed and able to create a venv.
    usable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_venv: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_threaded: Option<bool>,
    /// From `python -m pip --version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pip_version: Option<String>,
    pip_ok: bool,
    venv_ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    python_h: Option<PathBuf>,
    python_h_present: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct Report {
    ok: bool,
    exit_code: u8,
    interpreters: Vec<InterpreterReport>,
    checks: Vec<Check>,
    proxies: Vec<Proxy>,
}

/// A proxy variable in use, credentials removed.
#[derive(Serialize)]
struct Proxy {
    name: String,
    value: String,
}

/// Runs `wheelwatch doctor`.
pub(crate) fn run(doctor: DoctorSettings, printer: Printer) -> Result<ExitStatus> {
    let DoctorSettings {
        check: settings,
        format,
    } = doctor;
    let mut options = FindOptions::default();
    // Probes are cached by the executable's path, mtime and size and invalidated when its
    // site-packages or pyvenv.cfg changes, so the doctor reuses them like every command.
    options.probe.cache_dir = Some(settings.index.cache_dir.value.clone());
    options.probe.cache = if settings.index.cache_mode == crate::settings::CacheMode::NoCache {
        CacheUse::Off
    } else {
        CacheUse::ReadWrite
    };

    let (primary, primary_source) = settings.primary.as_ref().map_or_else(
        || {
            (
                "python3".to_string(),
                "default: python3 on PATH".to_string(),
            )
        },
        |p| (p.value.clone(), p.source.to_string()),
    );
    let fallback_source = match &settings.fallbacks.source {
        ValueSource::Default => "default".to_string(),
        s => s.to_string(),
    };
    let mut roles: Vec<(&'static str, &str, &str)> = vec![("primary", &primary, &primary_source)];
    roles.extend(
        settings
            .fallbacks
            .value
            .iter()
            .map(|f| ("fallback", f.as_str(), fallback_source.as_str())),
    );
    let proxies = proxy_vars();
    // Every check that waits on a process or the network runs at once; the report keeps
    // its order.
    let (found, rust, index) = std::thread::scope(|s| {
        let index = s.spawn(|| check_index(&settings, &proxies));
        let rust = s.spawn(|| check_rust(&options));
        let found: Vec<_> = roles
            .iter()
            .map(|&(role, request, source)| {
                let options = &options;
                s.spawn(move || {
                    let mut checks = Vec::new();
                    let report = check_interpreter(role, request, source, options, &mut checks);
                    (report, checks)
                })
            })
            .collect();
        let found: Vec<_> = found.into_iter().map(join).collect();
        (found, join(rust), join(index))
    });
    let mut checks = Vec::new();
    let mut interpreters = Vec::new();
    for (report, found_checks) in found {
        interpreters.push(report);
        checks.extend(found_checks);
    }
    check_build_tools(&options, &mut checks);
    checks.extend(rust);
    check_disk(&settings.venv.value, &mut checks);
    let index_failed = index.iter().any(|c| c.status == Level::Fail);
    checks.extend(index);

    let ok = interpreters.iter().any(|i| i.usable) && !index_failed;
    let status = if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Unhealthy
    };
    let report = Report {
        ok,
        exit_code: status.code(),
        interpreters,
        checks,
        proxies,
    };
    let mut out = printer.stdout();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        Format::Table => render_table(&mut out, &report, false)?,
        Format::Markdown => render_table(&mut out, &report, true)?,
    }
    out.flush()?;
    Ok(status)
}

fn check(
    section: &str,
    name: impl Into<String>,
    status: Level,
    detail: impl Into<String>,
) -> Check {
    Check {
        section: section.to_string(),
        name: name.into(),
        status,
        detail: detail.into(),
        hint: None,
    }
}

impl Check {
    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

fn check_interpreter(
    role: &'static str,
    request_text: &str,
    request_source: &str,
    options: &FindOptions,
    checks: &mut Vec<Check>,
) -> InterpreterReport {
    let section = format!("{role} {request_text}");
    let mut report = InterpreterReport {
        role,
        request: request_text.to_string(),
        request_source: request_source.to_string(),
        found: false,
        usable: false,
        path: None,
        version: None,
        source: None,
        is_venv: None,
        free_threaded: None,
        pip_version: None,
        pip_ok: false,
        venv_ok: false,
        python_h: None,
        python_h_present: false,
        error: None,
    };
    let request: PythonRequest = match request_text.parse() {
        Ok(r) => r,
        Err(e) => {
            checks.push(
                check(&section, "interpreter", Level::Fail, e.to_string())
                    .hint(format!("fix the {role} setting ({request_source})")),
            );
            report.error = Some(e.to_string());
            return report;
        }
    };
    let interp = match crate::python::find(&request, options) {
        Ok(i) => i,
        Err(e) => {
            let text = e.to_string();
            let detail = text.split("\n  hint: ").next().unwrap_or(&text).to_string();
            checks.push(check(&section, "interpreter", Level::Fail, detail).hint(e.hint.clone()));
            report.error = Some(text);
            return report;
        }
    };
    report.found = true;
    report.path = Some(interp.path.clone());
    report.version = Some(interp.version_label());
    report.source = Some(interp.source.label().to_string());
    report.is_venv = Some(interp.is_venv);
    report.free_threaded = Some(interp.free_threaded);
    checks.push(check(
        &section,
        "interpreter",
        Level::Ok,
        format!(
            "{} {} at {} ({}{})",
            interp.implementation,
            interp.version_label(),
            interp.path.display(),
            interp.source.label(),
            if interp.is_venv { ", a venv" } else { "" }
        ),
    ));

    // pip as the interpreter imports it (the probe's answer, kept fresh by the probe cache,
    // which watches site-packages).
    let pip = match &interp.pip_version {
        None => Err("pip is not importable".to_string()),
        Some(text) => text
            .parse::<Version>()
            .map_err(|_| format!("pip reports an unparseable version `{text}`")),
    };
    match &pip {
        Ok(v) => {
            report.pip_version = Some(v.to_string());
            let min: Version = MIN_PIP.parse().unwrap_or_else(|_| Version::new([23, 0]));
            if *v >= min {
                report.pip_ok = true;
                checks.push(check(&section, "pip", Level::Ok, format!("pip {v}")));
            } else {
                checks.push(
                    check(&section, "pip", Level::Warn, format!("pip {v} is older than {MIN_PIP}"))
                        .hint(format!(
                            "run `{} -m pip install --upgrade pip` (new venvs can be upgraded the same way)",
                            interp.path.display()
                        )),
                );
            }
        }
        Err(why) => checks.push(
            check(&section, "pip", Level::Warn, why.clone()).hint(format!(
                "run `{} -m ensurepip --upgrade`, or install pip with your package manager",
                interp.path.display()
            )),
        ),
    }

    // venv support: the module and ensurepip (Debian splits them into python3.X-venv).
    report.venv_ok = interp.has_venv && interp.has_ensurepip;
    if report.venv_ok {
        checks.push(check(
            &section,
            "venv",
            Level::Ok,
            "venv and ensurepip available",
        ));
    } else {
        let missing = if interp.has_venv { "ensurepip" } else { "venv" };
        let mm = minor_of(&interp);
        checks.push(
            check(&section, "venv", Level::Fail, format!("the `{missing}` module is not available"))
                .hint(format!(
                    "on Debian/Ubuntu: `apt install python{mm}-venv`; otherwise reinstall Python with venv support"
                )),
        );
    }

    // Python.h for building sdists.
    if let Some(h) = interp.python_h() {
        report.python_h_present = h.is_file();
        report.python_h = Some(h.clone());
        if report.python_h_present {
            checks.push(check(
                &section,
                "Python.h",
                Level::Ok,
                h.display().to_string(),
            ));
        } else {
            let mm = minor_of(&interp);
            checks.push(
                check(&section, "Python.h", Level::Warn, format!("missing: {}", h.display()))
                    .hint(format!(
                        "sdists with C extensions cannot build; install the headers (Debian/Ubuntu: `apt install python{mm}-dev`, Fedora: `dnf install python3-devel`)"
                    )),
            );
        }
    } else {
        checks.push(check(
            &section,
            "Python.h",
            Level::Skip,
            "the include directory is unknown",
        ));
    }
    report.usable = report.venv_ok;
    report
}

fn minor_of(interp: &Interpreter) -> String {
    let r = interp.version.release();
    format!(
        "{}.{}",
        r.first().copied().unwrap_or(3),
        r.get(1).copied().unwrap_or(0)
    )
}

fn check_build_tools(options: &FindOptions, checks: &mut Vec<Check>) {
    let path = options.env.path.as_deref();
    let names: &[&str] = if cfg!(windows) {
        &["cl", "gcc", "clang"]
    } else {
        &["cc", "gcc", "clang"]
    };
    let found: Vec<String> = names
        .iter()
        .filter_map(|n| which_in(n, path).map(|p| format!("{n} ({})", p.display())))
        .collect();
    if found.is_empty() {
        let hint = if cfg!(windows) {
            "install the Visual Studio Build Tools (C++ workload)"
        } else if cfg!(target_os = "macos") {
            "run `xcode-select --install`"
        } else {
            "install a C compiler (Debian/Ubuntu: `apt install build-essential`, Fedora: `dnf install gcc`)"
        };
        checks.push(
            check(
                "build tools",
                "C compiler",
                Level::Warn,
                "no C compiler on PATH; sdists with C extensions cannot build",
            )
            .hint(hint),
        );
    } else {
        checks.push(check(
            "build tools",
            "C compiler",
            Level::Ok,
            found.join(", "),
        ));
    }
}

fn tool_version(path: &Path) -> Option<String> {
    let out = run_with_timeout(Command::new(path).arg("--version"), TOOL_TIMEOUT).ok()?;
    (out.status == Some(0)).then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Joins a scoped thread; a panic there is re-raised here.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn check_rust(options: &FindOptions) -> Vec<Check> {
    let path = options.env.path.as_deref();
    let rust_check = |tool: &str| match which_in(tool, path) {
        Some(p) => match tool_version(&p) {
            Some(v) => check("rust", tool, Level::Ok, v),
            None => check(
                "rust",
                tool,
                Level::Warn,
                format!("{} does not run", p.display()),
            )
            .hint("repair the Rust toolchain (`rustup default stable`)"),
        },
        None => check(
            "rust",
            tool,
            Level::Warn,
            format!("no `{tool}` on PATH; sdists with Rust extensions cannot build"),
        )
        .hint("install a Rust toolchain with rustup or your package manager"),
    };
    std::thread::scope(|s| {
        let rustc = s.spawn(|| rust_check("rustc"));
        let cargo = rust_check("cargo");
        vec![join(rustc), cargo]
    })
}

fn existing_ancestor(path: &Path) -> Option<&Path> {
    path.ancestors().find(|p| p.exists())
}

#[cfg(unix)]
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> std::io::Result<u64> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "free space is not measured on this platform",
    ))
}

fn human_bytes(n: u64) -> String {
    let gib = n as f64 / (1024.0 * 1024.0 * 1024.0);
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.0} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

fn check_disk(venv: &Path, checks: &mut Vec<Check>) {
    let Some(dir) = existing_ancestor(venv) else {
        checks.push(check(
            "disk",
            "free space",
            Level::Skip,
            format!("no existing directory above {}", venv.display()),
        ));
        return;
    };
    match free_bytes(dir) {
        Ok(free) if free >= NEEDED_DISK_BYTES => checks.push(check(
            "disk",
            "free space",
            Level::Ok,
            format!("{} free at {} (venv: {}; about {} needed)", human_bytes(free), dir.display(), venv.display(), human_bytes(NEEDED_DISK_BYTES)),
        )),
        Ok(free) => checks.push(
            check(
                "disk",
                "free space",
                Level::Warn,
                format!("only {} free at {} (venv: {}; about {} needed)", human_bytes(free), dir.display(), venv.display(), human_bytes(NEEDED_DISK_BYTES)),
            )
            .hint("free some space or point the venv elsewhere (`venv` in wheelwatch.toml or WHEELWATCH_VENV)"),
        ),
        Err(e) => checks.push(check("disk", "free space", Level::Skip, format!("could not measure at {}: {e}", dir.display()))),
    }
}

fn proxy_vars() -> Vec<Proxy> {
    let mut out = Vec::new();
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        if let Some(v) = std::env::var(name).ok().filter(|v| !v.is_empty()) {
            let shown = if name.eq_ignore_ascii_case("no_proxy") {
                v
            } else {
                crate::util::redact::redact_url(&v)
            };
            out.push(Proxy {
                name: name.to_string(),
                value: shown,
            });
        }
    }
    out
}

fn check_index(settings: &CheckSettings, proxies: &[Proxy]) -> Vec<Check> {
    let mut checks = Vec::new();
    if !proxies.is_empty() {
        let list: Vec<String> = proxies
            .iter()
            .map(|p| format!("{}={}", p.name, p.value))
            .collect();
        checks.push(check("index", "proxy", Level::Ok, list.join(", ")));
    }
    let idx = &settings.index;
    if idx.no_index {
        checks.push(check(
            "index",
            "reachability",
            Level::Skip,
            "--no-index: no index is used",
        ));
        return checks;
    }
    if idx.cache_mode == crate::settings::CacheMode::Offline {
        checks.push(check(
            "index",
            "reachability",
            Level::Skip,
            "--offline: not checked; `check` answers from the cache only",
        ));
        return checks;
    }
    // The index `check` would use: flags and configuration, then pip's configuration.
    let env = |name: &str| std::env::var(name).ok();
    let mut index_settings = idx.index_settings(
        &crate::requirements::FileIndexOptions::default(),
        &crate::index::pip_configuration(&env),
    );
    index_settings.timeout = index_settings.timeout.min(INDEX_TIMEOUT);
    let shown = crate::util::redact::redact_url(&index_settings.index_url);
    let answer = crate::index::IndexClient::new(index_settings)
        .map_err(|e| e.to_string())
        .and_then(|client| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(client.ping())
                .map_err(|e| e.to_string())
        });
    checks.push(match answer {
        Ok((status, latency)) if status < 400 => check(
            "index",
            "reachability",
            Level::Ok,
            format!("{shown}: HTTP {status} in {} ms", latency.as_millis()),
        ),
        // Some indexes list no projects at their root; project pages may still answer.
        Ok((status @ (404 | 405), latency)) => check(
            "index",
            "reachability",
            Level::Warn,
            format!("{shown}: HTTP {status} in {} ms", latency.as_millis()),
        )
        .hint("the index answered but has no root page; check the index URL if `check` fails"),
        Ok((status, latency)) => check(
            "index",
            "reachability",
            Level::Fail,
            format!("{shown}: HTTP {status} in {} ms", latency.as_millis()),
        )
        .hint(if status == 401 || status == 403 {
            "the index refused the request: check credentials (netrc, keyring, or the URL)"
        } else {
            "check the index URL (`wheelwatch config` shows where it comes from)"
        }),
        Err(e) => check("index", "reachability", Level::Fail, e).hint(
            "check the network, proxy variables and the index URL; `--offline` uses only the cache",
        ),
    });
    checks
}

fn render_table(out: &mut impl Write, report: &Report, markdown: bool) -> Result<()> {
    if markdown {
        writeln!(out, "| check | status | detail |")?;
        writeln!(out, "|---|---|---|")?;
        for c in &report.checks {
            let hint = c
                .hint
                .as_ref()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default();
            writeln!(
                out,
                "| {}: {} | {} | {}{} |",
                c.section,
                c.name,
                c.status.label(),
                c.detail.replace('\n', " ").replace('|', "\\|"),
                hint.replace('|', "\\|")
            )?;
        }
    } else {
        let name_width = report
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut section = "";
        for c in &report.checks {
            if c.section != section {
                section = &c.section;
                writeln!(out, "{section}")?;
            }
            let mut lines = c.detail.lines();
            writeln!(
                out,
                "  {:<4}  {:<name_width$}  {}",
                c.status.label(),
                c.name,
                lines.next().unwrap_or("")
            )?;
            for more in lines {
                writeln!(
                    out,
                    "  {:<4}  {:<name_width$}  {}",
                    "",
                    "",
                    more.trim_start()
                )?;
            }
            if let Some(h) = &c.hint {
                writeln!(out, "  {:<4}  {:<name_width$}  hint: {h}", "", "")?;
            }
        }
    }
    writeln!(out)?;
    let usable: Vec<String> = report
        .interpreters
        .iter()
        .filter(|i| i.usable)
        .map(|i| format!("{} {}", i.role, i.version.clone().unwrap_or_default()))
        .collect();
    if report.ok {
        writeln!(out, "verdict: ready ({}) — exit 0", usable.join(", "))?;
    } else if !usable.is_empty() {
        writeln!(
            out,
            "verdict: the index cannot be reached, so `check` cannot run ({} usable) — exit 1",
            usable.join(", ")
        )?;
    } else {
        writeln!(
            out,
            "verdict: no usable interpreter (neither the primary nor a fallback can create a venv) — exit 1"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_never_shown() {
        assert_eq!(
            crate::util::redact::redact_url("https://user:s3cret@example.invalid/simple/"),
            "https://***@example.invalid/simple/"
        );
        assert_eq!(
            crate::util::redact::redact_url("user:s3cret@proxy.invalid:3128"),
            "***@proxy.invalid:3128"
        );
        assert_eq!(
            crate::util::redact::redact_url("http://proxy.invalid:3128"),
            "http://proxy.invalid:3128"
        );
        assert!(!crate::util::redact::redact_url("token@weird value").contains("token"));
    }
}
