//! Turns parsed flags into a validated [`Settings`] before anything runs.

use crate::capture::{Input, LiveOptions, MAX_CAPTURED_LEN};
use crate::cli::{self, Cli, Command};
use crate::pipeline::FlowSettings;
use crate::pipeline::scans::ScanSettings;
use crate::render::Format;
use crate::schema::{DiffSettingsView, Measure};
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

/// Most worker threads `read` starts by default.
const MAX_DEFAULT_THREADS: usize = 8;

/// A command line that parsed but does not make sense.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// `-` (standard input) given more than once.
    #[error("standard input (-) can be read only once; give it once among the files")]
    StdinTwice,
    /// `live --filter F` and trailing filter words.
    #[error("the capture filter is given twice, with --filter and as trailing words: give one")]
    FilterTwice,
    /// `--host` that is neither an address nor a network.
    #[error(
        "--host {0}: not an address or a network; give an IPv4 or IPv6 address (10.0.0.5, 2001:db8::1) or a network with its prefix length (10.0.0.0/8)"
    )]
    BadHost(String),
    /// `--port` that is neither a port nor a range.
    #[error(
        "--port {0}: not a port or a range; give a number from 0 to 65535 (443) or a range (6000-6063)"
    )]
    BadPort(String),
    /// `--service ""`.
    #[error("--service needs a service name, e.g. --service ssh (portclass ports lists them)")]
    EmptyService,
    /// `--threads 0`.
    #[error("--threads must be at least 1")]
    ZeroThreads,
    /// A duration that is not a positive number of seconds.
    #[error("{flag} must be a positive number of seconds, got {value}")]
    BadSeconds {
        /// The flag.
        flag: &'static str,
        /// What was given.
        value: f64,
    },
    /// `--count 0`.
    #[error("--count must be at least 1")]
    ZeroCount,
    /// `read --bucket` without `--format parquet`.
    #[error(
        "read --bucket sets the width of the Parquet services table's time buckets: give it \
         with --format parquet --out DIR (report --bucket also sets the chart's)"
    )]
    BucketNeedsParquet,
    /// A `--bucket` that is not a duration.
    #[error("--bucket expects a duration such as 1s, 30s, 5m, 1h or 250ms, got {0:?}")]
    BadBucket(String),
    /// A duration flag that is not a duration.
    #[error("{flag} expects a duration such as 30s, 5m or 1h, got {value:?}")]
    BadDuration {
        /// The flag.
        flag: &'static str,
        /// What was given.
        value: String,
    },
    /// A scan threshold of 0 or 1 (every source would be a scanner).
    #[error("{flag} must be at least 2, got {value}")]
    BadScanThreshold {
        /// The flag.
        flag: &'static str,
        /// What was given.
        value: u32,
    },
    /// `report --table` with a format other than CSV.
    #[error(
        "--table chooses the one table of CSV output, but --format {format} holds every table: \
         drop --table, or give --format csv"
    )]
    TableWithoutCsv {
        /// The format asked for.
        format: &'static str,
    },
    /// `--format parquet` without `--out DIR`.
    #[error(
        "--format parquet writes a directory of files (one per table): give it with --out DIR, \
         e.g. {command} --format parquet --out tables/ ..."
    )]
    ParquetNeedsOut {
        /// The subcommand (`read`, `report`, `merge`).
        command: &'static str,
    },
    /// `--buffer-size` out of range.
    #[error("--buffer-size must be between 64 and 2097151 KiB (2 GiB), got {0}")]
    BadBufferSize(u32),
    /// `--snaplen` out of range.
    #[error("--snaplen must be between 64 and 262144 bytes, got {0}")]
    BadSnaplen(u32),
    /// `diff --factor` not above 1.
    #[error("--factor must be a number above 1 (2: doubled or halved), got {0}")]
    BadFactor(f64),
    /// An `--alert` rule that does not parse.
    #[error(transparent)]
    BadAlert(#[from] crate::pipeline::alerts::RuleError),
}

