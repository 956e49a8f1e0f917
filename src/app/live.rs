//! `portclass live`: the capture loop. Frames go through the same decode →
//! classify → tally path as `read`; every interval the interval's tally is
//! added to the running totals and shown (a screen redrawn in place on a
//! terminal, a snapshot otherwise), and published for Prometheus. It ends on
//! Ctrl-C, SIGTERM, `q`, `--duration`, `--count` or a capture error, and then
//! prints the summary of everything counted.

use super::metrics::MetricsServer;
use super::processes::{ProcessInfo, ProcessTally, Sockets};
use super::{AppError, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL};
use crate::capture::{CaptureStats, LiveCapture, default_interface, list_interfaces};
use crate::classify::PortDb;
use crate::config::{LiveSettings, NameSettings};
use crate::decode::Transport;
use crate::pipeline::Stream;
use crate::pipeline::scans::ScanReport;
use crate::render::Format;
use crate::render::ProcessView;
use crate::render::live::{
    CaptureStatsView, InterfaceView, LiveStatus, SavedView, live_rows, write_interfaces,
    write_snapshot, write_summary,
};
use crate::render::live::{ProcessRow, ProcessesView};
use crate::render::prometheus::{ConversationSeries, LiveMetrics, SeriesBudget, write_metrics};
use crate::render::report::{ConversationView, ReportView};
use crate::render::screen::{LiveView, ScreenData, ScreenState, ServiceKey, write_live_screen};
use crate::tally::InputStatus;
use crate::tally::report::ReportTally;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Frames read between looks at the clock, the signal flag and the keys:
/// often enough to be prompt, rarely enough to cost nothing per packet.
const FRAMES_BETWEEN_CHECKS: u32 = 256;

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

impl From<CaptureStats> for CaptureStatsView {
    fn from(s: CaptureStats) -> CaptureStatsView {
        CaptureStatsView {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        }
    }
}

/// The terminal in raw mode on the alternate screen; restored on drop, and
/// by a panic hook should anything panic while it is up.
struct Screen;

impl Screen {
    fn enter() -> io::Result<Screen> {
        terminal::enable_raw_mode()?;
        let screen = Screen;
        execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            Screen::restore();
            previous(info);
        }));
        Ok(screen)
    }

    fn restore() {
        let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }

    fn draw(&self, frame: &[u8]) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        queue!(
            stdout,
            cursor::MoveTo(0, 0),
            terminal::Clear(terminal::ClearType::All)
        )?;
        stdout.write_all(frame)?;
        stdout.flush()
    }

    /// Applies the keys pressed since the last look to `state` (`shown`:
    /// the services on the screen, top to bottom); true when one of them
    /// asks to stop.
    fn keys(&self, state: &mut ScreenState, shown: &[ServiceKey]) -> bool {
        // Where the highlight is: on its service, else on the first row.
        let at = |state: &ScreenState| {
            state
                .selected
                .and_then(|key| shown.iter().position(|k| *k == key))
                .unwrap_or(0)
        };
        while event::poll(Duration::ZERO).unwrap_or(false) {
            let Ok(Event::Key(key)) = event::read() else {
                continue;
            };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            // Raw mode turns Ctrl-C into a key rather than a signal.
            if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                return true;
            }
            if state.typing {
                match key.code {
                    KeyCode::Char(c) => state.filter.push(c),
                    KeyCode::Backspace => {
                        state.filter.pop();
                    }
                    KeyCode::Enter => state.typing = false,
                    KeyCode::Esc => {
                        state.typing = false;
                        state.filter.clear();
                    }
                    _ => {}
                }
                continue;
            }
            match key.code {
                KeyCode::Char('q') => return true,
                KeyCode::Esc if !state.filter.is_empty() => state.filter.clear(),
                KeyCode::Esc | KeyCode::Backspace if state.view == LiveView::Detail => {
                    state.view = LiveView::Services;
                }
                KeyCode::Esc => return true,
                KeyCode::Up | KeyCode::Char('k') if !shown.is_empty() => {
                    state.selected = Some(shown[at(state).saturating_sub(1)]);
                }
                KeyCode::Down | KeyCode::Char('j') if !shown.is_empty() => {
                    state.selected = Some(shown[(at(state) + 1).min(shown.len() - 1)]);
                }
                KeyCode::Enter if state.view == LiveView::Services && !shown.is_empty() => {
                    state.detail = Some(shown[at(state)]);
                    state.view = LiveView::Detail;
                }
                KeyCode::Char('/') => {
                    state.typing = true;
                    state.filter.clear();
                }
                KeyCode::Char('s') => state.sort = state.sort.toggled(),
                KeyCode::Char(' ') => state.paused = !state.paused,
                KeyCode::Char('?' | 'h') => state.view = LiveView::Help,
                KeyCode::Tab => state.view = state.view.next(),
                KeyCode::Char(digit @ '1'..='5') => {
                    state.view = LiveView::CYCLE[usize::from(digit as u8 - b'1')];
                }
                _ => {}
            }
        }
        false
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        Screen::restore();
    }
}

