//! `POST /v1/verify/batch`: bulk verification for auditors, NDJSON in and
//! out, streamed both ways.
//!
//! Each input line is one badge: a JSON object (an OB 3.0 credential or an
//! OB 2.0 assertion, taken byte for byte), or a JSON string holding a
//! VC-JWT or JWS, or the base64 of anything binary (a native assertion, a
//! baked PNG or SVG). Each output line answers the input line of the same
//! number, in order: `{"line": n, "verdict": {...}}` (the verdict of
//! `/v1/verify`) or `{"line": n, "error": {"code", "message"}}`; a last
//! line sums up: `{"summary": {"lines": n, "valid": .., ...}}`. A problem
//! with the stream itself (a line too long, too many lines, a client that
//! stalls) ends it with `{"error": ...}` and no summary.
//!
//! Lines are verified a chunk at a time, each chunk one job of the
//! verification pool (so a batch shares the cores with single requests and
//! cannot take them all), with the native assertions' signatures checked
//! together by Ed25519 batch verification.
//!
//! Most HTTP clients send the whole body before they read any of the
//! answer, so answers wait in memory, up to [`MAX_PENDING_ANSWERS`] bytes
//! per stream; past that, reading waits for the client to read (a client
//! that reads while it sends never reaches it), and a client that neither
//! sends nor reads for [`IDLE`] is cut off with the reason. So memory stays
//! bounded by one chunk, one line and the pending answers. The route has no
//! overall timeout (100,000 badges take longer than any request should).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::bodies::VerifyQuery;
use super::verify_pool::PoolError;
use super::{ApiError, AppState, format_error_code as error_code};
use crate::core::now;
use crate::verdict::formats::{FormatError, Options, verify_batch};

/// Most lines one request may carry.
pub const MAX_BATCH_LINES: usize = 1_000_000;
/// Lines verified per pool job: large enough for batch verification to pay,
/// small enough that a single `/v1/verify` waits a few milliseconds at most.
pub const CHUNK_LINES: usize = 256;
/// Input bytes per pool job, whatever the number of lines.
pub const CHUNK_BYTES: usize = 4 << 20;
/// A client that sends or reads nothing for this long is cut off.
pub const IDLE: Duration = Duration::from_secs(30);
/// Batches that may stream at once (each holds at most a chunk, a line and
/// its pending answers).
pub const MAX_STREAMS: usize = 4;
/// Answer bytes one stream keeps while its client has not read them (about
/// 40,000 full verdicts of native assertions).
pub const MAX_PENDING_ANSWERS: usize = 64 << 20;

/// Answers the request with a stream fed by a task that reads the body.
pub(super) async fn verify_batch_route(
    State(s): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    if q.online == Some(true) {
        return Err(ApiError::bad_request(
            "not_offline",
            "batches are verified offline only; fetch what they need with /v1/verify?online=true first",
        ));
    }
    let at = q.at()?.unwrap_or_else(now);
    let Ok(permit) = std::sync::Arc::clone(&s.batches).try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "verify_busy",
            format!("{MAX_STREAMS} batches are streaming already; try again shortly"),
        ));
    };
    // The line limit of the body is that of one request: a baked image in
    // base64 is a third larger.
    let max_line = s.max_body / 3 * 4 + 1024;
    let (tx, rx) = mpsc::unbounded_channel::<Pending>();
    let room = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_ANSWERS >> 10));
    tokio::spawn(async move {
        let _permit = permit;
        let mut batch = Batch {
            s,
            q,
            at,
            tx,
            room,
            max_line,
            counts: Default::default(),
            lines: 0,
        };
        if let Err(end) = batch.run(body).await {
            batch.send_last(json!({ "error": end }));
        }
    });
    // Handing answers to the connection frees their room.
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|(b, _room)| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A chunk being verified: its answers, or the error that ends the stream.
type InFlight = tokio::task::JoinHandle<Result<Value, Value>>;

/// Answer bytes and the room (in KiB) they hold until sent.
type Pending = (Bytes, tokio::sync::OwnedSemaphorePermit);

/// One streaming batch.
struct Batch {
    s: AppState,
    q: VerifyQuery,
    at: badgemesh_protocol::time::Timestamp,
    tx: mpsc::UnboundedSender<Pending>,
    /// Room for answers the client has not read, in KiB.
    room: std::sync::Arc<tokio::sync::Semaphore>,
    max_line: usize,
    counts: std::collections::BTreeMap<String, u64>,
    lines: usize,
}

