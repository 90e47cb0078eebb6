//! The dashboard: one self-contained HTML page (no network, no CDN; readable from disk with
//! JavaScript off) over a project's recorded history, or every project of a shared store.
//! It owns the view model ([`model`]: the current verdict, each target's health and what
//! changed since the previous run through the history's typed diff, downsampled trends, the
//! package × target grid of the newest run, blockers, downgrades, runs and events), the SVG
//! trend charts ([`svg`]) and the page with its escaping, styles and script ([`html`]).
//!
//! Pure: records in, a `String` out. Loading the records from the store and writing or
//! serving the page is `commands::dashboard`'s job.

pub(crate) mod html;
pub(crate) mod model;
pub(crate) mod svg;

pub(crate) use model::{Page, ProjectData};

/// The page as HTML.
pub(crate) fn render(page: &Page) -> String {
    html::page(page)
}
