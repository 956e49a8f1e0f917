//! The server inventory: one entry per server endpoint (transport, address,
//! port) that traffic showed to be a server, with its traffic towards and
//! from it, first and last seen, conversations, distinct clients and top
//! clients. Bounded like the report's hosts (a space-saving top-K by bytes,
//! accuracy stated), mergeable with `+=`.
//!
//! An endpoint is a server when a frame is named by its port through the
//! handshake rule (its TCP handshake, or its answer to a UDP request) or by
//! the port database (traffic whose opening was not captured, on a port the
//! database names). Frames named by the heuristic (an unknown port, the
//! dynamic row) or in the failed row never make one, so a client's ephemeral
//! port is not listed.
//!
//! Per frame the work is a write-back cache: a 4-way set-associative table
//! of recent servers and their frame counts (72 bytes a slot), added to the
//! top-K summary when its way is needed for another server (the set's least
//! recently seen one makes way), or at the end.
//! Clients are noted per conversation opened and answered, never per frame
//! (so a server whose conversations all began before the capture lists no
//! client): the top clients are ranked by conversations.

use super::Counter;
use super::sketch;
use super::topk::{Entry, SpaceSaving, Weights};
use crate::decode::Transport;
use std::net::IpAddr;
use std::ops::AddAssign;

/// Servers kept by the top-K summary.
pub const SERVER_CAPACITY: usize = 1024;
/// Clients listed per server.
pub const TOP_CLIENTS: usize = 4;
/// Registers of the per-server distinct-client sketch (HyperLogLog, 2^6:
/// about 13 % error, used only past [`TOP_CLIENTS`] clients).
const CLIENT_REGISTERS: usize = 1 << CLIENT_PRECISION;
const CLIENT_PRECISION: u32 = 6;
/// Sets of the write-back cache, and ways per set: 4,096 servers, and
/// a set's four tags share one cache line, so a lookup touches the tag line
/// and one slot. Four ways keep a server from being pushed out by another
/// that happens to hash to the same place (a direct-mapped table of the
/// same size missed 390,335 of the ~930,000 server frames of the 1M-packet
/// benchmark capture, 2,000 flows at a time; this one misses 23,696).
const CACHE_SETS: usize = 1024;
const CACHE_WAYS: usize = 4;

/// A server endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerKey {
    /// Its transport.
    pub transport: Transport,
    /// Its address.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
}

/// One client of a server and how many conversations it opened with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientSeen {
    /// The client's address.
    pub address: Option<IpAddr>,
    /// Conversations it opened that the server answered.
    pub seen: u64,
}

/// What is known of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerWeights {
    /// Frames towards it (from clients).
    pub to_server: Counter,
    /// Frames from it (its answers).
    pub from_server: Counter,
    /// First and last frame (ns since the epoch).
    pub span: Option<(i64, i64)>,
    /// Conversations with it whose opening was seen and answered.
    pub conversations: u64,
    /// Its busiest clients (exact while it has at most [`TOP_CLIENTS`]).
    pub top_clients: [ClientSeen; TOP_CLIENTS],
    /// More clients than `top_clients` holds were seen (the list and its
    /// bytes are then lower bounds).
    pub clients_overflowed: bool,
    /// Distinct-client sketch (HyperLogLog registers).
    pub client_registers: [u8; CLIENT_REGISTERS],
}

impl Default for ServerWeights {
    fn default() -> ServerWeights {
        ServerWeights {
            to_server: Counter::default(),
            from_server: Counter::default(),
            span: None,
            conversations: 0,
            top_clients: [ClientSeen::default(); TOP_CLIENTS],
            clients_overflowed: false,
            client_registers: [0; CLIENT_REGISTERS],
        }
    }
}

impl ServerWeights {
    #[inline]
    fn add_client(&mut self, client: IpAddr, seen: u64) {
        if let Some(slot) = self
            .top_clients
            .iter_mut()
            .find(|c| c.address == Some(client))
        {
            slot.seen = slot.seen.saturating_add(seen);
            return;
        }
        self.new_client(client, seen);
    }

    fn sketch_client(&mut self, client: IpAddr) {
        sketch::observe(
            &mut self.client_registers,
            CLIENT_PRECISION,
            sketch::address_hash(client),
        );
    }

