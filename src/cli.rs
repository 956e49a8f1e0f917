//! Command-line definition (clap derive), and the shell completions and the
//! manual page generated from it. Parsing and generating only: no files or
//! devices are touched here (the generated text goes to the writer given),
//! and no other module of portclass is imported.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Generator;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

/// portclass: which services are on this link, how much, who talked.
///
/// Reads packet captures, takes the TCP/UDP/SCTP ports from each frame,
/// names the service behind them and tallies traffic per service.
#[derive(Debug, Parser)]
#[command(name = "portclass", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Port names options shared by all subcommands.
    #[command(flatten)]
    pub names: NameArgs,
}

/// Options that decide how ports are named.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Extra port names, over the built-in database and the system's
    /// services file: the port-db/ format or the /etc/services format.
    #[arg(long, value_name = "FILE", global = true)]
    pub port_db: Option<PathBuf>,

    /// The system services file: names for the ports the built-in database
    /// lacks, and aliases (for `ports`) of those it has.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        default_value = "/etc/services"
    )]
    pub system_services: PathBuf,

    /// Do not consult the system services file.
    #[arg(long, global = true)]
    pub no_system_services: bool,

    /// Show port numbers only, no service names.
    #[arg(short = 'n', long, global = true)]
    pub numeric: bool,

    /// A MaxMind-format database (.mmdb: GeoLite2 Country, City or ASN,
    /// or a compatible one) to show the country and network owner of
    /// hosts and servers; repeat for several (a country file and an ASN
    /// file). Read from disk only, never looked up on the network.
    #[arg(long, value_name = "FILE", global = true)]
    pub geoip: Vec<PathBuf>,

    /// Ask the system's resolver (getnameinfo: /etc/hosts, then DNS) for
    /// the names of addresses shown that the traffic did not name: at most
    /// 4,096 addresses, 16 lookups at a time, in the background; `read`,
    /// `report` and `merge` wait at most 5 s for the answers after
    /// counting, `live` shows them as they arrive. Off by default: without
    /// it portclass sends nothing on the network.
    #[arg(long, global = true)]
    pub resolve: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tally saved captures (pcap or pcapng, optionally .gz or .zst) per
    /// transport, port and service.
    Read(ReadArgs),
    /// Write a traffic report (HTML with charts, Markdown, JSON or CSV) from
    /// captures or JSON summaries.
    Report(ReportArgs),
    /// Merge JSON summaries of read, live, report or merge into one.
    Merge(MergeArgs),
    /// What changed between two captures or JSON summaries: services,
    /// servers and ports that appeared, disappeared, grew or shrank (exit
    /// status 1 when something did).
    Diff(DiffArgs),
    /// Capture from a network interface and show per-service traffic live.
    Live(LiveArgs),
    /// List the capture devices with their addresses and state.
    Interfaces(InterfacesArgs),
    /// Look up the port database by port (443, 53/udp), range (1-1024) or
    /// name (ssh).
    Ports(PortsArgs),
    /// Print the shell completion script for bash, zsh or fish (the README
    /// says where to put it).
    Completions(CompletionsArgs),
    /// Print the manual page, in roff (`portclass man | man -l -` shows it;
    /// the README says where to install it).
    Man,
}

/// Output formats of diff, live, interfaces and ports (read has these and
/// Parquet: [`ReadFormat`]). What each holds differs by subcommand, and so
/// does the help of each `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned tables for a terminal.
    Table,
    /// JSON.
    Json,
    /// Comma-separated values with a header line.
    Csv,
    /// Markdown tables.
    Markdown,
}

/// What `--format` writes in one subcommand, format by format: the four
/// formats are the same everywhere, what each holds is not.
struct FormatHelp {
    table: &'static str,
    json: &'static str,
    csv: &'static str,
    markdown: &'static str,
}

impl FormatHelp {
    /// The `--format` parser, its possible values described as here.
    fn parser(self) -> impl TypedValueParser<Value = Format> {
        PossibleValuesParser::new([
            PossibleValue::new("table").help(self.table),
            PossibleValue::new("json").help(self.json),
            PossibleValue::new("csv").help(self.csv),
            PossibleValue::new("markdown").help(self.markdown),
        ])
        .try_map(|name| Format::from_str(&name, false))
    }
}

