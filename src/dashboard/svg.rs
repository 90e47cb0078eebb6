//! A target's trend as inline SVG: wheel share (0–100 %) over time in the upper panel, the
//! number of blockers below it, and markers on the shared time axis (fallback, promotion,
//! reset, failed run). Pure string building; every text from the store goes through
//! [`super::html::esc`].
//!
//! Each point is a `<circle class="pt">` with the run (or stretch of runs) in its `<title>`,
//! so a reader hovering sees the figures and a test can count one point per run. Coordinates
//! are written with one decimal: a year of hourly runs stays small.

use std::fmt::Write as _;

use super::html::esc;
use super::model::{Chart, ChartPoint, MarkerKind};

/// The drawing's width.
const W: f64 = 720.0;
/// Left margin (axis labels).
const LEFT: f64 = 46.0;
/// Right margin.
const RIGHT: f64 = 12.0;
/// The share panel's top and bottom.
const SHARE_TOP: f64 = 12.0;
const SHARE_BOTTOM: f64 = 132.0;
/// The blockers panel's top and bottom.
const BLOCK_TOP: f64 = 150.0;
const BLOCK_BOTTOM: f64 = 200.0;
/// The marker strip under the panels: lifecycle events above, failed runs below.
const EVENT_TOP: f64 = 205.0;
const OUTAGE_TOP: f64 = 213.0;
const MARK_BOTTOM: f64 = 221.0;
/// The time labels' baseline.
const AXIS_Y: f64 = 235.0;
/// The whole height.
const H: f64 = 242.0;
/// Lifecycle events get a guide across the panels too, up to this many.
const MAX_GUIDES: usize = 40;

/// An axis label for a chart spanning `span` seconds: the time of day with seconds for
/// spans under two hours, the day and time under three days, else the date.
fn tick(epoch: i64, span: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(epoch) else {
        return epoch.to_string();
    };
    let format = if span < 2 * 3600 {
        "%H:%M:%S"
    } else if span < 3 * 86_400 {
        "%m-%d %H:%M"
    } else {
        "%Y-%m-%d"
    };
    ts.strftime(format).to_string()
}

