//! Wiring: runs a validated job over the pipeline capture → decode →
//! classify → tally → render, with worker threads for several inputs. All
//! output goes to the writers given, so tests run the whole app in-process.

mod live;
pub mod metrics;
pub mod processes;
mod progress;
mod report;

use crate::capture::{CaptureReader, Frame, Input, ProgressCounter};
use crate::classify::ftp::{self, Announcement};
use crate::classify::{Classified, ConversationEvent, FlowClassifier, Resolved};
use crate::classify::{NamingRule, PortDb, PortDbError};
use crate::config::{AnalysisSettings, Job, NameSettings, PortsSettings, ReadSettings, Settings};
use crate::decode::{Category, DecodeOptions, PacketInfo, decode_with, tcp_payload};
use crate::render::{self, Format};
use crate::tally::report::ReportTally;
use crate::tally::scans::{ScanDetector, ScanReport};
use crate::tally::{InputStatus, Tally};
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use thiserror::Error;

/// Exit status: all inputs read completely.
pub const EXIT_OK: u8 = 0;
/// Exit status: an input was only partly read (or a query found nothing).
pub const EXIT_PARTIAL: u8 = 1;
/// Exit status: an input could not be read at all, or bad usage.
pub const EXIT_FAILED: u8 = 2;

/// Errors that stop a run before or while writing its output.
#[derive(Debug, Error)]
pub enum AppError {
    /// The port database could not be loaded.
    #[error(transparent)]
    PortDb(#[from] PortDbError),
    /// Writing standard output failed (a closed pipe is one such case).
    #[error("cannot write to standard output: {0} (what it got is incomplete)")]
    Output(#[from] io::Error),
    /// Creating or writing an output file (`report --out`, `merge --out`)
    /// failed.
    #[error("{path}: cannot write it: {error}; {outcome}")]
    OutFile {
        /// The file as given.
        path: String,
        /// What the operating system said.
        error: io::Error,
        /// What became of the file.
        outcome: &'static str,
    },
}

/// Runs `settings`, writing results to `out` and diagnostics to `err`;
/// returns the exit status.
pub fn run(settings: &Settings, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, AppError> {
    let db = load_port_db(&settings.names, err)?;
    match &settings.job {
        Job::Read(read) => run_read(read, &settings.names, &db, out, err),
        Job::Report(report) => report::run_report(report, &settings.names, &db, out, err),
        Job::Merge(merge) => report::run_merge(merge, &settings.names, &db, out, err),
        Job::Live(live) => live::run_live(live, &settings.names, &db, out, err),
        Job::Interfaces(format) => live::run_interfaces(*format, out, err),
        Job::Ports(ports) => run_ports(ports, &settings.names, &db, out, err),
    }
}

fn load_port_db(names: &NameSettings, err: &mut dyn Write) -> Result<PortDb, AppError> {
    let db = PortDb::layered(names.system_services.as_deref(), names.user_db.as_deref())?;
    for warning in db.warnings() {
        writeln!(err, "portclass: warning: {warning}")?;
    }
    Ok(db)
}

/// Says on `err` what went wrong with each input (one line each) and
/// returns the exit status they call for.
pub(crate) fn report_input_status(tally: &Tally, err: &mut dyn Write) -> io::Result<u8> {
    let mut exit = EXIT_OK;
    for input in tally.inputs() {
        match &input.status {
            InputStatus::Complete => {}
            InputStatus::Partial(message) => {
                let packets = input.total.packets;
                let noun = if packets == 1 { "packet" } else { "packets" };
                writeln!(
                    err,
                    "portclass: {message} ({packets} {noun} before it counted)"
                )?;
                exit = exit.max(EXIT_PARTIAL);
            }
            InputStatus::Failed(message) => {
                writeln!(err, "portclass: {message}")?;
                exit = EXIT_FAILED;
            }
        }
    }
    Ok(exit)
}

fn run_read(
    settings: &ReadSettings,
    names: &NameSettings,
    db: &PortDb,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let rule = db.naming_rule();
    let tally = read_inputs(
        &settings.inputs,
        &rule,
        &settings.analysis,
        settings.threads,
    );
    let exit = report_input_status(&tally, err)?;
    // With nothing read at all, a summary of zeros is noise for a person;
    // machine formats still get their (empty, statused) document.
    let nothing_read = tally
        .inputs()
        .iter()
        .all(|i| matches!(i.status, InputStatus::Failed(_)));
    if nothing_read && matches!(settings.format, Format::Table | Format::Markdown) {
        return Ok(exit);
    }
    let view = render::ReadView::new(&tally, db, names.numeric);
    render::write_read(&view, settings.format, settings.top, out)?;
    out.flush()?;
    Ok(exit)
}

/// Runs `work` on every input, `threads` inputs at a time, and hands each
/// result to `merge` as it arrives (so at most one result per worker is
/// alive at once).
pub(crate) fn each_input<I: Sync, T: Send>(
    inputs: &[I],
    threads: usize,
    work: impl Fn(usize, &I) -> T + Sync,
    mut merge: impl FnMut(T),
) {
    if threads <= 1 || inputs.len() <= 1 {
        for (position, input) in inputs.iter().enumerate() {
            merge(work(position, input));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<T>();
    let work = &work;
    std::thread::scope(|scope| {
        for _ in 0..threads.min(inputs.len()) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(position) else {
                        break;
                    };
                    if sender.send(work(position, input)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for part in receiver {
            merge(part);
        }
    });
}

/// Reads every input into one tally, `threads` inputs at a time.
pub fn read_inputs(
    inputs: &[Input],
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    threads: usize,
) -> Tally {
    let progress = progress::Progress::start(inputs);
    let counter = progress.as_ref().map(progress::Progress::counter);
    let mut total = Tally::new();
    total.set_decap(analysis.decap);
    each_input(
        inputs,
        threads,
        |position, input| {
            let mut tally = Tally::new();
            read_input(&mut tally, position, input, rule, analysis, counter);
            tally
        },
        |part| total += part,
    );
    total.sort_inputs();
    total
}

/// Where classified frames are counted: `read`'s tally or the report's.
pub(crate) trait FrameSink {
    /// Counts one classified frame.
    fn count(
        &mut self,
        info: &PacketInfo,
        classified: &Classified,
        wire_len: u32,
        link_type: u16,
        ts_nanos: i64,
    );
    /// Counts the late fate of held fragments.
    fn resolve(&mut self, resolved: &Resolved);
    /// The tally holding the inputs' facts.
    fn base(&mut self) -> &mut Tally;
}

impl FrameSink for Tally {
    #[inline]
    fn count(
        &mut self,
        info: &PacketInfo,
        classified: &Classified,
        wire_len: u32,
        link_type: u16,
        ts_nanos: i64,
    ) {
        Tally::count(self, info, classified, wire_len, link_type, ts_nanos);
    }

    fn resolve(&mut self, resolved: &Resolved) {
        Tally::resolve(self, resolved);
    }

    fn base(&mut self) -> &mut Tally {
        self
    }
}

impl FrameSink for ReportTally {
    #[inline]
    fn count(
        &mut self,
        info: &PacketInfo,
        classified: &Classified,
        wire_len: u32,
        link_type: u16,
        ts_nanos: i64,
    ) {
        ReportTally::count(self, info, classified, wire_len, link_type, ts_nanos);
    }

    fn resolve(&mut self, resolved: &Resolved) {
        ReportTally::resolve(self, resolved);
    }

    fn base(&mut self) -> &mut Tally {
        &mut self.base
    }
}

/// A decoded frame: what classifying and counting need of it, no longer
/// borrowing the reader's buffer (so it can cross to another thread).
pub(crate) struct Decoded {
    info: PacketInfo,
    /// An FTP data connection the frame announces (boxed: rare, and the
    /// batches handed between threads stay small).
    announced: Option<Box<Announcement>>,
    wire_len: u32,
    link_type: u16,
    ts_nanos: i64,
}

impl Decoded {
    /// Decodes one frame.
    #[inline]
    fn new(options: DecodeOptions, frame: &Frame<'_>) -> Decoded {
        let info = decode_with(
            frame.link_type,
            frame.data,
            frame.orig_len,
            frame.fcs_len,
            options,
        );
        Decoded {
            announced: Self::ftp_announcement(&info, frame),
            info,
            wire_len: frame.orig_len,
            link_type: frame.link_type.0,
            ts_nanos: frame.ts_nanos,
        }
    }

    /// The data connection an FTP control segment announces, if any: the
    /// one place a frame's payload is read.
    #[inline]
    fn ftp_announcement(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Announcement>> {
        if info.category != Category::Tcp
            || (info.src_port != ftp::FTP_CONTROL && info.dst_port != ftp::FTP_CONTROL)
        {
            return None;
        }
        Self::read_ftp_control(info, frame)
    }

    #[cold]
    fn read_ftp_control(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Announcement>> {
        let (src, dst) = info.addresses?;
        if info.tunnel.is_some() || info.fragment.is_some() {
            return None;
        }
        let payload = tcp_payload(frame.link_type, frame.data, frame.fcs_len)?;
        ftp::announcement(payload, (src, info.src_port), (dst, info.dst_port)).map(Box::new)
    }
}

/// The stateful stages of one stream of frames (one input, or one live
/// capture): decode options, the flow classifier and the scan detector.
pub(crate) struct Stream<'r> {
    decode: DecodeOptions,
    classifier: FlowClassifier<'r>,
    scans: Option<ScanDetector>,
}

impl<'r> Stream<'r> {
    /// A stream at its start.
    pub(crate) fn new(rule: &'r NamingRule, analysis: &AnalysisSettings) -> Stream<'r> {
        Stream {
            decode: DecodeOptions {
                decap: analysis.decap,
            },
            classifier: FlowClassifier::new(rule, analysis.flow),
            scans: analysis.scans.map(ScanDetector::new),
        }
    }

    /// One frame through the pipeline: decode, classify, count.
    #[inline]
    pub(crate) fn count_frame<S: FrameSink>(&mut self, sink: &mut S, frame: &Frame<'_>) {
        let decoded = Decoded::new(self.decode, frame);
        self.count_decoded(sink, &decoded);
    }

    /// Classifies and counts a decoded frame.
    #[inline]
    pub(crate) fn count_decoded<S: FrameSink>(&mut self, sink: &mut S, decoded: &Decoded) {
        let info = &decoded.info;
        if let Some(announced) = &decoded.announced {
            self.classifier
                .announce(info.tunnel, announced, decoded.ts_nanos);
        }
        let classified = self
            .classifier
            .classify(info, decoded.wire_len, decoded.ts_nanos);
        if classified.event != ConversationEvent::None
            && let Some(scans) = &mut self.scans
        {
            scans.observe(info, classified.event, decoded.ts_nanos);
        }
        sink.count(
            info,
            &classified,
            decoded.wire_len,
            decoded.link_type,
            decoded.ts_nanos,
        );
        if self.classifier.has_resolved() {
            for resolved in self.classifier.drain_resolved() {
                sink.resolve(&resolved);
            }
        }
    }

    /// Lets the classifier give up what waited past its window by capture
    /// time `now` (a live capture, between frames), counting it in `sink`.
    pub(crate) fn advance<S: FrameSink>(&mut self, sink: &mut S, now: i64) {
        self.classifier.advance(now);
        for resolved in self.classifier.drain_resolved() {
            sink.resolve(&resolved);
        }
    }

    /// The scans found so far (live snapshots).
    pub(crate) fn scan_report(&self) -> Option<ScanReport> {
        self.scans.as_ref().map(ScanDetector::report)
    }

    /// Ends the stream: fragments still held become unattributed, and the
    /// scans found go into the sink's tally.
    pub(crate) fn finish<S: FrameSink>(mut self, sink: &mut S) {
        self.classifier.finish();
        for resolved in self.classifier.drain_resolved() {
            sink.resolve(&resolved);
        }
        let base = sink.base();
        base.set_decap(self.decode.decap);
        if let Some(scans) = self.scans {
            base.add_scans(&scans.finish());
        }
    }
}

/// Reads one input into `sink` to its end or its first error; everything
/// read before an error is counted.
pub(crate) fn read_input<S: FrameSink>(
    sink: &mut S,
    position: usize,
    input: &Input,
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    progress: Option<&ProgressCounter>,
) {
    let opened = match progress {
        Some(counter) => CaptureReader::open_with_progress(input, counter),
        None => CaptureReader::open(input),
    };
    let mut reader = match opened {
        Ok(reader) => reader,
        Err(error) => {
            sink.base()
                .failed_input(position, input.display_name(), error.to_string());
            return;
        }
    };
    let mut stream = Stream::new(rule, analysis);
    let status = if analysis.pipelined {
        read_pipelined(&mut reader, &mut stream, sink)
    } else {
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => stream.count_frame(sink, &frame),
                Ok(None) => break InputStatus::Complete,
                Err(error) => break InputStatus::Partial(error.to_string()),
            }
        }
    };
    stream.finish(sink);
    let format = reader.format().to_string();
    sink.base()
        .finish_input(position, input.display_name(), format, status);
}

/// Frames decoded per batch handed from the reading thread to the counting
/// one (about 100 KiB).
const BATCH_FRAMES: usize = 1024;
/// Batches in flight: the reading thread runs at most this far ahead.
const BATCHES_AHEAD: usize = 4;

/// Reads and decodes on a thread of its own while this one classifies and
/// counts, in file order: the same result as one thread, in about the time
/// of the slower half (see the README's Speed section). Batches are
/// recycled, so nothing is allocated per frame.
fn read_pipelined<S: FrameSink>(
    reader: &mut CaptureReader,
    stream: &mut Stream<'_>,
    sink: &mut S,
) -> InputStatus {
    let options = stream.decode;
    let (full, decoded) = mpsc::sync_channel::<Vec<Decoded>>(BATCHES_AHEAD);
    let (recycle, empties) = mpsc::channel::<Vec<Decoded>>();
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH_FRAMES);
            let status = loop {
                match reader.next_frame() {
                    Ok(Some(frame)) => {
                        batch.push(Decoded::new(options, &frame));
                        if batch.len() == BATCH_FRAMES {
                            let next = empties
                                .try_recv()
                                .unwrap_or_else(|_| Vec::with_capacity(BATCH_FRAMES));
                            if full.send(std::mem::replace(&mut batch, next)).is_err() {
                                // The counting side is gone (it panicked):
                                // nothing to hand over.
                                break InputStatus::Complete;
                            }
                        }
                    }
                    Ok(None) => break InputStatus::Complete,
                    Err(error) => break InputStatus::Partial(error.to_string()),
                }
            };
            if !batch.is_empty() {
                let _ = full.send(batch);
            }
            status
        });
        for mut batch in decoded {
            for frame in &batch {
                stream.count_decoded(sink, frame);
            }
            batch.clear();
            let _ = recycle.send(batch);
        }
        reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn run_ports(
    settings: &PortsSettings,
    names: &NameSettings,
    db: &PortDb,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let mut exit = EXIT_OK;
    let mut entries = Vec::new();
    for query in &settings.queries {
        match db.query(query) {
            Ok(found) if found.is_empty() => {
                writeln!(err, "portclass: no port database entry matches {query:?}")?;
                exit = exit.max(EXIT_PARTIAL);
            }
            Ok(found) => entries.extend(found),
            Err(error) => {
                writeln!(err, "portclass: {error}")?;
                exit = EXIT_FAILED;
            }
        }
    }
    render::write_ports(&entries, settings.format, names.numeric, out)?;
    out.flush()?;
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    /// `read` and `report` on one capture, with its reading on a thread of
    /// its own or not: stdout, stderr and exit status.
    fn run_with(command: &str, path: &std::path::Path, pipelined: bool) -> (Vec<u8>, Vec<u8>, u8) {
        let cli = Cli::parse_from([
            "portclass".as_ref(),
            command.as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--no-system-services".as_ref(),
            path.as_os_str(),
        ]);
        let mut settings = Settings::from_cli(cli).expect("valid command line");
        match &mut settings.job {
            Job::Read(read) => read.analysis.pipelined = pipelined,
            Job::Report(report) => report.analysis.pipelined = pipelined,
            _ => unreachable!("read or report"),
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run(&settings, &mut out, &mut err).expect("runs");
        (out, err, status)
    }

    #[test]
    fn a_reading_thread_of_its_own_changes_nothing_in_the_result() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut captures: Vec<_> = std::fs::read_dir(&fixtures)
            .expect("fixtures/")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
            .collect();
        captures.sort();
        assert!(captures.len() >= 10, "{captures:?}");
        for capture in &captures {
            for command in ["read", "report"] {
                let one = run_with(command, capture, false);
                let two = run_with(command, capture, true);
                assert!(
                    one == two,
                    "{command} {}: differs with a reading thread",
                    capture.display()
                );
            }
        }
    }
}
