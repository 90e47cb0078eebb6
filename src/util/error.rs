//! Walking an error's chain of causes (`std::error::Error::source`), for messages that must
//! carry the whole story in one line (report fields, events) rather than anyhow's `{:#}`.

use std::error::Error;

/// The error and each of its causes, outermost first.
pub(crate) fn chain<'a>(
    err: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn Error + 'static)| (*e).source())
}

/// The error and its causes joined by `": "`, skipping a cause whose text the message already
/// holds (many errors repeat their source in their own text).
pub(crate) fn display_chain(err: &(dyn Error + 'static)) -> String {
    let mut message = String::new();
    for cause in chain(err) {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// The innermost cause's text (`Connection reset by peer (os error 104)`).
pub(crate) fn root_cause(err: &(dyn Error + 'static)) -> String {
    chain(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("failed to read the lock file")]
        Read(#[source] std::io::Error),
        #[error("failed to fetch: {0}")]
        Repeats(#[source] std::io::Error),
    }

    #[test]
    fn joins_causes_and_skips_repeated_ones() {
        let read = Outer::Read(std::io::Error::other("permission denied"));
        assert_eq!(
            display_chain(&read),
            "failed to read the lock file: permission denied"
        );
        assert_eq!(root_cause(&read), "permission denied");
        let repeats = Outer::Repeats(std::io::Error::other("timed out"));
        assert_eq!(display_chain(&repeats), "failed to fetch: timed out");
        assert_eq!(chain(&repeats).count(), 2);
    }
}
