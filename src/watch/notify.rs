//! Delivering alerts without ever blocking the loop: [`Notifier::send`] puts a run's alerts on
//! a bounded queue (full: they are dropped with a warning) that one worker thread drains. Each
//! `--notify` URL gets one POST per run with every alert of that run: an Alertmanager-shaped
//! webhook payload ([`alertmanager_payload`]), or Slack's `text`/`blocks`
//! ([`slack_payload`], with Slack's `&`, `<`, `>` escaping) when the URL is a Slack incoming
//! webhook. Each POST has a timeout and is retried (3 attempts, backing off); a URL that
//! refuses, answers 5xx or hangs costs the worker time, never the loop. `--notify-command`
//! runs its program (argv, no shell, through [`crate::util::process`]) once per alert with the
//! alert as JSON on stdin.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::events::Alert;
use crate::printer::Printer;
use crate::settings::NotifySettings;

/// Runs whose alerts may wait for the worker; more are dropped with a warning.
const QUEUE: usize = 64;
/// Attempts per POST.
const ATTEMPTS: u32 = 3;

/// Whether `url` is a Slack incoming webhook.
pub(crate) fn is_slack(url: &url::Url) -> bool {
    url.host_str() == Some("hooks.slack.com") && url.path().starts_with("/services/")
}

fn fingerprint(labels: &Value) -> String {
    let digest = Sha256::digest(labels.to_string().as_bytes());
    digest.iter().take(8).fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The generic payload, shaped like Alertmanager's webhook (version 4): `status`, `receiver`,
/// `groupLabels`, `commonLabels`, `alerts[]` each with `labels`, `annotations`, `startsAt`,
/// `endsAt`, `fingerprint`; wheelwatch's own fields under `annotations` and in `wheelwatch`.
pub(crate) fn alertmanager_payload(alerts: &[Alert]) -> Value {
    let project = alerts
        .first()
        .map(|a| a.project.clone())
        .unwrap_or_default();
    let firing = alerts.iter().any(|a| !a.kind.resolves());
    let items: Vec<Value> = alerts
        .iter()
        .map(|a| {
            let mut labels = serde_json::Map::new();
            labels.insert("alertname".into(), a.kind.alertname().into());
            labels.insert("project".into(), a.project.clone().into());
            labels.insert("severity".into(), a.kind.severity().into());
            if let Some(t) = &a.target {
                labels.insert("target".into(), t.clone().into());
            }
            if let Some(p) = &a.package {
                labels.insert("package".into(), p.clone().into());
            }
            let labels = Value::Object(labels);
            let mut annotations = serde_json::Map::new();
            annotations.insert("summary".into(), a.summary.clone().into());
            if let Some(b) = &a.before {
                annotations.insert("before".into(), b.clone().into());
            }
            if let Some(b) = &a.after {
                annotations.insert("after".into(), b.clone().into());
            }
            if let Some(id) = a.run_id {
                annotations.insert("run".into(), id.to_string().into());
            }
            let resolved = a.kind.resolves();
            json!({
                "status": if resolved { "resolved" } else { "firing" },
                "fingerprint": fingerprint(&labels),
                "labels": labels,
                "annotations": annotations,
                "startsAt": a.timestamp,
                "endsAt": if resolved { a.timestamp.as_str() } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "",
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{project=\"{project}\"}}"),
        "truncatedAlerts": 0,
        "status": if firing { "firing" } else { "resolved" },
        "receiver": "wheelwatch",
        "groupLabels": {"project": project},
        "commonLabels": {"project": project},
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": items,
        "wheelwatch": alerts,
    })
}

/// Text escaped for Slack's mrkdwn (`&`, `<`, `>`; nothing else is special in a payload).
pub(crate) fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack's incoming-webhook payload: `text` (the fallback for notifications) and one section
/// block per alert.
pub(crate) fn slack_payload(alerts: &[Alert]) -> Value {
    let lines: Vec<String> = alerts.iter().map(|a| slack_escape(&a.summary)).collect();
    let blocks: Vec<Value> = alerts
        .iter()
        .map(|a| {
            json!({
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": format!("*{}*\n{}", a.kind.alertname(), slack_escape(&a.summary)),
                }
            })
        })
        .collect();
    json!({ "text": lines.join("\n"), "blocks": blocks })
}

/// The alert queue and its worker.
pub(crate) struct Notifier {
    tx: Option<SyncSender<Vec<Alert>>>,
    done: Option<Receiver<()>>,
    printer: Printer,
}

impl Notifier {
    /// Starts the worker (none when there is nowhere to send).
    pub(crate) fn start(settings: NotifySettings, printer: Printer) -> Self {
        if settings.urls.is_empty() && settings.command.is_empty() {
            return Self {
                tx: None,
                done: None,
                printer,
            };
        }
        let (tx, rx) = mpsc::sync_channel::<Vec<Alert>>(QUEUE);
        let (done_tx, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("wheelwatch-notify".into())
            .spawn(move || {
                worker(&settings, &rx, printer);
                let _ = done_tx.send(());
            })
            .ok();
        Self {
            tx: Some(tx),
            done: Some(done),
            printer,
        }
    }

    /// Queues one run's alerts; never waits.
    pub(crate) fn send(&self, alerts: Vec<Alert>) {
        let Some(tx) = &self.tx else { return };
        if alerts.is_empty() {
            return;
        }
        match tx.try_send(alerts) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(dropped)) => self.printer.warning(format_args!(
                "alert queue full (the notification target is slow or down): {} alert(s) dropped",
                dropped.len()
            )),
        }
    }

    /// Lets the worker deliver what is queued, waiting at most `grace`.
    pub(crate) fn finish(mut self, grace: Duration) {
        self.tx = None;
        if let Some(done) = self.done.take()
            && done.recv_timeout(grace).is_err()
        {
            self.printer.warning(format_args!(
                "some alerts were not delivered within {}s of stopping",
                grace.as_secs()
            ));
        }
    }
}

fn worker(settings: &NotifySettings, rx: &Receiver<Vec<Alert>>, printer: Printer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .user_agent(concat!("wheelwatch/", env!("CARGO_PKG_VERSION")))
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .build();
    let (runtime, client) = match (runtime, client) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) => {
            printer.warning(format_args!("alerts disabled: {e}"));
            return;
        }
        (_, Err(e)) => {
            printer.warning(format_args!("alerts disabled: {e}"));
            return;
        }
    };
    while let Ok(alerts) = rx.recv() {
        for url in &settings.urls {
            let body = if is_slack(url) {
                slack_payload(&alerts)
            } else {
                alertmanager_payload(&alerts)
            };
            if let Err(e) = runtime.block_on(post(&client, url, &body)) {
                printer.warning(format_args!(
                    "alert not delivered to {}: {e}",
                    crate::util::redact::redact_url(url.as_str())
                ));
            }
        }
        if let Some((program, args)) = settings.command.split_first() {
            for alert in &alerts {
                let input = serde_json::to_vec(alert).unwrap_or_default();
                let mut cmd = std::process::Command::new(program);
                cmd.args(args);
                match crate::util::process::run_with_input(&mut cmd, Some(input), settings.timeout)
                {
                    Ok(out) if out.status == Some(0) => {}
                    Ok(out) if out.timed_out => printer.warning(format_args!(
                        "--notify-command {program} did not finish within {}s; killed",
                        settings.timeout.as_secs()
                    )),
                    Ok(out) => printer.warning(format_args!(
                        "--notify-command {program} failed ({}): {}",
                        out.status
                            .map_or_else(|| "killed".to_string(), |c| format!("exit {c}")),
                        String::from_utf8_lossy(&out.stderr).trim()
                    )),
                    Err(e) => {
                        printer.warning(format_args!("--notify-command {program}: {e}"));
                    }
                }
            }
        }
    }
}