/// This machine's addresses on `device` (on every interface for `any`), as
/// text in the form the views use; empty if unknown.
fn local_addresses(device: &str) -> Vec<String> {
    let Ok(interfaces) = list_interfaces() else {
        return Vec::new();
    };
    interfaces
        .iter()
        .filter(|i| device == "any" || i.name == device)
        .flat_map(|i| &i.addresses)
        .filter_map(|a| a.split('/').next()?.parse::<IpAddr>().ok())
        .map(|a| a.to_string())
        .collect()
}

/// Draws the screen for the last interval and the totals.
fn draw(
    screen: &Screen,
    status: &LiveStatus,
    interval: &ReportView,
    totals: &ReportView,
    processes: &ProcessesView,
    seconds: f64,
    state: &ScreenState,
) -> io::Result<Vec<ServiceKey>> {
    let size = terminal::size().unwrap_or((100, 40));
    let services = live_rows(&interval.read, &totals.read, seconds, state.sort);
    let data = ScreenData {
        interval,
        totals,
        seconds,
        services: &services,
        processes,
    };
    let mut frame = Vec::new();
    let shown = write_live_screen(status, &data, state, size, &mut frame)?;
    screen.draw(&frame)?;
    Ok(shown)
}

/// Attributes the capture's local endpoints to processes, interval by
/// interval: each interval's conversations to the processes owning their
/// local ends (summed, bounded), and each server to its process (kept once
/// seen, so a server whose process has gone still shows who served it).
///
/// The sockets are read at every interval, and also soon after a new local
/// endpoint appears (at most every [`LOOK_EVERY`]): a connection opened and
/// closed within one interval is still attributed to the process that had
/// it open, which the interval's own reading would no longer find.
struct OwnerTracker {
    sockets: Sockets,
    traffic: ProcessTally,
    servers: HashMap<(Transport, IpAddr, u16), ProcessInfo>,
    /// This machine's addresses: only their endpoints have a process here.
    local: Vec<IpAddr>,
    /// The local endpoints of this interval's conversations already looked
    /// up, with the owner found (`None`: no socket had it).
    endpoints: HashMap<Endpoint, Option<ProcessInfo>>,
    /// When the conversations were last looked through for new endpoints.
    last_look: Instant,
}

/// A local endpoint: transport, address and port.
type Endpoint = (Transport, IpAddr, u16);

/// Most servers remembered with their process.
const MAX_SERVER_OWNERS: usize = 4096;

/// How often, at most, the conversations are looked through for new local
/// endpoints (and the sockets read again when there are).
const LOOK_EVERY: Duration = Duration::from_millis(250);

