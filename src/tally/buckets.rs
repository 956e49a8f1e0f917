//! Service rows per time bucket: the rows of the Parquet `services` table
//! (`--format parquet`), counted only when that table is asked for.
//!
//! A bucket of width `w` starts at a multiple of `w` nanoseconds since the
//! epoch, so that the buckets of every file and every sensor line up and a
//! SQL `GROUP BY bucket_start` adds them exactly. Every frame a service row
//! counts is counted here too, in the bucket of its own time (a held
//! attempt's frames in the bucket of its first; fragments attributed late
//! in the bucket of the frame that settled them), so that a row's buckets
//! add up to the row.
//!
//! # Memory bound
//!
//! At most [`MAX_ENTRIES`] (bucket, row) entries of about 100 bytes. When
//! one more would pass it, the width grows to the next step of [`LADDER`]
//! (1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 day, 7 days; a width
//! below 1 s that divides it goes to 1 s; beyond 7 days, or from a width
//! off the ladder, it doubles) and the entries of each
//! wider bucket merge, exactly, since every bucket of the old width lies in
//! one of the new. The width grows until one bucket holds the whole
//! capture, where the entries are the run's service rows, which the other
//! tables hold anyway. [`ServiceBuckets::widened_from`] then says the
//! width asked for.
//!
//! # Speed
//!
//! A frame of the latest bucket reached finds its entry without hashing:
//! per transport (and tunnel kind) seen, a table of 65,538 places (one per
//! port, the dynamic and the failed row; 512 KiB) holds each row's entry
//! in that bucket, marked with the bucket's generation so that moving on
//! to a new bucket clears nothing. Frames of an earlier bucket (out of
//! order) take the hash index.

use super::transport::{TRANSPORT_SLOTS, slot_index};
use super::{Counter, ServiceKey};
use crate::classify::Naming;
use crate::pipeline::Identified;
use std::collections::HashMap;
use std::ops::AddAssign;

/// The width when none is asked for: one minute (a fleet's files line up
/// on it, and an hour, a day or any whole number of minutes is a sum of
/// its buckets).
pub const DEFAULT_WIDTH_NS: u64 = 60_000_000_000;

/// Most (bucket, row) entries held before the width grows.
pub const MAX_ENTRIES: usize = 1 << 18;

const SECOND: u64 = 1_000_000_000;

/// The widths a bucket grows through, each a multiple of the one before.
pub const LADDER: [u64; 9] = [
    SECOND,
    10 * SECOND,
    60 * SECOND,
    300 * SECOND,
    900 * SECOND,
    3_600 * SECOND,
    21_600 * SECOND,
    86_400 * SECOND,
    604_800 * SECOND,
];

/// The widest bucket, 2⁶² ns (about 146 years), so that every start fits
/// an `i64`.
const MAX_WIDTH_NS: u64 = 1 << 62;

/// One service row's frames in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketCounts {
    /// Frames from client to server (towards the row's port).
    pub to_server: Counter,
    /// Frames from server to client.
    pub to_client: Counter,
    /// Packets named by a handshake seen.
    pub handshake: u64,
    /// Packets named by a payload heuristic.
    pub heuristic: u64,
    /// Packets of a related channel (FTP data, TFTP transfers).
    pub related: u64,
}

impl BucketCounts {
    /// All frames, both directions.
    pub fn total(&self) -> Counter {
        let mut total = self.to_server;
        total += self.to_client;
        total
    }

    /// Packets named by the port database alone.
    pub fn port_database(&self) -> u64 {
        self.total()
            .packets
            .saturating_sub(self.handshake)
            .saturating_sub(self.heuristic)
            .saturating_sub(self.related)
    }

    #[inline]
    fn add(&mut self, to_server: bool, identified: Identified, frames: Counter) {
        if to_server {
            self.to_server += frames;
        } else {
            self.to_client += frames;
        }
        match identified {
            Identified::Handshake => self.handshake += frames.packets,
            Identified::Heuristic => self.heuristic += frames.packets,
            Identified::Related => self.related += frames.packets,
            Identified::PortDatabase => {}
        }
    }
}