/// How ports are named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSettings {
    /// The system services file, unless disabled.
    pub system_services: Option<PathBuf>,
    /// The user's port database file (`--port-db`).
    pub user_db: Option<PathBuf>,
    /// Numbers only.
    pub numeric: bool,
    /// `--geoip` databases (MaxMind format), in the order given.
    pub geoip: Vec<PathBuf>,
    /// Reverse DNS lookups of the addresses shown (`--resolve`).
    pub resolve: bool,
}

/// The analysis beyond port numbers: tunnels, handshakes, fragments, scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalysisSettings {
    /// Look into tunnels (`--decap`).
    pub decap: bool,
    /// Learn names for addresses from DNS, TLS, QUIC and HTTP payloads
    /// (off with `--no-names`).
    pub names: bool,
    /// The flow classifier's switches and bounds.
    pub flow: FlowSettings,
    /// The scan detector's thresholds; `None` with `--no-scans`.
    pub scans: Option<ScanSettings>,
    /// Read and decode each input on a thread of its own, beside the one
    /// that classifies and counts it (a single shard worker) and the one
    /// that runs the scan detector: set when a core is left over by the
    /// inputs read in parallel.
    pub pipelined: bool,
    /// Shard workers that classify and count one input, its frames split
    /// between them by address pair (1: no sharding; see
    /// [`crate::pipeline::read_input`]). Reading is then always on a thread
    /// of its own.
    pub shards: usize,
}

impl Default for AnalysisSettings {
    fn default() -> AnalysisSettings {
        AnalysisSettings {
            decap: false,
            names: true,
            flow: FlowSettings::default(),
            scans: Some(ScanSettings::default()),
            pipelined: false,
            shards: 1,
        }
    }
}

fn analysis_settings(args: &cli::AnalysisArgs) -> Result<AnalysisSettings, ConfigError> {
    let window_ns = parse_duration_ns(&args.scan_window).map_err(|_| ConfigError::BadDuration {
        flag: "--scan-window",
        value: args.scan_window.clone(),
    })?;
    for (flag, value) in [
        ("--scan-ports", args.scan_ports),
        ("--scan-hosts", args.scan_hosts),
    ] {
        if value < 2 {
            return Err(ConfigError::BadScanThreshold { flag, value });
        }
    }
    Ok(AnalysisSettings {
        decap: args.decap,
        names: !args.no_names,
        flow: FlowSettings {
            handshake: !args.no_handshake,
            conversations: !args.no_handshake || !args.no_scans,
            ..FlowSettings::default()
        },
        scans: (!args.no_scans).then(|| ScanSettings {
            window_ns,
            vertical_ports: args.scan_ports,
            horizontal_hosts: args.scan_hosts,
            ..ScanSettings::default()
        }),
        pipelined: false,
        shards: 1,
    })
}

/// Where and how `read`, `report` or `merge` writes: one stream in a
/// format of [`Format`] (to standard output or `--out FILE`), or Parquet
/// files in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output<F> {
    /// One stream in format `F`; to this file, or standard output.
    Stream(F, Option<PathBuf>),
    /// Parquet files, one per table, in this directory.
    Parquet(PathBuf),
}

impl<F> Output<F> {
    /// `Stream(format, out)`, or `Parquet(out)` when `parquet` is set
    /// (refused without `--out`).
    fn new(
        format: Option<F>,
        out: Option<PathBuf>,
        command: &'static str,
    ) -> Result<Output<F>, ConfigError> {
        match (format, out) {
            (Some(format), out) => Ok(Output::Stream(format, out)),
            (None, Some(dir)) => Ok(Output::Parquet(dir)),
            (None, None) => Err(ConfigError::ParquetNeedsOut { command }),
        }
    }
}

