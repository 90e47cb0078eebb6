//! The dashboard page: one self-contained HTML document (inline CSS, inline SVG, a little
//! inline JavaScript), readable with JavaScript off, and light, dark and print styles.
//!
//! # Escaping
//!
//! Every text that comes from the store (package names, requirements, reasons, versions,
//! wheel file names, errors, event details, project names and locations) is written through
//! [`esc`], and only into element content or double-quoted attribute values: never into
//! `<script>`, `<style>`, a URL or an unquoted attribute, the contexts where entity escaping
//! is not enough. For those two contexts, replacing the five characters `& < > " '` is the
//! whole job, so it is one small function here (unit-tested below, and by the browser test's
//! hostile package) rather than a dependency.
//!
//! A Content-Security-Policy in the page allows only its own inline style and script (by
//! SHA-256 hash) and `data:` images: nothing is fetched from anywhere, and if some text ever
//! escaped the escaping, a script it injected would not run.

use std::fmt::{self, Write as _};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::model::{
    GridCell, MAX_RUNS_SHOWN, Page, ProjectView, TargetView, event_words, verdict_words,
};
use super::svg;
use crate::history::{Change, ChangeKind, RunRecord, RunResult};

/// Text escaped for HTML element content and double-quoted attribute values.
pub(crate) struct Esc<'a>(&'a str);

/// `text`, escaped when displayed: `&`, `<`, `>`, `"` and `'` become entities.
pub(crate) fn esc(text: &str) -> Esc<'_> {
    Esc(text)
}

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

const CSS: &str = include_str!("dashboard.css");
const JS: &str = include_str!("dashboard.js");

fn sha256_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// The Content-Security-Policy of the page (also sent as a header by `--serve`).
pub(crate) fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        sha256_base64(CSS),
        sha256_base64(JS)
    )
}

/// Longest error or reason shown in a table cell, in characters.
const MAX_CELL_CHARS: usize = 300;

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The whole document.
pub(crate) fn page(page: &Page) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = page
        .projects
        .get(page.current)
        .map_or_else(String::new, |p| format!(" · {}", p.name));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"wheelwatch {}\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>wheelwatch dashboard{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&content_security_policy()),
        esc(&page.tool_version),
        esc(&title),
    );
    out.push_str("<header class=\"top\">\n<h1>wheelwatch dashboard</h1>\n");
    if page.projects.len() > 1 {
        out.push_str(
            "<nav class=\"picker\" aria-label=\"Projects\">\n\
             <label class=\"js-only\" hidden>Project \
             <select id=\"project-picker\">",
        );
        for (i, p) in page.projects.iter().enumerate() {
            let _ = write!(
                out,
                "<option value=\"project-{i}\"{}>{} ({})</option>",
                if i == page.current { " selected" } else { "" },
                esc(&p.name),
                esc(&p.location)
            );
        }
        out.push_str("</select></label>\n<ul class=\"project-links no-js\">");
        for (i, p) in page.projects.iter().enumerate() {
            let _ = write!(
                out,
                "<li><a href=\"#project-{i}\">{}</a> <span class=\"muted\">{}</span></li>",
                esc(&p.name),
                esc(&p.location)
            );
        }
        out.push_str("</ul>\n</nav>\n");
    }
    out.push_str(
        "<button type=\"button\" id=\"theme-toggle\" class=\"js-only\" hidden>Theme: auto</button>\n\
         </header>\n<main>\n",
    );
    if page.projects.is_empty() {
        out.push_str(
            "<section class=\"empty\"><p>No runs recorded yet. Record one with \
             <code>wheelwatch check --record</code>.</p></section>\n",
        );
    }
    for (i, p) in page.projects.iter().enumerate() {
        project(&mut out, p, i);
    }
    let _ = write!(
        out,
        "</main>\n<footer>Generated by wheelwatch {} at {} from {}.</footer>\n\
         <script>{JS}</script>\n</body>\n</html>\n",
        esc(&page.tool_version),
        esc(&page.generated),
        esc(&page.store),
    );
    out
}

fn project(out: &mut String, p: &ProjectView, i: usize) {
    let _ = write!(
        out,
        "<section class=\"project\" id=\"project-{i}\" data-project=\"{}\">\n\
         <h2>{} <small class=\"muted\">{}</small></h2>\n",
        esc(&p.name),
        esc(&p.name),
        esc(&p.location),
    );
    verdict(out, p);
    targets(out, p, i);
    trends(out, p, i);
    grid(out, p);
    blockers(out, p);
    downgrades(out, p);
    runs(out, p, i);
    events(out, p);
    out.push_str("</section>\n");
}