    #[cold]
    fn new_client(&mut self, client: IpAddr, seen: u64) {
        self.sketch_client(client);
        if let Some(free) = self.top_clients.iter_mut().find(|c| c.address.is_none()) {
            *free = ClientSeen {
                address: Some(client),
                seen,
            };
            return;
        }
        // Full: the least busy client makes way when the new one outweighs
        // it (a lower bound for both; the list is approximate from now on).
        self.clients_overflowed = true;
        if let Some(least) = self.top_clients.iter_mut().min_by_key(|c| c.seen)
            && least.seen < seen
        {
            *least = ClientSeen {
                address: Some(client),
                seen,
            };
        }
    }

    /// Distinct clients: exact while they fit the top-clients list, an
    /// estimate after ([`ServerWeights::clients_overflowed`]).
    pub fn clients(&self) -> u64 {
        if !self.clients_overflowed {
            return self
                .top_clients
                .iter()
                .filter(|c| c.address.is_some())
                .count() as u64;
        }
        sketch::estimate(&self.client_registers).max(TOP_CLIENTS as u64 + 1)
    }

    /// The top clients, most conversations first.
    pub fn top_clients(&self) -> Vec<(IpAddr, u64)> {
        let mut list: Vec<(IpAddr, u64)> = self
            .top_clients
            .iter()
            .filter_map(|c| c.address.map(|a| (a, c.seen)))
            .collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list
    }

    /// The sketch as hex (one byte per register), saved in JSON; empty
    /// while the top-clients list holds every client (it is then all a
    /// merge needs).
    pub fn client_sketch(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        if !self.clients_overflowed {
            return String::new();
        }
        let mut out = String::with_capacity(2 * CLIENT_REGISTERS);
        for r in self.client_registers {
            out.push(char::from(HEX[usize::from(r >> 4)]));
            out.push(char::from(HEX[usize::from(r & 15)]));
        }
        out
    }

    /// Sets the sketch from its saved form (empty: rebuilt from the
    /// top-clients list); false when malformed.
    pub fn set_client_sketch(&mut self, hex: &str) -> bool {
        if hex.is_empty() {
            for client in self.top_clients {
                if let Some(address) = client.address {
                    self.sketch_client(address);
                }
            }
            return true;
        }
        if hex.len() != 2 * CLIENT_REGISTERS || !hex.is_ascii() {
            return false;
        }
        for (i, slot) in self.client_registers.iter_mut().enumerate() {
            match u8::from_str_radix(&hex[2 * i..2 * i + 2], 16) {
                Ok(r) => *slot = r,
                Err(_) => return false,
            }
        }
        true
    }
}

impl AddAssign for ServerWeights {
    fn add_assign(&mut self, other: ServerWeights) {
        self.to_server += other.to_server;
        self.from_server += other.from_server;
        self.span = match (self.span, other.span) {
            (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
            (a, b) => a.or(b),
        };
        self.conversations = self.conversations.saturating_add(other.conversations);
        if other.top_clients[0].address.is_none() && !other.clients_overflowed {
            // Traffic only (the per-frame cache's flushes): no clients.
            return;
        }
        for (mine, theirs) in self.client_registers.iter_mut().zip(other.client_registers) {
            *mine = (*mine).max(theirs);
        }
        self.clients_overflowed |= other.clients_overflowed;
        for client in other.top_clients {
            if let Some(address) = client.address {
                if let Some(slot) = self
                    .top_clients
                    .iter_mut()
                    .find(|c| c.address == Some(address))
                {
                    slot.seen = slot.seen.saturating_add(client.seen);
                } else if let Some(free) = self.top_clients.iter_mut().find(|c| c.address.is_none())
                {
                    *free = client;
                } else {
                    self.clients_overflowed = true;
                    if let Some(least) = self.top_clients.iter_mut().min_by_key(|c| c.seen)
                        && least.seen < client.seen
                    {
                        *least = client;
                    }
                }
            }
        }
    }
}

impl Weights for ServerWeights {
    fn rank_weight(&self) -> u64 {
        self.to_server.bytes.saturating_add(self.from_server.bytes)
    }

    /// The totals say only how much traffic and how many conversations
    /// servers had, not who their clients were.
    #[inline]
    fn add_to_total(&mut self, other: &ServerWeights) {
        self.to_server += other.to_server;
        self.from_server += other.from_server;
        self.conversations = self.conversations.saturating_add(other.conversations);
    }
}

/// What the per-frame path adds up for one server between flushes: its
/// frames each way and their time span (64 bytes with the key; the rest of
/// [`ServerWeights`] changes only per conversation).
#[derive(Clone, Copy, Debug)]
struct HotCounts {
    to_server: Counter,
    from_server: Counter,
    first: i64,
    last: i64,
}

impl HotCounts {
    fn new(ts: i64) -> HotCounts {
        HotCounts {
            to_server: Counter::default(),
            from_server: Counter::default(),
            first: ts,
            last: ts,
        }
    }