async fn post(client: &reqwest::Client, url: &url::Url, body: &Value) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt - 1))).await;
        }
        let request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        match request.send().await {
            Ok(resp) if resp.status().is_success() => return Ok(()),
            Ok(resp) => last = format!("HTTP {}", resp.status().as_u16()),
            Err(e) => {
                last = crate::util::redact::redact_text(&crate::util::error::display_chain(&e));
            }
        }
        tracing::debug!("alert POST attempt {} failed: {last}", attempt + 1);
    }
    Err(format!("{last} ({ATTEMPTS} attempts)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::events::AlertKind;

    fn alert() -> Alert {
        Alert {
            kind: AlertKind::BlockerAppeared,
            project: "app".into(),
            run_id: Some(7),
            target: Some("3.12@linux".into()),
            package: Some("evil<b>&".into()),
            before: None,
            after: None,
            summary: "app: evil<b>& now blocks a wheel-only install on 3.12@linux".into(),
            timestamp: "2026-12-01T23:00:00Z".into(),
        }
    }

    #[test]
    fn slack_is_escaped_and_detected() {
        let url = url::Url::parse("https://hooks.slack.com/services/T0/B0/XYZ").unwrap();
        assert!(is_slack(&url));
        assert!(!is_slack(
            &url::Url::parse("http://127.0.0.1:9/hook").unwrap()
        ));
        assert_eq!(
            slack_payload(&[alert()]),
            json!({
                "text": "app: evil&lt;b&gt;&amp; now blocks a wheel-only install on 3.12@linux",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text":
                    "*WheelwatchBlockerAppeared*\napp: evil&lt;b&gt;&amp; now blocks a wheel-only install on 3.12@linux"}}]
            })
        );
    }

    #[test]
    fn alertmanager_shape() {
        let p = alertmanager_payload(&[alert()]);
        assert_eq!(p["status"], "firing");
        assert_eq!(
            p["alerts"][0]["labels"]["alertname"],
            "WheelwatchBlockerAppeared"
        );
        assert_eq!(p["alerts"][0]["labels"]["package"], "evil<b>&");
        assert_eq!(p["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        assert_eq!(p["alerts"][0]["fingerprint"].as_str().unwrap().len(), 16);
    }
}
