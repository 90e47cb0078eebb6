//! The store's versioned schema: an ordered list of migrations, each applied once, in one
//! write transaction that also records the new version in `schema_version`. A store written by
//! a newer wheelwatch (a version beyond [`MIGRATIONS`]) is refused rather than misread.
//!
//! One text serves both backends: `{id}` becomes the backend's auto-increment key.

use super::HistoryError;
use super::backend::{Conn, Kind, Value};

/// Migrations, in order; migration `i` brings the schema to version `i + 1`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: projects, runs, per-target and per-package rows, blockers, downgrades, events.
    r"
CREATE TABLE projects (
    id {id},
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    UNIQUE (name, location)
);
CREATE TABLE runs (
    id {id},
    project_id BIGINT NOT NULL REFERENCES projects(id),
    timestamp TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    tool_version TEXT NOT NULL,
    command TEXT NOT NULL,
    inputs TEXT NOT NULL,
    inputs_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    verdict TEXT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    projects_seen BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    cache_hits BIGINT NOT NULL,
    threshold DOUBLE PRECISION NOT NULL,
    dependencies TEXT NOT NULL
);
CREATE INDEX runs_project_epoch ON runs (project_id, epoch);
CREATE TABLE run_targets (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    python TEXT NOT NULL,
    platform TEXT NOT NULL,
    role TEXT NOT NULL,
    healthy BIGINT NOT NULL,
    wheel_share DOUBLE PRECISION NOT NULL,
    total BIGINT NOT NULL,
    assessed BIGINT NOT NULL,
    wheel BIGINT NOT NULL,
    sdist_only BIGINT NOT NULL,
    no_distribution BIGINT NOT NULL,
    not_found BIGINT NOT NULL,
    excluded BIGINT NOT NULL,
    not_assessed BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    tree_wheel_share DOUBLE PRECISION,
    resolution_error TEXT,
    PRIMARY KEY (run_id, idx)
);
CREATE TABLE run_packages (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    target_idx BIGINT NOT NULL,
    pos BIGINT NOT NULL,
    name TEXT NOT NULL,
    requirement TEXT NOT NULL,
    status TEXT NOT NULL,
    version TEXT,
    wheel TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX run_packages_run ON run_packages (run_id, target_idx);
CREATE TABLE run_blockers (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    target_idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    paths TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX run_blockers_run ON run_blockers (run_id);
CREATE TABLE run_downgrades (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    target_idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    from_version TEXT NOT NULL,
    to_version TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX run_downgrades_run ON run_downgrades (run_id);
CREATE TABLE events (
    id {id},
    project_id BIGINT NOT NULL REFERENCES projects(id),
    run_id BIGINT REFERENCES runs(id) ON DELETE SET NULL,
    timestamp TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    dedup TEXT NOT NULL,
    UNIQUE (project_id, dedup)
);
CREATE INDEX events_project_epoch ON events (project_id, epoch);
",
    // 2: a blocker's newest version with a compatible wheel (the dashboard shows it).
    r"
ALTER TABLE run_blockers ADD COLUMN newest_with_wheel TEXT;
",
];

/// The schema version this build writes.
#[allow(clippy::cast_possible_wrap)]
pub(crate) const CURRENT: i64 = MIGRATIONS.len() as i64; // a handful

/// Brings the store's schema up to [`CURRENT`].
pub(crate) fn migrate(conn: &mut Conn) -> Result<(), HistoryError> {
    let kind = conn.kind();
    // Fast path: an up-to-date store needs no write lock.
    if let Ok(v) = version(conn)
        && v == CURRENT
    {
        return Ok(());
    }
    conn.write(|conn| {
        if kind == Kind::Postgres {
            // Two first opens at once: one migrates, the other waits, then finds it done.
            conn.execute("SELECT pg_advisory_xact_lock(4857393)", &[])?;
        }
        conn.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let found = version(conn)?;
        if found > CURRENT {
            return Err(HistoryError::NewerSchema {
                found,
                supported: CURRENT,
            });
        }
        let id = match kind {
            Kind::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Kind::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            conn.batch(&migration.replace("{id}", id))?;
            let v = super::backend::int(i) + 1;
            conn.execute("DELETE FROM schema_version", &[])?;
            conn.execute(
                "INSERT INTO schema_version (version) VALUES (?)",
                &[Value::Int(v)],
            )?;
        }
        Ok(())
    })
}

/// The schema version recorded in the store (0 for an empty one).
pub(crate) fn version(conn: &mut Conn) -> Result<i64, HistoryError> {
    let rows = conn.query("SELECT max(version) FROM schema_version", &[])?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(super::backend::Value::opt_int)
        .unwrap_or(0))
}