impl OwnerTracker {
    fn new(sockets: Sockets, local: Vec<IpAddr>) -> OwnerTracker {
        OwnerTracker {
            sockets,
            traffic: ProcessTally::default(),
            servers: HashMap::new(),
            local,
            endpoints: HashMap::new(),
            last_look: Instant::now(),
        }
    }

    /// The local ends of `interval`'s conversations not looked up yet.
    fn new_endpoints(&self, interval: &ReportTally) -> Vec<Endpoint> {
        let mut new = Vec::new();
        for key in interval.conversations().keys() {
            for (address, port) in [(key.client, key.client_port), (key.server, key.server_port)] {
                let endpoint = (key.transport, address, port);
                if self.local.contains(&address) && !self.endpoints.contains_key(&endpoint) {
                    new.push(endpoint);
                }
            }
        }
        new
    }

    /// Between intervals (called often, cheap when nothing is due): when
    /// the interval has local endpoints not looked up yet, reads the
    /// sockets and remembers their owners for the interval's end.
    fn look(&mut self, interval: &ReportTally, now: Instant) {
        if self.local.is_empty() || now.duration_since(self.last_look) < LOOK_EVERY {
            return;
        }
        self.last_look = now;
        let new = self.new_endpoints(interval);
        if new.is_empty() {
            return;
        }
        self.sockets = Sockets::scan();
        for endpoint in new {
            let owner = self
                .sockets
                .owner(endpoint.0, endpoint.1, endpoint.2)
                .cloned();
            self.endpoints.insert(endpoint, owner);
        }
    }

    /// The owner of a local endpoint: in the sockets read now, else as a
    /// look during the interval found it.
    fn owner(&self, endpoint: Endpoint) -> Option<&ProcessInfo> {
        self.sockets
            .owner(endpoint.0, endpoint.1, endpoint.2)
            .or_else(|| self.endpoints.get(&endpoint)?.as_ref())
    }

    /// Reads the sockets again and attributes `interval`'s conversations
    /// and `totals`' servers; the next interval looks its endpoints up
    /// afresh.
    fn refresh(&mut self, interval: &ReportTally, totals: &ReportTally) {
        self.sockets = Sockets::scan();
        if !self.sockets.is_empty() || !self.endpoints.is_empty() {
            for entry in interval.conversations().entries() {
                let (key, w) = (entry.key, entry.weights);
                if let Some(owner) = self.owner((key.transport, key.client, key.client_port)) {
                    let owner = owner.clone();
                    self.traffic
                        .add(&owner, w.to_server.bytes, w.to_client.bytes);
                }
                if let Some(owner) = self.owner((key.transport, key.server, key.server_port)) {
                    let owner = owner.clone();
                    self.traffic
                        .add(&owner, w.to_client.bytes, w.to_server.bytes);
                }
            }
            for entry in totals.base.servers().entries() {
                let key = (entry.key.transport, entry.key.address, entry.key.port);
                if self.servers.len() >= MAX_SERVER_OWNERS && !self.servers.contains_key(&key) {
                    continue;
                }
                if let Some(owner) = self.owner(key) {
                    let owner = owner.clone();
                    self.servers.insert(key, owner);
                }
            }
        }
        self.endpoints.clear();
    }

    /// Names the process of each server of `view` that has one.
    fn label_servers(&self, view: &mut ReportView) {
        for server in &mut view.read.servers.entries {
            let (Some(transport), Ok(address)) = (
                Transport::parse(server.transport),
                server.address.parse::<IpAddr>(),
            ) else {
                continue;
            };
            server.process = self
                .servers
                .get(&(transport, address, server.port))
                .map(|p| ProcessView {
                    pid: p.pid,
                    name: p.name.clone(),
                    user: p.user.clone(),
                });
        }
    }

