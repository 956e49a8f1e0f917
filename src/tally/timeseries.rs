//! A time series of traffic per service, in epoch-aligned buckets, with
//! memory bounded whatever the capture's length or order.
//!
//! # Buckets
//!
//! A bucket of width `w` starts at a multiple of `w` nanoseconds since the
//! epoch (`floor(ts / w) * w`), so buckets of series from different files or
//! machines line up and merge exactly.
//!
//! # Width ladder
//!
//! Widths only ever grow by doubling: when the frames seen so far span more
//! than [`MAX_BUCKETS`] buckets, the width doubles and pairs of buckets merge.
//! Because buckets are epoch-aligned, a bucket of width `2w` holds exactly two
//! buckets of width `w`, so doubling never splits a bucket and keeps every
//! count exact.
//!
//! The automatic width starts at [`AUTO_BASE_NS`] = 1 s / 2⁹ = 1.953125 ms,
//! so automatic widths are `1 s · 2^k` for `k ≥ -9`: …, 125 ms, 250 ms,
//! 500 ms, **1 s**, 2 s, 4 s, …, 64 s, 128 s, … The ladder is binary so that
//! every step nests in the next (merges stay exact); it is anchored at 1 s so
//! that the common widths are round numbers and a fixed `--bucket 1s` (or
//! 2 s, 500 ms, …) lies on the same ladder and merges exactly with automatic
//! series. A capture spanning a second or more gets 512 to 1,024 buckets (a
//! 5 s capture: 640 of 7.8125 ms; an hour: 900 of 4 s); a shorter one gets
//! fewer (60 for 117 ms). A renderer that wants fewer columns calls
//! [`TimeSeries::coarsened`], which doubles further and stays exact. (A `{1, 2, 5}·10ⁿ` ladder was rejected: 2 ms buckets do
//! not nest in 5 ms ones, so changing width would have to split buckets.)
//!
//! A fixed width (`--bucket`) is kept unless the span would need more than
//! [`MAX_BUCKETS`] buckets; then it doubles the same way and
//! [`TimeSeries::widened_from`] reports the width asked for.
//!
//! The width follows the span from the earliest to the latest frame: one
//! frame stamped years away from the rest makes every bucket wide. That is
//! the price of one pass and bounded memory.
//!
//! # Memory bound
//!
//! At most [`MAX_BUCKETS`] buckets (empty ones included) of 48 bytes each,
//! and at most [`MAX_SERVICES_PER_BUCKET`] service entries of 16 bytes per
//! bucket: 1,024 × (48 + 64 × 16) bytes ≈ 1.05 MiB in the worst case, twice
//! that for a moment while the width changes or series merge. Bytes of
//! further services in a full bucket go to that bucket's `other_bytes`, and
//! the series is then approximate.
//!
//! # Range
//!
//! Timestamps before [`MIN_TIMESTAMP_NS`] (the year 1823) count as that
//! instant and widths are at most [`MAX_WIDTH_NS`] (about 146 years), so that
//! every bucket start fits an `i64`. Counters saturate instead of
//! overflowing.

use super::ServiceKey;
use crate::classify::Naming;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::ops::AddAssign;

/// Most buckets a series keeps between its earliest and latest frame.
pub const MAX_BUCKETS: usize = 1024;

/// Most distinct services counted in one bucket; the bytes of any further
/// service go to the bucket's `other_bytes`.
pub const MAX_SERVICES_PER_BUCKET: usize = 64;

/// The finest automatic width, 1 s / 2⁹ = 1.953125 ms; automatic widths are
/// this times a power of two.
pub const AUTO_BASE_NS: u64 = 1_953_125;

/// The widest bucket, 2⁶² ns (about 146 years); wider requests are narrowed
/// to it.
pub const MAX_WIDTH_NS: u64 = 1 << 62;

/// The earliest timestamp told apart, -2⁶² ns (the year 1823); earlier
/// frames count as this instant.
pub const MIN_TIMESTAMP_NS: i64 = -(1 << 62);

/// The shortest window the peak rate is taken over: one second (see
/// [`TimeSeries::peak`]).
pub const PEAK_WINDOW_NS: u64 = 1_000_000_000;

/// The busiest window of a series ([`TimeSeries::peak`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peak {
    /// Start of the window (ns since the epoch, a multiple of its width).
    pub start_ns: i64,
    /// Width of the window (ns): one second, or more when the buckets are
    /// wider (see [`TimeSeries::peak_width_ns`]).
    pub width_ns: u64,
    /// Frames in the window.
    pub packets: u64,
    /// Their bytes (original wire length).
    pub bytes: u64,
}

impl Peak {
    /// The rate over the window, in bits per second.
    pub fn bits_per_second(&self) -> f64 {
        self.bytes as f64 * 8.0 / (self.width_ns.max(1) as f64 / 1e9)
    }
}

/// One serialized bucket, for [`TimeSeries::from_parts`]: start (ns since
/// the epoch), packets, bytes, bytes per service, other bytes.
pub type BucketParts = (i64, u64, u64, Vec<(ServiceKey, u64)>, u64);

/// One service's bytes in a bucket.
type ServiceBytes = (ServiceKey, u64);

/// A service key as one number, in the keys' order (tunnel, transport,
/// then port, dynamic, failed): comparing codes is comparing keys, in one
/// instruction where the derived order compares three enums.
#[inline]
fn service_code(key: &ServiceKey) -> u32 {
    let tunnel = match key.tunnel {
        None => 0,
        Some(tunnel) => 1 + tunnel as u32,
    };
    let naming = match key.naming {
        Naming::Port(port) => u32::from(port),
        Naming::Dynamic => 0x1_0000,
        Naming::Failed => 0x1_0001,
    };
    (tunnel << 20) | ((key.transport as u32) << 18) | naming
}

/// Places of the hot-service table (8 KiB): a power of two, well above the
/// services a bucket holds, as services on random high ports come and go.
const HOT_SERVICES: usize = 1024;

/// Where the hot bucket counts one service: its position among the
/// bucket's services (checked against the key there: an insert may have
/// moved it), or [`TO_OTHER`]. Valid while `generation` is the series'
/// (see [`TimeSeries::add_frames`]).
#[derive(Clone, Copy, Debug, Default)]
struct HotService {
    code: u32,
    generation: u32,
    position: u8,
}

/// A service the full hot bucket counts in `other_bytes`.
const TO_OTHER: u8 = u8::MAX;

