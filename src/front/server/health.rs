//! `GET /healthz` and `GET /readyz`: health that tells the truth.
//!
//! `/healthz` says `ok` only when the store answers a read and the database's folder takes a
//! write: a small probe file written, synced to disk and removed next to the database (a full
//! disk, a read-only mount or lost permissions fail it). Otherwise it is 503 with `"status":
//! "degraded"` and what failed (`store`, `disk`), never a path or a system message. The probe
//! runs at most once a second, however often the route is called. `/readyz` is the same check
//! for a load balancer, as a bare `200 ready` / `503 not ready` JSON.

use super::api::blocking;
use super::App;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the last probe found, and when; shared by `/healthz` and `/readyz`.
#[derive(Default)]
pub struct Probe {
    last: Mutex<Option<(Instant, Checked)>>,
}

#[derive(Clone, Copy)]
struct Checked {
    store: bool,
    disk: bool,
}

const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Bytes the probe writes: a page and a bit, so a nearly full disk fails too.
const PROBE_BYTES: usize = 8 * 1024;

impl Probe {
    async fn check(app: &App) -> Checked {
        let cached = *app
            .limits
            .probe
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, checked)) = cached {
            if at.elapsed() < PROBE_EVERY {
                return checked;
            }
        }
        let worker = app.clone();
        let checked = blocking(move || {
            let store = worker.store.count_conversations().is_ok();
            let disk = worker
                .limits
                .db
                .as_deref()
                .map_or(true, |db| write_probe(db).is_ok());
            Ok(Checked { store, disk })
        })
        .await
        .unwrap_or(Checked {
            store: false,
            disk: false,
        });
        *app.limits
            .probe
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), checked));
        checked
    }
}

/// Writes, syncs and removes a probe file in the database's folder.
fn write_probe(db: &Path) -> std::io::Result<()> {
    let mut name = db.file_name().unwrap_or_default().to_owned();
    name.push(".probe");
    let path: PathBuf = db.with_file_name(name);
    let result = (|| {
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&[0u8; PROBE_BYTES])?;
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result
}

pub async fn healthz(State(app): State<App>) -> (StatusCode, Json<Value>) {
    let checked = Probe::check(&app).await;
    let program = app.rules.current();
    let mut body =
        json!({ "status": "ok", "rules": program.version, "topics": program.topics.len() });
    if checked.store && checked.disk {
        return (StatusCode::OK, Json(body));
    }
    body["status"] = json!("degraded");
    body["failing"] = json!([
        (!checked.store).then_some("store"),
        (!checked.disk).then_some("disk")
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>());
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}

pub async fn readyz(State(app): State<App>) -> (StatusCode, Json<Value>) {
    let checked = Probe::check(&app).await;
    if checked.store && checked.disk {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready" })),
        )
    }
}