impl AddAssign for BucketCounts {
    fn add_assign(&mut self, other: BucketCounts) {
        self.to_server += other.to_server;
        self.to_client += other.to_client;
        self.handshake = self.handshake.saturating_add(other.handshake);
        self.heuristic = self.heuristic.saturating_add(other.heuristic);
        self.related = self.related.saturating_add(other.related);
    }
}

type Index = HashMap<(i64, ServiceKey), u32, foldhash::fast::RandomState>;

/// Service rows per epoch-aligned time bucket, bounded (see the module).
#[derive(Clone, Debug)]
pub struct ServiceBuckets {
    requested_ns: u64,
    width_ns: u64,
    entries: Vec<(i64, ServiceKey, BucketCounts)>,
    index: Index,
    /// The latest bucket reached, `[start, end)`.
    current: (i64, i64),
    /// Marks `hot` places as the current bucket's.
    generation: u32,
    /// Per transport slot, per row (port, dynamic, failed): the current
    /// bucket's entry, as `generation << 32 | index`.
    hot: Vec<Option<Box<[u64]>>>,
    /// The one bucket start of every entry, when they share one.
    one_start: Option<i64>,
}

impl ServiceBuckets {
    /// Buckets of `width_ns` (at least 1 ns, at most 2⁶² ns).
    pub fn new(width_ns: u64) -> ServiceBuckets {
        let width_ns = width_ns.clamp(1, MAX_WIDTH_NS);
        ServiceBuckets {
            requested_ns: width_ns,
            width_ns,
            entries: Vec::new(),
            index: Index::default(),
            current: NO_BUCKET,
            generation: 1,
            hot: vec![None; TRANSPORT_SLOTS],
            one_start: None,
        }
    }

    /// An empty set of buckets of the width asked for (a shard worker's).
    pub fn empty(&self) -> ServiceBuckets {
        ServiceBuckets::new(self.requested_ns)
    }

    /// The width of the buckets, in nanoseconds.
    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    /// The width asked for, when it had to grow to keep memory bounded.
    pub fn widened_from(&self) -> Option<u64> {
        (self.width_ns != self.requested_ns).then_some(self.requested_ns)
    }

    fn start_of(&self, ts: i64) -> i64 {
        start_of(ts, self.width_ns)
    }

    /// Counts `frames` of row `key` at time `ts`.
    #[inline]
    pub fn add(
        &mut self,
        ts: i64,
        key: ServiceKey,
        to_server: bool,
        identified: Identified,
        frames: Counter,
    ) {
        if ts >= self.current.0
            && ts < self.current.1
            && let Some(table) = &self.hot[slot_index(key.tunnel, key.transport)]
        {
            let mark = table[row_index(key.naming)];
            if (mark >> 32) as u32 == self.generation {
                let at = mark as u32 as usize;
                self.entries[at].2.add(to_server, identified, frames);
                return;
            }
        }
        self.add_slow(ts, key, to_server, identified, frames);
    }

    #[cold]
    fn add_slow(
        &mut self,
        ts: i64,
        key: ServiceKey,
        to_server: bool,
        identified: Identified,
        frames: Counter,
    ) {
        let mut counts = BucketCounts::default();
        counts.add(to_server, identified, frames);
        let start = self.start_of(ts);
        if start >= self.current.1 {
            self.current = (start, start.saturating_add_unsigned(self.width_ns));
            self.next_generation();
        }
        let at = self.add_counts(start, key, counts);
        // (Adding may have widened the buckets: then the current bucket is
        // none until the next frame.)
        if self.entries[at as usize].0 == self.current.0 {
            let generation = u64::from(self.generation);
            let table = self.hot[slot_index(key.tunnel, key.transport)]
                .get_or_insert_with(|| crate::written_table(HOT_PLACES, 0));
            table[row_index(key.naming)] = generation << 32 | u64::from(at);
        }
    }