/// What `read` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSettings {
    /// The captures, in command-line order.
    pub inputs: Vec<Input>,
    /// Output format and place.
    pub output: Output<Format>,
    /// Service rows shown by table and markdown (0: all).
    pub top: usize,
    /// Worker threads.
    pub threads: usize,
    /// Which packets to count.
    pub filter: FilterRequest,
    /// Tunnels, handshakes, scans.
    pub analysis: AnalysisSettings,
    /// The Parquet services table's bucket width (`--bucket`; only with
    /// Parquet output).
    pub bucket_ns: Option<u64>,
}

/// What `diff` does.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffSettings {
    /// The earlier capture or summary.
    pub before: Input,
    /// The later one.
    pub after: Input,
    /// Output format.
    pub format: Format,
    /// How rows are compared.
    pub compare: DiffSettingsView,
    /// Which packets to count (for captures).
    pub filter: FilterRequest,
    /// Tunnels, handshakes, scans (for captures).
    pub analysis: AnalysisSettings,
}

/// `diff --min`'s default with `--by bytes`: 10 kB.
pub const DIFF_MIN_BYTES: u64 = 10_000;
/// `diff --min`'s default with `--by packets`.
pub const DIFF_MIN_PACKETS: u64 = 20;

fn diff_settings(args: cli::DiffArgs) -> Result<DiffSettings, ConfigError> {
    let before = Input::from_arg(&args.before);
    let after = Input::from_arg(&args.after);
    if before == Input::Stdin && after == Input::Stdin {
        return Err(ConfigError::StdinTwice);
    }
    if !(args.factor.is_finite() && args.factor > 1.0) {
        return Err(ConfigError::BadFactor(args.factor));
    }
    let (measure, default_min) = match args.by {
        cli::DiffMeasure::Bytes => (Measure::Bytes, DIFF_MIN_BYTES),
        cli::DiffMeasure::Packets => (Measure::Packets, DIFF_MIN_PACKETS),
    };
    // The sides are read one after the other, each as `read` reads one.
    let plan = thread_plan(None, 1, true)?;
    Ok(DiffSettings {
        before,
        after,
        format: format(args.format),
        compare: DiffSettingsView {
            factor: args.factor,
            measure,
            min: args.min.unwrap_or(default_min),
            all_ports: args.all_ports,
        },
        filter: FilterRequest::new(args.filters, &[])?,
        analysis: threaded_analysis(&args.analysis, plan)?,
    })
}

/// What `ports` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortsSettings {
    /// The queries, as typed.
    pub queries: Vec<String>,
    /// Output format.
    pub format: Format,
}

/// The subcommand to run, validated.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// `portclass read`.
    Read(ReadSettings),
    /// `portclass report`.
    Report(ReportSettings),
    /// `portclass merge`.
    Merge(MergeSettings),
    /// `portclass diff`.
    Diff(DiffSettings),
    /// `portclass live`.
    Live(LiveSettings),
    /// `portclass interfaces`.
    Interfaces(Format),
    /// `portclass ports`.
    Ports(PortsSettings),
    /// `portclass completions SHELL`.
    Completions(cli::Shell),
    /// `portclass man`.
    ManPage,
}

/// What `live` does.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveSettings {
    /// Capture device and options (its filter is set from `filter` when the
    /// run starts, with the service names looked up).
    pub capture: LiveOptions,
    /// Which packets to capture.
    pub filter: FilterRequest,
    /// Stop when writing the file of saved packets fails.
    pub stop_on_write_error: bool,
    /// Time between snapshots.
    pub interval: Duration,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Output format.
    pub format: Format,
    /// Where to serve Prometheus metrics.
    pub metrics: Option<String>,
    /// The web configuration of the metrics endpoint (TLS, basic auth),
    /// read when the run starts.
    pub metrics_web_config: Option<PathBuf>,
    /// Most service (and most server) series in the metrics.
    pub metrics_max_series: usize,
    /// Service rows shown.
    pub top: usize,
    /// Tunnels, handshakes, scans.
    pub analysis: AnalysisSettings,
    /// The JSON summary whose services and servers are known (`--baseline`).
    pub baseline: Option<PathBuf>,
    /// The threshold rules (`--alert`).
    pub alerts: Vec<crate::pipeline::alerts::AlertRule>,
}