/// One bucket's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Bucket {
    packets: u64,
    bytes: u64,
    other: u64,
    /// Sorted by key, at most `MAX_SERVICES_PER_BUCKET` entries, no zeros.
    services: Vec<ServiceBytes>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.packets == 0 && self.bytes == 0 && self.other == 0 && self.services.is_empty()
    }

    /// Adds `src` into this bucket; true when services had to go to `other`.
    fn absorb(&mut self, src: &Bucket) -> bool {
        self.packets = self.packets.saturating_add(src.packets);
        self.bytes = self.bytes.saturating_add(src.bytes);
        self.other = self.other.saturating_add(src.other);
        if src.services.is_empty() {
            return false;
        }
        if self.services.is_empty() {
            self.services.clone_from(&src.services);
            return false;
        }
        let (mine, theirs) = (&self.services, &src.services);
        let mut merged = Vec::with_capacity(mine.len() + theirs.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(x), Some(y)) = (mine.get(i), theirs.get(j)) {
            match service_code(&x.0).cmp(&service_code(&y.0)) {
                Ordering::Less => {
                    merged.push(*x);
                    i += 1;
                }
                Ordering::Greater => {
                    merged.push(*y);
                    j += 1;
                }
                Ordering::Equal => {
                    merged.push((x.0, x.1.saturating_add(y.1)));
                    i += 1;
                    j += 1;
                }
            }
        }
        merged.extend_from_slice(mine.get(i..).unwrap_or_default());
        merged.extend_from_slice(theirs.get(j..).unwrap_or_default());
        self.services = merged;
        self.cap_services()
    }

    /// Keeps the `MAX_SERVICES_PER_BUCKET` largest services (ties: lower
    /// key), moving the rest to `other`; true when any moved.
    fn cap_services(&mut self) -> bool {
        if self.services.len() <= MAX_SERVICES_PER_BUCKET {
            return false;
        }
        // Keys are distinct, so the order is total and the kept set is the
        // same whichever way it is found: no need to sort the rest.
        self.services
            .select_nth_unstable_by(MAX_SERVICES_PER_BUCKET - 1, |x, y| {
                y.1.cmp(&x.1)
                    .then(service_code(&x.0).cmp(&service_code(&y.0)))
            });
        for (_, bytes) in self.services.drain(MAX_SERVICES_PER_BUCKET..) {
            self.other = self.other.saturating_add(bytes);
        }
        self.services.sort_unstable_by_key(|e| service_code(&e.0));
        true
    }
}

/// Sorts services by key, sums duplicates and drops zero entries.
fn normalize_services(services: &mut Vec<ServiceBytes>) {
    services.retain(|e| e.1 != 0);
    services.sort_unstable_by_key(|e| e.0);
    services.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            kept.1 = kept.1.saturating_add(later.1);
            true
        } else {
            false
        }
    });
}

/// One bucket as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketView<'a> {
    /// Start of the bucket (ns since the epoch, a multiple of the width).
    pub start_ns: i64,
    /// Frames in the bucket, with or without ports.
    pub packets: u64,
    /// Their bytes (original wire length).
    pub bytes: u64,
    /// Bytes per service, sorted by key; each is exact unless the series is
    /// approximate.
    pub services: &'a [(ServiceKey, u64)],
    /// Bytes of services that did not fit the bucket's service limit.
    pub other_bytes: u64,
}

impl BucketView<'_> {
    /// Bytes of frames without ports: `bytes` less the services and other.
    pub fn portless_bytes(&self) -> u64 {
        let named = self
            .services
            .iter()
            .fold(self.other_bytes, |sum, e| sum.saturating_add(e.1));
        self.bytes.saturating_sub(named)
    }
}

/// Traffic per service in time buckets; merges with `+=`.
#[derive(Clone, Debug)]
pub struct TimeSeries {
    /// Bucket width in ns, in `1..=MAX_WIDTH_NS`.
    width: u64,
    /// The fixed width asked for, if any.
    requested: Option<u64>,
    /// `floor(start / width)` of `buckets[0]`.
    first_index: i64,
    /// Every bucket from the earliest to the latest frame, empty ones too.
    buckets: VecDeque<Bucket>,
    /// Some service bytes went to `other`, or buckets were merged inexactly.
    lossy: bool,
    /// Hot-path cache: `[hot_lo, hot_hi)` is the time range of
    /// `buckets[hot_pos]`; an empty range when invalid.
    hot_lo: i64,
    hot_hi: i64,
    hot_pos: usize,
    /// Where the hot bucket counts each service lately seen, by
    /// `service_code` (direct-mapped; empty until the first frame).
    hot_services: Vec<HotService>,
    /// The generation of valid `hot_services` places: raised whenever the
    /// hot bucket changes.
    hot_generation: u32,
}

impl PartialEq for TimeSeries {
    /// Equal counts, width, requested width and approximation (the hot-path
    /// cache is ignored).
    fn eq(&self, other: &TimeSeries) -> bool {
        self.width == other.width
            && self.requested == other.requested
            && self.lossy == other.lossy
            && self.buckets.len() == other.buckets.len()
            && (self.buckets.is_empty() || self.first_index == other.first_index)
            && self.buckets == other.buckets
    }
}

impl Eq for TimeSeries {}

/// Clamps a width to `1..=MAX_WIDTH_NS`.
fn clamp_width(width: u64) -> u64 {
    width.clamp(1, MAX_WIDTH_NS)
}

/// Converts a bucket start known to fit back to `i64`, saturating.
fn to_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// The smallest `from · 2^k` (at most `MAX_WIDTH_NS`) at which starts
/// `min..=max` span at most `limit` buckets.
fn fitting_width(from: u64, min: i128, max: i128, limit: usize) -> u64 {
    let limit = i128::try_from(limit.max(1)).unwrap_or(i128::MAX);
    let mut width = clamp_width(from);
    loop {
        let w = i128::from(width);
        if max.div_euclid(w) - min.div_euclid(w) < limit {
            return width;
        }
        match width.checked_mul(2) {
            Some(wider) if wider <= MAX_WIDTH_NS => width = wider,
            _ => return width,
        }
    }
}

/// The width two series merge at, and whether their buckets nest in it: the
/// coarser width when it is a multiple of the finer, else their least common
/// multiple, else (past `MAX_WIDTH_NS`) the coarser, inexactly.
fn common_width(a: u64, b: u64) -> (u64, bool) {
    let (fine, coarse) = (a.min(b), a.max(b));
    if coarse.is_multiple_of(fine) {
        return (coarse, true);
    }
    let (mut x, mut y) = (coarse, fine);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    let lcm = u128::from(coarse / x) * u128::from(fine);
    match u64::try_from(lcm) {
        Ok(lcm) if lcm <= MAX_WIDTH_NS => (lcm, true),
        _ => (coarse, false),
    }
}

/// Buckets rebuilt at a new width.
struct Assembled {
    width: u64,
    first_index: i64,
    buckets: VecDeque<Bucket>,
    lossy: bool,
}

