//! The command line a report recommends, such that it works as printed: the command and exactly
//! the flags needed to make it assess what this run assessed. Values that come from the
//! environment or the configuration file are left out (the recommended command reads them
//! too); values that only this run's flags set are repeated. Found by resolving the settings
//! again without any flag and comparing, so a new setting cannot be forgotten silently as long
//! as it is compared here.
//!
//! Credentials are never printed: an index URL that carries them is shown redacted, and the
//! line then says so, since it cannot work as printed.

use std::path::Path;

use anyhow::Result;

use crate::settings::{CheckSettings, Env, GlobalSettings};

/// `wheelwatch <command>` followed by the flags this run's settings need beyond what a bare
/// run would read (environment and configuration).
pub(crate) fn command_line(
    command: &str,
    settings: &CheckSettings,
    globals: &GlobalSettings,
    env: &dyn Env,
) -> Result<String> {
    let bare = CheckSettings::without_flags(globals, env)?;
    let mut words = vec!["wheelwatch".to_string(), command.to_string()];
    let mut flag = |name: &str, value: &str| {
        words.push(name.to_string());
        words.push(quote(value));
    };
    let path = |p: &Path| -> String {
        p.strip_prefix(&globals.cwd)
            .unwrap_or(p)
            .display()
            .to_string()
    };

    let (s, b) = (&settings.sources, &bare.sources);
    if (&s.files, &s.requirements, &s.constraints, &s.packages)
        != (&b.files, &b.requirements, &b.constraints, &b.packages)
    {
        for f in &s.requirements {
            flag("-r", &path(f));
        }
        for f in &s.constraints {
            flag("-c", &path(f));
        }
        for p in &s.packages {
            flag("-p", p);
        }
    }
    if s.extras != b.extras {
        for e in &s.extras {
            flag("--extra", e);
        }
    }
    if s.groups != b.groups {
        for g in &s.groups {
            flag("--group", g);
        }
    }
    let value = |v: Option<&crate::settings::Sourced<String>>| v.map(|s| s.value.clone());
    if value(settings.primary.as_ref()) != value(bare.primary.as_ref())
        && let Some(p) = &settings.primary
    {
        flag("--python", &p.value);
    }
    if settings.fallbacks.value != bare.fallbacks.value {
        for f in &settings.fallbacks.value {
            flag("--fallback", f);
        }
    }
    if (settings.threshold.value - bare.threshold.value).abs() > f64::EPSILON {
        flag("--threshold", &settings.threshold.value.to_string());
    }
    let mut redacted = false;
    let mut url_flag = |name: &str, url: &str, words: &mut Vec<String>| {
        let shown = crate::index::redact_text(url);
        redacted |= shown != url;
        words.push(name.to_string());
        words.push(quote(&shown));
    };
    let (i, bi) = (&settings.index, &bare.index);
    if value(i.index_url.as_ref()) != value(bi.index_url.as_ref())
        && let Some(u) = &i.index_url
    {
        url_flag("--index-url", &u.value, &mut words);
    }
    let values = |v: &[crate::settings::Sourced<String>]| -> Vec<String> {
        v.iter().map(|s| s.value.clone()).collect()
    };
    if values(&i.extra_index_urls) != values(&bi.extra_index_urls) {
        for u in &i.extra_index_urls {
            url_flag("--extra-index-url", &u.value, &mut words);
        }
    }
    if values(&i.find_links) != values(&bi.find_links) {
        for f in &i.find_links {
            url_flag("--find-links", &f.value, &mut words);
        }
    }
    // The history store a `--store` flag named, so the recommended action records there too.
    if let Some(store) = &globals.store {
        url_flag("--store", store, &mut words);
    }
    if settings.pre && !bare.pre {
        words.push("--pre".into());
    }
    if i.no_index && !bi.no_index {
        words.push("--no-index".into());
    }
    // Positional files last, after a `--` when one could be read as an option.
    if s.files != b.files {
        if s.files.iter().any(|f| path(f).starts_with('-')) {
            words.push("--".into());
        }
        for f in &s.files {
            words.push(quote(&path(f)));
        }
    }
    let mut line = words.join(" ");
    if redacted {
        line.push_str(" (with the index credentials, shown here as ***)");
    }
    Ok(line)
}

/// `value` as one POSIX shell word: unchanged when it is plain, else single-quoted.
pub(crate) fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '=' | ',' | '+' | '%')
        });
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{CheckArgs, GlobalArgs, IndexArgs, SourceArgs, TargetArgs};
    use crate::settings::load_config;

    struct NoEnv;
    impl Env for NoEnv {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
    }

    fn globals(dir: &Path) -> GlobalSettings {
        let mut g = GlobalSettings::resolve(&GlobalArgs {
            verbose: 0,
            quiet: true,
            color: crate::cli::ColorChoice::Never,
            log_file: None,
            config: None,
            store: None,
        })
        .unwrap();
        g.cwd = dir.to_path_buf();
        g.config = load_config(None, dir).unwrap();
        g
    }

    fn settings(args: CheckArgs, g: &GlobalSettings) -> CheckSettings {
        CheckSettings::resolve(args, g, &NoEnv).unwrap()
    }

    #[test]
    fn repeats_only_what_flags_set() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("wheelwatch.toml"),
            "primary = \"3.12\"\nfallbacks = [\"3.11\"]\n",
        )
        .unwrap();
        let g = globals(dir.path());
        // Everything from the configuration: the bare command.
        let s = settings(
            CheckArgs::for_assessment(
                SourceArgs::default(),
                TargetArgs::default(),
                IndexArgs::default(),
                None,
                false,
            ),
            &g,
        );
        assert_eq!(
            command_line("fallback", &s, &g, &NoEnv).unwrap(),
            "wheelwatch fallback"
        );
        // Flags that differ from the configuration are repeated, quoted for the shell.
        let s = settings(
            CheckArgs::for_assessment(
                SourceArgs {
                    files: vec![dir.path().join("my reqs.txt")],
                    ..SourceArgs::default()
                },
                TargetArgs {
                    python: Some("3.13".into()),
                    fallback: vec!["3.12".into(), "3.11".into()],
                    target: vec!["3.12@linux-aarch64".into()],
                },
                IndexArgs {
                    index_url: Some("https://u:secret@mirror.example/simple/".into()),
                    ..IndexArgs::default()
                },
                Some(0.5),
                true,
            ),
            &g,
        );
        assert_eq!(
            command_line("fallback", &s, &g, &NoEnv).unwrap(),
            "wheelwatch fallback --python 3.13 --fallback 3.12 --fallback 3.11 --threshold 0.5 \
             --index-url 'https://***@mirror.example/simple/' --pre 'my reqs.txt' (with the index \
             credentials, shown here as ***)"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("3.12"), "3.12");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
    }
}