/// What `report` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSettings {
    /// Captures and JSON summaries, in command-line order.
    pub inputs: Vec<Input>,
    /// Output format (never [`cli::ReportFormat::Parquet`] in a stream)
    /// and place.
    pub output: Output<cli::ReportFormat>,
    /// Rows per table.
    pub top: usize,
    /// Time-series bucket width (automatic when `None`).
    pub bucket_ns: Option<u64>,
    /// The CSV table.
    pub table: cli::ReportTableArg,
    /// Worker threads.
    pub threads: usize,
    /// Which packets to count.
    pub filter: FilterRequest,
    /// Tunnels, handshakes, scans.
    pub analysis: AnalysisSettings,
}

/// What `merge` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeSettings {
    /// The JSON summaries.
    pub inputs: Vec<PathBuf>,
    /// JSON (to a file or standard output), or Parquet files.
    pub output: Output<()>,
}

/// Everything a run needs, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Port naming.
    pub names: NameSettings,
    /// The job.
    pub job: Job,
}

fn format(format: cli::Format) -> Format {
    match format {
        cli::Format::Table => Format::Table,
        cli::Format::Json => Format::Json,
        cli::Format::Csv => Format::Csv,
        cli::Format::Markdown => Format::Markdown,
    }
}

/// How `--threads` is spent on `inputs` inputs: as many inputs read at
/// once as there are threads (never more than the inputs), and the threads
/// left over shared out as shard workers of each input read at once (one
/// input and `--threads 4`: four shard workers; three inputs and
/// `--threads 8`: three at once, two shard workers each). Threads: as
/// asked, else one per CPU (at most [`MAX_DEFAULT_THREADS`]); then, with
/// `reader_core` and one input, one of them is left to the thread that
/// reads and decodes (`read`, whose counting costs about as much as
/// reading: on two CPUs, a reading thread and two shard workers were 5–20%
/// slower than a reading and one counting thread; `report`'s counting is
/// about three times dearer, and two shard workers gain 25–35% there).
/// Returns the inputs read at once and the shard workers of each.
fn thread_plan(
    asked: Option<usize>,
    inputs: usize,
    reader_core: bool,
) -> Result<(usize, usize), ConfigError> {
    let threads = match asked {
        Some(0) => return Err(ConfigError::ZeroThreads),
        Some(n) => n,
        None => {
            let cpus = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_DEFAULT_THREADS);
            if reader_core && inputs == 1 {
                (cpus - 1).max(1)
            } else {
                cpus
            }
        }
    };
    let at_once = threads.min(inputs).max(1);
    Ok((at_once, (threads / at_once).max(1)))
}

/// The analysis settings of `read` and `report`, with their threads.
fn threaded_analysis(
    args: &cli::AnalysisArgs,
    (threads, shards): (usize, usize),
) -> Result<AnalysisSettings, ConfigError> {
    Ok(AnalysisSettings {
        pipelined: shards == 1 && spare_core(threads),
        shards,
        ..analysis_settings(args)?
    })
}

/// Which packets to count: a tcpdump expression and the shortcuts, checked
/// for form. The service names are looked up in the port database when the
/// run starts ([`FilterRequest::expression`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterRequest {
    /// `--filter` or live's trailing words.
    pub expression: Option<String>,
    /// `--service`, as typed.
    pub services: Vec<String>,
    /// `--host`: addresses (prefix length `None`) and networks.
    pub hosts: Vec<(IpAddr, Option<u8>)>,
    /// `--port`: ports and ranges.
    pub ports: Vec<RangeInclusive<u16>>,
}