    /// Leaves every `hot` place unmarked.
    fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            for table in self.hot.iter_mut().flatten() {
                table.fill(0);
            }
            self.generation = 1;
        }
    }

    /// Adds `counts` to the entry of (`start`, `key`), `start` being a
    /// bucket start of the current width; returns where the entry is.
    fn add_counts(&mut self, start: i64, key: ServiceKey, counts: BucketCounts) -> u32 {
        if let Some(&at) = self.index.get(&(start, key)) {
            self.entries[at as usize].2 += counts;
            return at;
        }
        // Past the bound, wider buckets merge entries; unless every entry
        // is already in this one bucket (then they are the run's rows).
        if self.entries.len() >= MAX_ENTRIES
            && self.width_ns < MAX_WIDTH_NS
            && self.one_start != Some(start)
        {
            self.widen();
            return self.add_counts(self.start_of(start), key, counts);
        }
        self.push(start, key, counts)
    }

    fn push(&mut self, start: i64, key: ServiceKey, counts: BucketCounts) -> u32 {
        let at = self.entries.len() as u32;
        self.one_start = match (self.entries.is_empty(), self.one_start) {
            (true, _) => Some(start),
            (false, Some(s)) if s == start => Some(s),
            _ => None,
        };
        self.entries.push((start, key, counts));
        self.index.insert((start, key), at);
        at
    }

    /// Grows the width one step at a time until the entries, merged into
    /// the wider buckets, leave room below the bound (or are all in one
    /// bucket).
    fn widen(&mut self) {
        loop {
            self.widen_once();
            let roomy = self.entries.len() < MAX_ENTRIES * 3 / 4;
            if roomy || self.width_ns >= MAX_WIDTH_NS || self.one_start.is_some() {
                break;
            }
        }
    }

    /// One step of the ladder, merging entries.
    fn widen_once(&mut self) {
        self.width_ns = next_width(self.width_ns);
        let entries = std::mem::take(&mut self.entries);
        self.index.clear();
        self.current = NO_BUCKET;
        self.next_generation();
        self.one_start = None;
        for (start, key, counts) in entries {
            let start = start_of(start, self.width_ns);
            match self.index.get(&(start, key)) {
                Some(&at) => self.entries[at as usize].2 += counts,
                None => {
                    self.push(start, key, counts);
                }
            }
        }
    }

    /// Every entry: (bucket start in ns, row, counts), by bucket start then
    /// row.
    pub fn entries(&self) -> Vec<(i64, ServiceKey, BucketCounts)> {
        let mut entries = self.entries.clone();
        entries.sort_unstable_by_key(|e| (e.0, e.1));
        entries
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl AddAssign<&ServiceBuckets> for ServiceBuckets {
    /// Adds another's buckets, at the wider of the two widths (widths on
    /// the ladder nest, so this is exact).
    fn add_assign(&mut self, other: &ServiceBuckets) {
        while self.width_ns < other.width_ns {
            self.widen_once();
        }
        for &(start, key, counts) in &other.entries {
            self.add_counts(self.start_of(start), key, counts);
        }
    }
}

/// No current bucket: every frame's bucket is later.
const NO_BUCKET: (i64, i64) = (i64::MIN, i64::MIN);

/// Places of a `hot` table: every port, the dynamic and the failed row.
const HOT_PLACES: usize = (1 << 16) + 2;

/// A row's place in a `hot` table.
#[inline]
fn row_index(naming: Naming) -> usize {
    match naming {
        Naming::Port(port) => usize::from(port),
        Naming::Dynamic => 1 << 16,
        Naming::Failed => (1 << 16) + 1,
    }
}

/// The start of the bucket of width `width` holding `ts`.
fn start_of(ts: i64, width: u64) -> i64 {
    // Widths are at most 2⁶², so they fit an i64 and every start does.
    let width = width as i64;
    ts.div_euclid(width) * width
}

/// The next width: from a width on the ladder (or below its first step,
/// dividing it), the next step; from any other, twice the width.
fn next_width(width: u64) -> u64 {
    let on_ladder = LADDER.contains(&width) || (width < SECOND && SECOND.is_multiple_of(width));
    let next = LADDER.iter().copied().find(|&w| w > width);
    match next {
        Some(next) if on_ladder => next,
        _ => width.saturating_mul(2),
    }
    .min(MAX_WIDTH_NS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Transport;

    fn frames(bytes: u64) -> Counter {
        Counter { packets: 1, bytes }
    }

    const MINUTE: i64 = 60_000_000_000;

    #[test]
    fn frames_fall_in_epoch_aligned_buckets_and_add_up() {
        let mut b = ServiceBuckets::new(DEFAULT_WIDTH_NS);
        let https = ServiceKey::port(Transport::Tcp, 443);
        let dns = ServiceKey::port(Transport::Udp, 53);
        b.add(
            MINUTE * 10 + 5,
            https,
            true,
            Identified::Handshake,
            frames(100),
        );
        b.add(
            MINUTE * 10 + 7,
            https,
            false,
            Identified::Handshake,
            frames(1500),
        );
        b.add(
            MINUTE * 10 + 8,
            dns,
            true,
            Identified::PortDatabase,
            frames(80),
        );
        b.add(MINUTE * 11, https, true, Identified::Heuristic, frames(60));
        b.add(-1, dns, false, Identified::PortDatabase, frames(90));
        let entries = b.entries();
        let starts: Vec<i64> = entries.iter().map(|e| e.0).collect();
        assert_eq!(starts, [-MINUTE, MINUTE * 10, MINUTE * 10, MINUTE * 11]);
        let (_, key, counts) = entries[1];
        assert_eq!(key, https);
        assert_eq!(counts.to_server, frames(100));
        assert_eq!(counts.to_client, frames(1500));
        assert_eq!(counts.handshake, 2);
        assert_eq!(counts.port_database(), 0);
        assert_eq!(entries[3].2.heuristic, 1);
        assert_eq!(entries[2].2.port_database(), 1);
        assert_eq!(b.widened_from(), None);
    }

    #[test]
    fn too_many_entries_widen_the_buckets_exactly() {
        let mut b = ServiceBuckets::new(SECOND);
        let mut sent = 0u64;
        // One frame a second on two rows for four days: far past the bound.
        for second in 0..(4 * 86_400i64) {
            for port in [80, 443] {
                let key = ServiceKey::port(Transport::Tcp, port);
                b.add(
                    second * SECOND as i64,
                    key,
                    true,
                    Identified::PortDatabase,
                    frames(10),
                );
                sent += 10;
            }
        }
        assert!(b.entries.len() <= MAX_ENTRIES);
        assert_eq!(b.widened_from(), Some(SECOND));
        assert!(LADDER.contains(&b.width_ns()), "{}", b.width_ns());
        let total: u64 = b.entries().iter().map(|e| e.2.total().bytes).sum();
        assert_eq!(total, sent);
        for (start, _, _) in b.entries() {
            assert_eq!(start % b.width_ns() as i64, 0);
        }
    }

    #[test]
    fn merging_takes_the_wider_width_and_keeps_every_frame() {
        let key = ServiceKey::port(Transport::Udp, 53);
        let mut narrow = ServiceBuckets::new(SECOND);
        let mut wide = ServiceBuckets::new(3_600 * SECOND);
        for i in 0..100i64 {
            narrow.add(
                i * 7 * SECOND as i64,
                key,
                true,
                Identified::PortDatabase,
                frames(1),
            );
            wide.add(
                i * 11 * SECOND as i64,
                key,
                false,
                Identified::PortDatabase,
                frames(2),
            );
        }
        narrow += &wide;
        assert_eq!(narrow.width_ns(), 3_600 * SECOND);
        let entries = narrow.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0].2.to_server,
            Counter {
                packets: 100,
                bytes: 100
            }
        );
        assert_eq!(
            entries[0].2.to_client,
            Counter {
                packets: 100,
                bytes: 200
            }
        );
    }

    #[test]
    fn widths_grow_along_the_ladder_or_double() {
        assert_eq!(next_width(SECOND), 10 * SECOND);
        assert_eq!(next_width(60 * SECOND), 300 * SECOND);
        assert_eq!(next_width(7 * SECOND), 14 * SECOND);
        assert_eq!(next_width(250_000_000), SECOND);
        assert_eq!(next_width(300_000_000), 600_000_000);
        assert_eq!(next_width(604_800 * SECOND), 1_209_600 * SECOND);
        assert_eq!(next_width(MAX_WIDTH_NS), MAX_WIDTH_NS);
    }
}
