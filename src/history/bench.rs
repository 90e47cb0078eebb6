//! The benchmark's data generator (`wheelwatch history bench-fill`, hidden): fills a store
//! with hourly runs of a synthetic project whose wheels come and go, through the same row
//! builders and inserts as real recordings, plus fallback and promotion events. Used only by
//! `scripts/bench-history.sh`: the figures it prints are measured on this data, not invented.

use super::backend::{self, Row, Value};
use super::record::{self, RunRows};
use super::{HistoryError, Store, insert_run};

/// Runs inserted per transaction.
const BATCH: usize = 200;

/// Deterministic pseudo-random numbers (xorshift), so two fills are the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Inserts `runs` hourly runs ending half an hour ago, each over `targets` targets × `packages` packages.
pub(crate) fn fill(
    store: &mut Store,
    runs: usize,
    packages: usize,
    targets: usize,
) -> Result<(), HistoryError> {
    let project_id = store.project_row_id();
    let now = jiff::Timestamp::now().as_second();
    // Half past: no run falls on a whole number of hours before now (prune's boundary).
    let start = now - backend::int(runs) * 3600 - 1800;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let roles = |t: usize| match t {
        0 => "primary",
        1 | 2 => "fallback",
        _ => "extra",
    };
    let mut on_fallback = false;
    let mut done = 0;
    while done < runs {
        let upto = (done + BATCH).min(runs);
        store.conn().write(|conn| {
            for i in done..upto {
                let epoch = start + backend::int(i) * 3600;
                let ts =
                    jiff::Timestamp::from_second(epoch).unwrap_or_else(|_| jiff::Timestamp::now());
                let mut rows = RunRows::default();
                let mut healthy_primary = true;
                let mut any_fallback_healthy = false;
                for t in 0..targets {
                    let mut wheel = 0usize;
                    let mut blockers = Vec::new();
                    for p in 0..packages {
                        // A few packages lose their wheel on a target for a stretch of runs.
                        let lacking = (p + t) % 17 == 0 && (i / 97 + p) % 5 == 0;
                        let status = if lacking { "sdist_only" } else { "wheel" };
                        if lacking {
                            blockers.push(p);
                        } else {
                            wheel += 1;
                        }
                        let version = format!("{}.{}.{}", 1 + p % 4, (i / 500) % 10, p % 3);
                        rows.packages.push(vec![
                            Value::from(t),
                            Value::from(p),
                            Value::from(format!("package-{p}")),
                            Value::from(format!("package-{p}>=1")),
                            Value::from(status),
                            Value::from(version.clone()),
                            Value::from((!lacking).then(|| {
                                format!(
                                    "package_{p}-{version}-cp312-cp312-manylinux_2_28_x86_64.whl"
                                )
                            })),
                            Value::from(if lacking {
                                format!("package-{p} {version} has only a source distribution")
                            } else {
                                format!("package-{p} {version} has a wheel")
                            }),
                        ]);
                    }
                    let share = wheel as f64 / packages.max(1) as f64;
                    let healthy = blockers.is_empty();
                    if t == 0 {
                        healthy_primary = healthy;
                    } else if roles(t) == "fallback" && healthy {
                        any_fallback_healthy = true;
                    }
                    rows.targets.push(vec![
                        Value::from(t),
                        Value::from(format!("3.{}@manylinux_2_28_x86_64", 10 + t)),
                        Value::from(format!("3.{}", 10 + t)),
                        Value::from("manylinux_2_28_x86_64"),
                        Value::from(roles(t)),
                        Value::from(healthy),
                        Value::Real(share),
                        Value::from(packages),
                        Value::from(packages),
                        Value::from(wheel),
                        Value::from(packages - wheel),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Int(0),
                        Value::Real(share),
                        Value::Null,
                    ]);
                    for p in blockers {
                        rows.blockers.push(vec![
                            Value::from(t),
                            Value::from(format!("package-{p}")),
                            Value::from("1.0.0"),
                            Value::from(format!("[[\"app\",\"package-{p}\"]]")),
                            Value::from("only a source distribution"),
                            Value::from("0.9.0"),
                        ]);
                    }
                }
                let verdict = if healthy_primary {
                    "primary_healthy"
                } else if any_fallback_healthy {
                    "fallback_available"
                } else {
                    "complete_failure"
                };
                let failed = rng.next().is_multiple_of(50);
                rows.run = vec![
                    Value::from(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    Value::Int(epoch),
                    Value::from(env!("CARGO_PKG_VERSION")),
                    Value::from("watch"),
                    Value::from("[\"requirements.txt\"]"),
                    Value::from(record::inputs_hash([b"bench".as_slice()])),
                    Value::from(if failed { "failed" } else { "ok" }),
                    Value::from(if failed { "assessment_failed" } else { verdict }),
                    Value::from(failed.then_some("the index did not answer")),
                    Value::Int(200 + (rng.next() % 800).cast_signed()),
                    Value::from(packages),
                    Value::Int((rng.next() % 5).cast_signed()),
                    Value::from(packages),
                    Value::Real(1.0),
                    Value::from("resolved"),
                ];
                if failed {
                    rows.targets.clear();
                    rows.packages.clear();
                    rows.blockers.clear();
                }
                let id = insert_run(conn, project_id, &rows)?;
                // The loop falls back on an unhealthy primary and promotes when it recovers.
                let event = match (failed, healthy_primary, on_fallback) {
                    (false, false, false) if verdict == "fallback_available" => {
                        on_fallback = true;
                        Some(("fallback_succeeded", "fallback"))
                    }
                    (false, true, true) => {
                        on_fallback = false;
                        Some(("promoted", "primary"))
                    }
                    _ => None,
                };
                if let Some((kind, role)) = event {
                    let detail = format!(
                        "{{\"ts\":\"{}\",\"event\":\"{kind}\",\"pid\":1,\"role\":\"{role}\"}}",
                        ts.strftime("%Y-%m-%dT%H:%M:%SZ")
                    );
                    let row: Row = vec![
                        Value::Int(project_id),
                        Value::Int(id),
                        Value::from(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
                        Value::Int(epoch),
                        Value::from(kind),
                        Value::from(record::inputs_hash([detail.as_bytes()])),
                        Value::from(detail),
                    ];
                    conn.execute(
                        "INSERT INTO events (project_id, run_id, timestamp, epoch, kind, \
                         dedup, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        &row,
                    )?;
                }
            }
            Ok(())
        })?;
        done = upto;
    }
    Ok(())
}