impl FilterRequest {
    fn new(args: cli::FilterArgs, words: &[String]) -> Result<FilterRequest, ConfigError> {
        let hosts = args
            .host
            .iter()
            .map(|host| parse_host(host).ok_or_else(|| ConfigError::BadHost(host.clone())))
            .collect::<Result<_, _>>()?;
        let ports = args
            .port
            .iter()
            .map(|port| parse_port_range(port).ok_or_else(|| ConfigError::BadPort(port.clone())))
            .collect::<Result<_, _>>()?;
        let services: Vec<String> = args.service.iter().map(|s| s.trim().to_owned()).collect();
        if services.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyService);
        }
        Ok(FilterRequest {
            expression: capture_filter(args.filter, words)?,
            services,
            hosts,
            ports,
        })
    }

    /// Whether any filter was asked for.
    pub fn is_empty(&self) -> bool {
        self.expression.is_none()
            && self.services.is_empty()
            && self.hosts.is_empty()
            && self.ports.is_empty()
    }

    /// The one tcpdump expression for everything asked: each kind's values
    /// joined with `or`, the kinds and `--filter` with `and`. `service`
    /// gives the expression of one service name (from the port database).
    pub fn expression<E>(
        &self,
        mut service: impl FnMut(&str) -> Result<String, E>,
    ) -> Result<Option<String>, E> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(expression) = &self.expression {
            parts.push(expression.clone());
        }
        if !self.services.is_empty() {
            let terms = self
                .services
                .iter()
                .map(|name| service(name))
                .collect::<Result<Vec<_>, E>>()?;
            parts.push(terms.join(" or "));
        }
        if !self.hosts.is_empty() {
            let terms: Vec<String> = self
                .hosts
                .iter()
                .map(|(addr, len)| match len {
                    None => format!("host {addr}"),
                    Some(len) => format!("net {addr}/{len}"),
                })
                .collect();
            parts.push(terms.join(" or "));
        }
        if !self.ports.is_empty() {
            let terms: Vec<String> = self
                .ports
                .iter()
                .map(|range| {
                    if range.start() == range.end() {
                        format!("port {}", range.start())
                    } else {
                        format!("portrange {}-{}", range.start(), range.end())
                    }
                })
                .collect();
            parts.push(terms.join(" or "));
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(
                parts
                    .iter()
                    .map(|part| format!("({part})"))
                    .collect::<Vec<_>>()
                    .join(" and "),
            ),
        })
    }
}

/// `10.0.0.5`, `2001:db8::1`, `10.0.0.0/8`: the address, and the prefix
/// length of a network (at most 32 or 128).
fn parse_host(text: &str) -> Option<(IpAddr, Option<u8>)> {
    let text = text.trim();
    let (addr, len) = match text.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match len {
        None => Some((addr, None)),
        Some(len) => {
            let len: u8 = len.parse().ok()?;
            (len <= max).then_some((addr, Some(len)))
        }
    }
}

/// `443` or `6000-6063` (the lower port first).
fn parse_port_range(text: &str) -> Option<RangeInclusive<u16>> {
    let text = text.trim();
    let (low, high) = text.split_once('-').unwrap_or((text, text));
    let (low, high): (u16, u16) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
    (low <= high).then_some(low..=high)
}

/// The capture filter from `--filter` or the trailing words (not both).
fn capture_filter(option: Option<String>, words: &[String]) -> Result<Option<String>, ConfigError> {
    match (option, words.is_empty()) {
        (Some(_), false) => Err(ConfigError::FilterTwice),
        (Some(filter), true) => Ok(Some(filter)),
        (None, false) => Ok(Some(words.join(" "))),
        (None, true) => Ok(None),
    }
}

/// `report`'s format and CSV table: HTML by default, CSV when only
/// `--table` is given; `--table` with any other format is refused rather
/// than ignored.
fn report_output(
    format: Option<cli::ReportFormat>,
    table: Option<cli::ReportTableArg>,
) -> Result<(cli::ReportFormat, cli::ReportTableArg), ConfigError> {
    use cli::ReportFormat::{Csv, Html, Json, Markdown, Parquet};
    let services = cli::ReportTableArg::Services;
    match (format, table) {
        (None, None) => Ok((Html, services)),
        (None | Some(Csv), table) => Ok((Csv, table.unwrap_or(services))),
        (Some(format), None) => Ok((format, services)),
        (Some(format), Some(_)) => Err(ConfigError::TableWithoutCsv {
            format: match format {
                Html => "html",
                Markdown => "markdown",
                Json => "json",
                Csv => "csv",
                Parquet => "parquet",
            },
        }),
    }
}