    fn view(&self) -> ProcessesView {
        ProcessesView {
            available: self.sockets.readable,
            hidden: self.sockets.hidden,
            entries: self
                .traffic
                .ranked()
                .into_iter()
                .map(|(p, t)| ProcessRow {
                    pid: p.pid,
                    name: p.name.clone(),
                    user: p.user.clone(),
                    sent_bytes: t.sent_bytes,
                    received_bytes: t.received_bytes,
                    conversations: t.conversations,
                })
                .collect(),
        }
    }
}

/// Publishes the running totals for Prometheus.
fn publish(
    server: &MetricsServer,
    totals: &ReportView,
    processes: &ProcessesView,
    status: &LiveStatus,
    budget: &mut SeriesBudget,
) -> io::Result<()> {
    let report = &totals.report;
    let live = LiveMetrics {
        hosts: report
            .hosts
            .entries
            .iter()
            .map(|h| (h.address.clone(), h.sent_bytes, h.received_bytes))
            .collect(),
        hosts_exact: report.hosts.exact,
        conversations: conversation_series(&report.conversations.entries),
        conversations_exact: report.conversations.exact,
        processes: processes
            .entries
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.pid,
                    p.user.clone(),
                    p.sent_bytes,
                    p.received_bytes,
                )
            })
            .collect(),
    };
    let mut body = Vec::new();
    write_metrics(
        &totals.read,
        &status.interface,
        status.stats.as_ref(),
        Some(&live),
        budget,
        &mut body,
    )?;
    server.publish(body);
    Ok(())
}

/// The conversations summed over the client's ports (a series per client,
/// server and service, however many connections), busiest first.
fn conversation_series(conversations: &[ConversationView]) -> Vec<ConversationSeries> {
    let mut series: Vec<ConversationSeries> = Vec::new();
    let mut index: HashMap<(&str, &str, &str, u16), usize> = HashMap::new();
    for c in conversations {
        let key = (
            c.transport,
            c.client.as_str(),
            c.server.as_str(),
            c.server_port,
        );
        let at = *index.entry(key).or_insert_with(|| {
            series.push(ConversationSeries {
                transport: c.transport,
                client: c.client.clone(),
                server: c.server.clone(),
                port: c.server_port,
                service: c
                    .service
                    .clone()
                    .unwrap_or_else(|| c.server_port.to_string()),
                ..ConversationSeries::default()
            });
            series.len() - 1
        });
        series[at].to_server_bytes += c.to_server_bytes;
        series[at].to_client_bytes += c.to_client_bytes;
    }
    series.sort_by(|a, b| {
        (b.to_server_bytes + b.to_client_bytes).cmp(&(a.to_server_bytes + a.to_client_bytes))
    });
    series
}

