//! `wheelwatch config`: the effective settings and where each came from.

use std::io::Write;

use anyhow::Result;

use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::settings::{ConfigSettings, Format, GlobalSettings, ValueSource};

/// Runs `wheelwatch config`.
pub(crate) fn run(
    config: &ConfigSettings,
    globals: &GlobalSettings,
    printer: Printer,
) -> Result<ExitStatus> {
    let settings = &config.check;
    let mut out = printer.stdout();
    match config.format {
        Format::Json => {
            // Credentials never leave the process: redact every URL shown.
            let mut shown = settings.clone();
            let redact = |u: &mut crate::settings::Sourced<String>| {
                u.value = crate::util::redact::redact_url(&u.value);
            };
            if let Some(u) = shown.index.index_url.as_mut() {
                redact(u);
            }
            shown.index.extra_index_urls.iter_mut().for_each(redact);
            shown.index.find_links.iter_mut().for_each(redact);
            let env = |name: &str| std::env::var(name).ok();
            let pip = crate::index::pip_configuration(&env);
            let pip_value = |v: Option<(String, String)>| {
                v.map(|(value, source)| serde_json::json!({ "value": value, "source": source }))
            };
            let value = serde_json::json!({
                "config_file": globals.config.as_ref().map(|c| c.path.display().to_string()),
                "settings": shown,
                "pip": {
                    "index_url": pip_value(pip.index_url.as_ref().map(|u| (crate::util::redact::redact_url(&u.value), u.source.to_string()))),
                    "extra_index_urls": pip.extra_index_urls.as_ref().map(|u| serde_json::json!({
                        "value": u.value.iter().map(|x| crate::util::redact::redact_url(x)).collect::<Vec<_>>(),
                        "source": u.source.to_string(),
                    })),
                    "find_links": pip.find_links.as_ref().map(|u| serde_json::json!({
                        "value": u.value,
                        "source": u.source.to_string(),
                    })),
                    "files_read": pip.files_read,
                },
            });
            let mut value = value;
            let watch = globals
                .config
                .as_ref()
                .map(crate::settings::watch_file_rows)
                .unwrap_or_default();
            if !watch.is_empty() {
                // Only the keys the file sets (`watch`'s flags override them when it runs).
                value["watch"] = watch
                    .into_iter()
                    .map(|(key, value, source)| {
                        let key = key.strip_prefix("watch.").unwrap_or(&key).to_string();
                        (
                            key,
                            serde_json::json!({ "value": value, "source": source.to_string() }),
                        )
                    })
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
        Format::Table | Format::Markdown => {
            let file = globals.config.as_ref().map_or_else(
                || "none found".to_string(),
                |c| c.path.display().to_string(),
            );
            writeln!(out, "configuration file: {file}")?;
            let mut row = |key: &str, value: String, source: &ValueSource| {
                writeln!(out, "{key:<18} {value:<40} ({source})")
            };
            let primary = settings.primary.as_ref();
            row(
                "primary",
                primary.map_or_else(|| "(python3 on PATH)".into(), |p| p.value.clone()),
                primary.map_or(&ValueSource::Default, |p| &p.source),
            )?;
            row(
                "fallbacks",
                settings.fallbacks.value.join(", "),
                &settings.fallbacks.source,
            )?;
            row(
                "targets",
                settings.targets.value.join(", "),
                &settings.targets.source,
            )?;
            row(
                "threshold",
                settings.threshold.value.to_string(),
                &settings.threshold.source,
            )?;
            row(
                "venv",
                settings.venv.value.display().to_string(),
                &settings.venv.source,
            )?;
            let idx = &settings.index;
            let env = |name: &str| std::env::var(name).ok();
            let pip = crate::index::pip_configuration(&env);
            match (&idx.index_url, &pip.index_url) {
                (Some(u), _) => row(
                    "index-url",
                    crate::util::redact::redact_url(&u.value),
                    &u.source,
                )?,
                (None, Some(u)) => row(
                    "index-url",
                    crate::util::redact::redact_url(&u.value),
                    &ValueSource::Pip(u.source.to_string()),
                )?,
                (None, None) => row(
                    "index-url",
                    crate::index::DEFAULT_INDEX_URL.to_string(),
                    &ValueSource::Default,
                )?,
            }
            if let Some(urls) = &pip.extra_index_urls {
                for u in &urls.value {
                    row(
                        "extra-index-url",
                        crate::util::redact::redact_url(u),
                        &ValueSource::Pip(urls.source.to_string()),
                    )?;
                }
            }
            if let Some(links) = &pip.find_links {
                for u in &links.value {
                    row(
                        "find-links",
                        u.clone(),
                        &ValueSource::Pip(links.source.to_string()),
                    )?;
                }
            }
            for warning in &pip.warnings {
                tracing::warn!("pip configuration: {warning}");
            }
            for u in &idx.extra_index_urls {
                row(
                    "extra-index-url",
                    crate::util::redact::redact_url(&u.value),
                    &u.source,
                )?;
            }
            for u in &idx.find_links {
                row("find-links", u.value.clone(), &u.source)?;
            }
            row(
                "cache-dir",
                idx.cache_dir.value.display().to_string(),
                &idx.cache_dir.source,
            )?;
            row(
                "cache-max-age",
                format!("{}s", idx.max_age.as_secs()),
                &ValueSource::Default,
            )?;
            for (key, value, source) in globals
                .config
                .as_ref()
                .map(crate::settings::watch_file_rows)
                .unwrap_or_default()
            {
                row(&key, value, &source)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