/// Whether the CPUs outnumber the `threads` inputs read at once, so each
/// input's reading can have a core of its own.
fn spare_core(threads: usize) -> bool {
    std::thread::available_parallelism().is_ok_and(|cpus| cpus.get() > threads)
}

/// `250ms`, `1s`, `1.5s`, `30s`, `5m`, `1h`, `1d` (or a bare number of
/// seconds) in nanoseconds.
pub fn parse_duration_ns(text: &str) -> Result<u64, ConfigError> {
    let bad = || ConfigError::BadBucket(text.to_string());
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let scale = match unit.trim() {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "" | "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => return Err(bad()),
    };
    let ns = value * scale;
    if ns.is_finite() && (1.0..=1e18).contains(&ns) {
        Ok(ns.round() as u64)
    } else {
        Err(bad())
    }
}

fn seconds(flag: &'static str, value: f64) -> Result<Duration, ConfigError> {
    // At least a millisecond, at most a year: anything else is a typo.
    if value.is_finite() && (0.001..=31_536_000.0).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ConfigError::BadSeconds { flag, value })
    }
}

fn live_settings(args: cli::LiveArgs) -> Result<LiveSettings, ConfigError> {
    if args.count == Some(0) {
        return Err(ConfigError::ZeroCount);
    }
    if !(64..=MAX_CAPTURED_LEN).contains(&args.snaplen) {
        return Err(ConfigError::BadSnaplen(args.snaplen));
    }
    // libpcap takes the size in bytes as an `int`.
    if !(64..=(i32::MAX as u32 >> 10)).contains(&args.buffer_size) {
        return Err(ConfigError::BadBufferSize(args.buffer_size));
    }
    Ok(LiveSettings {
        capture: LiveOptions {
            device: args.interface,
            snaplen: args.snaplen,
            promisc: !args.no_promisc,
            buffer_size: args.buffer_size << 10,
            write: args.write,
            ..LiveOptions::default()
        },
        filter: FilterRequest::new(args.filters, &args.expression)?,
        stop_on_write_error: args.stop_on_write_error,
        interval: seconds("--interval", args.interval)?,
        duration: args
            .duration
            .map(|d| seconds("--duration", d))
            .transpose()?,
        count: args.count,
        format: format(args.format),
        metrics: args.metrics,
        metrics_web_config: args.metrics_web_config,
        metrics_max_series: args.metrics_max_series,
        top: args.top,
        analysis: analysis_settings(&args.analysis)?,
        baseline: args.baseline,
        alerts: args
            .alerts
            .iter()
            .map(|rule| rule.parse())
            .collect::<Result<_, _>>()?,
    })
}