    #[inline]
    fn add(&mut self, to_server: bool, frames: Counter, ts: i64) {
        if to_server {
            self.to_server += frames;
        } else {
            self.from_server += frames;
        }
        self.first = self.first.min(ts);
        self.last = self.last.max(ts);
    }

    fn weights(&self) -> ServerWeights {
        ServerWeights {
            to_server: self.to_server,
            from_server: self.from_server,
            span: Some((self.first, self.last)),
            ..ServerWeights::default()
        }
    }
}

/// The server inventory of a stream of frames.
#[derive(Clone, Debug)]
pub struct Servers {
    summary: SpaceSaving<ServerKey, ServerWeights>,
    /// Per set, each way's tag (0: empty): part of the key's hash.
    tags: Vec<[u32; CACHE_WAYS]>,
    /// Per set and way, the server cached there (valid where its tag is not 0).
    cache: Vec<(ServerKey, HotCounts)>,
}

impl Default for Servers {
    fn default() -> Servers {
        Servers::new()
    }
}

impl Servers {
    /// An empty inventory.
    pub fn new() -> Servers {
        Servers {
            summary: SpaceSaving::new(SERVER_CAPACITY),
            tags: Vec::new(),
            cache: Vec::new(),
        }
    }

    /// An inventory from a summary read back.
    pub fn from_summary(summary: SpaceSaving<ServerKey, ServerWeights>) -> Servers {
        Servers {
            summary,
            tags: Vec::new(),
            cache: Vec::new(),
        }
    }

