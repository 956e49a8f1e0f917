//! Process attribution for `live`: which local process owns each endpoint
//! of the capture's conversations and servers (see `app::processes` for the
//! reading of the socket tables), and the conversation series of the
//! metrics.

use crate::app::processes::{ProcessInfo, ProcessTally, Sockets};
use crate::decode::Transport;
use crate::render::prometheus::ConversationSeries;
use crate::schema::{ConversationView, ProcessRow, ProcessView, ProcessesView, ReadView};
use crate::tally::report::ReportTally;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Attributes the capture's local endpoints to processes, interval by
/// interval: each interval's conversations to the processes owning their
/// local ends (summed, bounded), and each server to its process (kept once
/// seen, so a server whose process has gone still shows who served it).
///
/// The sockets are read at every interval, and also soon after a new local
/// endpoint appears (at most every [`LOOK_EVERY`]): a connection opened and
/// closed within one interval is still attributed to the process that had
/// it open, which the interval's own reading would no longer find.
pub(super) struct OwnerTracker {
    pub(super) sockets: Sockets,
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
    pub(super) fn new(sockets: Sockets, local: Vec<IpAddr>) -> OwnerTracker {
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
    pub(super) fn look(&mut self, interval: &ReportTally, now: Instant) {
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
    pub(super) fn refresh(&mut self, interval: &ReportTally, totals: &ReportTally) {
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
    pub(super) fn label_servers(&self, view: &mut ReadView) {
        for server in &mut view.servers.entries {
            server.process = self
                .servers
                .get(&(server.transport, server.address, server.port))
                .map(|p| ProcessView {
                    pid: p.pid,
                    name: p.name.clone(),
                    user: p.user.clone(),
                });
        }
    }

    pub(super) fn view(&self) -> ProcessesView {
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

/// The conversations summed over the client's ports (a series per client,
/// server and service, however many connections), busiest first.
pub(super) fn conversation_series(conversations: &[ConversationView]) -> Vec<ConversationSeries> {
    let mut series: Vec<ConversationSeries> = Vec::new();
    let mut index: HashMap<(Transport, IpAddr, IpAddr, u16), usize> = HashMap::new();
    for c in conversations {
        let key = (c.transport, c.client, c.server, c.server_port);
        let at = *index.entry(key).or_insert_with(|| {
            series.push(ConversationSeries {
                transport: c.transport.name(),
                client: c.client.to_string(),
                server: c.server.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(client_port: u16, server_port: u16, up: u64, down: u64) -> ConversationView {
        ConversationView {
            transport: Transport::Tcp,
            client: IpAddr::from([10, 0, 0, 1]),
            client_port,
            server: IpAddr::from([10, 0, 0, 2]),
            server_port,
            client_name: None,
            client_name_source: None,
            server_name: None,
            server_name_source: None,
            client_geo: None,
            server_geo: None,
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
