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
//! Per frame the work is a write-back cache: a direct-mapped table of
//! recent servers whose figures are added to the top-K summary when the
//! slot is needed for another server, or at the end. Summing a server's
//! frames in its slot first keeps the summary's (heap-ordered) update off
//! the per-frame path.

use super::Counter;
use super::topk::{Entry, SpaceSaving, Weights};
use crate::decode::Transport;
use std::net::IpAddr;
use std::ops::AddAssign;

/// Servers kept by the top-K summary.
pub const SERVER_CAPACITY: usize = 4096;
/// Clients listed per server.
pub const TOP_CLIENTS: usize = 4;
/// Registers of the per-server distinct-client sketch (HyperLogLog, 2^6:
/// about 13 % error, used only past [`TOP_CLIENTS`] clients).
const CLIENT_REGISTERS: usize = 64;
/// Slots of the write-back cache.
const CACHE_SLOTS: usize = 1024;

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

/// One client of a server and the bytes between them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientBytes {
    /// The client's address.
    pub address: Option<IpAddr>,
    /// Bytes both ways.
    pub bytes: u64,
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
    pub top_clients: [ClientBytes; TOP_CLIENTS],
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
            top_clients: [ClientBytes::default(); TOP_CLIENTS],
            clients_overflowed: false,
            client_registers: [0; CLIENT_REGISTERS],
        }
    }
}

fn client_hash(address: IpAddr) -> u64 {
    let bits = match address {
        IpAddr::V4(v4) => 0xffff_0000_0000 | u128::from(v4.to_bits()),
        IpAddr::V6(v6) => v6.to_bits(),
    };
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    mix(mix(bits as u64 ^ 0x9e37_79b9_7f4a_7c15) ^ (bits >> 64) as u64)
}

impl ServerWeights {
    /// Adds frames between the server and `client`.
    #[inline]
    fn add_frames(&mut self, client: IpAddr, to_server: bool, frames: Counter, ts: i64) {
        if to_server {
            self.to_server += frames;
        } else {
            self.from_server += frames;
        }
        self.span = Some(match self.span {
            None => (ts, ts),
            Some((first, last)) => (first.min(ts), last.max(ts)),
        });
        self.add_client(client, frames.bytes);
    }

    #[inline]
    fn add_client(&mut self, client: IpAddr, bytes: u64) {
        if let Some(slot) = self
            .top_clients
            .iter_mut()
            .find(|c| c.address == Some(client))
        {
            slot.bytes = slot.bytes.saturating_add(bytes);
            return;
        }
        self.new_client(client, bytes);
    }

