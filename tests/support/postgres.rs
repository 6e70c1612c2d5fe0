//! A PostgreSQL database for tests: `GUICHET_TEST_POSTGRES` (a connection URL, as
//! `.ci/postgres.sh` exports it) gives the server; each [`Scratch`] is a schema of its own in
//! it (tests run in parallel), dropped at the end. Without the variable the PostgreSQL half of
//! a test is skipped, unless `GUICHET_REQUIRE_POSTGRES=1` (CI), where that is a failure.

use std::time::{SystemTime, UNIX_EPOCH};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The test server's URL; `None` (skip) only when PostgreSQL is not required.
pub fn url() -> Result<Option<String>> {
    match std::env::var("GUICHET_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Ok(Some(url)),
        _ if std::env::var("GUICHET_REQUIRE_POSTGRES").as_deref() == Ok("1") => Err(
            "GUICHET_REQUIRE_POSTGRES=1 mais GUICHET_TEST_POSTGRES est vide (.ci/postgres.sh)"
                .into(),
        ),
        _ => {
            eprintln!("PostgreSQL ignoré : GUICHET_TEST_POSTGRES n'est pas défini");
            Ok(None)
        }
    }
}

/// A schema of its own on the test server; `url` reaches it (its `search_path`).
pub struct Scratch {
    pub url: String,
    base: String,
    schema: String,
}

impl Scratch {
    pub fn new(base: &str) -> Result<Scratch> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
        let schema = format!("t{}_{nanos}", std::process::id());
        admin(base, &format!("CREATE SCHEMA {schema}"))?;
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(Scratch {
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            base: base.to_string(),
            schema,
        })
    }

    /// Runs SQL in the scratch schema (to look at what the server stored).
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            let rows = client.simple_query(sql).await?;
            Ok(rows
                .iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(String::from))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect())
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = admin(&self.base, &format!("DROP SCHEMA {} CASCADE", self.schema));
    }
}

fn admin(url: &str, sql: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        client.batch_execute(sql).await?;
        Ok(())
    })
}