fn run_when(run: &RunRecord) -> String {
    svg::when(run.epoch, true) + " UTC"
}

fn verdict(out: &mut String, p: &ProjectView) {
    let key = match (&p.latest_ok, &p.newest) {
        (Some(ok), _) => ok.verdict.clone().unwrap_or_default(),
        (None, Some(_)) => "assessment_failed".to_string(),
        (None, None) => String::new(),
    };
    let _ = write!(
        out,
        "<section class=\"verdict v-{}\">\n\
         <h3>Verdict</h3>\n<p class=\"verdict-word\" data-verdict=\"{}\">{}</p>\n",
        esc(&key),
        esc(&key),
        esc(&verdict_words(&key)),
    );
    if let Some(ok) = &p.latest_ok {
        let healthy_fallback = p
            .targets
            .iter()
            .find(|t| t.role == "fallback" && t.healthy)
            .map(|t| t.name.clone());
        let _ = write!(
            out,
            "<p>From run {} ({}, <code>{}</code>), {}.",
            ok.id,
            run_when(ok),
            esc(&ok.command),
            plural(p.targets.len(), "target", "targets"),
        );
        if key == "fallback_available"
            && let Some(name) = healthy_fallback
        {
            let _ = write!(out, " The first healthy fallback is {}.", esc(&name));
        }
        out.push_str("</p>\n");
    }
    if let Some(newest) = &p.newest
        && newest.result == RunResult::Failed
    {
        let _ = writeln!(
            out,
            "<p class=\"outage\"><strong>The newest run ({}, {}) failed</strong>: {}. \
             An index that cannot answer is never taken for a missing wheel, so the verdict \
             above is from the last run that could assess.</p>",
            newest.id,
            run_when(newest),
            esc(&clip(newest.error.as_deref().unwrap_or("no verdict"))),
        );
    }
    match &p.diff {
        Some(d) => {
            let _ = write!(
                out,
                "<p class=\"since\">Since run {} ({} UTC): ",
                d.run_before,
                esc(&d.timestamp_before.replace('T', " ").replace('Z', ""))
            );
            if d.verdict_changed {
                let _ = write!(
                    out,
                    "the verdict changed from <b>{}</b> to <b>{}</b>; ",
                    esc(&verdict_words(
                        d.verdict_before.as_deref().unwrap_or("none")
                    )),
                    esc(&verdict_words(d.verdict_after.as_deref().unwrap_or("none"))),
                );
            } else {
                out.push_str("the verdict is unchanged; ");
            }
            let _ = writeln!(out, "{}.</p>", plural(d.changes.len(), "change", "changes"));
        }
        None if p.latest_ok.is_some() => {
            out.push_str("<p class=\"since\">The only successful run so far.</p>\n");
        }
        None => {}
    }
    let _ = write!(
        out,
        "<p class=\"muted\">{} recorded, {} failed.</p>\n</section>\n",
        plural(p.runs_total, "run", "runs"),
        p.failed_total
    );
}

fn change_words(c: &Change) -> String {
    let what = match c.kind {
        ChangeKind::HealthChanged => "health",
        ChangeKind::BlockerAppeared => "new blocker",
        ChangeKind::BlockerGone => "blocker gone",
        ChangeKind::WheelGained => "wheel gained",
        ChangeKind::WheelLost => "wheel lost",
        ChangeKind::StatusChanged => "status",
        ChangeKind::VersionChanged => "version",
        ChangeKind::PackageAdded => "added",
        ChangeKind::PackageRemoved => "removed",
    };
    let mut text = what.to_string();
    if let Some(p) = &c.package {
        text.push(' ');
        text.push_str(p);
    }
    match (&c.before, &c.after) {
        (Some(b), Some(a)) => {
            let _ = write!(text, ": {b} → {a}");
        }
        (None, Some(a)) => {
            let _ = write!(text, ": {a}");
        }
        (Some(b), None) => {
            let _ = write!(text, ": was {b}");
        }
        (None, None) => {}
    }
    if let Some(d) = &c.detail
        && !d.is_empty()
    {
        text.push_str(" — ");
        text.push_str(d);
    }
    text
}

