//! A progress line on standard error while large inputs are read, when
//! standard error is a terminal: percentage, a bar, bytes read of the total.

use crate::capture::{Input, ProgressCounter};
use crate::render::format_bytes;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Inputs smaller than this in all read too fast for a progress line.
const LARGE: u64 = 64 << 20;
const REDRAW: Duration = Duration::from_millis(200);
const BAR_WIDTH: usize = 30;

/// A progress line drawn by a thread of its own until dropped.
pub struct Progress {
    counter: ProgressCounter,
    done: Arc<AtomicBool>,
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
        let counter: ProgressCounter = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let counter = Arc::clone(&counter);
            let done = Arc::clone(&done);
            std::thread::Builder::new()
                .name("portclass-progress".to_owned())
                .spawn(move || {
                    let mut stderr = std::io::stderr();
                    while !done.load(Ordering::Relaxed) {
                        let read = counter.load(Ordering::Relaxed);
                        let line = if unknown || total == 0 {
                            format!("portclass: read {}", format_bytes(read))
                        } else {
                            let fraction = (read as f64 / total as f64).min(1.0);
                            let filled = (fraction * BAR_WIDTH as f64) as usize;
                            format!(
                                "portclass: reading {:>3.0}% [{}{}] {} of {}",
                                fraction * 100.0,
                                "#".repeat(filled),
                                ".".repeat(BAR_WIDTH - filled),
                                format_bytes(read),
                                format_bytes(total)
                            )
                        };
                        let _ = write!(stderr, "\r\x1b[2K{line}");
                        let _ = stderr.flush();
                        std::thread::sleep(REDRAW);
                    }
                    let _ = write!(stderr, "\r\x1b[2K");
                    let _ = stderr.flush();
                })
                .ok()
        };
        Some(Progress {
            counter,
            done,
            thread,
        })
    }

    /// The counter the readers add to.
    pub fn counter(&self) -> &ProgressCounter {
        &self.counter
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