/// Output formats of `read`: the four of [`Format`], and Parquet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadFormat {
    /// Aligned tables for a terminal.
    Table,
    /// One JSON document, schema portclass.read/2 (see the README).
    Json,
    /// The services table: a header line, then one row per service.
    Csv,
    /// The tables in Markdown, for tickets and wikis.
    Markdown,
    /// Parquet files, one per table (services per input, servers, ports,
    /// inputs), in the directory --out names (see the README).
    Parquet,
}

const DIFF_FORMATS: FormatHelp = FormatHelp {
    table: "What was compared, then a table of changes per section",
    json: "One JSON document, schema portclass.diff/1 (see the README)",
    csv: "Every change: a header line, then one row per change (column section says which)",
    markdown: "The tables in Markdown, for tickets and wikis",
};

const LIVE_FORMATS: FormatHelp = FormatHelp {
    table: "On a terminal, a screen redrawn in place; otherwise a table per interval; \
            then the summary",
    json: "One JSON object per line (NDJSON): one per interval, then the summary",
    csv: "Rows per service: each interval's (scope=interval), then the whole run's \
          (scope=total)",
    markdown: "A Markdown table per interval, then the summary",
};

const INTERFACES_FORMATS: FormatHelp = FormatHelp {
    table: "An aligned table for a terminal",
    json: "A JSON array, one object per device",
    csv: "A header line, then one row per device",
    markdown: "A Markdown table",
};

const PORTS_FORMATS: FormatHelp = FormatHelp {
    table: "An aligned table; consecutive ports with the same entry are one row",
    json: "A JSON array, one object per entry and port",
    csv: "A header line, then one row per entry and port",
    markdown: "A Markdown table; consecutive ports with the same entry are one row",
};

/// Options of the analysis beyond port numbers, shared by read, report and
/// live.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Look into tunnels (GRE, IP-in-IP, 6in4, VXLAN, Geneve, GTP-U, Teredo)
    /// and count frames by their inner ports, with the tunnel as an extra
    /// column. Off by default: the counting rules stop at the first IP header.
    #[arg(long, help_heading = "Analysis")]
    pub decap: bool,

    /// Name services by the static port rule only; by default a TCP
    /// handshake seen (SYN, SYN+ACK) names the server's port for the whole
    /// conversation.
    #[arg(long, help_heading = "Analysis")]
    pub no_handshake: bool,

    /// Do not look for port scans.
    #[arg(long, help_heading = "Analysis")]
    pub no_scans: bool,

    /// Do not learn names for addresses from DNS answers, TLS and QUIC
    /// server names and HTTP Host headers (it costs reading those
    /// services' payloads).
    #[arg(long, help_heading = "Analysis")]
    pub no_names: bool,

    /// Time window of the scan detector: probes of one source counted
    /// together, e.g. 60s, 5m, 1h.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        help_heading = "Analysis"
    )]
    pub scan_window: String,

    /// A vertical scan: one source's failed probes reach this many distinct
    /// ports of one host within the window (at least 2).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 15,
        help_heading = "Analysis"
    )]
    pub scan_ports: u32,

    /// A horizontal scan: one source's failed probes of one port reach this
    /// many distinct hosts within the window (at least 2).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 25,
        help_heading = "Analysis"
    )]
    pub scan_hosts: u32,
}