impl Settings {
    /// Validates a parsed command line.
    pub fn from_cli(cli: Cli) -> Result<Settings, ConfigError> {
        let names = NameSettings {
            system_services: (!cli.names.no_system_services).then_some(cli.names.system_services),
            user_db: cli.names.port_db,
            numeric: cli.names.numeric,
            geoip: cli.names.geoip,
            resolve: cli.names.resolve,
        };
        let job = match cli.command {
            Command::Read(args) => {
                let inputs: Vec<Input> = args.files.iter().map(|f| Input::from_arg(f)).collect();
                if inputs.iter().filter(|i| matches!(i, Input::Stdin)).count() > 1 {
                    return Err(ConfigError::StdinTwice);
                }
                let plan = thread_plan(args.threads, inputs.len(), true)?;
                let stream = match args.format {
                    cli::ReadFormat::Table => Some(Format::Table),
                    cli::ReadFormat::Json => Some(Format::Json),
                    cli::ReadFormat::Csv => Some(Format::Csv),
                    cli::ReadFormat::Markdown => Some(Format::Markdown),
                    cli::ReadFormat::Parquet => None,
                };
                let bucket_ns = args.bucket.as_deref().map(parse_duration_ns).transpose()?;
                if bucket_ns.is_some() && stream.is_some() {
                    return Err(ConfigError::BucketNeedsParquet);
                }
                Job::Read(ReadSettings {
                    filter: FilterRequest::new(args.filters, &[])?,
                    analysis: threaded_analysis(&args.analysis, plan)?,
                    threads: plan.0,
                    inputs,
                    output: Output::new(stream, args.out, "read")?,
                    top: args.top,
                    bucket_ns,
                })
            }
            Command::Report(args) => {
                let inputs: Vec<Input> = args.files.iter().map(|f| Input::from_arg(f)).collect();
                if inputs.iter().filter(|i| matches!(i, Input::Stdin)).count() > 1 {
                    return Err(ConfigError::StdinTwice);
                }
                let plan = thread_plan(args.threads, inputs.len(), false)?;
                let (format, table) = report_output(args.format, args.table)?;
                let stream = (format != cli::ReportFormat::Parquet).then_some(format);
                Job::Report(ReportSettings {
                    filter: FilterRequest::new(args.filters, &[])?,
                    analysis: threaded_analysis(&args.analysis, plan)?,
                    bucket_ns: args.bucket.as_deref().map(parse_duration_ns).transpose()?,
                    inputs,
                    output: Output::new(stream, args.out, "report")?,
                    top: args.top,
                    table,
                    threads: plan.0,
                })
            }
            Command::Merge(args) => {
                let stream = (args.format == cli::MergeFormat::Json).then_some(());
                Job::Merge(MergeSettings {
                    inputs: args.files,
                    output: Output::new(stream, args.out, "merge")?,
                })
            }
            Command::Diff(args) => Job::Diff(diff_settings(args)?),
            Command::Live(args) => Job::Live(live_settings(args)?),
            Command::Interfaces(args) => Job::Interfaces(format(args.format)),
            Command::Ports(args) => Job::Ports(PortsSettings {
                queries: args.queries,
                format: format(args.format),
            }),
            Command::Completions(args) => Job::Completions(args.shell),
            Command::Man => Job::ManPage,
        };
        Ok(Settings { names, job })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn bucket_durations_parse() {
        assert_eq!(parse_duration_ns("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration_ns("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration_ns("5m"), Ok(300_000_000_000));
        assert_eq!(parse_duration_ns("2"), Ok(2_000_000_000));
        assert_eq!(parse_duration_ns("1h"), Ok(3_600_000_000_000));
        for bad in ["", "abc", "5 parsecs", "-1s", "0s", "1e30s"] {
            assert!(parse_duration_ns(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn live_durations_are_validated() {
        assert!(matches!(
            settings(&["portclass", "live", "--interval", "0"]),
            Err(ConfigError::BadSeconds {
                flag: "--interval",
                ..
            })
        ));
        assert!(matches!(
            settings(&["portclass", "live", "--duration=-1"]),
            Err(ConfigError::BadSeconds {
                flag: "--duration",
                ..
            })
        ));
        assert_eq!(
            settings(&["portclass", "live", "--count", "0"]),
            Err(ConfigError::ZeroCount)
        );
        let s =
            settings(&["portclass", "live", "--duration", "2.5", "--no-promisc"]).expect("valid");
        match s.job {
            Job::Live(live) => {
                assert_eq!(live.duration, Some(Duration::from_millis(2500)));
                assert!(!live.capture.promisc);
            }
            other => panic!("wrong job {other:?}"),
        }
    }

    fn settings(args: &[&str]) -> Result<Settings, ConfigError> {
        Settings::from_cli(Cli::try_parse_from(args).expect("parses"))
    }

    #[test]
    fn report_table_implies_csv_and_refuses_other_formats() {
        use cli::{ReportFormat, ReportTableArg};
        let output = |args: &[&str]| {
            settings(args).map(|s| match s.job {
                Job::Report(ReportSettings {
                    output: Output::Stream(format, _),
                    table,
                    ..
                }) => (format, table),
                other => panic!("wrong job {other:?}"),
            })
        };
        assert_eq!(
            output(&["portclass", "report", "a"]),
            Ok((ReportFormat::Html, ReportTableArg::Services))
        );
        assert_eq!(
            output(&["portclass", "report", "a", "--table", "hosts"]),
            Ok((ReportFormat::Csv, ReportTableArg::Hosts))
        );
        assert_eq!(
            output(&["portclass", "report", "a", "-f", "csv"]),
            Ok((ReportFormat::Csv, ReportTableArg::Services))
        );
        assert_eq!(
            output(&["portclass", "report", "a", "-f", "json", "--table", "hosts"]),
            Err(ConfigError::TableWithoutCsv { format: "json" })
        );
    }

    #[test]
    fn parquet_needs_a_directory() {
        for command in ["read", "report", "merge"] {
            assert_eq!(
                settings(&["portclass", command, "a", "--format", "parquet"]),
                Err(ConfigError::ParquetNeedsOut { command })
            );
            let s =
                settings(&["portclass", command, "a", "-f", "parquet", "-o", "d"]).expect("valid");
            let dir = match s.job {
                Job::Read(read) => read.output == Output::Parquet("d".into()),
                Job::Report(report) => report.output == Output::Parquet("d".into()),
                Job::Merge(merge) => merge.output == Output::Parquet("d".into()),
                other => panic!("wrong job {other:?}"),
            };
            assert!(dir, "{command}");
        }
    }

    #[test]
    fn read_bucket_is_for_parquet_only() {
        assert_eq!(
            settings(&["portclass", "read", "a", "--bucket", "5m"]),
            Err(ConfigError::BucketNeedsParquet)
        );
        let parquet = |bucket| {
            let args = ["portclass", "read", "a", "-f", "parquet", "-o", "d"];
            settings(&[&args[..], &["--bucket", bucket]].concat())
        };
        match parquet("5m").expect("valid").job {
            Job::Read(read) => assert_eq!(read.bucket_ns, Some(300_000_000_000)),
            other => panic!("wrong job {other:?}"),
        }
        assert_eq!(parquet("x"), Err(ConfigError::BadBucket("x".to_owned())));
    }

    #[test]
    fn stdin_only_once() {
        assert_eq!(
            settings(&["portclass", "read", "-", "-"]),
            Err(ConfigError::StdinTwice)
        );
    }

    #[test]
    fn threads_bounded_by_inputs() {
        let s = settings(&["portclass", "read", "a", "b", "--threads", "6"]).expect("valid");
        match s.job {
            Job::Read(r) => assert_eq!((r.threads, r.analysis.shards), (2, 3)),
            other => panic!("wrong job {other:?}"),
        }
        let s = settings(&["portclass", "read", "a", "--threads", "5"]).expect("valid");
        match s.job {
            Job::Read(r) => assert_eq!((r.threads, r.analysis.shards), (1, 5)),
            other => panic!("wrong job {other:?}"),
        }
        let s = settings(&["portclass", "read", "a", "b", "c", "--threads", "2"]).expect("valid");
        match s.job {
            Job::Read(r) => assert_eq!((r.threads, r.analysis.shards), (2, 1)),
            other => panic!("wrong job {other:?}"),
        }
        assert_eq!(
            settings(&["portclass", "read", "a", "--threads", "0"]),
            Err(ConfigError::ZeroThreads)
        );
    }

    #[test]
    fn system_services_can_be_disabled() {
        let s = settings(&["portclass", "ports", "22", "--no-system-services"]).expect("valid");
        assert_eq!(s.names.system_services, None);
        let s = settings(&["portclass", "ports", "22"]).expect("valid");
        assert_eq!(
            s.names.system_services,
            Some(PathBuf::from("/etc/services"))
        );
    }
}
