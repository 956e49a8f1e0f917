//! Wiring: runs a validated job over the pipeline capture → decode →
//! classify → pipeline → tally → render, with worker threads for several
//! inputs, the live loop, the metrics endpoint and the process table. All
//! output goes to the writers given, so tests run the whole app in-process.
//!
//! May import every other module; parses, classifies and formats nothing
//! itself.

mod diff;
mod live;
pub mod metrics;
pub mod processes;
mod progress;
mod report;
mod resolve;
mod tables;

use crate::capture::{FilterError, Input, PacketFilter};
use crate::classify::ServiceFilterError;
use crate::classify::{NamingRule, PortDb, PortDbError};
use crate::cli;
use crate::config::{
    AnalysisSettings, FilterRequest, Job, NameSettings, Output, PortsSettings, ReadSettings,
    Settings,
};
use crate::pipeline::geo::{GeoDb, GeoError};
use crate::pipeline::read_input;
use crate::render::{self, Format, ShownAddresses};
use crate::tally::buckets::DEFAULT_WIDTH_NS as DEFAULT_BUCKET_NS;
use crate::tally::{InputStatus, Tally};
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;
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
    /// A `--geoip` database could not be used.
    #[error(transparent)]
    Geo(#[from] GeoError),
    /// libpcap refused the capture filter.
    #[error("{0}; see pcap-filter(7) for the syntax")]
    Filter(#[from] FilterError),
    /// `--service` names no service.
    #[error(transparent)]
    Service(#[from] ServiceFilterError),
    /// Writing standard output failed (a closed pipe is one such case).
    #[error("cannot write to standard output: {0} (what it got is incomplete)")]
    Output(#[from] io::Error),
    /// The directory of `--format parquet --out DIR` cannot be used.
    #[error("{path}: {message}")]
    OutDir {
        /// The directory as given.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
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

/// Writes one diagnostic line to `err`: the program's name and `message`.
/// Every message portclass prints on standard error goes through here.
pub fn say(err: &mut dyn Write, message: impl std::fmt::Display) -> io::Result<()> {
    writeln!(err, "portclass: {message}")
}

/// Runs `settings`, writing results to `out` and diagnostics to `err`;
/// returns the exit status.
pub fn run(settings: &Settings, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, AppError> {
    let names = &settings.names;
    let job = match &settings.job {
        // Generated from the command line alone: no port database needed.
        Job::Completions(shell) => {
            return write_generated(|out| cli::write_completions(*shell, out), out);
        }
        Job::ManPage => return write_generated(cli::write_man_page, out),
        job => job,
    };
    let db = load_port_db(names, err)?;
    let lookups = &mut Lookups::open(names)?;
    match job {
        Job::Read(read) => run_read(read, names, &db, lookups, out, err),
        Job::Report(report) => report::run_report(report, names, &db, lookups, out, err),
        Job::Merge(merge) => report::run_merge(merge, names, &db, lookups, out, err),
        Job::Diff(diff) => diff::run_diff(diff, names, &db, out, err),
        Job::Live(live) => live::run_live(live, names, &db, lookups, out, err),
        Job::Interfaces(format) => live::run_interfaces(*format, out, err),
        Job::Ports(ports) => run_ports(ports, names, &db, out, err),
        Job::Completions(_) | Job::ManPage => Ok(EXIT_OK),
    }
}

/// What is looked up for the addresses a run shows: their places in the
/// `--geoip` databases, and with `--resolve` the names the system's
/// resolver gives those the traffic did not name.
pub(crate) struct Lookups {
    geo: Option<GeoDb>,
    resolver: Option<resolve::Resolver>,
    /// When waiting for the resolver's answers ends (set by the first
    /// wait, so that a run waits [`resolve::WAIT`] at most in all).
    wait_until: Option<Instant>,
}

impl Lookups {
    /// Opens the `--geoip` databases; starts no lookup yet.
    fn open(names: &NameSettings) -> Result<Lookups, AppError> {
        let geo = match names.geoip.as_slice() {
            [] => None,
            paths => Some(GeoDb::open(paths)?),
        };
        Ok(Lookups {
            geo,
            resolver: names.resolve.then(resolve::Resolver::new),
            wait_until: None,
        })
    }

    /// Gives `view`'s addresses their places and, with `--resolve`, asks
    /// for the names of those without one and adds the names answered:
    /// when `wait`, once every answer is in or the run's wait is over;
    /// else those in so far (the rest show at a later call).
    pub(crate) fn add_to(&mut self, view: &mut impl ShownAddresses, wait: bool) {
        if let Some(geo) = &self.geo {
            view.locate(geo);
        }
        if let Some(resolver) = &mut self.resolver {
            resolver.ask(view.unnamed());
            if wait {
                let until = *self
                    .wait_until
                    .get_or_insert_with(|| Instant::now() + resolve::WAIT);
                resolver.wait(until.saturating_duration_since(Instant::now()));
            } else {
                resolver.gather();
            }
            view.add_names(resolver.names(), resolver.stats());
        }
    }
}

/// Writes a completion script or the manual page.
fn write_generated(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    out: &mut dyn Write,
) -> Result<u8, AppError> {
    write(out)?;
    out.flush()?;
    Ok(EXIT_OK)
}

fn load_port_db(names: &NameSettings, err: &mut dyn Write) -> Result<PortDb, AppError> {
    let db = PortDb::layered(names.system_services.as_deref(), names.user_db.as_deref())?;
    for warning in db.warnings() {
        say(err, format_args!("warning: {warning}"))?;
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
                say(
                    err,
                    format_args!("{message} ({packets} {noun} before it counted)"),
                )?;
                exit = exit.max(EXIT_PARTIAL);
            }
            InputStatus::Failed(message) => {
                say(err, message)?;
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
    lookups: &mut Lookups,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let rule = db.naming_rule();
    let filter = packet_filter(&settings.filter, db)?;
    // The directory is checked before anything is read.
    let mut parquet = match &settings.output {
        Output::Parquet(dir) => Some(tables::ParquetRun::start(dir)?),
        Output::Stream(..) => None,
    };
    let buckets = parquet
        .is_some()
        .then(|| settings.bucket_ns.unwrap_or(DEFAULT_BUCKET_NS));
    let tally = read_inputs_each(
        &settings.inputs,
        &rule,
        &settings.analysis,
        filter.as_ref(),
        settings.threads,
        buckets,
        |part| {
            // Each input's own rows, so that inputs stay apart in the tables
            // (one input's are the total's, taken below); its buckets are
            // then of no more use.
            if let Some(parquet) = &mut parquet
                && settings.inputs.len() > 1
                && let [input] = part.inputs()
            {
                let view = crate::schema::ReadView::new(part, db, names.numeric);
                let rows =
                    render::parquet::InputRows::of(&input.name, &view).with_buckets(part.buckets());
                parquet.add(&rows);
                part.take_buckets();
            }
        },
    );
    let exit = report_input_status(&tally, err)?;
    let mut view = crate::schema::ReadView::new(&tally, db, names.numeric);
    lookups.add_to(&mut view, true);
    let (format, path) = match (&settings.output, parquet) {
        (Output::Stream(format, path), None) => (*format, path.as_deref()),
        (_, parquet) => {
            if let Some(mut parquet) = parquet {
                if let [input] = view.inputs.as_slice() {
                    let rows = render::parquet::InputRows::of(&input.name, &view)
                        .with_buckets(tally.buckets());
                    parquet.add(&rows);
                }
                parquet.finish(&view, None)?;
            }
            return Ok(exit);
        }
    };
    // With nothing read at all, a summary of zeros is noise for a person;
    // machine formats still get their (empty, statused) document.
    let nothing_read = tally
        .inputs()
        .iter()
        .all(|i| matches!(i.status, InputStatus::Failed(_)));
    if nothing_read && matches!(format, Format::Table | Format::Markdown) {
        return Ok(exit);
    }
    report::with_output(path, out, |w| {
        render::write_read(&view, format, settings.top, w)
    })?;
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

/// The one capture filter expression a run asks for, with the service
/// names looked up in `db`.
pub(crate) fn filter_expression(
    request: &FilterRequest,
    db: &PortDb,
) -> Result<Option<String>, AppError> {
    Ok(request.expression(|name| db.service_filter(name))?)
}

/// The capture filter of a run over files, checked by libpcap before any
/// input is opened.
pub(crate) fn packet_filter(
    request: &FilterRequest,
    db: &PortDb,
) -> Result<Option<PacketFilter>, AppError> {
    match filter_expression(request, db)? {
        Some(expression) => Ok(Some(PacketFilter::new(&expression)?)),
        None => Ok(None),
    }
}

/// Reads every input into one tally, `threads` inputs at a time.
pub fn read_inputs(
    inputs: &[Input],
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    filter: Option<&PacketFilter>,
    threads: usize,
) -> Tally {
    read_inputs_each(inputs, rule, analysis, filter, threads, None, |_| {})
}

/// [`read_inputs`], counting service rows per time bucket of `buckets`
/// ns too when given, and handing each input's own tally to `each` before
/// it is added to the total.
fn read_inputs_each(
    inputs: &[Input],
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    filter: Option<&PacketFilter>,
    threads: usize,
    buckets: Option<u64>,
    mut each: impl FnMut(&mut Tally),
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
            if let Some(width) = buckets {
                tally.count_buckets(width);
            }
            read_input(&mut tally, position, input, rule, analysis, filter, counter);
            tally
        },
        |mut part| {
            each(&mut part);
            total += part;
        },
    );
    total.sort_inputs();
    total
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
                say(
                    err,
                    format_args!("no port database entry matches {query:?}"),
                )?;
                exit = exit.max(EXIT_PARTIAL);
            }
            Ok(found) => entries.extend(found),
            Err(error) => {
                say(err, error)?;
                exit = EXIT_FAILED;
            }
        }
    }
    // Nothing found: the messages above say why, and an empty table would
    // only stand between them and the reader; JSON and CSV still give their
    // (empty) document to a script.
    if entries.is_empty() && matches!(settings.format, Format::Table | Format::Markdown) {
        return Ok(exit);
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
        let analysis = match &mut settings.job {
            Job::Read(read) => &mut read.analysis,
            Job::Report(report) => &mut report.analysis,
            _ => unreachable!("read or report"),
        };
        // One thread, or a reading thread and one shard worker (whatever
        // the CPUs of the machine running the test).
        analysis.pipelined = pipelined;
        analysis.shards = 1;
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