/// A time in words for a chart: the date, with the time of day when `with_time`.
pub(crate) fn when(epoch: i64, with_time: bool) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(epoch) else {
        return epoch.to_string();
    };
    if with_time {
        ts.strftime("%Y-%m-%d %H:%M").to_string()
    } else {
        ts.strftime("%Y-%m-%d").to_string()
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

/// Writes `chart` as one `<svg>` element; `id` makes its title's id unique in the page.
pub(crate) fn chart(out: &mut String, chart: &Chart, id: &str) {
    let span = (chart.t1 - chart.t0).max(1) as f64;
    let x = |epoch: i64| LEFT + (epoch - chart.t0) as f64 / span * (W - LEFT - RIGHT);
    let y_share = |s: f64| SHARE_BOTTOM - s.clamp(0.0, 1.0) * (SHARE_BOTTOM - SHARE_TOP);
    let max_blockers = chart
        .points
        .iter()
        .map(|p| p.blockers)
        .max()
        .unwrap_or(0)
        .max(1);
    let y_block =
        |b: i64| BLOCK_BOTTOM - (b as f64 / max_blockers as f64) * (BLOCK_BOTTOM - BLOCK_TOP);
    let with_time = chart.t1 - chart.t0 < 3 * 86_400;
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}\" \
         data-target=\"{}\" data-points=\"{}\"><title id=\"{id}\">Wheel share and blockers of {} \
         over time</title>",
        esc(&chart.target),
        chart.points.len(),
        esc(&chart.target),
    );
    // Grid and scales.
    out.push_str("<g class=\"grid\">");
    for (s, label) in [(0.0, "0 %"), (0.5, "50 %"), (1.0, "100 %")] {
        let y = y_share(s);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{BLOCK_BOTTOM}\" y2=\"{BLOCK_BOTTOM}\"/>\
         <text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{max_blockers}</text>\
         <text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>\
         <text class=\"lbl\" x=\"{:.1}\" y=\"{:.1}\">blockers</text>",
        W - RIGHT,
        LEFT - 4.0,
        BLOCK_TOP + 4.0,
        LEFT - 4.0,
        BLOCK_BOTTOM,
        LEFT + 4.0,
        BLOCK_TOP - 5.0,
    );
    out.push_str("</g>");
    // Time labels: five, evenly spaced (fewer when a short span repeats one).
    out.push_str("<g class=\"axis\">");
    let mut previous = String::new();
    for i in 0..5 {
        let epoch = chart.t0 + (chart.t1 - chart.t0) * i / 4;
        let label = tick(epoch, chart.t1 - chart.t0);
        if label == previous {
            continue;
        }
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            "<text class=\"lbl\" x=\"{:.1}\" y=\"{AXIS_Y}\" text-anchor=\"{anchor}\">{label}</text>",
            x(epoch),
        );
        previous = label;
    }
    out.push_str("</g>");
    // Markers: ticks in the strip under the panels (the outages' row below the events'),
    // and a faint guide across the panels for a few lifecycle events.
    let events = chart
        .markers
        .iter()
        .filter(|m| m.kind != MarkerKind::Outage)
        .count();
    out.push_str("<g class=\"markers\">");
    for m in &chart.markers {
        let mx = x(m.epoch);
        let (y1, y2) = if m.kind == MarkerKind::Outage {
            (OUTAGE_TOP, MARK_BOTTOM)
        } else {
            (EVENT_TOP, OUTAGE_TOP - 1.0)
        };
        if m.kind != MarkerKind::Outage && events <= MAX_GUIDES {
            let _ = write!(
                out,
                "<line class=\"guide g-{}\" x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{SHARE_TOP}\" \
                 y2=\"{BLOCK_BOTTOM}\"/>",
                m.kind.key()
            );
        }
        let count = if m.count > 1 {
            format!(" (and {} more)", m.count - 1)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<line class=\"mk mk-{}\" x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{y1}\" \
             y2=\"{y2}\"><title>{} {}: {}{count}</title></line>",
            m.kind.key(),
            when(m.epoch, true),
            m.kind.key(),
            esc(&m.label),
        );
    }
    out.push_str("</g>");
    // The min–max band of aggregated points.
    if chart.aggregated && chart.points.len() > 1 {
        let mut d = String::new();
        for (i, p) in chart.points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { "L" },
                x(p.start),
                y_share(p.max)
            );
        }
        for p in chart.points.iter().rev() {
            let _ = write!(d, "L{:.1} {:.1}", x(p.start), y_share(p.min));
        }
        let _ = write!(out, "<path class=\"band\" d=\"{d}Z\"/>");
    }
    // The share line and the blockers step line.
    if chart.points.len() > 1 {
        let mut share = String::new();
        let mut blocks = String::new();
        for (i, p) in chart.points.iter().enumerate() {
            let (px, sy, by) = (x(p.start), y_share(p.share), y_block(p.blockers));
            if i == 0 {
                let _ = write!(share, "M{px:.1} {sy:.1}");
                let _ = write!(blocks, "M{px:.1} {by:.1}");
            } else {
                let _ = write!(share, "L{px:.1} {sy:.1}");
                // A step: the count holds until the next run.
                let _ = write!(blocks, "H{px:.1}V{by:.1}");
            }
        }
        let _ = write!(
            out,
            "<path class=\"line share\" d=\"{share}\"/><path class=\"line blockers\" d=\"{blocks}\"/>"
        );
    }
    out.push_str("<g class=\"points\">");
    let r = if chart.points.len() > 120 { 2 } else { 3 };
    for p in &chart.points {
        point(out, p, x(p.start), y_share(p.share), r, with_time);
    }
    out.push_str("</g></svg>");
}

fn point(out: &mut String, p: &ChartPoint, cx: f64, cy: f64, r: u8, with_time: bool) {
    let class = if p.healthy { "pt ok" } else { "pt bad" };
    let what = match p.run_id {
        Some(id) if p.runs == 1 => format!("run {id}, {}", when(p.start, true)),
        _ => format!(
            "{} runs, {} to {}",
            p.runs,
            when(p.start, with_time),
            when(p.end, with_time)
        ),
    };
    let share = if p.runs > 1 && (p.max - p.min).abs() > f64::EPSILON {
        format!(
            "{} wheels (mean; {} to {})",
            percent(p.share),
            percent(p.min),
            percent(p.max)
        )
    } else {
        format!("{} wheels", percent(p.share))
    };
    let _ = write!(
        out,
        "<circle class=\"{class}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r}\"{}>\
         <title>{what}: {share}, {} {}</title></circle>",
        p.run_id
            .filter(|_| p.runs == 1)
            .map(|id| format!(" data-run=\"{id}\""))
            .unwrap_or_default(),
        p.blockers,
        if p.blockers == 1 {
            "blocker"
        } else {
            "blockers"
        },
    );
}
