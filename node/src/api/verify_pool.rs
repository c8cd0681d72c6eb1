//! The bounded pool that CPU-heavy verification runs in.
//!
//! `POST /v1/verify` of an OB 3.0 credential or a baked image may cost tens
//! of milliseconds of CPU (JSON-LD, RDFC-1.0, RSA), and any web page can make
//! a browser send one. So at most `workers` verifications run at once (on
//! as many long-lived threads of their own, apart from the async runtime
//! that carries gossip and sync) and at most `queue` more wait for a
//! worker (each holds its admission until its work has really ended); a
//! request beyond that is refused at once with 503 `verify_busy` instead of
//! piling up threads.
//!
//! A request that is abandoned (its client went away, or the 30 s request
//! timeout fired) drops its handler future; a guard then sets the work's
//! cancellation flag, which verification checks between stages and between
//! proofs, so the work stops too instead of burning a core for nobody.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

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
    /// Jobs for the worker threads; dropping it ends them.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// One permit per admitted request (running or waiting).
    admitted: Arc<Semaphore>,
    /// Workers plus queue: the admitted semaphore's size.
    capacity: usize,
    shared: Arc<Shared>,
}

/// What the worker threads share with the pool.
#[derive(Debug)]
struct Shared {
    stats: PoolStats,
    gate: Gate,
}

/// One verification for a worker: the work, its cancellation flag, where
/// the answer goes, and the admission permit it holds until it has ended.
struct Job {
    work: Box<dyn FnOnce(&AtomicBool) -> Verification + Send>,
    flag: Arc<AtomicBool>,
    answer: oneshot::Sender<Verification>,
    _admitted: OwnedSemaphorePermit,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The workers end once the queue is empty and closed.
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }
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
        let shared = Arc::new(Shared {
            stats: PoolStats::default(),
            gate: Gate {
                open: Mutex::new(true),
                changed: Condvar::new(),
                waiting: AtomicU64::new(0),
            },
        });
        // Long-lived threads that take jobs as they come: under a steady
        // load the next job is already queued when one ends, so a worker
        // never sleeps and nobody has to wake it (with a blocking task per
        // job, two thread wake-ups cost more than a native check).
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..workers {
            let (rx, shared) = (Arc::clone(&rx), Arc::clone(&shared));
            let spawned = std::thread::Builder::new()
                .name(format!("verify-{n}"))
                .spawn(move || work_loop(&rx, &shared));
            if let Err(e) = spawned {
                tracing::error!("cannot start verification worker {n}: {e}");
            }
        }
        VerifyPool {
            inner: Arc::new(Inner {
                jobs: Mutex::new(Some(tx)),
                admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
                capacity: workers.saturating_add(queue),
                shared,
            }),
        }
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> &PoolStats {
        &self.inner.shared.stats
    }

    /// Runs `work` on a worker thread once one is free, passing it the
    /// cancellation flag, which is set if this future is dropped before the
    /// work answers. `Busy` at once when the queue is full.
    pub async fn run<F>(&self, work: F) -> Result<Verification, PoolError>
    where
        F: FnOnce(&AtomicBool) -> Verification + Send + 'static,
    {
        let inner = &self.inner;
        let Ok(admitted) = Arc::clone(&inner.admitted).try_acquire_owned() else {
            inner.shared.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Busy);
        };
        let flag = Arc::new(AtomicBool::new(false));
        let guard = Abandon {
            flag: Arc::clone(&flag),
            stats: &inner.shared.stats,
            armed: true,
        };
        let (answer, answered) = oneshot::channel();
        let job = Job {
            work: Box::new(work),
            flag,
            answer,
            // Held until the work has really ended, even if the request was
            // abandoned meanwhile: the pool bounds CPU, not requests.
            _admitted: admitted,
        };
        let sent = inner
            .jobs
            .lock()
            .ok()
            .and_then(|jobs| jobs.as_ref().map(|tx| tx.send(job).is_ok()));
        if sent != Some(true) {
            return Err(PoolError::Failed("the verification workers stopped".into()));
        }
        let out = answered
            .await
            .map_err(|_| PoolError::Failed("a verification worker failed".into()));
        guard.disarm();
        out
    }

    /// Requests admitted and not finished: running, or waiting for a worker.
    pub fn in_flight(&self) -> usize {
        self.inner.capacity - self.inner.admitted.available_permits()
    }

    /// Test hook: closes or opens the gate every verification passes before
    /// its work. Not for production use.
    #[doc(hidden)]
    pub fn set_gate_open(&self, open: bool) {
        let gate = &self.inner.shared.gate;
        if let Ok(mut o) = gate.open.lock() {
            *o = open;
        }
        gate.changed.notify_all();
    }

    /// Test hook: verifications waiting at the closed gate.
    #[doc(hidden)]
    pub fn waiting_at_gate(&self) -> u64 {
        self.inner.shared.gate.waiting.load(Ordering::Relaxed)
    }
}

/// A worker: takes jobs until the pool is gone. A job that panics is
/// answered with a failure (its sender dropped), and the worker goes on.
fn work_loop(jobs: &Mutex<mpsc::Receiver<Job>>, shared: &Shared) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let Job {
            work,
            flag,
            answer,
            _admitted,
        } = job;
        shared.gate.pass();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&flag)));
        let Ok(out) = out else {
            continue;
        };
        let counter = if matches!(out, Err(FormatError::Cancelled)) {
            &shared.stats.stopped
        } else {
            &shared.stats.completed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // Nobody waiting (abandoned) is fine.
        let _ = answer.send(out);
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