/// Runs `portclass live`.
pub fn run_live(
    settings: &LiveSettings,
    names: &NameSettings,
    db: &PortDb,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let rule = db.naming_rule();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Without the handler the default action still ends the process;
        // only the summary would be lost, so a failure is not fatal.
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let mut capture = match LiveCapture::open(&settings.capture) {
        Ok(capture) => capture,
        Err(error) => {
            writeln!(err, "portclass: {error}")?;
            return Ok(EXIT_FAILED);
        }
    };
    if capture.chose_default() {
        writeln!(
            err,
            "portclass: capturing on {}, the default device (choose another with -i; portclass interfaces lists them)",
            capture.device()
        )?;
    }
    let mut budget = SeriesBudget::new(settings.metrics_max_series);
    let metrics = match settings
        .metrics
        .as_deref()
        .map(MetricsServer::start)
        .transpose()
    {
        Ok(server) => server,
        Err(error) => {
            writeln!(err, "portclass: {error}")?;
            return Ok(EXIT_FAILED);
        }
    };
    if let Some(server) = &metrics {
        writeln!(
            err,
            "portclass: serving Prometheus metrics at http://{}/metrics",
            server.local_addr()
        )?;
    }
    // Which local process owns which socket: read now (to say once what
    // cannot be seen) and at every interval.
    let local_addresses = local_addresses(capture.device());
    let mut owners = OwnerTracker::new(
        Sockets::scan(),
        local_addresses
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
    );
    if owners.sockets.hidden > 0 {
        writeln!(
            err,
            "portclass: the sockets of {} processes of other users cannot be seen without root or CAP_SYS_PTRACE: their traffic shows no process",
            owners.sockets.hidden
        )?;
    }
    let screen = if settings.format == Format::Table && io::stdout().is_terminal() {
        Some(Screen::enter()?)
    } else {
        None
    };

    let started = Instant::now();
    let deadline = settings.duration.map(|d| started + d);
    let mut next_tick = started + settings.interval;
    let mut last_tick = started;
    // The report's tally: hosts and conversations as well as services.
    let mut totals = ReportTally::new(None);
    totals.base.set_decap(settings.analysis.decap);
    let mut interval = ReportTally::new(None);
    let mut stream = Stream::new(&rule, &settings.analysis);
    let mut frames: u64 = 0;
    let mut state = ScreenState::new();
    // The services on the screen, top to bottom (the keys move the
    // highlight among them; Enter opens one).
    let shown: RefCell<Vec<ServiceKey>> = RefCell::new(Vec::new());
    // The last views drawn, to redraw at once when a key changes the view.
    let mut last_views: Option<(ReportView, ReportView, ProcessesView, f64)> = None;
    let mut input_status = InputStatus::Complete;
    let mut exit = EXIT_OK;
    let mut first_snapshot = true;
    let mut status = LiveStatus {
        interface: capture.device().to_string(),
        filter: capture.filter().map(str::to_string),
        elapsed_seconds: 0.0,
        stats: None,
        saved: None,
        metrics_url: metrics
            .as_ref()
            .map(|server| format!("http://{}/metrics", server.local_addr())),
        local_addresses,
    };
    // Folds the interval just ended into the totals; shows it (a snapshot,
    // or the screen unless paused) and publishes the totals.
    let mut tick = |interval: &mut ReportTally,
                    totals: &mut ReportTally,
                    scans: Option<ScanReport>,
                    capture: &mut LiveCapture,
                    status: &mut LiveStatus,
                    since: Instant,
                    state: &ScreenState,
                    owners: &mut OwnerTracker,
                    out: &mut dyn Write|
     -> io::Result<(ReportView, ReportView, ProcessesView, f64)> {
        let now = Instant::now();
        let seconds = now.duration_since(since).as_secs_f64();
        *totals += &*interval;
        totals.base.set_scans(scans);
        status.elapsed_seconds = now.duration_since(started).as_secs_f64();
        status.stats = capture.stats().ok().map(CaptureStatsView::from);
        owners.refresh(interval, totals);
        let interval_view = ReportView::new(interval, db, names.numeric, 0);
        let mut totals_view = ReportView::new(totals, db, names.numeric, 0);
        owners.label_servers(&mut totals_view);
        let processes = owners.view();
        match &screen {
            Some(screen) if !state.paused => {
                shown.replace(draw(
                    screen,
                    status,
                    &interval_view,
                    &totals_view,
                    &processes,
                    seconds,
                    state,
                )?);
            }
            Some(_) => {}
            None => {
                write_snapshot(
                    settings.format,
                    status,
                    (&interval_view, &totals_view.read, &processes),
                    seconds,
                    now_nanos(),
                    settings.top,
                    first_snapshot,
                    out,
                )?;
                first_snapshot = false;
                out.flush()?;
            }
        }
        if let Some(server) = &metrics {
            publish(server, &totals_view, &processes, status, &mut budget)?;
        }
        *interval = ReportTally::new(None);
        Ok((interval_view, totals_view, processes, seconds))
    };

    // Whether the run ended by something other than `--count` or an
    // error: the frames libpcap has received by then are still to count.
    let mut drain = true;
    'capture: loop {
        for _ in 0..FRAMES_BETWEEN_CHECKS {
            match capture.next_frame() {
                Ok(Some(frame)) => {
                    stream.count_frame(&mut interval, &frame);
                    frames += 1;
                    if settings.count == Some(frames) {
                        drain = false;
                        break 'capture;
                    }
                }
                // The read timeout passed: a chance to look at the clock.
                Ok(None) => break,
                Err(error) => {
                    input_status = InputStatus::Partial(error.to_string());
                    exit = EXIT_FAILED;
                    drain = false;
                    break 'capture;
                }
            }
        }
        if let Some(error) = capture.take_write_error() {
            exit = exit.max(EXIT_PARTIAL);
            let next = if settings.stop_on_write_error {
                "the capture stops (--stop-on-write-error)"
            } else {
                "the capture goes on counting"
            };
            writeln!(err, "portclass: {error}; {next}")?;
            err.flush()?;
            if settings.stop_on_write_error {
                break;
            }
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        owners.look(&interval, now);
        if let Some(screen) = &screen {
            let before = state.clone();
            if screen.keys(&mut state, &shown.borrow()) {
                break;
            }
            // A key shows its effect at once, on the last figures.
            if state != before
                && let Some((interval_view, totals_view, processes, seconds)) = &last_views
            {
                shown.replace(draw(
                    screen,
                    &status,
                    interval_view,
                    totals_view,
                    processes,
                    *seconds,
                    &state,
                )?);
            }
        }
        if now >= next_tick {
            // The saved file keeps up with the screen (an error is
            // reported at the next look, above).
            capture.write_saved();
            // Unanswered attempts count as failed once their window has
            // passed, even on a quiet link.
            stream.advance(&mut interval, now_nanos());
            last_views = Some(tick(
                &mut interval,
                &mut totals,
                stream.scan_report(),
                &mut capture,
                &mut status,
                last_tick,
                &state,
                &mut owners,
                out,
            )?);
            last_tick = now;
            next_tick += settings.interval;
            if next_tick < now {
                // Far behind (a slow terminal): skip the missed ticks.
                next_tick = now + settings.interval;
            }
        }
    }

    // The end: count what libpcap had received when the run was told to
    // stop, and what the last interval holds, restore the terminal, then
    // print the summary of everything.
    status.elapsed_seconds = started.elapsed().as_secs_f64();
    status.stats = if drain {
        match drain_received(
            &mut capture,
            &mut stream,
            &mut interval,
            &mut frames,
            settings,
        ) {
            Ok(stats) => stats,
            Err(error) => {
                input_status = InputStatus::Partial(error.to_string());
                exit = EXIT_FAILED;
                capture.stats().ok().map(CaptureStatsView::from)
            }
        }
    } else {
        capture.stats().ok().map(CaptureStatsView::from)
    };
    stream.finish(&mut interval);
    totals.base.set_scans(None);
    totals += &interval;
    drop(screen);
    if let Err(error) = capture.flush() {
        writeln!(err, "portclass: {error}")?;
        exit = exit.max(EXIT_PARTIAL);
    }
    status.saved =
        settings
            .capture
            .write
            .as_ref()
            .zip(capture.saved())
            .map(|(path, (packets, lost))| SavedView {
                file: path.display().to_string(),
                packets,
                lost,
                complete: lost == 0,
            });
    if let InputStatus::Partial(message) = &input_status {
        writeln!(
            err,
            "portclass: {message} (the summary below counts everything before it)"
        )?;
    }
    // The link type is listed with the input already (from its frames).
    totals.base.finish_input(
        0,
        status.interface.clone(),
        "live capture".to_string(),
        input_status,
    );
    owners.refresh(&interval, &totals);
    let mut totals_view = ReportView::new(&totals, db, names.numeric, 0);
    owners.label_servers(&mut totals_view);
    let processes = owners.view();
    if let Some(server) = &metrics {
        publish(server, &totals_view, &processes, &status, &mut budget)?;
    }
    write_summary(
        settings.format,
        &status,
        &totals_view,
        &processes,
        settings.top,
        now_nanos(),
        !first_snapshot,
        out,
    )?;
    out.flush()?;
    Ok(exit)
}