/// Places `sources` (aligned start, width of the source bucket, bucket) into
/// buckets of width `width · 2^k`, doubling until they span at most `limit`.
fn assemble<'a, I>(width: u64, limit: usize, sources: I) -> Assembled
where
    I: Iterator<Item = (i128, u64, &'a Bucket)> + Clone,
{
    // A source bucket may start before `MIN_TIMESTAMP_NS` (aligned down at
    // its width) while its frames are all at or after it: it is placed by
    // that instant, which lies in the same new bucket when the widths nest,
    // and keeps every new start above `MIN_TIMESTAMP_NS - MAX_WIDTH_NS`.
    let earliest = i128::from(MIN_TIMESTAMP_NS);
    let mut range: Option<(i128, i128)> = None;
    for (start, _, _) in sources.clone() {
        let start = start.max(earliest);
        range = Some(match range {
            None => (start, start),
            Some((lo, hi)) => (lo.min(start), hi.max(start)),
        });
    }
    let Some((lo, hi)) = range else {
        return Assembled {
            width: clamp_width(width),
            first_index: 0,
            buckets: VecDeque::new(),
            lossy: false,
        };
    };
    let width = fitting_width(width, lo, hi, limit);
    let w = i128::from(width);
    let first = lo.div_euclid(w);
    let len = usize::try_from(hi.div_euclid(w) - first + 1).unwrap_or(0);
    let mut buckets = VecDeque::new();
    buckets.resize_with(len, Bucket::default);
    let mut lossy = false;
    for (start, source_width, bucket) in sources {
        let start = start.max(earliest);
        lossy |= !width.is_multiple_of(source_width.max(1));
        let position = usize::try_from(start.div_euclid(w) - first).unwrap_or(usize::MAX);
        if let Some(slot) = buckets.get_mut(position) {
            lossy |= slot.absorb(bucket);
        }
    }
    Assembled {
        width,
        first_index: to_i64(first),
        buckets,
        lossy,
    }
}

impl TimeSeries {
    /// An empty series. `width_ns`: `Some` fixed bucket width in ns (from
    /// `--bucket`; clamped to `1..=MAX_WIDTH_NS`, doubled when the capture
    /// would need more than [`MAX_BUCKETS`]), or `None` for the automatic
    /// ladder starting at [`AUTO_BASE_NS`].
    pub fn new(width_ns: Option<u64>) -> TimeSeries {
        TimeSeries {
            width: clamp_width(width_ns.unwrap_or(AUTO_BASE_NS)),
            requested: width_ns,
            first_index: 0,
            buckets: VecDeque::new(),
            lossy: false,
            hot_lo: 1,
            hot_hi: 0,
            hot_pos: 0,
            hot_services: Vec::new(),
            hot_generation: 1,
        }
    }

    /// Counts one frame of `bytes` at `ts_nanos` for `key` (`None` for
    /// frames without ports: counted in the bucket's totals only). The hot
    /// path: no allocation unless the frame opens a bucket, brings a service
    /// new to its bucket, or the width has to double.
    #[inline]
    pub fn add(&mut self, ts_nanos: i64, key: Option<ServiceKey>, bytes: u64) {
        self.add_frames(ts_nanos, key, 1, bytes);
    }

    /// Counts `packets` frames of `bytes` in all at `ts_nanos` for `key`
    /// (frames held by the classifier and resolved later, counted in the
    /// bucket of the first of them).
    #[inline]
    pub fn add_frames(&mut self, ts_nanos: i64, key: Option<ServiceKey>, packets: u64, bytes: u64) {
        let ts = ts_nanos.max(MIN_TIMESTAMP_NS);
        if !(self.hot_lo <= ts && ts < self.hot_hi) {
            self.locate(ts);
        }
        let Some(bucket) = self.buckets.get_mut(self.hot_pos) else {
            return;
        };
        bucket.packets = bucket.packets.saturating_add(packets);
        bucket.bytes = bucket.bytes.saturating_add(bytes);
        let Some(key) = key else {
            return;
        };
        let code = service_code(&key);
        // Fibonacci hashing of the code to a place of the table.
        let place = (code.wrapping_mul(0x9e37_79b9) >> 22) as usize % HOT_SERVICES;
        if let Some(hot) = self.hot_services.get(place)
            && hot.generation == self.hot_generation
            && hot.code == code
        {
            // The same place as the search below would find: the service
            // where it was recorded, or `other` (the bucket was full then,
            // and a full bucket takes no new service).
            if hot.position == TO_OTHER {
                bucket.other = bucket.other.saturating_add(bytes);
                return;
            }
            if let Some(entry) = bucket.services.get_mut(usize::from(hot.position))
                && service_code(&entry.0) == code
            {
                entry.1 = entry.1.saturating_add(bytes);
                return;
            }
        }
        let found = bucket
            .services
            .binary_search_by(|e| service_code(&e.0).cmp(&code));
        let position = match found {
            Ok(i) => {
                bucket.services[i].1 = bucket.services[i].1.saturating_add(bytes);
                i as u8
            }
            Err(i) if bucket.services.len() < MAX_SERVICES_PER_BUCKET => {
                // Later services move: their places are checked on use.
                bucket.services.insert(i, (key, bytes));
                i as u8
            }
            Err(_) => {
                // A full bucket takes no new service: this one goes to
                // `other` for as long as the bucket is hot.
                bucket.other = bucket.other.saturating_add(bytes);
                self.lossy = true;
                TO_OTHER
            }
        };
        if let Some(hot) = self.hot_services.get_mut(place) {
            *hot = HotService {
                code,
                generation: self.hot_generation,
                position,
            };
        }
    }

    /// Points the hot-path cache at the bucket of `ts` (at least
    /// `MIN_TIMESTAMP_NS`), creating it and widening as needed.
    #[cold]
    #[inline(never)]
    fn locate(&mut self, ts: i64) {
        let mut w = i128::from(self.width);
        let mut index = i128::from(ts).div_euclid(w);
        if self.buckets.is_empty() {
            self.first_index = to_i64(index);
            self.buckets.push_back(Bucket::default());
        } else {
            let first = i128::from(self.first_index);
            let last = first + self.buckets.len() as i128 - 1;
            if last.max(index) - first.min(index) >= MAX_BUCKETS as i128 {
                let starts = (
                    (first * w).min(i128::from(ts)),
                    (last * w).max(i128::from(ts)),
                );
                let width = fitting_width(self.width, starts.0, starts.1, MAX_BUCKETS);
                self.rebuild(width, None, MAX_BUCKETS);
                w = i128::from(self.width);
                index = i128::from(ts).div_euclid(w);
            }
            let first = i128::from(self.first_index);
            let last = first + self.buckets.len() as i128 - 1;
            if index < first {
                for _ in index..first {
                    self.buckets.push_front(Bucket::default());
                }
                self.first_index = to_i64(index);
            } else if index > last {
                for _ in last..index {
                    self.buckets.push_back(Bucket::default());
                }
            }
        }
        let start = index * w;
        self.hot_lo = to_i64(start);
        self.hot_hi = to_i64(start + w);
        self.hot_pos = usize::try_from(index - i128::from(self.first_index)).unwrap_or(0);
        self.forget_hot_services();
        if self.hot_services.is_empty() {
            self.hot_services = vec![HotService::default(); HOT_SERVICES];
        }
    }

    /// Makes every recorded service place stale: a new generation (after
    /// 2^32 of them, the table is emptied rather than a generation reused).
    fn forget_hot_services(&mut self) {
        self.hot_generation = self.hot_generation.wrapping_add(1);
        if self.hot_generation == 0 {
            self.hot_services.fill(HotService::default());
            self.hot_generation = 1;
        }
    }

    /// Every non-empty bucket as (aligned start, width, bucket).
    fn sources(&self) -> impl Iterator<Item = (i128, u64, &Bucket)> + Clone {
        let (first, width) = (i128::from(self.first_index), self.width);
        self.buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(move |(i, b)| ((first + i as i128) * i128::from(width), width, b))
    }

    /// The bucket width asked for (`--bucket`), `None` for automatic.
    pub fn requested_ns(&self) -> Option<u64> {
        self.requested
    }

    /// The same series, recording `requested` as the width asked for (a
    /// series rebuilt from a summary that recorded it).
    pub fn with_requested(mut self, requested: Option<u64>) -> TimeSeries {
        self.requested = requested;
        self
    }

    /// Rebuilds at `width · 2^k` (spanning at most `limit` buckets), adding
    /// `other`'s buckets if given.
    fn rebuild(&mut self, width: u64, other: Option<&TimeSeries>, limit: usize) {
        let theirs = other.into_iter().flat_map(TimeSeries::sources);
        let built = assemble(width, limit, self.sources().chain(theirs));
        self.width = built.width;
        self.first_index = built.first_index;
        self.buckets = built.buckets;
        self.lossy |= built.lossy;
        self.invalidate();
    }

    fn invalidate(&mut self) {
        self.hot_lo = 1;
        self.hot_hi = 0;
        self.hot_pos = 0;
        self.forget_hot_services();
    }

    /// Bucket width in ns.
    pub fn width_ns(&self) -> u64 {
        self.width
    }

    /// Number of buckets from the earliest to the latest frame (at most
    /// [`MAX_BUCKETS`]).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when no frame was counted.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Buckets in time order, every bucket from the earliest frame's to the
    /// latest frame's, empty ones included (so a chart can plot gaps).
    pub fn buckets(&self) -> impl Iterator<Item = BucketView<'_>> + '_ {
        let (first, width) = (i128::from(self.first_index), i128::from(self.width));
        self.buckets
            .iter()
            .enumerate()
            .map(move |(i, b)| BucketView {
                start_ns: to_i64((first + i as i128) * width),
                packets: b.packets,
                bytes: b.bytes,
                services: &b.services,
                other_bytes: b.other,
            })
    }

    /// The width of the [`peak`](Self::peak) window: the smallest multiple
    /// of the bucket width that is at least [`PEAK_WINDOW_NS`] (exactly one
    /// second on the automatic ladder while the capture spans at most 1,024
    /// seconds), or the bucket width when wider.
    pub fn peak_width_ns(&self) -> u64 {
        let width = self.width;
        if width >= PEAK_WINDOW_NS {
            width
        } else {
            PEAK_WINDOW_NS.div_ceil(width).saturating_mul(width)
        }
    }

    /// The peak: the busiest window of total traffic (frames with and
    /// without ports). `span` is the time of the first and the last frame
    /// counted (the tally's [`time_span`](super::Tally::time_span)).
    ///
    /// Of the windows of [`peak_width_ns`](Self::peak_width_ns) (one second
    /// on the automatic ladder), aligned on multiples of that width since
    /// the epoch, the one with the most bytes, the earliest on ties. A
    /// capture lasting less than one window is its own window: its peak is
    /// its average over its duration (no whole second of it was seen).
    /// `None` when nothing was counted, or when the capture lasts under a
    /// microsecond (no rate, as for the average).
    ///
    /// The one definition of the peak: every renderer shows this figure. It
    /// is computed from the buckets' totals and the span, which are exact
    /// and merge exactly, so merged series have the peak of the frames
    /// counted together.
    pub fn peak(&self, span: Option<(i64, i64)>) -> Option<Peak> {
        let width = self.peak_width_ns();
        let (first, last) = span?;
        let duration = u64::try_from(i128::from(last) - i128::from(first)).unwrap_or(0);
        if duration < width {
            if duration < 1_000 {
                return None;
            }
            let (packets, bytes) = self.buckets().fold((0u64, 0u64), |(p, b), bucket| {
                (
                    p.saturating_add(bucket.packets),
                    b.saturating_add(bucket.bytes),
                )
            });
            return Some(Peak {
                start_ns: first,
                width_ns: duration,
                packets,
                bytes,
            });
        }
        let w = i128::from(width);
        let mut best: Option<Peak> = None;
        let mut current: Option<Peak> = None;
        let better = |candidate: &Peak, best: &Option<Peak>| {
            best.as_ref().is_none_or(|b| candidate.bytes > b.bytes)
        };
        for b in self.buckets() {
            let start = to_i64(i128::from(b.start_ns).div_euclid(w) * w);
            match &mut current {
                Some(window) if window.start_ns == start => {
                    window.bytes = window.bytes.saturating_add(b.bytes);
                    window.packets = window.packets.saturating_add(b.packets);
                }
                _ => {
                    if let Some(done) = current.take()
                        && better(&done, &best)
                    {
                        best = Some(done);
                    }
                    current = Some(Peak {
                        start_ns: start,
                        width_ns: width,
                        packets: b.packets,
                        bytes: b.bytes,
                    });
                }
            }
        }
        if let Some(done) = current
            && better(&done, &best)
        {
            best = Some(done);
        }
        best
    }

    /// A copy for a chart or table next to the [`peak`](Self::peak) (`span`
    /// as for it): buckets of the peak width, doubled until at most
    /// `max_buckets` (at least 1). No bucket of it has a higher rate than
    /// the peak, and when its width is the peak's, the peak is one of its
    /// buckets. A capture shorter than the peak window keeps its finer
    /// buckets, as [`coarsened`](Self::coarsened). Exact: buckets merge
    /// whole.
    pub fn for_display(&self, max_buckets: usize, span: Option<(i64, i64)>) -> TimeSeries {
        let width = self.peak_width_ns();
        let short = span
            .is_none_or(|(first, last)| i128::from(last) - i128::from(first) < i128::from(width));
        if short {
            return self.coarsened(max_buckets);
        }
        let mut copy = self.clone();
        if !copy.buckets.is_empty() {
            copy.rebuild(width, None, max_buckets.max(1));
        }
        copy
    }

    /// True when some service bytes went to a bucket's `other_bytes` (too
    /// many services in one bucket, or merged from such a series), buckets
    /// were merged inexactly (widths with no common multiple in range, or
    /// misaligned parts), or the width differs from the one asked for.
    pub fn is_approximate(&self) -> bool {
        self.lossy || self.widened_from().is_some()
    }

    /// True when some service bytes went to `other_bytes` or buckets were
    /// merged inexactly: [`is_approximate`](Self::is_approximate) less the
    /// widening.
    pub fn services_overflowed(&self) -> bool {
        self.lossy
    }

    /// The fixed width asked for, when the series ended up with another one
    /// (doubled to stay within [`MAX_BUCKETS`], coarsened by a merge, or
    /// clamped to `1..=MAX_WIDTH_NS`).
    pub fn widened_from(&self) -> Option<u64> {
        self.requested.filter(|&r| r != self.width)
    }

    /// A copy with the width doubled until it spans at most `max_buckets`
    /// buckets (at least 1, and at most 4 even at `MAX_WIDTH_NS`), for a
    /// chart with fewer columns. Exact: buckets merge whole. The requested
    /// width is kept, so [`widened_from`](Self::widened_from) reports it.
    pub fn coarsened(&self, max_buckets: usize) -> TimeSeries {
        let mut copy = self.clone();
        if copy.buckets.len() > max_buckets.max(1) {
            let width = copy.width;
            copy.rebuild(width, None, max_buckets);
        }
        copy
    }

    /// Rebuilds a series from serialized parts (the JSON merge path):
    /// `width_ns` and buckets of (start, packets, bytes, bytes per service,
    /// other bytes), in any order. Parts are cleaned up rather than refused:
    /// the width is clamped, duplicate starts and services are summed,
    /// misaligned starts go to the bucket holding them (approximate),
    /// services beyond the limit go to other (approximate), and the width
    /// doubles if the parts span more than [`MAX_BUCKETS`]. The series
    /// carries no requested width.
    pub fn from_parts(width_ns: u64, buckets: Vec<BucketParts>, approximate: bool) -> TimeSeries {
        let mut series = TimeSeries::new(Some(width_ns));
        series.requested = None;
        let width = series.width;
        let mut lossy = approximate;
        let mut parts = Vec::with_capacity(buckets.len());
        for (start, packets, bytes, mut services, other) in buckets {
            normalize_services(&mut services);
            let mut bucket = Bucket {
                packets,
                bytes,
                other,
                services,
            };
            lossy |= bucket.cap_services();
            if bucket.is_empty() {
                continue;
            }
            let start = i128::from(start.max(MIN_TIMESTAMP_NS));
            let w = i128::from(width);
            let aligned = start.div_euclid(w) * w;
            lossy |= aligned != start;
            parts.push((aligned, bucket));
        }
        let built = assemble(
            width,
            MAX_BUCKETS,
            parts.iter().map(|(start, b)| (*start, width, b)),
        );
        series.width = built.width;
        series.first_index = built.first_index;
        series.buckets = built.buckets;
        series.lossy = lossy || built.lossy;
        series
    }
}

impl AddAssign<&TimeSeries> for TimeSeries {
    /// Adds `other`'s buckets. The result has the coarser width (the least
    /// common multiple when neither divides the other), doubled if the
    /// union spans more than [`MAX_BUCKETS`]; exact when the widths nest,
    /// as they always do on the automatic ladder.
    fn add_assign(&mut self, other: &TimeSeries) {
        let (width, exact) = common_width(self.width, other.width);
        self.rebuild(width, Some(other), MAX_BUCKETS);
        self.lossy |= other.lossy || !exact;
        self.requested = self.requested.or(other.requested);
    }
}

impl AddAssign for TimeSeries {
    fn add_assign(&mut self, other: TimeSeries) {
        *self += &other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Transport;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const SECOND: i64 = 1_000_000_000;

    fn key(n: u16) -> ServiceKey {
        match n % 4 {
            0 => ServiceKey::port(Transport::Tcp, n),
            1 => ServiceKey::port(Transport::Udp, n),
            2 => ServiceKey::port(Transport::Sctp, n),
            _ => ServiceKey::dynamic(Transport::ALL[usize::from(n) % 3]),
        }
    }

    /// A frame: timestamp, service (if any), bytes.
    type Frame = (i64, Option<ServiceKey>, u64);

    fn series_of(width: Option<u64>, frames: &[Frame]) -> TimeSeries {
        let mut s = TimeSeries::new(width);
        for &(ts, k, b) in frames {
            s.add(ts, k, b);
        }
        s
    }

    /// Per bucket start: (packets, bytes, bytes per service), straight from
    /// the frames at `width`.
    type Naive = BTreeMap<i64, (u64, u64, BTreeMap<ServiceKey, u64>)>;

    fn naive(width: u64, frames: &[Frame]) -> Naive {
        let mut map = Naive::new();
        for &(ts, k, b) in frames {
            let ts = ts.max(MIN_TIMESTAMP_NS);
            let start = ts.div_euclid(width as i64) * width as i64;
            let e = map.entry(start).or_default();
            e.0 += 1;
            e.1 += b;
            if let Some(k) = k {
                *e.2.entry(k).or_default() += b;
            }
        }
        map
    }

    fn observed(s: &TimeSeries) -> Naive {
        s.buckets()
            .filter(|b| b.packets != 0)
            .map(|b| {
                let services = b.services.iter().copied().collect();
                (b.start_ns, (b.packets, b.bytes, services))
            })
            .collect()
    }

    fn totals(s: &TimeSeries) -> (u64, u64) {
        s.buckets()
            .fold((0, 0), |(p, b), v| (p + v.packets, b + v.bytes))
    }

    /// Checks the structural invariants every series keeps.
    fn check_invariants(s: &TimeSeries) {
        let w = s.width_ns();
        assert!((1..=MAX_WIDTH_NS).contains(&w));
        assert!(s.len() <= MAX_BUCKETS, "{} buckets", s.len());
        let views: Vec<_> = s.buckets().collect();
        for pair in views.windows(2) {
            assert_eq!(
                i128::from(pair[1].start_ns) - i128::from(pair[0].start_ns),
                i128::from(w)
            );
        }
        for v in &views {
            assert_eq!(i128::from(v.start_ns) % i128::from(w), 0);
            assert!(v.services.len() <= MAX_SERVICES_PER_BUCKET);
            assert!(v.services.windows(2).all(|p| p[0].0 < p[1].0));
        }
        if let (Some(first), Some(last)) = (views.first(), views.last()) {
            assert!(first.packets != 0 && last.packets != 0, "empty edge bucket");
        }
    }

    /// `service_code` orders as the keys do, so buckets sorted by one are
    /// sorted by the other.
    #[test]
    fn service_codes_keep_the_key_order() {
        let tunnels = std::iter::once(None).chain(crate::decode::Tunnel::ALL.map(Some));
        let mut keys = Vec::new();
        for tunnel in tunnels {
            for transport in Transport::ALL {
                for naming in [
                    Naming::Port(0),
                    Naming::Port(1),
                    Naming::Port(443),
                    Naming::Port(u16::MAX),
                    Naming::Dynamic,
                    Naming::Failed,
                ] {
                    keys.push(ServiceKey {
                        tunnel,
                        transport,
                        naming,
                    });
                }
            }
        }
        for a in &keys {
            for b in &keys {
                assert_eq!(
                    service_code(a).cmp(&service_code(b)),
                    a.cmp(b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    /// A bucket that fills up sends later services to `other`, and one
    /// recorded there stays there; services counted again land where they
    /// are, across inserts that move them.
    #[test]
    fn hot_services_follow_inserts_and_full_buckets() {
        let mut s = TimeSeries::new(Some(1_000));
        let mut expected = Naive::new();
        let mut other: BTreeMap<i64, u64> = BTreeMap::new();
        // Two passes over 80 keys (some repeated) in each of three buckets,
        // the first bucket again at the end.
        for start in [0, 1_000, 2_000, 0] {
            let (packets, bytes, services) = expected.entry(start).or_default();
            for _pass in 0..2 {
                for n in (0..80u16).rev() {
                    let (k, b) = (key(n * 7), u64::from(n) + 1);
                    s.add(start + i64::from(n), Some(k), b);
                    *packets += 1;
                    *bytes += b;
                    if services.contains_key(&k) || services.len() < MAX_SERVICES_PER_BUCKET {
                        *services.entry(k).or_default() += b;
                    } else {
                        *other.entry(start).or_default() += b;
                    }
                }
            }
        }
        check_invariants(&s);
        assert_eq!(observed(&s), expected);
        for view in s.buckets() {
            let other = other.get(&view.start_ns).copied().unwrap_or(0);
            assert_eq!(view.other_bytes, other);
        }
    }

    #[test]
    fn counts_add_up_and_align_to_the_epoch() {
        let frames = [
            (5 * SECOND + 7, Some(key(443)), 1500),
            (5 * SECOND + 9, Some(key(443)), 100),
            (5 * SECOND + 11, Some(key(53)), 80),
            (6 * SECOND, None, 60),
        ];
        let s = series_of(Some(SECOND as u64), &frames);
        check_invariants(&s);
        assert_eq!(s.width_ns(), SECOND as u64);
        let views: Vec<_> = s.buckets().collect();
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].start_ns, 5 * SECOND);
        assert_eq!((views[0].packets, views[0].bytes), (3, 1680));
        assert_eq!(views[0].services, &[(key(53), 80), (key(443), 1600)][..]);
        assert_eq!(views[1].start_ns, 6 * SECOND);
        assert_eq!(views[1].portless_bytes(), 60);
        assert!(views[1].services.is_empty());
        assert!(!s.is_approximate());
        assert_eq!(s.widened_from(), None);
    }

    #[test]
    fn negative_and_out_of_order_timestamps() {
        let frames = [
            (10, Some(key(1)), 1),
            (-1, Some(key(1)), 2),
            (-(SECOND * 3) - 1, Some(key(2)), 4),
            (0, None, 8),
            (SECOND, Some(key(1)), 16),
        ];
        let s = series_of(Some(SECOND as u64), &frames);
        check_invariants(&s);
        assert_eq!(observed(&s), naive(SECOND as u64, &frames));
        assert_eq!(s.buckets().next().map(|b| b.start_ns), Some(-4 * SECOND));
        assert_eq!(s.len(), 6);
        assert_eq!(totals(&s), (5, 31));
    }

    #[test]
    fn automatic_width_follows_the_span() {
        // 5 s: 2,560 buckets of 1.95 ms are too many; 7.8125 ms gives 640.
        let mut s = TimeSeries::new(None);
        for i in 0..=5_000 {
            s.add(1_700_000_000 * SECOND + i * 1_000_000, Some(key(80)), 100);
        }
        check_invariants(&s);
        assert_eq!(s.width_ns(), 7_812_500);
        assert!((513..=MAX_BUCKETS).contains(&s.len()), "{}", s.len());
        assert_eq!(totals(&s), (5_001, 500_100));

        // One hour at one frame per second: 4 s buckets, 900 of them.
        let mut s = TimeSeries::new(None);
        for i in 0..3_600 {
            s.add(1_700_000_000 * SECOND + i * SECOND, None, 1);
        }
        assert_eq!(s.width_ns(), 4 * SECOND as u64);
        assert_eq!(s.len(), 900);
        assert!(!s.is_approximate());

        // A short capture keeps the finest width.
        let s = series_of(None, &[(0, None, 1), (10_000_000, None, 1)]);
        assert_eq!(s.width_ns(), AUTO_BASE_NS);
        assert_eq!(s.len(), 6);
    }

    #[test]
    fn a_span_of_years_stays_bounded() {
        let year = 365 * 24 * 3600 * SECOND;
        let frames: Vec<Frame> = (0..200)
            .map(|i| ((i % 7) * year / 3 + i, Some(key(i as u16 % 5)), 10))
            .chain([(2 * year + 1, None, 5)])
            .collect();
        let s = series_of(None, &frames);
        check_invariants(&s);
        assert_eq!(observed(&s), naive(s.width_ns(), &frames));

        let extremes = [
            (i64::MIN, Some(key(1)), u64::MAX),
            (i64::MAX, Some(key(2)), 1),
            (0, None, 1),
            (MIN_TIMESTAMP_NS, Some(key(1)), 1),
        ];
        let s = series_of(Some(1), &extremes);
        check_invariants(&s);
        assert_eq!(s.widened_from(), Some(1));
        assert!(s.is_approximate());
        assert!(!s.services_overflowed());
        assert_eq!(s.buckets().map(|b| b.packets).sum::<u64>(), 4);
        // Saturated, not wrapped.
        assert_eq!(s.buckets().next().map(|b| b.bytes), Some(u64::MAX));
    }

    #[test]
    fn a_fixed_width_doubles_past_the_bucket_limit() {
        let frames: Vec<Frame> = (0..3_000).map(|i| (i * 1_000, Some(key(7)), 3)).collect();
        let s = series_of(Some(1_000), &frames);
        check_invariants(&s);
        assert_eq!(s.width_ns(), 4_000);
        assert_eq!(s.widened_from(), Some(1_000));
        assert!(s.is_approximate());
        assert_eq!(observed(&s), naive(4_000, &frames));
    }

    #[test]
    fn too_many_services_in_a_bucket_go_to_other() {
        let frames: Vec<Frame> = (0..70u16)
            .map(|n| (SECOND, Some(key(n * 4)), u64::from(n) + 1))
            .collect();
        let s = series_of(None, &frames);
        check_invariants(&s);
        let view = s.buckets().next().unwrap();
        assert_eq!(view.services.len(), MAX_SERVICES_PER_BUCKET);
        // First come, first kept: the last six keys (65..=70 bytes) overflow.
        assert_eq!(view.other_bytes, (65..=70).sum::<u64>());
        assert_eq!(view.portless_bytes(), 0);
        assert!(s.is_approximate() && s.services_overflowed());
        assert_eq!(s.widened_from(), None);
    }

    #[test]
    fn merging_keeps_the_largest_services() {
        let a: Vec<Frame> = (0..40u16).map(|n| (0, Some(key(n * 4)), 10)).collect();
        let b: Vec<Frame> = (40..80u16).map(|n| (0, Some(key(n * 4)), 20)).collect();
        let mut s = series_of(None, &a);
        s += &series_of(None, &b);
        check_invariants(&s);
        let view = s.buckets().next().unwrap();
        assert_eq!(view.bytes, 40 * 10 + 40 * 20);
        assert_eq!(view.other_bytes, 16 * 10);
        assert_eq!(view.services.iter().filter(|e| e.1 == 20).count(), 40);
        assert!(s.services_overflowed());
    }

    /// The first and last time of `frames`, as the tally gives the span.
    fn span_of(frames: &[Frame]) -> Option<(i64, i64)> {
        let times = frames.iter().map(|f| f.0.max(MIN_TIMESTAMP_NS));
        Some((times.clone().min()?, times.max()?))
    }

    fn peak(start_ns: i64, width_ns: u64, packets: u64, bytes: u64) -> Peak {
        Peak {
            start_ns,
            width_ns,
            packets,
            bytes,
        }
    }

    #[test]
    fn peak_is_the_busiest_second() {
        let frames = [
            (0, None, 5),
            (SECOND, None, 9),
            (2 * SECOND, None, 3),
            (3 * SECOND, None, 9),
        ];
        let s = series_of(Some(SECOND as u64), &frames);
        // The earliest of equal seconds.
        let span = span_of(&frames);
        assert_eq!(s.peak(span), Some(peak(SECOND, SECOND as u64, 1, 9)));
        assert_eq!(TimeSeries::new(None).peak(None), None);

        // Millisecond buckets add up to whole seconds: a burst of 6 bytes in
        // one bucket is not the peak, a second of 4 + 4 bytes is; frames
        // without ports count.
        let ms = 1_000_000;
        let frames = [
            (-SECOND + 10 * ms, Some(key(1)), 6),
            (SECOND + 10 * ms, Some(key(1)), 4),
            (2 * SECOND - ms, None, 4),
            (2 * SECOND, Some(key(2)), 7),
        ];
        let (s, span) = (series_of(None, &frames), span_of(&frames));
        assert!(s.width_ns() < SECOND as u64);
        assert_eq!(s.peak_width_ns(), SECOND as u64);
        assert_eq!(s.peak(span), Some(peak(SECOND, SECOND as u64, 2, 8)));
        assert_eq!(peak(SECOND, SECOND as u64, 2, 8).bits_per_second(), 64.0);

        // A width that does not divide a second: the smallest multiple of
        // it that is at least a second (4 × 300 ms), aligned on it.
        let s = series_of(Some(300 * ms as u64), &frames);
        assert_eq!(s.peak_width_ns(), 1_200 * ms as u64);
        assert_eq!(
            s.peak(span),
            Some(peak(1_200 * ms, 1_200 * ms as u64, 2, 11))
        );
        // Buckets wider than a second: the peak is the busiest bucket.
        let mut longer = frames.to_vec();
        longer.push((9 * SECOND, None, 1));
        let s = series_of(Some(4 * SECOND as u64), &longer);
        assert_eq!(
            s.peak(span_of(&longer)),
            Some(peak(0, 4 * SECOND as u64, 3, 15))
        );
        // Shorter than that bucket: the whole capture.
        let s = series_of(Some(4 * SECOND as u64), &frames);
        assert_eq!(
            s.peak(span),
            Some(peak(-SECOND + 10 * ms, 2_990 * ms as u64, 4, 21))
        );

        // A capture shorter than a second, across a second's boundary, is
        // its own window: its average.
        let frames = [(SECOND - 30 * ms, None, 100), (SECOND + 20 * ms, None, 50)];
        let s = series_of(None, &frames);
        let p = s.peak(span_of(&frames)).expect("a peak");
        assert_eq!(p, peak(SECOND - 30 * ms, 50 * ms as u64, 2, 150));
        assert_eq!(p.bits_per_second(), 150.0 * 8.0 / 0.05);
        // One frame, or frames under a microsecond apart: no rate.
        let one = [(SECOND, None, 100), (SECOND + 999, None, 100)];
        assert_eq!(series_of(None, &one).peak(span_of(&one)), None);
    }

    #[test]
    fn display_series_never_rise_above_the_peak() {
        let ms = 1_000_000;
        // 30 s of traffic in 7.8 ms buckets, one busy second at 17 s.
        let frames: Vec<Frame> = (0..3000)
            .map(|i| {
                let ts = i * 10 * ms;
                let bytes = if (17 * SECOND..18 * SECOND).contains(&ts) {
                    900
                } else {
                    100 + (i % 7) as u64
                };
                (ts, Some(key((i % 5) as u16)), bytes)
            })
            .collect();
        let (s, span) = (series_of(None, &frames), span_of(&frames));
        let peak = s.peak(span).expect("a peak");
        assert_eq!(
            (peak.start_ns, peak.width_ns, peak.bytes),
            (17 * SECOND, SECOND as u64, 90_000)
        );
        for max_buckets in [1, 7, 24, 30, 240] {
            let d = s.for_display(max_buckets, span);
            check_invariants(&d);
            assert!(d.len() <= max_buckets);
            assert_eq!(totals(&d), totals(&s));
            if d.width_ns() == SECOND as u64 {
                assert_eq!(d.peak(span), Some(peak));
                assert!(
                    d.buckets()
                        .any(|b| b.start_ns == peak.start_ns && b.bytes == peak.bytes)
                );
            }
            let rate = |b: BucketView<'_>| b.bytes as f64 * 8e9 / d.width_ns() as f64;
            assert!(d.buckets().all(|b| rate(b) <= peak.bits_per_second()));
        }
        assert_eq!(s.for_display(240, span).width_ns(), SECOND as u64);
        assert_eq!(s.for_display(24, span).width_ns(), 2 * SECOND as u64);
        assert!(TimeSeries::new(None).for_display(5, None).is_empty());
        // Shorter than a second: the finer buckets stay.
        let short = &frames[..50];
        let s = series_of(None, short);
        assert_eq!(s.for_display(240, span_of(short)), s.coarsened(240));
        assert!(s.for_display(240, span_of(short)).width_ns() < SECOND as u64);
    }

    #[test]
    fn merging_different_widths_coarsens() {
        let frames: Vec<Frame> = (0..50)
            .map(|i| {
                (
                    i * 300_000_000 - 7 * SECOND,
                    Some(key(i as u16 % 3)),
                    1 + i as u64,
                )
            })
            .collect();
        let (a, b) = frames.split_at(20);
        // 1 s and 4 s nest: 4 s.
        let mut s = series_of(Some(SECOND as u64), a);
        s += &series_of(Some(4 * SECOND as u64), b);
        check_invariants(&s);
        assert_eq!(s.width_ns(), 4 * SECOND as u64);
        assert_eq!(observed(&s), naive(4 * SECOND as u64, &frames));
        assert_eq!(s.widened_from(), Some(SECOND as u64));
        assert!(!s.services_overflowed());
        // 2 s and 3 s: both nest in 6 s.
        let mut s = series_of(Some(2 * SECOND as u64), a);
        s += &series_of(Some(3 * SECOND as u64), b);
        assert_eq!(s.width_ns(), 6 * SECOND as u64);
        assert_eq!(observed(&s), naive(6 * SECOND as u64, &frames));
        assert!(!s.services_overflowed());
        // Automatic and a fixed 1 s share the ladder.
        let mut s = series_of(None, a);
        s += &series_of(Some(SECOND as u64), b);
        assert_eq!(s.width_ns(), SECOND as u64);
        assert_eq!(observed(&s), naive(SECOND as u64, &frames));
        // Large coprime widths have no common multiple in range: inexact.
        let mut s = series_of(Some((1 << 40) + 1), a);
        s += &series_of(Some((1 << 41) + 1), b);
        check_invariants(&s);
        assert!(s.services_overflowed());
        assert_eq!(totals(&s), totals(&series_of(None, &frames)));
    }

    #[test]
    fn parts_round_trip_and_garbage_is_cleaned_up() {
        let frames: Vec<Frame> = (0..500)
            .map(|i| (i * 37_000_000, Some(key(i as u16 % 9)), 40 + i as u64))
            .collect();
        let s = series_of(None, &frames);
        let parts = s
            .buckets()
            .map(|b| {
                (
                    b.start_ns,
                    b.packets,
                    b.bytes,
                    b.services.to_vec(),
                    b.other_bytes,
                )
            })
            .collect();
        assert_eq!(TimeSeries::from_parts(s.width_ns(), parts, false), s);

        let garbage = vec![
            (5, 1, 10, vec![(key(1), 4), (key(1), 6)], 0),
            (3, 1, 10, vec![(key(2), 0)], 0),
            (i64::MIN, u64::MAX, u64::MAX, vec![], u64::MAX),
            (i64::MAX, 0, 0, vec![], 0),
            (0, 2, 70, (0..70).map(|n| (key(n * 4), 1)).collect(), 0),
        ];
        let g = TimeSeries::from_parts(0, garbage, false);
        check_invariants(&g);
        assert!(g.is_approximate());
        assert_eq!(g.widened_from(), None);
        assert!(TimeSeries::from_parts(7, Vec::new(), false).is_empty());
    }

    #[test]
    fn coarsened_fits_and_keeps_counts() {
        let frames: Vec<Frame> = (0..5_000)
            .map(|i| (i * 1_000_000, Some(key(i as u16 % 3)), 2))
            .collect();
        let s = series_of(None, &frames);
        let c = s.coarsened(100);
        check_invariants(&c);
        assert!(c.len() <= 100 && c.len() > 50, "{}", c.len());
        assert_eq!(observed(&c), naive(c.width_ns(), &frames));
        assert_eq!(s.coarsened(10_000), s);
        assert!(s.coarsened(0).len() <= 1);
    }

    fn frames_strategy(ts: impl Strategy<Value = i64>) -> impl Strategy<Value = Vec<Frame>> {
        proptest::collection::vec((ts, proptest::option::of(0u16..40), 0u64..100_000), 0..300)
            .prop_map(|v| v.into_iter().map(|(t, k, b)| (t, k.map(key), b)).collect())
    }

    /// Timestamps from nanosecond-close to years apart, any sign.
    fn any_ts() -> impl Strategy<Value = i64> {
        prop_oneof![
            -2_000i64..2_000,
            (0i64..600).prop_map(|s| 1_700_000_000 * SECOND + s * 9_999_991),
            (0i64..100_000).prop_map(|s| 1_700_000_000 * SECOND + s * 3_600_001_003),
            -100 * SECOND..100 * SECOND,
            any::<i64>(),
        ]
    }

    fn any_width() -> impl Strategy<Value = Option<u64>> {
        prop_oneof![
            Just(None),
            (0u32..40).prop_map(|k| Some(AUTO_BASE_NS << k)),
            (1u64..5_000_000_000).prop_map(Some),
        ]
    }

    proptest! {
        /// Streaming equals bucketing the frames straight at the final
        /// width, and that width is the narrowest that fits.
        #[test]
        fn streaming_is_exact(frames in frames_strategy(any_ts()), width in any_width()) {
            let s = series_of(width, &frames);
            check_invariants(&s);
            prop_assert_eq!(observed(&s), naive(s.width_ns(), &frames));
            prop_assert!(!s.services_overflowed());
            let start = clamp_width(width.unwrap_or(AUTO_BASE_NS));
            let doublings = s.width_ns() / start;
            prop_assert_eq!(s.width_ns() % start, 0);
            prop_assert!(doublings.is_power_of_two());
            if doublings > 1 {
                let narrower = s.width_ns() / 2;
                prop_assert!(naive_span(narrower, &frames) > MAX_BUCKETS as i128);
            }
        }

        /// Merge law: any split of the frames, counted apart and added,
        /// equals counting them together, either way round.
        #[test]
        fn merging_equals_counting_together(
            frames in frames_strategy(any_ts()),
            sides in proptest::collection::vec(any::<bool>(), 300),
            width in any_width(),
        ) {
            let pick = |side: bool| -> Vec<Frame> {
                frames.iter().zip(&sides).filter(|(_, s)| **s == side).map(|(f, _)| *f).collect()
            };
            let (a, b) = (pick(true), pick(false));
            let together = series_of(width, &frames);
            let mut merged = series_of(width, &a);
            merged += &series_of(width, &b);
            let mut reversed = series_of(width, &b);
            reversed += series_of(width, &a);
            check_invariants(&merged);
            prop_assert_eq!(&merged, &together);
            prop_assert_eq!(&reversed, &together);
            let span = span_of(&frames);
            prop_assert_eq!(merged.peak(span), together.peak(span));
            // The peak is the busiest window of the frames themselves.
            if let Some(peak) = together.peak(span).filter(|p| p.width_ns == together.peak_width_ns()) {
                let w = i128::from(peak.width_ns);
                let mut windows: std::collections::BTreeMap<i128, u64> = Default::default();
                for f in &frames {
                    *windows.entry(i128::from(f.0.max(MIN_TIMESTAMP_NS)).div_euclid(w)).or_default() += f.2;
                }
                let busiest = windows.values().copied().max().unwrap_or(0);
                prop_assert_eq!(peak.bytes, busiest);
                prop_assert_eq!(
                    windows.iter().find(|e| *e.1 == busiest).map(|e| *e.0 * w),
                    Some(i128::from(peak.start_ns))
                );
            }
        }

        /// Whatever comes in, nothing panics, the invariants hold and the
        /// totals are what was added.
        #[test]
        fn never_panics_and_totals_hold(
            frames in proptest::collection::vec(
                (any::<i64>(), proptest::option::of(any::<u16>()), 0u64..1 << 40), 0..200),
            width in proptest::option::of(any::<u64>()),
            other_width in any::<u64>(),
        ) {
            let frames: Vec<Frame> = frames.into_iter().map(|(t, k, b)| (t, k.map(key), b)).collect();
            let s = series_of(width, &frames);
            check_invariants(&s);
            let expected = (frames.len() as u64, frames.iter().map(|f| f.2).sum::<u64>());
            prop_assert_eq!(totals(&s), expected);
            let mut m = TimeSeries::from_parts(other_width, Vec::new(), false);
            m += &s;
            check_invariants(&m);
            prop_assert_eq!(totals(&m), expected);
            let c = m.coarsened(7);
            check_invariants(&c);
            prop_assert!(c.len() <= 7);
            prop_assert_eq!(totals(&c), expected);
        }
    }

    /// Buckets spanned by the frames at `width`.
    fn naive_span(width: u64, frames: &[Frame]) -> i128 {
        let w = i128::from(width);
        let idx = frames
            .iter()
            .map(|f| i128::from(f.0.max(MIN_TIMESTAMP_NS)).div_euclid(w));
        match (idx.clone().min(), idx.max()) {
            (Some(lo), Some(hi)) => hi - lo + 1,
            _ => 0,
        }
    }
}