fn target_card(out: &mut String, t: &TargetView) {
    let health = if t.healthy { "healthy" } else { "unhealthy" };
    let _ = write!(
        out,
        "<li class=\"target {health}\" data-target=\"{}\">\n<h4>{}</h4>\n\
         <p><span class=\"role\">{}</span> <span class=\"health\">{health}</span></p>\n<dl>",
        esc(&t.name),
        esc(&t.name),
        esc(&t.role),
    );
    if let Some(tree) = t.tree_wheel_share {
        let _ = write!(out, "<dt>wheel share (tree)</dt><dd>{}</dd>", percent(tree));
    }
    let _ = writeln!(
        out,
        "<dt>wheel share (direct)</dt><dd>{}</dd><dt>blockers</dt><dd>{}</dd></dl>",
        percent(t.wheel_share),
        t.blockers
    );
    if t.is_new {
        out.push_str("<p class=\"changes-none\">New since the previous run.</p>\n");
    } else if t.changes.is_empty() {
        out.push_str("<p class=\"changes-none\">No change since the previous run.</p>\n");
    } else {
        out.push_str("<ul class=\"changes\">");
        for c in &t.changes {
            let _ = write!(
                out,
                "<li class=\"c-{}\">{}</li>",
                c.kind.key(),
                esc(&clip(&change_words(c)))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</li>\n");
}

fn targets(out: &mut String, p: &ProjectView, _i: usize) {
    if p.targets.is_empty() {
        return;
    }
    out.push_str("<section class=\"targets\">\n<h3>Targets</h3>\n<ul class=\"cards\">\n");
    for t in &p.targets {
        target_card(out, t);
    }
    out.push_str("</ul>\n</section>\n");
}

fn trends(out: &mut String, p: &ProjectView, i: usize) {
    if p.charts.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"trends\">\n<h3>Trends</h3>\n<p class=\"muted legend\">Wheel share \
         (of the whole tree where it was resolved) and blockers per run. Marks: \
         <span class=\"key mk-fallback\">fallback</span> \
         <span class=\"key mk-promotion\">promotion</span> \
         <span class=\"key mk-reset\">reset</span> \
         <span class=\"key mk-outage\">failed run (outage)</span>.",
    );
    if p.charts.iter().any(|c| c.aggregated) {
        out.push_str(
            " Long histories are drawn in stretches of time: each point is the mean of its \
             runs, the band their lowest and highest share.",
        );
    }
    out.push_str("</p>\n");
    for (n, c) in p.charts.iter().enumerate() {
        let _ = write!(
            out,
            "<figure class=\"trend\" data-target=\"{}\">\n<figcaption>{} <span class=\"role\">{}</span></figcaption>\n",
            esc(&c.target),
            esc(&c.target),
            esc(&c.role)
        );
        svg::chart(out, c, &format!("p{i}-chart-{n}"));
        out.push_str("\n</figure>\n");
    }
    out.push_str("</section>\n");
}

fn cell(out: &mut String, c: Option<&GridCell>) {
    let Some(c) = c else {
        out.push_str("<td class=\"cell s-none\" data-status=\"\">–</td>");
        return;
    };
    let mark = match c.status.as_str() {
        "wheel" => "✓",
        "excluded" | "not_assessed" => "·",
        _ => "✗",
    };
    let _ = write!(
        out,
        "<td class=\"cell s-{}\" data-status=\"{}\" title=\"{}\">{mark} {}<span class=\"st\">{}</span></td>",
        esc(&c.status),
        esc(&c.status),
        esc(&clip(&c.reason)),
        esc(c.version.as_deref().unwrap_or("")),
        esc(&c.status.replace('_', " ")),
    );
}

fn grid(out: &mut String, p: &ProjectView) {
    if p.grid.rows.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"matrix\">\n<h3>Packages × targets</h3>\n\
         <p class=\"muted\">The newest successful run: the version that installs and how.</p>\n\
         <div class=\"scroll\"><table class=\"grid\">\n<thead><tr><th scope=\"col\">package</th>",
    );
    for t in &p.grid.targets {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(t));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &p.grid.rows {
        let _ = write!(
            out,
            "<tr data-package=\"{}\"><th scope=\"row\" title=\"{}\">{}</th>",
            esc(&row.package),
            esc(&row.requirement),
            esc(&row.package),
        );
        for c in &row.cells {
            cell(out, c.as_ref());
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

fn blockers(out: &mut String, p: &ProjectView) {
    if p.latest_ok.is_none() {
        return;
    }
    out.push_str("<section class=\"blockers\">\n<h3>Blockers</h3>\n");
    if p.blockers.is_empty() {
        out.push_str("<p>None: every target has a wheel-only install.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table class=\"blockers-table\">\n<thead><tr><th>target</th><th>package</th>\
         <th>version</th><th>dependency paths</th><th>newest with a wheel</th><th>why</th></tr></thead>\n<tbody>\n",
    );
    for b in &p.blockers {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><ul class=\"paths\">",
            esc(&b.target),
            esc(&b.name),
            esc(&b.version)
        );
        for path in &b.paths {
            let _ = write!(out, "<li>{}</li>", esc(&path.join(" → ")));
        }
        let _ = writeln!(
            out,
            "</ul></td><td>{}</td><td>{}</td></tr>",
            esc(b.newest_with_wheel.as_deref().unwrap_or("none")),
            esc(&clip(&b.reason))
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

fn downgrades(out: &mut String, p: &ProjectView) {
    if p.downgrades.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"downgrades\">\n<h3>Downgrades</h3>\n<p class=\"muted\">Packages a \
         wheel-only install takes at an older version.</p>\n<div class=\"scroll\"><table>\n\
         <thead><tr><th>target</th><th>package</th><th>default</th><th>wheel-only</th><th>why</th></tr></thead>\n<tbody>\n",
    );
    for d in &p.downgrades {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.target),
            esc(&d.name),
            esc(&d.from),
            esc(&d.to),
            esc(&clip(&d.reason))
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

fn runs(out: &mut String, p: &ProjectView, i: usize) {
    if p.runs.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<section class=\"runs\">\n<h3>Runs</h3>\n\
         <p class=\"js-only filter\" hidden><label>Filter <input type=\"search\" \
         data-table=\"p{i}-runs\" placeholder=\"verdict, command, error…\"></label> \
         <span class=\"count\" aria-live=\"polite\"></span></p>\n"
    );
    if p.runs_total > p.runs.len() {
        let _ = writeln!(
            out,
            "<p class=\"muted\">The newest {MAX_RUNS_SHOWN} of {} runs (the trends include \
             all of them; <code>wheelwatch history list</code> lists every one).</p>",
            p.runs_total
        );
    }
    let _ = write!(
        out,
        "<div class=\"scroll\"><table class=\"sortable runs-table\" id=\"p{i}-runs\">\n<thead><tr>\
         <th data-type=\"num\">run</th><th data-type=\"num\">time (UTC)</th><th>command</th>\
         <th>result</th><th>verdict</th><th data-type=\"num\">ms</th>\
         <th data-type=\"num\">requests</th><th data-type=\"num\">cache hits</th><th>error</th>\
         </tr></thead>\n<tbody>\n"
    );
    for r in &p.runs {
        let result = match r.result {
            RunResult::Ok => "ok",
            RunResult::Failed => "failed",
        };
        let _ = writeln!(
            out,
            "<tr class=\"r-{result}\" data-run=\"{}\"><td>{}</td><td data-v=\"{}\">{}</td><td>{}</td>\
             <td>{result}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.id,
            r.id,
            r.epoch,
            svg::when(r.epoch, true),
            esc(&r.command),
            esc(&verdict_words(r.verdict.as_deref().unwrap_or(
                match r.result {
                    RunResult::Ok => "",
                    RunResult::Failed => "assessment_failed",
                }
            ))),
            r.duration_ms,
            r.requests,
            r.cache_hits,
            esc(&clip(r.error.as_deref().unwrap_or(""))),
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

fn events(out: &mut String, p: &ProjectView) {
    out.push_str("<section class=\"events\">\n<h3>Events</h3>\n");
    if p.events.is_empty() {
        out.push_str("<p>No lifecycle events recorded.</p>\n</section>\n");
        return;
    }
    if p.events_total > p.events.len() {
        let _ = writeln!(
            out,
            "<p class=\"muted\">The newest {} of {} events.</p>",
            p.events.len(),
            p.events_total
        );
    }
    out.push_str("<ol class=\"timeline\">\n");
    for e in &p.events {
        let words = event_words(e);
        let _ = write!(
            out,
            "<li class=\"ev k-{}\"><time datetime=\"{}\">{}</time> <b>{}</b>",
            esc(&e.kind),
            esc(&e.timestamp),
            svg::when(e.epoch, true),
            esc(&e.kind.replace('_', " ")),
        );
        if !words.is_empty() {
            let _ = write!(out, " <span class=\"words\">{}</span>", esc(&clip(&words)));
        }
        if let Some(run) = e.run_id {
            let _ = write!(out, " <span class=\"muted\">(run {run})</span>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters_and_nothing_else() {
        assert_eq!(
            esc("<script>alert('x&y')</script> \"q\" é → ✓").to_string(),
            "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt; &quot;q&quot; é → ✓"
        );
        assert_eq!(esc("").to_string(), "");
        assert_eq!(esc("plain").to_string(), "plain");
        assert_eq!(esc("&amp;").to_string(), "&amp;amp;");
    }

    #[test]
    fn clips_long_text_on_a_character_boundary() {
        let long = "é".repeat(MAX_CELL_CHARS + 5);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_CELL_CHARS + 1);
        assert!(clipped.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }
}
