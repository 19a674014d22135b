//! Where workers put their latencies: an HDR histogram plus op and error counters, shared by
//! the tasks of one session, and the warm-up / measure / stop phase they all obey.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::report::Latency;

/// Largest latency the histograms hold (longer ones are clamped): one minute, in µs.
const MAX_US: u64 = 60_000_000;

/// A fresh histogram of microseconds with 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("static histogram bounds are valid")
}

/// Latencies and counts of one group of workers.
#[derive(Debug)]
pub struct Recorder {
    histogram: Mutex<Histogram<u64>>,
    ops: AtomicU64,
    errors: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            histogram: Mutex::new(histogram()),
            ops: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }
}

impl Recorder {
    /// Counts one successful operation that took `latency`.
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(MAX_US).max(1);
        self.histogram
            .lock()
            .expect("recorder lock")
            .saturating_record(us);
        self.ops.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one failed operation (its latency is not recorded).
    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Successful operations so far (for the progress line).
    pub fn ops(&self) -> u64 {
        self.ops.load(Ordering::Relaxed)
    }

    /// Failed operations so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Forgets everything recorded (between the points of a sweep).
    pub fn reset(&self) {
        self.histogram.lock().expect("recorder lock").reset();
        self.ops.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
    }

    /// Adds this recorder's histogram into `into`.
    pub fn merge_into(&self, into: &mut Histogram<u64>) {
        into.add(&*self.histogram.lock().expect("recorder lock"))
            .expect("histograms share bounds");
    }

    /// Percentiles of this recorder alone.
    pub fn latency(&self) -> Latency {
        Latency::of(&self.histogram.lock().expect("recorder lock"))
    }
}

/// What closed-loop workers are doing now; they record only while [`Phase::Measure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Running but not recording: caches, JIT and connection buffers settle.
    WarmUp = 0,
    /// Recording.
    Measure = 1,
    /// Workers finish their current request and exit.
    Stop = 2,
}

/// A [`Phase`] shared by all workers of a run.
#[derive(Debug, Default)]
pub struct SharedPhase(AtomicU8);

impl SharedPhase {
    /// The current phase.
    pub fn get(&self) -> Phase {
        match self.0.load(Ordering::Acquire) {
            0 => Phase::WarmUp,
            1 => Phase::Measure,
            _ => Phase::Stop,
        }
    }

    /// Moves every worker to `phase`.
    pub fn set(&self, phase: Phase) {
        self.0.store(phase as u8, Ordering::Release);
    }
}

/// A tiny deterministic xorshift generator: which op a worker issues next, without a crate.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for worker `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..100`.
    pub fn percent(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % 100) as u32
    }
}
