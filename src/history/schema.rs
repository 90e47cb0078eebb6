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
    // 3: `bench` comparisons, one row per command, tied to the bench run.
    r"
CREATE TABLE bench_results (
    run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    pos BIGINT NOT NULL,
    command TEXT NOT NULL,
    primary_python TEXT NOT NULL,
    fallback_python TEXT NOT NULL,
    active_role TEXT NOT NULL,
    runs BIGINT NOT NULL,
    primary_ok BIGINT NOT NULL,
    fallback_ok BIGINT NOT NULL,
    primary_median_s DOUBLE PRECISION,
    fallback_median_s DOUBLE PRECISION,
    ratio DOUBLE PRECISION,
    ci_low DOUBLE PRECISION,
    ci_high DOUBLE PRECISION,
    confidence DOUBLE PRECISION NOT NULL,
    outcome TEXT NOT NULL,
    verdict TEXT NOT NULL,
    cpu_ratio DOUBLE PRECISION,
    cpu_ci_low DOUBLE PRECISION,
    cpu_ci_high DOUBLE PRECISION,
    PRIMARY KEY (run_id, pos)
);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ProjectId, Store, StoreLocation};

    /// A store written before version 2 (blockers without their newest wheel) is migrated in
    /// place, and its old blockers read with none.
    #[test]
    fn a_version_1_store_is_migrated_and_its_blockers_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        let mut conn = Conn::open_sqlite(&path).unwrap();
        conn.write(|c| {
            c.batch("CREATE TABLE schema_version (version BIGINT NOT NULL)")?;
            c.batch(&MIGRATIONS[0].replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"))?;
            c.batch(
                "INSERT INTO schema_version (version) VALUES (1);
                 INSERT INTO projects (name, location) VALUES ('app', '/app');
                 INSERT INTO runs (project_id, timestamp, epoch, tool_version, command, inputs,
                   inputs_hash, result, verdict, duration_ms, projects_seen, requests,
                   cache_hits, threshold, dependencies)
                 VALUES (1, '2026-01-01T00:00:00Z', 1767225600, '0.1.0', 'check', '[]', 'h',
                   'ok', 'complete_failure', 1, 1, 1, 0, 1.0, 'resolved');
                 INSERT INTO run_blockers (run_id, target_idx, name, version, paths, reason)
                 VALUES (1, 0, 'lib', '1.0', '[[\"app\",\"lib\"]]', 'no wheel');",
            )
        })
        .unwrap();
        drop(conn);
        let mut store = Store::open(
            &StoreLocation::Sqlite(path),
            ProjectId {
                name: "app".into(),
                location: "/app".into(),
            },
        )
        .unwrap();
        assert_eq!(store.schema_version().unwrap(), CURRENT);
        let blockers = store.run_details(1).unwrap().blockers;
        assert_eq!(
            blockers
                .iter()
                .map(|b| (
                    b.name.as_str(),
                    b.paths.clone(),
                    b.newest_with_wheel.clone()
                ))
                .collect::<Vec<_>>(),
            vec![(
                "lib",
                vec![vec!["app".to_string(), "lib".to_string()]],
                None
            )]
        );
    }
}