    #[cold]
    fn new_client(&mut self, client: IpAddr, bytes: u64) {
        let hash = client_hash(client);
        let register = (hash >> 58) as usize;
        let rank = ((hash << 6) | (1 << 5)).leading_zeros() as u8 + 1;
        self.client_registers[register] = self.client_registers[register].max(rank);
        if let Some(free) = self.top_clients.iter_mut().find(|c| c.address.is_none()) {
            *free = ClientBytes {
                address: Some(client),
                bytes,
            };
            return;
        }
        // Full: the least busy client makes way when the new one outweighs
        // it (a lower bound for both; the list is approximate from now on).
        self.clients_overflowed = true;
        if let Some(least) = self.top_clients.iter_mut().min_by_key(|c| c.bytes)
            && least.bytes < bytes
        {
            *least = ClientBytes {
                address: Some(client),
                bytes,
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
        let m = CLIENT_REGISTERS as f64;
        let zeros = self.client_registers.iter().filter(|&&r| r == 0).count();
        let sum: f64 = self
            .client_registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = 0.709 * m * m / sum;
        let estimate = if raw <= 2.5 * m && zeros != 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        (estimate.round() as u64).max(TOP_CLIENTS as u64 + 1)
    }

    /// The top clients, busiest first.
    pub fn clients_by_bytes(&self) -> Vec<(IpAddr, u64)> {
        let mut list: Vec<(IpAddr, u64)> = self
            .top_clients
            .iter()
            .filter_map(|c| c.address.map(|a| (a, c.bytes)))
            .collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        list
    }

    /// The sketch as hex (one byte per register), saved in JSON.
    pub fn client_sketch(&self) -> String {
        self.client_registers
            .iter()
            .map(|r| format!("{r:02x}"))
            .collect()
    }

    /// Sets the sketch from its saved form; false when malformed.
    pub fn set_client_sketch(&mut self, hex: &str) -> bool {
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
                    slot.bytes = slot.bytes.saturating_add(client.bytes);
                } else if let Some(free) = self.top_clients.iter_mut().find(|c| c.address.is_none())
                {
                    *free = client;
                } else {
                    self.clients_overflowed = true;
                    if let Some(least) = self.top_clients.iter_mut().min_by_key(|c| c.bytes)
                        && least.bytes < client.bytes
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
}

/// The server inventory of a stream of frames.
#[derive(Clone, Debug)]
pub struct Servers {
    summary: SpaceSaving<ServerKey, ServerWeights>,
    cache: Vec<Option<(ServerKey, ServerWeights)>>,
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
            cache: Vec::new(),
        }
    }

    /// An inventory from a summary read back.
    pub fn from_summary(summary: SpaceSaving<ServerKey, ServerWeights>) -> Servers {
        Servers {
            summary,
            cache: Vec::new(),
        }
    }

    #[inline]
    fn slot_of(key: &ServerKey) -> usize {
        let address = match key.address {
            IpAddr::V4(v4) => u64::from(v4.to_bits()),
            IpAddr::V6(v6) => {
                let bits = v6.to_bits();
                (bits as u64) ^ (bits >> 64) as u64
            }
        };
        let mixed = (address ^ u64::from(key.port) << 32 ^ key.transport as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> 54) as usize % CACHE_SLOTS
    }

    /// The weights of `key`'s cache slot, making room for it.
    #[inline]
    fn slot(&mut self, key: ServerKey) -> &mut ServerWeights {
        if self.cache.is_empty() {
            self.cache = vec![None; CACHE_SLOTS];
        }
        let index = Self::slot_of(&key);
        let hit = matches!(&self.cache[index], Some((k, _)) if *k == key);
        if !hit {
            self.evict(index, key);
        }
        match &mut self.cache[index] {
            Some((_, weights)) => weights,
            None => unreachable!("filled above"),
        }
    }

    #[cold]
    fn evict(&mut self, index: usize, key: ServerKey) {
        if let Some((old, weights)) = self.cache[index].replace((key, ServerWeights::default())) {
            self.summary.add(old, weights);
        }
    }

    /// Counts frames between server `key` and `client`.
    #[inline]
    pub fn add_frames(
        &mut self,
        key: ServerKey,
        client: IpAddr,
        to_server: bool,
        frames: Counter,
        ts: i64,
    ) {
        self.slot(key).add_frames(client, to_server, frames, ts);
    }

    /// Counts one conversation with server `key` opened and answered.
    pub fn add_conversation(&mut self, key: ServerKey) {
        self.slot(key).conversations += 1;
    }

    /// Moves the cache's figures into the summary.
    pub fn flush(&mut self) {
        for slot in &mut self.cache {
            if let Some((key, weights)) = slot.take() {
                self.summary.add(key, weights);
            }
        }
    }

    /// The servers, busiest first (the cache flushed into a copy).
    pub fn summary(&self) -> SpaceSaving<ServerKey, ServerWeights> {
        let mut summary = self.summary.clone();
        for (key, weights) in self.cache.iter().flatten() {
            summary.add(*key, *weights);
        }
        summary
    }

    /// The held servers, busiest first.
    pub fn entries(&self) -> Vec<Entry<ServerKey, ServerWeights>> {
        self.summary().entries()
    }

    /// Whether no server was seen.
    pub fn is_empty(&self) -> bool {
        self.summary.is_empty() && self.cache.iter().all(Option::is_none)
    }
}

impl AddAssign<&Servers> for Servers {
    fn add_assign(&mut self, other: &Servers) {
        self.summary += &other.summary;
        for (key, weights) in other.cache.iter().flatten() {
            self.summary.add(*key, *weights);
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
            s.add_frames(web, v4(client), true, frame(100), i as i64);
            s.add_frames(web, v4(client), false, frame(1000), i as i64 + 10);
        }
        s.add_conversation(web);
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
        assert_eq!(w.conversations, 1);
        assert_eq!(w.clients(), 3);
        assert_eq!(w.clients_by_bytes()[0], (v4(100), 2200));
    }

    #[test]
    fn many_clients_are_estimated_and_many_servers_bounded() {
        let mut s = Servers::new();
        for client in 0..2000 {
            s.add_frames(key(1, 80), v4(1000 + client), true, frame(60), 0);
        }
        let w = s.entries()[0].weights;
        assert!(w.clients_overflowed);
        let clients = w.clients() as f64;
        assert!((clients - 2000.0).abs() / 2000.0 < 0.35, "{clients}");
        for server in 0..10_000 {
            s.add_frames(key(server, 22), v4(1), true, frame(60), 0);
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
            together.add_frames(k, client, i % 2 == 0, frame(u64::from(i)), i64::from(i));
            if i % 4 == 0 { &mut a } else { &mut b }.add_frames(
                k,
                client,
                i % 2 == 0,
                frame(u64::from(i)),
                i64::from(i),
            );
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
