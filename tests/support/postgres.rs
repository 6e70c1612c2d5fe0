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
    pub schema: String,
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

/// A TCP proxy on loopback to the test server, which a test can cut (every connection closed,
/// new ones refused) and restore: a database that becomes unreachable, then comes back.
pub struct Proxy {
    pub port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    /// A proxy to the server of `url` (TCP or Unix socket); also the URL of `scratch` through it.
    pub fn start(url: &str, scratch: &Scratch) -> Result<(Proxy, String)> {
        use std::str::FromStr;
        let config = tokio_postgres::Config::from_str(url)?;
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let target = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => Target::Tcp(format!("{host}:{port}")),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(dir)) => {
                Target::Unix(dir.join(format!(".s.PGSQL.{port}")))
            }
            None => Target::Tcp(format!("localhost:{port}")),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let proxy = Proxy {
            port: listener.local_addr()?.port(),
            cut: Default::default(),
            open: Default::default(),
        };
        let (cut, open) = (proxy.cut.clone(), proxy.open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(|c| c.ok()) {
                if cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let _ = target.pipe(client, &open);
            }
        });
        let user = config.get_user().unwrap_or("postgres");
        let dbname = config.get_dbname().unwrap_or(user);
        let through = format!(
            "postgres://{user}@127.0.0.1:{}/{dbname}?options=-csearch_path%3D{}",
            proxy.port, scratch.schema
        );
        Ok((proxy, through))
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut open) = self.open.lock() {
            for stream in open.drain(..) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

enum Target {
    Tcp(String),
    #[cfg(unix)]
    Unix(std::path::PathBuf),
}

impl Target {
    /// Copies bytes both ways between `client` and a new connection to the target.
    fn pipe(
        &self,
        client: std::net::TcpStream,
        open: &std::sync::Mutex<Vec<std::net::TcpStream>>,
    ) -> std::io::Result<()> {
        let (mut up_read, mut up_write): (
            Box<dyn std::io::Read + Send>,
            Box<dyn std::io::Write + Send>,
        ) = match self {
            Target::Tcp(addr) => {
                let s = std::net::TcpStream::connect(addr)?;
                (Box::new(s.try_clone()?), Box::new(s))
            }
            #[cfg(unix)]
            Target::Unix(path) => {
                let s = std::os::unix::net::UnixStream::connect(path)?;
                (Box::new(s.try_clone()?), Box::new(s))
            }
        };
        if let Ok(mut open) = open.lock() {
            open.push(client.try_clone()?);
        }
        let mut down_read = client.try_clone()?;
        let mut down_write = client;
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut down_read, &mut up_write);
        });
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut up_read, &mut down_write);
            let _ = down_write.shutdown(std::net::Shutdown::Both);
        });
        Ok(())
    }
}