/// Which packets to count, shared by read, report and live. Several kinds
/// together must all match; several values of one kind, any of them.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Count only the packets this capture filter accepts, in tcpdump's
    /// syntax and compiled by libpcap as tcpdump compiles it, e.g.
    /// 'host 10.0.0.5 and not port 22' (see pcap-filter(7)).
    #[arg(long, value_name = "EXPRESSION", help_heading = "Filter")]
    pub filter: Option<String>,

    /// Only the ports the port database gives this service, on each
    /// transport (ssh: tcp port 22 or udp port 22); repeat or separate with
    /// commas for several.
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        help_heading = "Filter"
    )]
    pub service: Vec<String>,

    /// Only packets from or to this address, or this network with a
    /// prefix length (10.0.0.0/8, 2001:db8::/32); repeat or separate with
    /// commas for several.
    #[arg(
        long,
        value_name = "ADDR[/LEN]",
        value_delimiter = ',',
        help_heading = "Filter"
    )]
    pub host: Vec<String>,

    /// Only packets with this source or destination port, or a range
    /// (6000-6063), on any transport; repeat or separate with commas for
    /// several.
    #[arg(
        long,
        value_name = "PORT[-PORT]",
        value_delimiter = ',',
        help_heading = "Filter"
    )]
    pub port: Vec<String>,
}

/// Arguments of `portclass read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Capture files to read; `-` reads one from standard input. Several
    /// files are combined into one tally.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<OsString>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ReadFormat::Table)]
    pub format: ReadFormat,

    /// Write the output here instead of standard output; with `--format
    /// parquet`, the directory for its files (created when missing).
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Service rows to show in table and markdown output (0: all); the rest
    /// are summed in one line. JSON and CSV always hold every row.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,

    /// With --format parquet: the width of the services table's time
    /// buckets, e.g. 1s, 5m, 1h (default 1m; epoch-aligned, so the files of
    /// every sensor line up).
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,

    /// Worker threads (default: one per CPU, at most 8; with one input, one
    /// CPU is left to the thread that reads it). Up to N inputs are read at
    /// once; the threads left over split each one's frames between shard
    /// workers (one input: N shards; three inputs and N = 8: three at once,
    /// two shards each). Output is the same for every N unless a capture
    /// overflows the classifier's tables (65,536 conversations at once),
    /// which each shard holds in full.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Which packets to count.
    #[command(flatten)]
    pub filters: FilterArgs,

    /// Tunnels, handshakes, scans.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Report output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page with charts (light and dark mode).
    Html,
    /// Markdown, for tickets and wikis.
    Markdown,
    /// One JSON document (schema portclass.report/2, a superset of read's).
    Json,
    /// One table as CSV, chosen with --table.
    Csv,
    /// Parquet files, one per table (services per input, servers, hosts,
    /// conversations, ports, inputs), in the directory --out names.
    Parquet,
}

/// The tables `report --format csv` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportTableArg {
    /// Services with direction.
    Services,
    /// Top hosts.
    Hosts,
    /// Top conversations.
    Conversations,
    /// Services over time.
    Timeseries,
}

/// Arguments of `portclass report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Captures (pcap/pcapng, .gz, .zst; `-` for stdin) or JSON summaries
    /// from read, live, report or merge, combined into one report.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<OsString>,

    /// Write the report here instead of standard output; with `--format
    /// parquet`, the directory for its files.
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Output format [default: html; csv when --table is given].
    #[arg(short, long, value_enum)]
    pub format: Option<ReportFormat>,

    /// Rows per table (HTML, Markdown) and services charted or in the JSON
    /// time series (0: all); CSV holds every row.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Time-series bucket width, e.g. 1s, 30s, 5m, 1h, 250ms (default: chosen
    /// from the capture's length); with --format parquet, the width of the
    /// services table's time buckets (default 1m).
    #[arg(long, value_name = "DURATION")]
    pub bucket: Option<String>,

    /// The one table CSV holds [default: services]; given alone, it implies
    /// --format csv (the other formats hold every table).
    #[arg(long, value_enum)]
    pub table: Option<ReportTableArg>,

    /// Worker threads (default: one per CPU, at most 8). Up to N inputs are
    /// read at once; the threads left over split each one's frames between
    /// shard workers (one input: N shards; three inputs and N = 8: three at
    /// once, two shards each). Output is the same for every N unless a
    /// capture overflows the classifier's tables (65,536 conversations at
    /// once), which each shard holds in full.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Which packets to count (captures only: a JSON summary is taken
    /// only if it was filtered the same way).
    #[command(flatten)]
    pub filters: FilterArgs,

    /// Tunnels, handshakes, scans.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Arguments of `portclass merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON summaries from `read`, `live`, `report` or `merge` (--format json).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Write the merged summary here instead of standard output; with
    /// `--format parquet`, the directory for its files.
    #[arg(short, long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = MergeFormat::Json)]
    pub format: MergeFormat,
}

