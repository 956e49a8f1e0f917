//! `portclass live`: the capture loop. Frames go through the same decode →
//! classify → tally path as `read`; every interval the interval's tally is
//! added to the running totals and shown (a screen redrawn in place on a
//! terminal, a snapshot otherwise), and published for Prometheus. It ends on
//! Ctrl-C, SIGTERM, `q`, `--duration`, `--count` or a capture error, and then
//! prints the summary of everything counted.

mod baseline;
mod owners;
mod terminal;

use baseline::Watch;
use owners::{OwnerTracker, conversation_series};
use terminal::{Screen, draw};

use super::metrics::{MetricsServer, WebConfig};
use super::processes::Sockets;
use super::{AppError, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, Lookups, say};
use crate::capture::{CaptureStats, LiveCapture, default_interface, list_interfaces};
use crate::classify::PortDb;
use crate::config::{LiveSettings, NameSettings};
use crate::pipeline::Stream;
use crate::pipeline::names::NameSource;
use crate::render::alerts::{alert_text, write_alert};
use crate::render::live::{LiveStatus, write_interfaces, write_snapshot, write_summary};
use crate::render::prometheus::{
    AddressInfo, LiveMetrics, SeriesBudget, write_alert_counters, write_metrics,
};
use crate::render::screen::{ScreenState, ServiceKey};
use crate::render::{Format, ReportView};
use crate::schema::GeoView;
use crate::schema::{
    CaptureStatsView, InterfaceState, InterfaceView, ProcessesView, ReadView, SavedView,
};
use crate::tally::InputStatus;
use crate::tally::report::ReportTally;
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Frames read between looks at the clock, the signal flag and the keys:
/// often enough to be prompt, rarely enough to cost nothing per packet.
const FRAMES_BETWEEN_CHECKS: u64 = 256;

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

/// This machine's addresses on `device` (on every interface for `any`);
/// empty if unknown.
fn local_addresses(device: &str) -> Vec<IpAddr> {
    let Ok(interfaces) = list_interfaces() else {
        return Vec::new();
    };
    interfaces
        .iter()
        .filter(|i| device == "any" || i.name == device)
        .flat_map(|i| &i.addresses)
        .filter_map(|a| a.split('/').next()?.parse::<IpAddr>().ok())
        .collect()
}

