//! The two database connections behind the history store, reduced to what the store needs:
//! run a statement, query rows of plain [`Value`]s, and transactions. SQL is written once with
//! `?` placeholders (in the order of the parameters); for PostgreSQL each `?` becomes `$n`.
//! Every integer column is `BIGINT` and every real `DOUBLE PRECISION` in both backends, so a
//! value reads back with the same type from either.
//!
//! SQLite: WAL, a busy timeout, writers start with `BEGIN IMMEDIATE` (the write lock is taken
//! up front, so two processes never deadlock upgrading a read lock). PostgreSQL: the sync
//! `postgres` client, without TLS (a store on another host with TLS is not supported yet: the
//! URL's `sslmode=require` is refused rather than silently ignored).

use std::path::Path;
use std::time::Duration;

use super::HistoryError;

/// How long a SQLite writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// One SQL value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    pub(crate) fn int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            Self::Real(r) => *r as i64,
            Self::Text(t) => t.parse().unwrap_or(0),
            Self::Null => 0,
        }
    }

    pub(crate) fn real(&self) -> f64 {
        match self {
            Self::Int(i) => *i as f64,
            Self::Real(r) => *r,
            Self::Text(t) => t.parse().unwrap_or(0.0),
            Self::Null => 0.0,
        }
    }

    pub(crate) fn text(&self) -> String {
        self.opt_text().unwrap_or_default()
    }

    pub(crate) fn opt_text(&self) -> Option<String> {
        match self {
            Self::Text(t) => Some(t.clone()),
            Self::Int(i) => Some(i.to_string()),
            Self::Real(r) => Some(r.to_string()),
            Self::Null => None,
        }
    }

    pub(crate) fn opt_real(&self) -> Option<f64> {
        match self {
            Self::Null => None,
            other => Some(other.real()),
        }
    }

    pub(crate) fn opt_int(&self) -> Option<i64> {
        match self {
            Self::Null => None,
            other => Some(other.int()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Self::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A count as a database integer (saturating: no count here comes near `i64::MAX`).
pub(crate) fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A row.
pub(crate) type Row = Vec<Value>;

/// Which database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Postgres,
}

/// An open connection.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

/// A PostgreSQL connection and the statements prepared on it ([`Conn::prepare`]).
pub(crate) struct PgConn {
    client: postgres::Client,
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "Conn::Sqlite",
            Self::Postgres(_) => "Conn::Postgres",
        })
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(sqlite_err)`
fn sqlite_err(e: rusqlite::Error) -> HistoryError {
    HistoryError::Database(e.to_string())
}

fn pg_err(e: &postgres::Error) -> HistoryError {
    // The error's text never holds the password (the client does not echo the URL), but a
    // server message may quote the statement; redact any URL in it all the same.
    let mut text = e.to_string();
    if let Some(db) = e.as_db_error() {
        text = format!("{}: {}", db.severity(), db.message());
    }
    HistoryError::Database(crate::util::redact::redact_text(&text))
}

impl Conn {
    /// Opens (creating) a SQLite file with WAL and a busy timeout.
    pub(crate) fn open_sqlite(path: &Path) -> Result<Self, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs_err::create_dir_all(dir).map_err(|e| HistoryError::Io(e.to_string()))?;
        }
        let conn = rusqlite::Connection::open(path).map_err(|e| {
            HistoryError::Database(format!("cannot open `{}`: {e}", path.display()))
        })?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite_err)?;
        // WAL is persistent in the file; setting it again is cheap. Under a concurrent first
        // open the pragma itself may find the database busy: the busy handler covers it.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite_err)?;
        Ok(Self::Sqlite(conn))
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/db`).
    pub(crate) fn open_postgres(url: &str) -> Result<Self, HistoryError> {
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            HistoryError::Url(format!("`{}`: {e}", crate::util::redact::redact_url(url)))
        })?;
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(HistoryError::Url(format!(
                "`{}`: sslmode=require is not supported (TLS to the store is not built in)",
                crate::util::redact::redact_url(url)
            )));
        }
        let mut config = config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let client = config.connect(postgres::NoTls).map_err(|e| {
            HistoryError::Database(format!(
                "cannot connect to `{}`: {}",
                crate::util::redact::redact_url(url),
                crate::util::redact::redact_text(&crate::util::error::display_chain(&e))
            ))
        })?;
        Ok(Self::Postgres(Box::new(PgConn {
            client,
            prepared: std::collections::HashMap::new(),
        })))
    }

    /// Whether the connection can still be used (a PostgreSQL server may have closed it).
    pub(crate) fn is_usable(&self) -> bool {
        match self {
            Self::Sqlite(_) => true,
            Self::Postgres(c) => !c.client.is_closed(),
        }
    }

    /// Prepares `sql` ahead of its use (PostgreSQL; nothing for SQLite, whose statements are
    /// cached as they are first run): a later [`Conn::execute`] or [`Conn::query`] of the same
    /// text skips parsing it, and the server has its catalog for the tables involved at hand.
    pub(crate) fn prepare(&mut self, sql: &str) -> Result<(), HistoryError> {
        if let Self::Postgres(c) = self {
            let sql = numbered(sql);
            if !c.prepared.contains_key(&sql) {
                let statement = c.client.prepare(&sql).map_err(|e| pg_err(&e))?;
                c.prepared.insert(sql, statement);
            }
        }
        Ok(())
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Self::Sqlite(_) => Kind::Sqlite,
            Self::Postgres(_) => Kind::Postgres,
        }
    }

    /// Runs several statements with no parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), HistoryError> {
        match self {
            Self::Sqlite(c) => c.execute_batch(sql).map_err(sqlite_err),
            Self::Postgres(c) => c.client.batch_execute(sql).map_err(|e| pg_err(&e)),
        }
    }

    /// Runs one statement; the number of rows changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, HistoryError> {
        match self {
            Self::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(sqlite_err)?;
                let n = stmt
                    .execute(rusqlite::params_from_iter(params.iter().map(SqliteValue)))
                    .map_err(sqlite_err)?;
                Ok(n as u64)
            }
            Self::Postgres(c) => {
                let sql = numbered(sql);
                if let Some(statement) = c.prepared.get(&sql) {
                    let values: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                        .iter()
                        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    return c.client.execute(statement, &refs).map_err(|e| pg_err(&e));
                }
                with_pg_params(params, |params| {
                    c.client.execute_typed(sql.as_str(), params)
                })
                .map_err(|e| pg_err(&e))
            }
        }
    }

    /// Runs a query; every row.
    pub(crate) fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, HistoryError> {
        match self {
            Self::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(sqlite_err)?;
                let n = stmt.column_count();
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params.iter().map(SqliteValue)))
                    .map_err(sqlite_err)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next().map_err(sqlite_err)? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        values.push(match row.get_ref(i).map_err(sqlite_err)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                            rusqlite::types::ValueRef::Real(r) => Value::Real(r),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                        });
                    }
                    out.push(values);
                }
                Ok(out)
            }
            Self::Postgres(c) => {
                let sql = numbered(sql);
                let rows = if let Some(statement) = c.prepared.get(&sql) {
                    let values: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                        .iter()
                        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                        .collect();
                    c.client.query(statement, &refs)
                } else {
                    with_pg_params(params, |params| c.client.query_typed(sql.as_str(), params))
                }
                .map_err(|e| pg_err(&e))?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// Inserts `rows` into `table` with multi-row `VALUES` statements (one round trip per
    /// chunk, which is what keeps PostgreSQL's recording cost low).
    pub(crate) fn insert_many(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Row],
    ) -> Result<(), HistoryError> {
        if rows.is_empty() {
            return Ok(());
        }
        // SQLite's default limit is 32766 variables; PostgreSQL's 65535.
        let per_chunk = (30_000 / columns.len()).clamp(1, 500);
        let one = format!("({})", vec!["?"; columns.len()].join(","));
        for chunk in rows.chunks(per_chunk) {
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {}",
                columns.join(","),
                vec![one.as_str(); chunk.len()].join(",")
            );
            let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
            self.execute(&sql, &params)?;
        }
        Ok(())
    }

    /// Runs `f` in a write transaction: committed when it returns `Ok`, rolled back otherwise.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        self.batch(match self.kind() {
            Kind::Sqlite => "BEGIN IMMEDIATE",
            Kind::Postgres => "BEGIN",
        })?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// `?` placeholders numbered `$1`, `$2`, … for PostgreSQL (the store's SQL has no `?` inside
/// literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_row(row: &postgres::Row) -> Result<Row, HistoryError> {
    use postgres::types::Type;
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)
                .map(|v| v.map(|v| Value::Int(i64::from(v))))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)
                .map(|v| v.map(|v| Value::Int(i64::from(v))))
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real))
        } else if *ty == Type::FLOAT4 {
            row.try_get::<_, Option<f32>>(i)
                .map(|v| v.map(|v| Value::Real(f64::from(v))))
        } else if *ty == Type::VOID {
            Ok(None)
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)
                .map(|v| v.map(|v| Value::Int(i64::from(v))))
        } else {
            row.try_get::<_, Option<String>>(i)
                .map(|v| v.map(Value::Text))
        };
        out.push(value.map_err(|e| pg_err(&e))?.unwrap_or(Value::Null));
    }
    Ok(out)
}

struct SqliteValue<'a>(&'a Value);

impl rusqlite::ToSql for SqliteValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(r) => ToSqlOutput::Borrowed(ValueRef::Real(*r)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

/// A parameter for PostgreSQL, sent in text format with its type left unspecified (oid 0):
/// the server infers the type from the statement, as it would when preparing it, and parses
/// the text. That is what lets every statement go in one round trip (parse, bind and execute
/// together, see [`pg_params`]) instead of a prepare round trip first and then an execute one.
#[derive(Debug)]
struct PgParam<'a>(&'a Value);

impl postgres::types::ToSql for PgParam<'_> {
    fn to_sql(
        &self,
        _ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::IsNull;
        use std::fmt::Write as _;
        match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Int(i) => write!(out, "{i}")?,
            // Rust prints the shortest text that reads back as the same f64; PostgreSQL reads
            // `NaN`, `inf` and `-inf` too.
            Value::Real(r) => write!(out, "{r}")?,
            Value::Text(t) => out.extend_from_slice(t.as_bytes()),
        }
        Ok(IsNull::No)
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &postgres::types::Type) -> postgres::types::Format {
        postgres::types::Format::Text
    }

    postgres::types::to_sql_checked!();
}

/// Calls `f` with `params` as one-round-trip parameters: each in text format, of a type the
/// server infers.
fn with_pg_params<T>(
    params: &[Value],
    f: impl FnOnce(&[(&(dyn postgres::types::ToSql + Sync), postgres::types::Type)]) -> T,
) -> T {
    // Oid 0: "unspecified" in the protocol's Parse message.
    let unspecified = postgres::types::Type::new(
        "unspecified".to_string(),
        0,
        postgres::types::Kind::Simple,
        "pg_catalog".to_string(),
    );
    let values: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
    let typed: Vec<(&(dyn postgres::types::ToSql + Sync), postgres::types::Type)> = values
        .iter()
        .map(|v| {
            (
                v as &(dyn postgres::types::ToSql + Sync),
                unspecified.clone(),
            )
        })
        .collect();
    f(&typed)
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
    }
}