/// Output formats of `merge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// One JSON summary (a report when every input is one, else read's
    /// shape).
    Json,
    /// Parquet files, one per table, in the directory --out names.
    Parquet,
}

/// What `diff --factor` and `--min` compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffMeasure {
    /// Original wire bytes.
    Bytes,
    /// Frames.
    Packets,
}

/// Arguments of `portclass diff`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when nothing changed, 1 when something did (for cron and \
                        CI), 2 when an input could not be read completely or on bad usage."
)]
pub struct DiffArgs {
    /// The earlier side: a capture (pcap/pcapng, .gz, .zst; `-` for stdin)
    /// or a JSON summary from read, live, report or merge, told apart by
    /// content.
    #[arg(value_name = "BEFORE")]
    pub before: OsString,

    /// The later side, likewise.
    #[arg(value_name = "AFTER")]
    pub after: OsString,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = DIFF_FORMATS.parser())]
    pub format: Format,

    /// A row on both sides grew when AFTER is at least F times BEFORE, and
    /// shrank when BEFORE is at least F times AFTER (F above 1).
    #[arg(long, value_name = "F", default_value_t = 2.0)]
    pub factor: f64,

    /// What --factor and --min compare.
    #[arg(long, value_enum, default_value_t = DiffMeasure::Bytes)]
    pub by: DiffMeasure,

    /// Rows below this on both sides (bytes, or packets with --by packets)
    /// never grew or shrank, so that small counts do not flap [default:
    /// 10000 bytes, 20 packets]. Rows that appeared or disappeared are
    /// listed whatever their size.
    #[arg(long, value_name = "N")]
    pub min: Option<u64>,

    /// Compare every port, clients' ephemeral ports too (by default only
    /// the ports that named a service or a server on either side).
    #[arg(long)]
    pub all_ports: bool,

    /// Which packets to count on both sides (captures; a JSON summary is
    /// taken only if it was filtered the same way).
    #[command(flatten)]
    pub filters: FilterArgs,

    /// Tunnels, handshakes, scans (for captures).
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Arguments of `portclass live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on (default: the device libpcap picks).
    #[arg(short, long, value_name = "IFACE")]
    pub interface: Option<String>,

    /// Which packets to capture (the filter runs in the kernel); the
    /// expression can also be given as the trailing words, as tcpdump
    /// takes it.
    #[command(flatten)]
    pub filters: FilterArgs,

    /// The capture filter as trailing words, as tcpdump takes it:
    /// `portclass live -i eth0 tcp port 443`.
    #[arg(value_name = "EXPRESSION", trailing_var_arg = true)]
    pub expression: Vec<String>,

    /// Seconds between screen refreshes and snapshots (fractions allowed).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub interval: f64,

    /// Stop after this many seconds (fractions allowed).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Stop after this many packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Bytes to capture of each packet (ports need only the first hundred or so).
    #[arg(short = 's', long, value_name = "N", default_value_t = 262_144)]
    pub snaplen: u32,

    /// Kernel capture buffer in KiB, as tcpdump's -B (default 32768, 32 MiB:
    /// about 0.2 s of a saturated 1 Gbit/s link). Raise it when the summary
    /// reports drops.
    #[arg(short = 'B', long, value_name = "KIB", default_value_t = 32_768)]
    pub buffer_size: u32,

    /// Do not put the interface into promiscuous mode.
    #[arg(long)]
    pub no_promisc: bool,

    /// Also save the captured packets to this pcap file.
    #[arg(short = 'w', long, value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Stop the capture when writing the -w file fails (by default the
    /// error is reported and the capture goes on counting).
    #[arg(long, requires = "write")]
    pub stop_on_write_error: bool,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = LIVE_FORMATS.parser())]
    pub format: Format,

    /// Serve Prometheus metrics at http://ADDR:PORT/metrics while capturing
    /// (127.0.0.1:PORT keeps them on this machine; they name hosts, servers
    /// and processes).
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,

    /// TLS and basic auth for --metrics, from a web configuration file in
    /// the Prometheus exporter-toolkit format (tls_server_config: cert_file,
    /// key_file; basic_auth_users: NAME: BCRYPT-HASH).
    #[arg(long, value_name = "FILE", requires = "metrics")]
    pub metrics_web_config: Option<PathBuf>,

    /// Most series /metrics exports per family: services, servers, hosts,
    /// conversations, processes (the rest are summed into an `other`
    /// series, and every counter stays monotonic).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub metrics_max_series: usize,

    /// Service rows of each table or markdown snapshot and of the final
    /// table (0: all); JSON and CSV hold every row.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub top: usize,

    /// Alert when a service or a server (one that answered) appears that
    /// this JSON summary (of read, live, report or merge) does not have:
    /// once per new service or server.
    #[arg(long, value_name = "SUMMARY.json")]
    pub baseline: Option<PathBuf>,

    /// Alert when traffic goes above a threshold: SELECTOR,CONDITION, e.g.
    /// 'service=ssh,bytes>10MB/1m', 'port=53/udp,packets>1000/10s',
    /// 'server=10.0.0.5:443/tcp,bytes>1GB/1h', 'any,bytes>100MB'
    /// (repeatable; the window defaults to one interval).
    #[arg(long = "alert", value_name = "RULE")]
    pub alerts: Vec<String>,

    /// Tunnels, handshakes, scans.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Arguments of `portclass interfaces`.
#[derive(Debug, Args)]
pub struct InterfacesArgs {
    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = INTERFACES_FORMATS.parser())]
    pub format: Format,
}

/// Arguments of `portclass ports`.
#[derive(Debug, Args)]
pub struct PortsArgs {
    /// A port (`443`), a range (`1-1024`), a service name or alias (`ssh`)
    /// or the start of one (`postgres`), each optionally for one transport
    /// (`53/udp`, `1-1024/tcp`, `dns/udp`).
    #[arg(required = true, value_name = "QUERY")]
    pub queries: Vec<String>,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = PORTS_FORMATS.parser())]
    pub format: Format,
}

/// Shells `portclass completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash (bash-completion).
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Arguments of `portclass completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The command line as clap sees it, named as installed.
fn command() -> clap::Command {
    let mut command = Cli::command();
    command.set_bin_name("portclass");
    command
}

/// Writes the completion script for `shell`.
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut command = command();
    command.build();
    generator.try_generate(&command, out)
}

/// Writes the manual page, portclass(1): one page with every subcommand
/// and its options, so that one file installs it.
pub fn write_man_page(out: &mut dyn Write) -> io::Result<()> {
    // `portclass help` is `--help` again: not a section of its own.
    let mut command = command().disable_help_subcommand(true);
    command.build();
    let page = clap_mangen::Man::new(command.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        // The options every subcommand shares are listed once, above.
        let sub = sub.clone().mut_args(|arg| {
            if arg.is_global_set() {
                arg.hide(true)
            } else {
                arg
            }
        });
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        writeln!(out, ".SS \"{name}\"")?;
        let mut text = Vec::new();
        let page = clap_mangen::Man::new(sub);
        page.render_description_section(&mut text)?;
        page.render_synopsis_section(&mut text)?;
        page.render_options_section(&mut text)?;
        write_demoted(&text, out)?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (status, meaning) in EXIT_STATUSES {
        writeln!(out, ".TP\n{status}\n{meaning}")?;
    }
    page.render_version_section(out)
}

/// What each exit status means (the README's "Exit status").
const EXIT_STATUSES: [(u8, &str); 3] = [
    (
        0,
        "Every input was read completely (diff: and nothing changed).",
    ),
    (
        1,
        "An input was only partly read (damaged or cut short: the frames before the damage \
         are counted), a capture file could not be written completely, a query found nothing, \
         or diff found changes.",
    ),
    (
        2,
        "An input could not be read at all (diff: or not completely), a capture could not be \
         opened, or bad usage.",
    ),
];

/// Copies a subcommand's sections into its `.SS` block, since a page has
/// only two levels of headings: the description and synopsis become plain
/// paragraphs, the option headings (`.SH OPTIONS`, `.SH ANALYSIS`)
/// paragraphs in bold. Text lines that start with a dot are escaped by the
/// roff writer, so a line starting `.SH ` is a heading. The preamble each
/// section repeats (defining `\*(Aq`) is written once, at the top.
fn write_demoted(roff: &[u8], out: &mut dyn Write) -> io::Result<()> {
    for line in String::from_utf8_lossy(roff).lines() {
        if line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq") {
            continue;
        }
        match line.strip_prefix(".SH ").map(|h| h.trim_matches('"')) {
            Some("DESCRIPTION" | "SYNOPSIS") => writeln!(out, ".PP")?,
            Some(heading) => {
                let mut letters = heading.chars();
                let first = letters.next().unwrap_or(' ');
                let rest = letters.as_str().to_lowercase();
                writeln!(out, ".PP\n.B {first}{rest}")?;
            }
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own checks of the definition (hyperfine's `verify_app`), on
    /// the command as parsed and as the completions and man page see it.
    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn completions_and_man_page_are_generated_from_the_definition() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Vec::new();
            write_completions(shell, &mut script).expect("written");
            let script = String::from_utf8(script).expect("UTF-8");
            assert!(script.contains("scan-window"), "{shell:?}");
        }
        let mut page = Vec::new();
        write_man_page(&mut page).expect("written");
        let page = String::from_utf8(page).expect("UTF-8");
        // Two levels of headings: the subcommands' sections are demoted.
        let headings: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH ")).collect();
        assert_eq!(
            headings,
            [
                ".SH NAME",
                ".SH SYNOPSIS",
                ".SH DESCRIPTION",
                ".SH OPTIONS",
                ".SH COMMANDS",
                ".SH \"EXIT STATUS\"",
                ".SH VERSION"
            ]
        );
        assert!(page.contains(".SS \"portclass ports\""), "{page}");
    }

    #[test]
    fn read_takes_files_and_format() {
        let cli = Cli::try_parse_from(["portclass", "read", "a.pcap", "-", "--format", "json"])
            .expect("valid command line");
        match cli.command {
            Command::Read(args) => {
                assert_eq!(
                    args.files,
                    vec![OsString::from("a.pcap"), OsString::from("-")]
                );
                assert_eq!(args.format, ReadFormat::Json);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn live_takes_capture_options() {
        let cli = Cli::try_parse_from([
            "portclass",
            "live",
            "-i",
            "eth0",
            "--count",
            "5",
            "--duration",
            "2.5",
            "--no-promisc",
            "-f",
            "json",
            "udp",
            "port",
            "53",
        ])
        .expect("valid command line");
        match cli.command {
            Command::Live(args) => {
                assert_eq!(args.interface.as_deref(), Some("eth0"));
                assert_eq!(args.filters.filter, None);
                assert_eq!(args.expression, ["udp", "port", "53"]);
                assert_eq!(args.format, Format::Json);
                assert_eq!((args.count, args.duration), (Some(5), Some(2.5)));
                assert!(args.no_promisc);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    /// Each short flag means one thing in every subcommand.
    #[test]
    fn a_short_flag_means_the_same_everywhere() {
        let cli = Cli::command();
        let mut meaning = std::collections::BTreeMap::new();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            for arg in command.get_arguments() {
                if let (Some(short), Some(long)) = (arg.get_short(), arg.get_long()) {
                    let first = meaning.entry(short).or_insert((long, command.get_name()));
                    assert_eq!(
                        first.0,
                        long,
                        "-{short} is --{} in {} but --{long} in {}",
                        first.0,
                        first.1,
                        command.get_name()
                    );
                }
            }
        }
        assert_eq!(meaning.get(&'f').map(|m| m.0), Some("format"));
    }

    #[test]
    fn read_requires_a_file() {
        assert!(Cli::try_parse_from(["portclass", "read"]).is_err());
    }
}