/// Why a stream ended early.
fn ended(code: &str, message: impl Into<String>) -> Value {
    json!({ "code": code, "message": message.into() })
}

impl Batch {
    /// Reads, verifies and answers until the body ends; `Err` is the error
    /// that ends the stream early.
    async fn run(&mut self, body: Body) -> Result<(), Value> {
        let mut data = body.into_data_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk: Vec<Vec<u8>> = Vec::new();
        let mut chunk_bytes = 0;
        let mut done = false;
        let mut in_flight: Option<InFlight> = None;
        while !done {
            match tokio::time::timeout(IDLE, data.next()).await {
                Err(_) => return Err(ended("idle", "the client sent nothing for 30 s")),
                Ok(None) => done = true,
                Ok(Some(Err(e))) => return Err(ended("body", e.to_string())),
                Ok(Some(Ok(bytes))) => buf.extend_from_slice(&bytes),
            }
            // Complete lines (and, at the end, the last one without a newline).
            let mut start = 0;
            while let Some(n) = buf[start..].iter().position(|&b| b == b'\n') {
                let line = &buf[start..start + n];
                start += n + 1;
                if line.len() > self.max_line {
                    return Err(ended("line_too_long", self.too_long()));
                }
                if !line.iter().all(u8::is_ascii_whitespace) {
                    chunk_bytes += line.len();
                    chunk.push(line.to_vec());
                }
            }
            buf.drain(..start);
            if done && !buf.iter().all(u8::is_ascii_whitespace) {
                chunk_bytes += buf.len();
                chunk.push(std::mem::take(&mut buf));
            }
            if buf.len() > self.max_line {
                return Err(ended("line_too_long", self.too_long()));
            }
            if self.lines + chunk.len() > MAX_BATCH_LINES {
                return Err(ended(
                    "too_many_lines",
                    format!("a batch holds at most {MAX_BATCH_LINES} lines"),
                ));
            }
            if chunk.len() >= CHUNK_LINES
                || chunk_bytes >= CHUNK_BYTES
                || (done && !chunk.is_empty())
            {
                let taken = std::mem::take(&mut chunk);
                chunk_bytes = 0;
                let next = self.start(taken);
                if let Some(previous) = in_flight.replace(next) {
                    self.finish(previous).await?;
                }
            }
        }
        if let Some(last) = in_flight.take() {
            self.finish(last).await?;
        }
        let mut summary = serde_json::Map::new();
        summary.insert("lines".into(), self.lines.into());
        for (k, n) in &self.counts {
            summary.insert(k.clone(), (*n).into());
        }
        self.send(json!({ "summary": summary })).await
    }

    fn too_long(&self) -> String {
        format!(
            "a line is longer than {} bytes (the request limit, in base64)",
            self.max_line
        )
    }

    /// Starts verifying the lines as one pool job; [`Batch::finish`] sends
    /// their answers. One job runs while the answers of the one before are
    /// written out, so the pool's worker does not wait for the writing.
    fn start(&mut self, lines: Vec<Vec<u8>>) -> InFlight {
        let first = self.lines + 1;
        self.lines += lines.len();
        // Shared, so that waiting for a full pool re-offers the job for free.
        let lines = std::sync::Arc::new(lines);
        let (held, core, trust) = (
            self.s.held.clone(),
            self.s.core.clone(),
            self.s.trust.clone(),
        );
        let (max_age, require_listed, at) = (
            self.q.max_age,
            self.q.require_listed.unwrap_or(false),
            self.at,
        );
        let recipient = self.q.recipient.clone();
        let job = move |cancel: &std::sync::atomic::AtomicBool| {
            let inputs: Vec<Result<Vec<u8>, String>> = lines.iter().map(|l| input(l)).collect();
            let ok: Vec<&[u8]> = inputs
                .iter()
                .filter_map(|i| i.as_ref().ok().map(Vec::as_slice))
                .collect();
            let opts = Options {
                recipient: recipient.as_deref(),
                max_age_secs: max_age,
                held: Some(&held),
                trust: Some(&trust),
                require_listed,
                cancel: Some(cancel),
                ..Options::default()
            };
            let mut verdicts = core
                .ledger
                .read(|r| verify_batch(&ok, Some(r), at, &opts))
                .into_iter();
            let mut out = Vec::with_capacity(inputs.len());
            for (i, input) in inputs.into_iter().enumerate() {
                let line = first + i;
                out.push(match input.map(|_| verdicts.next()) {
                    Err(why) => json!({ "line": line, "error": ended("bad_line", why) }),
                    Ok(Some(Ok(v))) => json!({ "line": line, "verdict": v }),
                    Ok(Some(Err(FormatError::Cancelled))) => return Err(FormatError::Cancelled),
                    Ok(Some(Err(e))) => {
                        json!({ "line": line, "error": ended(error_code(&e), e.to_string()) })
                    }
                    Ok(None) => json!({ "line": line, "error": ended("internal", "no verdict") }),
                });
            }
            Ok(Value::Array(out))
        };
        let pool = self.s.verify_pool.clone();
        tokio::spawn(async move { run_in_pool(&pool, job).await })
    }

