//! A progress line on standard error while large inputs are read, when
//! standard error is a terminal: an indicatif bar with the bytes read of the
//! total, the rate and the time left (standard input, of unknown size: the
//! bytes read and the rate). The readers only add to an atomic counter; a
//! thread of its own copies it into the bar, so reading never waits for the
//! terminal, and dropping the line ends that thread at once and clears it.

use crate::capture::{Input, ProgressCounter};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// Inputs smaller than this in all read too fast for a progress line.
const LARGE: u64 = 64 << 20;
/// How often the bar takes the counter's value (and redraws, at most).
const REDRAW: Duration = Duration::from_millis(200);
/// Known total: percentage, bar, bytes of the total, rate, time left.
/// The bar takes the width the rest leaves, so that the line fits the
/// terminal (a wrapped line would be redrawn as two).
const SIZED: &str = "portclass: {percent:>3}% [{wide_bar}] {decimal_bytes} of \
                     {decimal_total_bytes}, {decimal_bytes_per_sec}, {eta} left";
/// Standard input: bytes so far and rate.
const UNSIZED: &str = "portclass: read {decimal_bytes}, {decimal_bytes_per_sec}";

/// A progress line drawn by a thread of its own until dropped.
pub struct Progress {
    counter: ProgressCounter,
    /// Dropped to stop the drawing thread (which wakes at once).
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts a progress line for `inputs` when standard error is a terminal
    /// and the inputs are large (standard input counts as large: its size is
    /// unknown, so only the bytes read are shown).
    pub fn start(inputs: &[Input]) -> Option<Progress> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let mut total = 0u64;
        let mut unknown = false;
        for input in inputs {
            match input {
                Input::Path(path) => total += std::fs::metadata(path).map_or(0, |m| m.len()),
                Input::Stdin => unknown = true,
            }
        }
        if total < LARGE && !unknown {
            return None;
        }
        let length = (!unknown && total > 0).then_some(total);
        Some(Progress::drawing(ProgressBar::with_draw_target(
            length,
            ProgressDrawTarget::stderr(),
        )))
    }

    /// A progress line drawn by `bar` (of a length when the total is known).
    fn drawing(bar: ProgressBar) -> Progress {
        let template = if bar.length().is_some() {
            SIZED
        } else {
            UNSIZED
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("#>."));
        }
        let counter: ProgressCounter = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let counter = Arc::clone(&counter);
            std::thread::Builder::new()
                .name("portclass-progress".to_owned())
                .spawn(move || {
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(REDRAW) {
                        bar.set_position(counter.load(Ordering::Relaxed));
                    }
                    bar.finish_and_clear();
                })
                .ok()
        };
        Progress {
            counter,
            stop: Some(stop),
            thread,
        }
    }

    /// The counter the readers add to.
    pub fn counter(&self) -> &ProgressCounter {
        &self.counter
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Disconnecting wakes the thread from its wait at once: exit never
        // waits for a redraw period.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drop ends the line: it wakes the drawing thread (rather than
    /// waiting for its period), which finishes and clears the bar before
    /// the drop returns.
    #[test]
    fn a_drop_finishes_the_bar() {
        for length in [Some(1000), None] {
            let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::hidden());
            let progress = Progress::drawing(bar.clone());
            progress.counter().fetch_add(600, Ordering::Relaxed);
            assert!(!bar.is_finished());
            drop(progress);
            assert!(bar.is_finished());
        }
    }

    #[test]
    fn the_templates_are_valid() {
        for template in [SIZED, UNSIZED] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
