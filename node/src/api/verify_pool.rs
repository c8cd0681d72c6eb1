//! The bounded pool that CPU-heavy verification runs in.
//!
//! `POST /v1/verify` of an OB 3.0 credential or a baked image may cost tens
//! of milliseconds of CPU (JSON-LD, RDFC-1.0, RSA), and any web page can make
//! a browser send one. So at most `workers` verifications run at once (each
//! on a blocking thread, holding a worker permit until its work has really
//! ended) and at most `queue` more wait for a worker; a request beyond that
//! is refused at once with 503 `verify_busy` instead of piling up threads.
//!
//! A request that is abandoned (its client went away, or the 30 s request
//! timeout fired) drops its handler future; a guard then sets the work's
//! cancellation flag, which verification checks between stages and between
//! proofs, so the work stops too instead of burning a core for nobody.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use super::ApiError;
use crate::verdict::formats::FormatError;

/// What a verification answers.
pub type Verification = Result<serde_json::Value, FormatError>;

/// Verifications that may run at once, and how many may wait.
#[derive(Clone, Debug)]
pub struct VerifyPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// One permit per running verification.
    workers: Arc<Semaphore>,
    /// One permit per admitted request (running or waiting).
    admitted: Arc<Semaphore>,
    /// Workers plus queue: the admitted semaphore's size.
    capacity: usize,
    stats: PoolStats,
    gate: Gate,
}

/// What the pool has done, for metrics and tests.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// Requests refused with 503 because the queue was full.
    pub refused: AtomicU64,
    /// Requests abandoned (client gone or timed out) before their answer.
    pub abandoned: AtomicU64,
    /// Verifications that stopped early (answered [`FormatError::Cancelled`])
    /// because their request was abandoned.
    pub stopped: AtomicU64,
    /// Verifications that ran to their end.
    pub completed: AtomicU64,
}

/// A test hook: while closed, a verification waits before starting its work
/// (so a test can hold a worker busy without a slow input). Open unless a
/// test closes it.
#[derive(Debug)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
    waiting: AtomicU64,
}

/// The outcome of [`VerifyPool::run`] when the work itself did not answer.
#[derive(Debug)]
pub enum PoolError {
    /// The queue is full: 503 `verify_busy`.
    Busy,
    /// The blocking task failed (a panic).
    Failed(String),
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "verify_busy",
                "too many verifications are running or waiting; try again shortly",
            ),
            PoolError::Failed(why) => ApiError::internal(why),
        }
    }
}

/// Sets the cancellation flag when dropped before [`Abandon::disarm`]: the
/// handler future holding it was dropped, so nobody waits for the answer.
struct Abandon<'a> {
    flag: Arc<AtomicBool>,
    stats: &'a PoolStats,
    armed: bool,
}

impl Abandon<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
            self.stats.abandoned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl VerifyPool {
    /// A pool running at most `workers` verifications (at least 1) with at
    /// most `queue` more waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        VerifyPool {
            inner: Arc::new(Inner {
                workers: Arc::new(Semaphore::new(workers)),
                admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
                capacity: workers.saturating_add(queue),
                stats: PoolStats::default(),
                gate: Gate {
                    open: Mutex::new(true),
                    changed: Condvar::new(),
                    waiting: AtomicU64::new(0),
                },
            }),
        }
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> &PoolStats {
        &self.inner.stats
    }

    /// Runs `work` on a blocking thread once a worker is free, passing it the
    /// cancellation flag, which is set if this future is dropped before the
    /// work answers. `Busy` at once when the queue is full.
    pub async fn run<F>(&self, work: F) -> Result<Verification, PoolError>
    where
        F: FnOnce(&AtomicBool) -> Verification + Send + 'static,
    {
        let inner = &self.inner;
        let Ok(admitted) = Arc::clone(&inner.admitted).try_acquire_owned() else {
            inner.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Busy);
        };
        let flag = Arc::new(AtomicBool::new(false));
        let guard = Abandon {
            flag: Arc::clone(&flag),
            stats: &inner.stats,
            armed: true,
        };
        // Waiting for a worker is cancel-safe: a dropped wait frees the
        // queue slot and takes no worker.
        let worker = Arc::clone(&inner.workers)
            .acquire_owned()
            .await
            .map_err(|e| PoolError::Failed(e.to_string()))?;
        let pool = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            // Both permits live until the work has really ended, even if the
            // request was abandoned meanwhile: the pool bounds CPU, not
            // requests.
            let _permits = (admitted, worker);
            pool.inner.gate.pass();
            let out = work(&flag);
            let counter = if matches!(out, Err(FormatError::Cancelled)) {
                &pool.inner.stats.stopped
            } else {
                &pool.inner.stats.completed
            };
            counter.fetch_add(1, Ordering::Relaxed);
            out
        });
        let out = task.await.map_err(|e| PoolError::Failed(e.to_string()));
        guard.disarm();
        out
    }

    /// Runs `work` on the calling task's thread once a worker is free: for
    /// work bounded to microseconds (a native record: one envelope of at
    /// most 48 KiB, one signature, lookups), where handing it to a blocking
    /// thread and back costs more than the work itself (two thread
    /// wake-ups, measured at about two thirds of the route's time). The
    /// same admission and worker permits as [`VerifyPool::run`], so no more
    /// than `workers` verifications run at once whichever way they run;
    /// nothing to cancel, and the test gate does not apply.
    pub async fn run_inline<F>(&self, work: F) -> Result<Verification, PoolError>
    where
        F: FnOnce(&AtomicBool) -> Verification,
    {
        let inner = &self.inner;
        let Ok(_admitted) = inner.admitted.try_acquire() else {
            inner.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Busy);
        };
        let _worker = inner
            .workers
            .acquire()
            .await
            .map_err(|e| PoolError::Failed(e.to_string()))?;
        let out = work(&AtomicBool::new(false));
        inner.stats.completed.fetch_add(1, Ordering::Relaxed);
        Ok(out)
    }

    /// Requests admitted and not finished: running, or waiting for a worker.
    pub fn in_flight(&self) -> usize {
        self.inner.capacity - self.inner.admitted.available_permits()
    }

    /// Test hook: closes or opens the gate every verification passes before
    /// its work. Not for production use.
    #[doc(hidden)]
    pub fn set_gate_open(&self, open: bool) {
        let gate = &self.inner.gate;
        if let Ok(mut o) = gate.open.lock() {
            *o = open;
        }
        gate.changed.notify_all();
    }

    /// Test hook: verifications waiting at the closed gate.
    #[doc(hidden)]
    pub fn waiting_at_gate(&self) -> u64 {
        self.inner.gate.waiting.load(Ordering::Relaxed)
    }
}

impl Gate {
    /// Waits while the gate is closed.
    fn pass(&self) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        if *open {
            return;
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        while !*open {
            match self.changed.wait(open) {
                Ok(o) => open = o,
                Err(_) => break,
            }
        }
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}