    /// Waits for a job started by [`Batch::start`] and sends its answers.
    async fn finish(&mut self, job: InFlight) -> Result<(), Value> {
        let answers = job.await.map_err(|e| ended("internal", e.to_string()))??;
        let Value::Array(answers) = answers else {
            return Err(ended("internal", "the pool answered no lines"));
        };
        self.s
            .core
            .metrics
            .verify_count
            .inc_by(answers.len() as u64);
        let mut text = Vec::with_capacity(answers.len() * 512);
        for a in &answers {
            let outcome = a["verdict"]["outcome"].as_str().unwrap_or("error");
            *self.counts.entry(outcome.to_owned()).or_default() += 1;
            serde_json::to_writer(&mut text, a).unwrap_or_default();
            text.push(b'\n');
        }
        self.send_bytes(Bytes::from(text)).await
    }

    async fn send(&self, v: Value) -> Result<(), Value> {
        let mut text = serde_json::to_vec(&v).unwrap_or_default();
        text.push(b'\n');
        self.send_bytes(Bytes::from(text)).await
    }

    /// Queues the line that ends the stream early, past the answers' room
    /// (it is one line, and the stream ends with it).
    fn send_last(&self, v: Value) {
        let mut text = serde_json::to_vec(&v).unwrap_or_default();
        text.push(b'\n');
        if let Ok(none) = std::sync::Arc::clone(&self.room).try_acquire_many_owned(0) {
            let _ = self.tx.send((Bytes::from(text), none));
        }
    }

    /// Queues answers; once [`MAX_PENDING_ANSWERS`] wait unread, waits for
    /// the client to read (up to [`IDLE`]).
    async fn send_bytes(&self, b: Bytes) -> Result<(), Value> {
        let kib = u32::try_from((b.len() >> 10) + 1).unwrap_or(u32::MAX);
        let room = std::sync::Arc::clone(&self.room).acquire_many_owned(kib);
        let room = match tokio::time::timeout(IDLE, room).await {
            Ok(Ok(room)) => room,
            Ok(Err(_)) => return Err(ended("internal", "answer room closed")),
            Err(_) => {
                return Err(ended(
                    "answers_unread",
                    format!(
                        "{} MiB of answers waited 30 s unread: read the answers while sending, or send fewer lines per request",
                        MAX_PENDING_ANSWERS >> 20
                    ),
                ));
            }
        };
        self.tx
            .send((b, room))
            .map_err(|_| ended("gone", "the client went away"))
    }
}

/// Runs `job` in the verification pool, waiting (up to [`IDLE`]) while its
/// queue is full: a batch waits its turn rather than failing.
async fn run_in_pool<F>(pool: &super::VerifyPool, job: F) -> Result<Value, Value>
where
    F: FnOnce(&std::sync::atomic::AtomicBool) -> Result<Value, FormatError>
        + Send
        + Clone
        + 'static,
{
    let deadline = tokio::time::Instant::now() + IDLE;
    loop {
        match pool.run(job.clone()).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => return Err(ended("internal", e.to_string())),
            Err(PoolError::Busy) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(PoolError::Busy) => {
                return Err(ended("verify_busy", "the verification pool stayed full"));
            }
            Err(PoolError::Failed(why)) => return Err(ended("internal", why)),
        }
    }
}

/// The bytes one input line stands for, or why it stands for none.
fn input(line: &[u8]) -> Result<Vec<u8>, String> {
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => Ok(line.to_vec()),
        Some(b'"') => {
            let text: String = serde_json::from_slice(line).map_err(|e| e.to_string())?;
            let text = text.trim();
            if text.starts_with("eyJ") && text.contains('.') {
                return Ok(text.as_bytes().to_vec());
            }
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .map_err(|_| "a string line is a JWT or JWS, or base64 of a native assertion or baked image".to_owned())
        }
        _ => Err(
            "each line is a JSON object (a credential or assertion) or a JSON string (a JWT, or base64 of a native assertion or baked image)"
                .into(),
        ),
    }
}