/// Publishes the running totals for Prometheus.
fn publish(
    server: &MetricsServer,
    totals: &ReportView,
    processes: &ProcessesView,
    status: &LiveStatus,
    budget: &mut SeriesBudget,
    watch: Option<&Watch>,
) -> io::Result<()> {
    let report = &totals.report;
    let live = LiveMetrics {
        hosts: report
            .hosts
            .entries
            .iter()
            .map(|h| (h.address.to_string(), h.sent_bytes, h.received_bytes))
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
        addresses: address_info(totals),
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
    if let Some(watch) = watch {
        write_alert_counters(&status.interface, &watch.counters(), &mut body)?;
    }
    server.publish(body);
    Ok(())
}

/// The name and place of every address `view` shows, for
/// `portclass_address_info`.
fn address_info(view: &ReportView) -> HashMap<String, AddressInfo> {
    let info =
        |name: &Option<String>, source: Option<NameSource>, geo: &Option<GeoView>| AddressInfo {
            name: name.clone(),
            name_source: source.map(NameSource::name),
            geo: geo.clone(),
        };
    let mut addresses = HashMap::new();
    for s in &view.read.servers.entries {
        let found = info(&s.name, s.name_source, &s.geo);
        addresses.insert(s.address.to_string(), found);
    }
    for h in &view.report.hosts.entries {
        let found = info(&h.name, h.name_source, &h.geo);
        addresses.insert(h.address.to_string(), found);
    }
    for c in &view.report.conversations.entries {
        let client = info(&c.client_name, c.client_name_source, &c.client_geo);
        addresses.entry(c.client.to_string()).or_insert(client);
        let server = info(&c.server_name, c.server_name_source, &c.server_geo);
        addresses.entry(c.server.to_string()).or_insert(server);
    }
    addresses
}

/// What the metrics endpoint asks of its clients, in words.
fn access_words(web: &WebConfig) -> String {
    let users = web.users.as_ref().map_or(0, |u| u.len());
    let plural = if users == 1 { "" } else { "s" };
    match (web.tls.is_some(), users) {
        (true, 0) => "the metrics endpoint speaks TLS only, and lets in anyone who reaches it (no basic_auth_users)".to_string(),
        (true, n) => format!("the metrics endpoint speaks TLS only, and lets in {n} user{plural} (basic auth)"),
        (false, 0) => "the metrics web configuration asks for nothing: plain HTTP, open to anyone who reaches it".to_string(),
        (false, n) => format!(
            "the metrics endpoint lets in {n} user{plural} (basic auth), but without tls_server_config their passwords cross the network in clear text"
        ),
    }
}

/// Runs `portclass live`.
pub fn run_live(
    settings: &LiveSettings,
    names: &NameSettings,
    db: &PortDb,
    lookups: &mut Lookups,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, AppError> {
    let resolved;
    let settings = if settings.filter.is_empty() {
        settings
    } else {
        let mut with_filter = settings.clone();
        with_filter.capture.filter = super::filter_expression(&settings.filter, db)?;
        resolved = with_filter;
        &resolved
    };
    // The baseline is read before the capture opens: a bad one stops here.
    let watch = match Watch::new(settings, db, names.numeric) {
        Ok(watch) => watch,
        Err(message) => {
            say(err, message)?;
            return Ok(EXIT_FAILED);
        }
    };
    // So is the metrics endpoint's web configuration.
    let web = match settings
        .metrics_web_config
        .as_deref()
        .map(WebConfig::load)
        .transpose()
    {
        Ok(web) => web,
        Err(error) => {
            say(err, error)?;
            return Ok(EXIT_FAILED);
        }
    };
    let rule = db.naming_rule();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Without the handler the default action still ends the process;
        // only the summary would be lost, so a failure is not fatal.
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    let Some(mut run) = Run::start(
        settings,
        names,
        (db, lookups),
        Stream::new(&rule, &settings.analysis),
        web,
        err,
    )?
    else {
        return Ok(EXIT_FAILED);
    };
    run.watch = watch;
    let drain = run.capture_until_stopped(&stop, out, err)?;
    run.finish(drain, out, err)
}

/// One live run: the capture, the pipeline's state, the running totals and
/// where they are shown.
struct Run<'a> {
    settings: &'a LiveSettings,
    names: &'a NameSettings,
    db: &'a PortDb,
    /// `--geoip` databases and `--resolve`.
    lookups: &'a mut Lookups,
    capture: LiveCapture,
    stream: Stream<'a>,
    frames: u64,
    /// This interval's tally, and everything before it.
    interval: ReportTally,
    totals: ReportTally,
    status: LiveStatus,
    input_status: InputStatus,
    exit: u8,
    owners: OwnerTracker,
    metrics: Option<MetricsServer>,
    budget: SeriesBudget,
    screen: Option<Screen>,
    state: ScreenState,
    /// The services on the screen, top to bottom (the keys move the
    /// highlight among them; Enter opens one).
    shown: Vec<ServiceKey>,
    /// The last views drawn, to redraw at once when a key changes the view.
    last_views: Option<Views>,
    first_snapshot: bool,
    /// `--baseline` and `--alert`.
    watch: Option<Watch>,
    started: Instant,
    last_tick: Instant,
    next_tick: Instant,
}

/// An interval's views: the interval, the totals, the processes and the
/// interval's length in seconds.
type Views = (ReportView, ReportView, ProcessesView, f64);

impl<'a> Run<'a> {
    /// Opens the capture and the metrics endpoint, says what it chose, and
    /// takes the terminal when the screen is wanted; `None` (having said
    /// why) when the capture or the endpoint cannot be opened.
    fn start(
        settings: &'a LiveSettings,
        names: &'a NameSettings,
        (db, lookups): (&'a PortDb, &'a mut Lookups),
        stream: Stream<'a>,
        web: Option<WebConfig>,
        err: &mut dyn Write,
    ) -> Result<Option<Run<'a>>, AppError> {
        let capture = match LiveCapture::open(&settings.capture) {
            Ok(capture) => capture,
            Err(error) => {
                say(err, error)?;
                return Ok(None);
            }
        };
        if capture.chose_default() {
            say(
                err,
                format_args!(
                    "capturing on {}, the default device (choose another with -i; portclass interfaces lists them)",
                    capture.device()
                ),
            )?;
        }
        let access = web.as_ref().map(access_words);
        let metrics = match settings
            .metrics
            .as_deref()
            .map(|addr| MetricsServer::start(addr, web))
            .transpose()
        {
            Ok(server) => server,
            Err(error) => {
                say(err, error)?;
                return Ok(None);
            }
        };
        let metrics_url = metrics.as_ref().map(MetricsServer::url);
        if let Some(server) = &metrics {
            say(
                err,
                format_args!("serving Prometheus metrics at {}", server.url()),
            )?;
            match access {
                Some(words) => say(err, words)?,
                None if !server.local_addr().ip().is_loopback() => say(
                    err,
                    format_args!(
                        "the metrics name hosts, servers and processes, and anyone who can reach {} can read them: \
                         listen on 127.0.0.1, or give --metrics-web-config for TLS and passwords",
                        server.local_addr()
                    ),
                )?,
                None => {}
            }
        }
        // Which local process owns which socket: read now (to say once what
        // cannot be seen), at every interval and for new endpoints.
        let local_addresses = local_addresses(capture.device());
        let owners = OwnerTracker::new(Sockets::scan(), local_addresses.clone());
        if owners.sockets.hidden > 0 {
            say(
                err,
                format_args!(
                    "the sockets of {} processes of other users cannot be seen without root or CAP_SYS_PTRACE: their traffic shows no process",
                    owners.sockets.hidden
                ),
            )?;
        }
        let screen = if settings.format == Format::Table && io::stdout().is_terminal() {
            Some(Screen::enter()?)
        } else {
            None
        };
        let mut totals = ReportTally::new(None);
        totals.base.set_decap(settings.analysis.decap);
        let started = Instant::now();
        Ok(Some(Run {
            settings,
            names,
            db,
            lookups,
            status: LiveStatus {
                interface: capture.device().to_string(),
                filter: capture.filter().map(str::to_string),
                elapsed_seconds: 0.0,
                stats: None,
                saved: None,
                metrics_url,
                local_addresses,
                last_alert: None,
            },
            capture,
            stream,
            frames: 0,
            interval: ReportTally::new(None),
            totals,
            input_status: InputStatus::Complete,
            exit: EXIT_OK,
            owners,
            metrics,
            budget: SeriesBudget::new(settings.metrics_max_series),
            screen,
            state: ScreenState::new(),
            shown: Vec::new(),
            last_views: None,
            first_snapshot: true,
            watch: None,
            started,
            last_tick: started,
            next_tick: started + settings.interval,
        }))
    }

    /// Captures until a signal (`stop`), a key, the duration, the count or
    /// an error ends the run, with a tick every interval. Returns whether
    /// the frames libpcap has received by then are still to count (not
    /// after `--count` or an error).
    fn capture_until_stopped(
        &mut self,
        stop: &AtomicBool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<bool, AppError> {
        let deadline = self.settings.duration.map(|d| self.started + d);
        loop {
            if let Some(drain) = self.read_frames() {
                return Ok(drain);
            }
            if self.report_write_error(err)? {
                return Ok(true);
            }
            let now = Instant::now();
            if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| now >= d) {
                return Ok(true);
            }
            self.owners.look(&self.interval, now);
            if self.keys()? {
                return Ok(true);
            }
            if now >= self.next_tick {
                self.tick(now, out, err)?;
            }
        }
    }

    /// Counts the frames ready in the ring, up to [`FRAMES_BETWEEN_CHECKS`]
    /// (none when the read timeout passes first); `Some(drain)` when the
    /// run must end.
    fn read_frames(&mut self) -> Option<bool> {
        let max = self.settings.count.map_or(FRAMES_BETWEEN_CHECKS, |count| {
            count.saturating_sub(self.frames).min(FRAMES_BETWEEN_CHECKS)
        });
        let (stream, interval) = (&mut self.stream, &mut self.interval);
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        match self
            .capture
            .next_frames(max, |frame| stream.count_frame(interval, frame))
        {
            Ok(counted) => {
                self.frames += counted as u64;
                if self
                    .settings
                    .count
                    .is_some_and(|count| self.frames >= count)
                {
                    return Some(false);
                }
                // Counted == 0: the read timeout passed, a chance to look
                // at the clock.
                None
            }
            Err(error) => {
                self.input_status = InputStatus::Partial(error.into());
                self.exit = EXIT_FAILED;
                Some(false)
            }
        }
    }

    /// Says at once that writing `-w FILE` failed; true when the run stops
    /// for it (`--stop-on-write-error`).
    fn report_write_error(&mut self, err: &mut dyn Write) -> io::Result<bool> {
        let Some(error) = self.capture.take_write_error() else {
            return Ok(false);
        };
        self.exit = self.exit.max(EXIT_PARTIAL);
        let stops = self.settings.stop_on_write_error;
        let next = if stops {
            "the capture stops (--stop-on-write-error)"
        } else {
            "the capture goes on counting"
        };
        say(err, format_args!("{error}; {next}"))?;
        err.flush()?;
        Ok(stops)
    }

    /// Applies the keys pressed, redrawing at once when they changed the
    /// view; true when one asks to stop.
    fn keys(&mut self) -> io::Result<bool> {
        let Some(screen) = &self.screen else {
            return Ok(false);
        };
        let before = self.state.clone();
        if screen.keys(&mut self.state, &self.shown) {
            return Ok(true);
        }
        if self.state != before
            && let Some((interval, totals, processes, seconds)) = &self.last_views
        {
            self.shown = draw(
                screen,
                &self.status,
                interval,
                totals,
                processes,
                *seconds,
                &self.state,
            )?;
        }
        Ok(false)
    }

    /// The interval's end: unanswered attempts whose window passed count
    /// as failed, the interval is folded into the totals, shown (a
    /// snapshot, or the screen unless paused) and published.
    fn tick(&mut self, now: Instant, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        // The saved file keeps up with the screen (an error is reported at
        // the next look).
        self.capture.write_saved();
        self.stream.advance(&mut self.interval, now_nanos());
        let seconds = now.duration_since(self.last_tick).as_secs_f64();
        self.totals += &self.interval;
        self.totals.base.set_scans(self.stream.scan_report());
        self.status.elapsed_seconds = now.duration_since(self.started).as_secs_f64();
        self.status.stats = self.capture.stats().ok().map(CaptureStatsView::from);
        let mut interval_view = ReportView::new(&self.interval, self.db, self.names.numeric, 0);
        self.lookups.add_to(&mut interval_view, false);
        // One stamp for the interval's alerts and its snapshot.
        let stamp = now_nanos();
        self.raise_alerts(&interval_view.read, stamp, out, err)?;
        if self.screen.is_none() && self.metrics.is_none() {
            // A snapshot shows only the totals' counters and servers: their
            // report sections (time series, hosts, conversations) would be
            // built every interval for nothing, and cost more than the rest
            // of the interval's work once a busy capture has run a while.
            let (totals, processes) = self.totals_counts_view();
            self.snapshot((&interval_view, &totals, &processes), seconds, stamp, out)?;
        } else {
            let (totals_view, processes) = self.totals_view(false)?;
            if let Some(screen) = &self.screen {
                if !self.state.paused {
                    self.shown = draw(
                        screen,
                        &self.status,
                        &interval_view,
                        &totals_view,
                        &processes,
                        seconds,
                        &self.state,
                    )?;
                }
            } else {
                self.snapshot(
                    (&interval_view, &totals_view.read, &processes),
                    seconds,
                    stamp,
                    out,
                )?;
            }
            self.last_views = Some((interval_view, totals_view, processes, seconds));
        }
        self.interval = ReportTally::new(None);
        self.last_tick = now;
        self.next_tick += self.settings.interval;
        if self.next_tick < now {
            // Far behind (a slow terminal): skip the missed ticks.
            self.next_tick = now + self.settings.interval;
        }
        Ok(())
    }

    /// Writes one snapshot line (or table) of the interval and the totals.
    fn snapshot(
        &mut self,
        views: (&ReportView, &ReadView, &ProcessesView),
        seconds: f64,
        stamp: i64,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_snapshot(
            self.settings.format,
            &self.status,
            views,
            seconds,
            stamp,
            self.settings.top,
            self.first_snapshot,
            out,
        )?;
        self.first_snapshot = false;
        out.flush()
    }

    /// Checks the interval (`view`) against the baseline and the rules, and
    /// shows what that raised: on the screen, its alert line; otherwise an
    /// alert line or row in the output (see [`write_alert`]) and a line on
    /// standard error.
    fn raise_alerts(
        &mut self,
        view: &ReadView,
        stamp: i64,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        let Some(watch) = &mut self.watch else {
            return Ok(());
        };
        let checked = watch.check(view);
        let on_screen = self.screen.is_some();
        for notice in &checked.notices {
            if !on_screen {
                say(err, notice)?;
            }
        }
        for alert in &checked.alerts {
            let text = alert_text(alert);
            if on_screen {
                self.status.last_alert = Some((text, watch.raised));
            } else {
                write_alert(self.settings.format, &self.status, alert, stamp, out)?;
                say(err, format_args!("ALERT {text}"))?;
            }
        }
        if !checked.alerts.is_empty() && !on_screen {
            out.flush()?;
            err.flush()?;
        }
        Ok(())
    }

    /// Credits the interval's conversations to processes, and gives the
    /// totals' view (each server with its process) and the processes, as
    /// published for Prometheus.
    /// `last`: the summary at the end, which waits for the names
    /// `--resolve` asked for (see [`Lookups::add_to`]).
    fn totals_view(&mut self, last: bool) -> io::Result<(ReportView, ProcessesView)> {
        self.owners.refresh(&self.interval, &self.totals);
        let mut view = ReportView::new(&self.totals, self.db, self.names.numeric, 0);
        self.lookups.add_to(&mut view, last);
        self.owners.label_servers(&mut view.read);
        let processes = self.owners.view();
        if let Some(server) = &self.metrics {
            publish(
                server,
                &view,
                &processes,
                &self.status,
                &mut self.budget,
                self.watch.as_ref(),
            )?;
        }
        Ok((view, processes))
    }

    /// What a snapshot shows of the totals: their counters and servers
    /// (each with its process), after crediting the interval's
    /// conversations to processes as [`totals_view`](Self::totals_view)
    /// does; and the processes.
    fn totals_counts_view(&mut self) -> (ReadView, ProcessesView) {
        self.owners.refresh(&self.interval, &self.totals);
        let mut view = ReadView::new(&self.totals.base, self.db, self.names.numeric);
        self.lookups.add_to(&mut view, false);
        self.owners.label_servers(&mut view);
        (view, self.owners.view())
    }

    /// The end: counts what libpcap had received when the run was told to
    /// stop (when `drain`) and what the last interval holds, restores the
    /// terminal, then prints the summary of everything.
    fn finish(
        mut self,
        drain: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<u8, AppError> {
        self.status.elapsed_seconds = self.started.elapsed().as_secs_f64();
        self.status.stats = if drain {
            match drain_received(
                &mut self.capture,
                &mut self.stream,
                &mut self.interval,
                &mut self.frames,
                self.settings,
            ) {
                Ok(stats) => stats,
                Err(error) => {
                    self.input_status = InputStatus::Partial(error.into());
                    self.exit = EXIT_FAILED;
                    self.capture.stats().ok().map(CaptureStatsView::from)
                }
            }
        } else {
            self.capture.stats().ok().map(CaptureStatsView::from)
        };
        self.stream.finish(&mut self.interval);
        self.totals.base.set_scans(None);
        self.totals += &self.interval;
        let screened = self.screen.take().is_some();
        if let Some(watch) = self.watch.as_ref().filter(|w| screened && w.raised > 0)
            && let Some((last, _)) = &self.status.last_alert
        {
            say(
                err,
                format_args!("alerts during the run: {}; the last: {last}", watch.raised),
            )?;
        }
        if self.watch.is_some() {
            // What the last, partial interval raised.
            let last = ReadView::new(&self.interval.base, self.db, self.names.numeric);
            self.raise_alerts(&last, now_nanos(), out, err)?;
        }
        if let Err(error) = self.capture.flush() {
            say(err, error)?;
            self.exit = self.exit.max(EXIT_PARTIAL);
        }
        self.status.saved = self
            .settings
            .capture
            .write
            .as_ref()
            .zip(self.capture.saved())
            .map(|(path, (packets, lost))| SavedView {
                file: path.display().to_string(),
                packets,
                lost,
                complete: lost == 0,
            });
        if let InputStatus::Partial(message) = &self.input_status {
            say(
                err,
                format_args!("{message} (the summary below counts everything before it)"),
            )?;
        }
        // The link type is listed with the input already (from its frames).
        self.totals.base.finish_input(
            0,
            self.status.interface.clone(),
            "live capture".to_string(),
            self.input_status.clone(),
            self.settings
                .capture
                .filter
                .as_ref()
                .map(|filter| (filter.clone(), None)),
        );
        let (totals_view, processes) = self.totals_view(true)?;
        write_summary(
            self.settings.format,
            &self.status,
            &totals_view,
            &processes,
            self.settings.top,
            now_nanos(),
            !self.first_snapshot,
            out,
        )?;
        out.flush()?;
        Ok(self.exit)
    }
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
    while *frames < target {
        let wanted = settings
            .count
            .map_or(target, |count| count.min(target))
            .saturating_sub(*frames);
        if wanted == 0 {
            break;
        }
        let max = usize::try_from(wanted).unwrap_or(usize::MAX);
        match capture.next_frames(max, |frame| stream.count_frame(interval, frame))? {
            0 if Instant::now() >= give_up => break,
            counted => *frames += counted as u64,
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
            say(err, error)?;
            return Ok(EXIT_FAILED);
        }
    };
    let default = default_interface().ok().flatten();
    let views: Vec<InterfaceView> = interfaces
        .into_iter()
        .map(|i| {
            let mut state = vec![if i.up {
                InterfaceState::Up
            } else {
                InterfaceState::Down
            }];
            if i.running {
                state.push(InterfaceState::Running);
            }
            if i.loopback {
                state.push(InterfaceState::Loopback);
            }
            if i.wireless {
                state.push(InterfaceState::Wireless);
            }
            match i.connected {
                Some(true) => state.push(InterfaceState::Connected),
                Some(false) => state.push(InterfaceState::Disconnected),
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
