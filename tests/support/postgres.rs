//! A PostgreSQL database for tests: `GUICHET_TEST_POSTGRES` (a connection URL, as
//! `.ci/postgres.sh` exports it) gives the server; each [`Scratch`] is a schema of its own in
//! it (tests run in parallel), dropped at the end. Without the variable the PostgreSQL half of
//! a test is skipped, unless `GUICHET_REQUIRE_POSTGRES=1` (CI), where that is a failure.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
        // Bounded: a backend still holding a lock in the schema leaves it behind rather than
        // hanging the test.
        let dropped = admin(
            &self.base,
            &format!(
                "SET lock_timeout = '10s'; DROP SCHEMA {} CASCADE",
                self.schema
            ),
        );
        if let Err(e) = dropped {
            eprintln!("schéma {} laissé en place : {e}", self.schema);
        }
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
///
/// Cutting closes both ends of every piped connection, the server's end too: a backend left
/// connected would stay « idle in transaction », holding its row locks (and the scratch
/// schema's `DROP` would wait for it).
pub struct Proxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<End>>>,
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
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let proxy = Proxy {
            port: listener.local_addr()?.port(),
            cut: Default::default(),
            open: Default::default(),
        };
        let (cut, open) = (proxy.cut.clone(), proxy.open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(|c| c.ok()) {
                if cut.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let _ = target.pipe(End::Tcp(client), &open);
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

    /// Closes every connection, at both ends, and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        if let Ok(mut open) = self.open.lock() {
            for end in open.drain(..) {
                end.close();
            }
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

enum Target {
    Tcp(String),
    #[cfg(unix)]
    Unix(std::path::PathBuf),
}

impl Target {
    /// Copies bytes both ways between `client` and a new connection to the target; when either
    /// direction ends, both connections are closed both ways.
    fn pipe(&self, client: End, open: &Mutex<Vec<End>>) -> std::io::Result<()> {
        let server = match self {
            Target::Tcp(addr) => End::Tcp(TcpStream::connect(addr)?),
            #[cfg(unix)]
            Target::Unix(path) => End::Unix(std::os::unix::net::UnixStream::connect(path)?),
        };
        if let Ok(mut open) = open.lock() {
            open.push(client.try_clone()?);
            open.push(server.try_clone()?);
        }
        let (client_back, server_back) = (client.try_clone()?, server.try_clone()?);
        for (mut from, mut to) in [(client, server), (server_back, client_back)] {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                from.close();
                to.close();
            });
        }
        Ok(())
    }
}

/// One end of a piped connection: read, written and closed from any thread.
enum End {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl End {
    fn try_clone(&self) -> std::io::Result<End> {
        Ok(match self {
            End::Tcp(s) => End::Tcp(s.try_clone()?),
            #[cfg(unix)]
            End::Unix(s) => End::Unix(s.try_clone()?),
        })
    }

    /// Shuts the connection both ways (every clone of it: the copy threads see the end).
    fn close(&self) {
        let _ = match self {
            End::Tcp(s) => s.shutdown(Shutdown::Both),
            #[cfg(unix)]
            End::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            End::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            End::Unix(s) => s.read(buf),
        }
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            End::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            End::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            End::Tcp(s) => s.flush(),
            #[cfg(unix)]
            End::Unix(s) => s.flush(),
        }
    }
}
