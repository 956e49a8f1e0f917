//! `--resolve`: names for the addresses shown that the traffic did not
//! name, asked of the system's resolver (`getnameinfo`: `/etc/hosts`, then
//! DNS, as `/etc/nsswitch.conf` says) on worker threads of their own.
//!
//! **Bounded.** At most [`MAX_LOOKUPS`] addresses are ever asked about,
//! each once, [`WORKERS`] at a time; asking never blocks the caller (the
//! queue holds every address that may be asked). `read`, `report` and
//! `merge` wait at most [`WAIT`] for the answers after counting; `live`
//! never waits, and shows each answer at the next refresh. A lookup that
//! hangs in the resolver holds one worker, never the program: at the end
//! the workers still blocked are left to the operating system.
//!
//! **Off by default**: without `--resolve` portclass sends nothing on the
//! network.

use crate::pipeline::names::{HostName, NameSource, NameTable};
use crate::schema::{MAX_LOOKUPS, ResolveView};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Lookups at once (worker threads).
pub const WORKERS: usize = 16;
/// How long `read`, `report` and `merge` wait for answers after counting.
pub const WAIT: Duration = Duration::from_secs(5);

/// One answer: the address and its name, or `None` when the resolver knows
/// none (or gave something that is not a host name).
type Answer = (IpAddr, Option<HostName>);

/// Reverse lookups in the background; see the module documentation.
pub struct Resolver {
    /// Addresses to look up; `None` once the resolver stops taking work.
    queue: Option<SyncSender<IpAddr>>,
    answers: Receiver<Answer>,
    /// Every address asked about (at most [`MAX_LOOKUPS`]).
    asked: HashSet<IpAddr>,
    /// The names found.
    names: NameTable,
    stats: ResolveView,
    /// Workers started so far (they start as work arrives).
    workers: usize,
    /// The queue's receiving end, shared by the workers.
    work: Arc<Mutex<Receiver<IpAddr>>>,
    /// The sending end the workers answer on.
    answer_to: SyncSender<Answer>,
}

impl Resolver {
    /// A resolver with no lookup started yet.
    pub fn new() -> Resolver {
        let (queue, work) = mpsc::sync_channel(MAX_LOOKUPS);
        let (answer_to, answers) = mpsc::sync_channel(MAX_LOOKUPS);
        Resolver {
            queue: Some(queue),
            answers,
            asked: HashSet::new(),
            names: NameTable::new(),
            stats: ResolveView::default(),
            workers: 0,
            work: Arc::new(Mutex::new(work)),
            answer_to,
        }
    }

    /// Asks about each address not asked about before, while there is
    /// room; never blocks.
    pub fn ask(&mut self, addresses: impl IntoIterator<Item = IpAddr>) {
        for address in addresses {
            if self.asked.contains(&address) {
                continue;
            }
            if self.asked.len() >= MAX_LOOKUPS {
                self.stats.not_asked += 1;
                continue;
            }
            let Some(queue) = &self.queue else {
                self.stats.not_asked += 1;
                continue;
            };
            match queue.try_send(address) {
                Ok(()) => {
                    self.asked.insert(address);
                    self.stats.asked += 1;
                    self.start_worker();
                }
                // Cannot happen (the queue holds MAX_LOOKUPS); counted if
                // it does, never waited for.
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    self.stats.not_asked += 1;
                }
            }
        }
    }

    /// Starts one more worker while fewer than [`WORKERS`] run than
    /// lookups were asked for.
    fn start_worker(&mut self) {
        if self.workers >= WORKERS || self.workers >= self.asked.len() {
            return;
        }
        let work = Arc::clone(&self.work);
        let answer_to = self.answer_to.clone();
        let started = thread::Builder::new()
            .name("portclass-resolve".into())
            .spawn(move || {
                loop {
                    let next = work.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(address) = next else { break };
                    if answer_to.send((address, look_up(address))).is_err() {
                        break;
                    }
                }
            });
        // Without a thread (the system refused one), the lookups wait for
        // the workers already running; with none at all, they stay
        // unanswered and the output says so.
        if started.is_ok() {
            self.workers += 1;
        }
    }

    /// Takes in the answers that have arrived; never blocks.
    pub fn gather(&mut self) {
        while let Ok(answer) = self.answers.try_recv() {
            self.take(answer);
        }
    }

    /// Takes in answers until every lookup is answered or `wait` has
    /// passed.
    pub fn wait(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while self.unanswered() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(answer) => self.take(answer),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn take(&mut self, (address, name): Answer) {
        match name {
            Some(name) => {
                self.stats.named += 1;
                self.names
                    .offer(address, name.as_str(), NameSource::Rdns, now_ns(), None);
            }
            None => self.stats.no_name += 1,
        }
    }

    /// Lookups asked for and not answered yet.
    fn unanswered(&self) -> u64 {
        self.stats.asked - self.stats.named - self.stats.no_name
    }

    /// The names found so far.
    pub fn names(&self) -> &NameTable {
        &self.names
    }

    /// What was asked and answered so far.
    pub fn stats(&self) -> ResolveView {
        ResolveView {
            unanswered: self.unanswered(),
            ..self.stats
        }
    }
}

impl Default for Resolver {
    fn default() -> Resolver {
        Resolver::new()
    }
}

impl Drop for Resolver {
    /// Stops the workers once their current lookup ends (none is waited
    /// for).
    fn drop(&mut self) {
        self.queue = None;
    }
}

/// The name the system's resolver gives `address`, if it gives a host
/// name (not the address written out, which `getnameinfo` returns when it
/// knows none).
fn look_up(address: IpAddr) -> Option<HostName> {
    // NI_NAMEREQD: an error rather than the address in numeric form.
    const NI_NAMEREQD: i32 = 8;
    let (host, _service) =
        dns_lookup::getnameinfo(&SocketAddr::new(address, 0), NI_NAMEREQD).ok()?;
    let host = host.trim_end_matches('.');
    if host.parse::<IpAddr>().is_ok() {
        return None;
    }
    HostName::new(host.as_bytes())
}

/// Now, in ns since the epoch (when a name was found).
fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn loopback_is_named_by_the_hosts_file_and_each_address_asked_once() {
        let mut resolver = Resolver::new();
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        resolver.ask([localhost, localhost]);
        resolver.wait(Duration::from_secs(10));
        let stats = resolver.stats();
        assert_eq!(stats.asked, 1, "{stats:?}");
        assert_eq!(stats.unanswered, 0, "{stats:?}");
        // Every system this runs on names 127.0.0.1 in /etc/hosts.
        let entry = resolver.names().get(localhost).expect("127.0.0.1 named");
        assert_eq!(entry.source, NameSource::Rdns);
        assert!(!entry.name.is_empty());
        resolver.ask([localhost]);
        assert_eq!(resolver.stats().asked, 1);
    }

    #[test]
    fn a_stopped_resolver_counts_the_addresses_it_did_not_ask() {
        let mut resolver = Resolver::new();
        // Nothing runs: the queue is closed, as after a drop.
        resolver.queue = None;
        resolver.ask((0..3u32).map(|i| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))));
        let stats = resolver.stats();
        assert_eq!((stats.asked, stats.not_asked), (0, 3));
    }
}