    /// The set of a key and its tag (never 0).
    #[inline]
    fn place(key: &ServerKey) -> (usize, u32) {
        let address = match key.address {
            IpAddr::V4(v4) => u64::from(v4.to_bits()),
            IpAddr::V6(v6) => {
                let bits = v6.to_bits();
                (bits as u64) ^ (bits >> 64) as u64
            }
        };
        let mixed = (address ^ u64::from(key.port) << 32 ^ key.transport as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let set = (mixed >> 54) as usize % CACHE_SETS;
        (set, (mixed >> 22) as u32 | 1)
    }

    /// The cached servers.
    fn cached(&self) -> impl Iterator<Item = &(ServerKey, HotCounts)> {
        self.tags
            .iter()
            .flatten()
            .zip(&self.cache)
            .filter(|(tag, _)| **tag != 0)
            .map(|(_, slot)| slot)
    }

    /// Counts frames towards (or from) server `key`. The hot path: a slot
    /// of the cache, or (on a miss) the set's least recently seen server
    /// handed to the summary.
    #[inline]
    pub fn add_frames(&mut self, key: ServerKey, to_server: bool, frames: Counter, ts: i64) {
        if self.tags.is_empty() {
            self.tags = vec![[0; CACHE_WAYS]; CACHE_SETS];
            let empty = (key, HotCounts::new(ts));
            self.cache = vec![empty; CACHE_SETS * CACHE_WAYS];
        }
        let (set, tag) = Self::place(&key);
        let ways = &self.tags[set];
        for (way, &t) in ways.iter().enumerate() {
            if t == tag {
                let (k, hot) = &mut self.cache[set * CACHE_WAYS + way];
                if *k == key {
                    hot.add(to_server, frames, ts);
                    return;
                }
            }
        }
        self.miss(set, tag, key, to_server, frames, ts);
    }

    #[cold]
    #[inline(never)]
    fn miss(
        &mut self,
        set: usize,
        tag: u32,
        key: ServerKey,
        to_server: bool,
        frames: Counter,
        ts: i64,
    ) {
        let base = set * CACHE_WAYS;
        let tags = &mut self.tags[set];
        // An empty way, else the one seen least recently.
        let way = tags.iter().position(|&t| t == 0).unwrap_or_else(|| {
            (0..CACHE_WAYS)
                .min_by_key(|&w| self.cache[base + w].1.last)
                .unwrap_or(0)
        });
        let mut hot = HotCounts::new(ts);
        hot.add(to_server, frames, ts);
        let (old, old_hot) = std::mem::replace(&mut self.cache[base + way], (key, hot));
        if tags[way] != 0 {
            self.summary.add(old, old_hot.weights());
        }
        tags[way] = tag;
    }

    /// Counts one conversation of `client` with server `key`, opened and
    /// answered.
    pub fn add_conversation(&mut self, key: ServerKey, client: IpAddr) {
        let mut weights = ServerWeights {
            conversations: 1,
            ..ServerWeights::default()
        };
        weights.add_client(client, 1);
        self.summary.add(key, weights);
    }

    /// Moves the cache's figures into the summary.
    pub fn flush(&mut self) {
        for (tag, (key, hot)) in self.tags.iter_mut().flatten().zip(&self.cache) {
            if *tag != 0 {
                self.summary.add(*key, hot.weights());
                *tag = 0;
            }
        }
    }

    /// The servers, busiest first (the cache flushed into a copy).
    pub fn summary(&self) -> SpaceSaving<ServerKey, ServerWeights> {
        let mut summary = self.summary.clone();
        for (key, hot) in self.cached() {
            summary.add(*key, hot.weights());
        }
        summary
    }

    /// The held servers, busiest first.
    pub fn entries(&self) -> Vec<Entry<ServerKey, ServerWeights>> {
        self.summary().entries()
    }

    /// Whether no server was seen.
    pub fn is_empty(&self) -> bool {
        self.summary.is_empty() && self.cached().next().is_none()
    }
}

impl AddAssign<&Servers> for Servers {
    fn add_assign(&mut self, other: &Servers) {
        self.summary += &other.summary;
        for (key, hot) in other.cached() {
            self.summary.add(*key, hot.weights());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(i: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
    }

    fn key(i: u32, port: u16) -> ServerKey {
        ServerKey {
            transport: Transport::Tcp,
            address: v4(i),
            port,
        }
    }

    fn frame(bytes: u64) -> Counter {
        Counter { packets: 1, bytes }
    }

    #[test]
    fn counts_both_directions_clients_and_span() {
        let mut s = Servers::new();
        let web = key(1, 443);
        for (i, client) in [100, 101, 100, 102].into_iter().enumerate() {
            s.add_conversation(web, v4(client));
            s.add_frames(web, true, frame(100), i as i64);
            s.add_frames(web, false, frame(1000), i as i64 + 10);
        }
        let entries = s.entries();
        assert_eq!(entries.len(), 1);
        let w = entries[0].weights;
        assert_eq!(
            w.to_server,
            Counter {
                packets: 4,
                bytes: 400
            }
        );
        assert_eq!(
            w.from_server,
            Counter {
                packets: 4,
                bytes: 4000
            }
        );
        assert_eq!(w.span, Some((0, 13)));
        assert_eq!(w.conversations, 4);
        assert_eq!(w.clients(), 3);
        // Client 100: two conversations.
        assert_eq!(w.top_clients()[0], (v4(100), 2));
    }

    #[test]
    fn many_clients_are_estimated_and_many_servers_bounded() {
        let mut s = Servers::new();
        for client in 0..2000 {
            s.add_conversation(key(1, 80), v4(1000 + client));
        }
        let w = s.entries()[0].weights;
        assert!(w.clients_overflowed);
        let clients = w.clients() as f64;
        assert!((clients - 2000.0).abs() / 2000.0 < 0.35, "{clients}");
        for server in 0..10_000 {
            s.add_frames(key(server, 22), true, frame(60), 0);
        }
        s.flush();
        assert!(s.entries().len() <= SERVER_CAPACITY);
    }

    #[test]
    fn merging_equals_counting_together() {
        let mut together = Servers::new();
        let mut a = Servers::new();
        let mut b = Servers::new();
        for i in 0..300u32 {
            let (k, client) = (key(i % 7, 80 + (i % 3) as u16), v4(i % 11));
            together.add_frames(k, i % 2 == 0, frame(u64::from(i)), i64::from(i));
            together.add_conversation(k, client);
            let part = if i % 4 == 0 { &mut a } else { &mut b };
            part.add_frames(k, i % 2 == 0, frame(u64::from(i)), i64::from(i));
            part.add_conversation(k, client);
        }
        let mut merged = a.clone();
        merged += &b;
        let strip = |s: &Servers| {
            let mut v: Vec<_> = s
                .entries()
                .into_iter()
                .map(|e| {
                    (
                        e.key,
                        e.weights.to_server,
                        e.weights.from_server,
                        e.weights.span,
                        e.weights.clients(),
                    )
                })
                .collect();
            v.sort_by_key(|e| e.0);
            v
        };
        assert_eq!(strip(&merged), strip(&together));
    }
}
