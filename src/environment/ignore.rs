//! Keeping the managed venv and `.wheelwatch/` out of `git status`: the entries a project's
//! root `.gitignore` needs and adding the missing ones.
//!
//! The venv entry has no trailing slash: after a switch the venv path is a symlink, which git
//! does not match with a directory pattern such as `.venv/`. A venv directly in the root is
//! written as its name (`.venv`, matching at any depth, as most templates do); a nested one as
//! its root-anchored path (`/sub/.venv`); one outside the project needs no entry. An existing
//! line counts when it is that entry, its anchored or unanchored twin, or the same with a
//! trailing `*`; `.wheelwatch` also counts with a trailing slash or `/*`. Negations are not
//! evaluated (a later `!.venv` is the user's explicit choice and stays).

use std::path::Path;

use super::EnvError;
use super::state::write_atomic;

/// The entries the project at `root` with its venv at `venv_path` needs in `.gitignore`.
pub fn gitignore_entries(root: &Path, venv_path: &Path) -> Vec<String> {
    let mut entries = Vec::new();
    if let Ok(rel) = venv_path.strip_prefix(root) {
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match parts.as_slice() {
            [] => {}
            [one] => entries.push(one.clone()),
            more => entries.push(format!("/{}", more.join("/"))),
        }
    }
    entries.push(".wheelwatch/".to_string());
    entries
}

fn covered(entry: &str, lines: &[&str]) -> bool {
    let bare = entry.trim_start_matches('/').trim_end_matches('/');
    let is_dir_entry = entry.ends_with('/');
    let mut forms = vec![
        bare.to_string(),
        format!("/{bare}"),
        format!("{bare}*"),
        format!("/{bare}*"),
    ];
    if is_dir_entry {
        forms.extend([
            format!("{bare}/"),
            format!("/{bare}/"),
            format!("{bare}/*"),
            format!("/{bare}/*"),
        ]);
    }
    // A nested venv (`/sub/.venv`) is also covered by its unanchored `sub/.venv` form (git
    // anchors any pattern with an inner slash), which `bare` already is.
    lines.iter().any(|l| forms.iter().any(|f| f == l))
}

/// Adds the missing [`gitignore_entries`] to `<root>/.gitignore`. With `create` false a project
/// without a `.gitignore` is left alone. Returns the entries added.
pub fn ensure_gitignore(
    root: &Path,
    venv_path: &Path,
    create: bool,
) -> Result<Vec<String>, EnvError> {
    let path = root.join(".gitignore");
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Ok(Vec::new());
            }
            String::new()
        }
        Err(e) => return Err(EnvError::io("read", &path, e)),
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let missing: Vec<String> = gitignore_entries(root, venv_path)
        .into_iter()
        .filter(|e| !covered(e, &lines))
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut out = text.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(
        "# wheelwatch: the managed venv (a symlink, so no trailing slash) and its records\n",
    );
    for entry in &missing {
        out.push_str(entry);
        out.push('\n');
    }
    write_atomic(&path, out.as_bytes())?;
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let root = Path::new("/p");
        assert_eq!(
            gitignore_entries(root, Path::new("/p/.venv")),
            [".venv", ".wheelwatch/"]
        );
        assert_eq!(
            gitignore_entries(root, Path::new("/p/app/.venv")),
            ["/app/.venv", ".wheelwatch/"]
        );
        assert_eq!(
            gitignore_entries(root, Path::new("/elsewhere/venv")),
            [".wheelwatch/"]
        );
    }

    #[test]
    fn adds_only_what_is_missing_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let venv = root.join(".venv");
        // Without a file and without `create`, nothing happens.
        assert!(ensure_gitignore(root, &venv, false).unwrap().is_empty());
        assert!(!root.join(".gitignore").exists());
        // `.venv/` does not match a symlink: `.venv` is still added.
        fs_err::write(
            root.join(".gitignore"),
            "__pycache__/\n.venv/\n/.wheelwatch",
        )
        .unwrap();
        assert_eq!(ensure_gitignore(root, &venv, false).unwrap(), [".venv"]);
        assert_eq!(
            fs_err::read_to_string(root.join(".gitignore")).unwrap(),
            "__pycache__/\n.venv/\n/.wheelwatch\n\
             # wheelwatch: the managed venv (a symlink, so no trailing slash) and its records\n\
             .venv\n"
        );
        // A second run adds nothing.
        assert!(ensure_gitignore(root, &venv, true).unwrap().is_empty());
    }

    #[test]
    fn creates_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(
            ensure_gitignore(root, &root.join(".venv"), true).unwrap(),
            [".venv", ".wheelwatch/"]
        );
        assert_eq!(
            fs_err::read_to_string(root.join(".gitignore")).unwrap(),
            "# wheelwatch: the managed venv (a symlink, so no trailing slash) and its records\n\
             .venv\n.wheelwatch/\n"
        );
    }
}