/// Counts the frames libpcap had received (and not dropped) when the run
/// was told to stop and that are still waiting: in the kernel's ring, part
/// of them in a block the kernel hands over only when it is full or its
/// timeout passes. Returns libpcap's counters as of the stop, which the
/// frames counted now match, unless the frames fail to arrive within twice
/// the timeout plus a second (then the shortfall shows in the summary). No
/// frame received after the stop is counted.
fn drain_received(
    capture: &mut LiveCapture,
    stream: &mut Stream<'_>,
    interval: &mut ReportTally,
    frames: &mut u64,
    settings: &LiveSettings,
) -> Result<Option<CaptureStatsView>, crate::capture::CaptureError> {
    let Ok(stats) = capture.stats() else {
        return Ok(None);
    };
    let target = stats.received.saturating_sub(stats.dropped);
    let give_up = Instant::now() + settings.capture.timeout * 2 + Duration::from_secs(1);
    while *frames < target && settings.count.is_none_or(|n| *frames < n) {
        match capture.next_frame()? {
            Some(frame) => {
                stream.count_frame(interval, &frame);
                *frames += 1;
            }
            None if Instant::now() >= give_up => break,
            None => {}
        }
    }
    Ok(Some(CaptureStatsView::from(stats)))
}

/// Runs `portclass interfaces`.
pub fn run_interfaces(
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let interfaces = match list_interfaces() {
        Ok(list) => list,
        Err(error) => {
            writeln!(err, "portclass: {error}")?;
            return Ok(EXIT_FAILED);
        }
    };
    let default = default_interface().ok().flatten();
    let views: Vec<InterfaceView> = interfaces
        .into_iter()
        .map(|i| {
            let mut state = vec![if i.up { "up" } else { "down" }];
            if i.running {
                state.push("running");
            }
            if i.loopback {
                state.push("loopback");
            }
            if i.wireless {
                state.push("wireless");
            }
            match i.connected {
                Some(true) => state.push("connected"),
                Some(false) => state.push("disconnected"),
                None => {}
            }
            InterfaceView {
                default: default.as_deref() == Some(i.name.as_str()),
                name: i.name,
                description: i.description,
                addresses: i.addresses,
                state,
            }
        })
        .collect();
    write_interfaces(&views, format, out)?;
    out.flush()?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(client_port: u16, server_port: u16, up: u64, down: u64) -> ConversationView {
        ConversationView {
            transport: "tcp",
            client: "10.0.0.1".into(),
            client_port,
            server: "10.0.0.2".into(),
            server_port,
            service: (server_port == 443).then(|| "https".to_string()),
            to_server_packets: 1,
            to_server_bytes: up,
            to_client_packets: 1,
            to_client_bytes: down,
            overestimate_bytes: 0,
            first_timestamp: None,
            last_timestamp: None,
            first_ns: None,
            last_ns: None,
            duration_seconds: None,
        }
    }

    #[test]
    fn conversation_series_sum_a_clients_connections_to_one_service() {
        let series = conversation_series(&[
            conversation(40000, 443, 100, 1000),
            conversation(40001, 8080, 5000, 5000),
            conversation(40002, 443, 200, 2000),
        ]);
        assert_eq!(series.len(), 2, "{series:?}");
        // Busiest first: 8080 (10,000 bytes), then https (3,300).
        assert_eq!((series[0].port, series[0].service.as_str()), (8080, "8080"));
        assert_eq!(series[1].service, "https");
        assert_eq!(
            (series[1].to_server_bytes, series[1].to_client_bytes),
            (300, 3000)
        );
    }
}
