//! Top-K tallies in bounded memory: the space-saving algorithm (Metwally,
//! Agrawal, El Abbadi, "Efficient Computation of Frequent and Top-k Elements
//! in Data Streams", ICDT 2005), made mergeable as in Agarwal et al.,
//! "Mergeable Summaries" (PODS 2012).
//!
//! A [`SpaceSaving`] holds at most `capacity` keys however many distinct keys
//! it is shown (a SYN flood from random sources has millions), and ranks them
//! by one number per key, the *rank weight* (bytes, for hosts and
//! conversations). While no more than `capacity` distinct keys have been
//! added it is an exact tally; after that its figures are bounds, and the
//! bounds survive `+=` (threads, files) and [`SpaceSaving::from_parts`]
//! (summaries read back from JSON).
//!
//! # What is exact and what is a bound
//!
//! Write `f(x)` for the true rank weight of key `x` (the sum of
//! `rank_weight()` over every weight ever added for `x`, in this summary and
//! every summary merged into it), `N` for `total().rank_weight()` and `k`
//! for `capacity()`. For every summary built by [`SpaceSaving::add`], `+=`,
//! and [`SpaceSaving::from_parts`] of such a summary's own parts:
//!
//! 1. [`SpaceSaving::total`] is exact, every field.
//! 2. A held key's rank weight lies in an interval:
//!    `entry.weights.rank_weight() <= f(x) <= entry.estimate()`, where
//!    `entry.estimate() = entry.weights.rank_weight() + entry.overestimate`.
//!    `overestimate == 0` means the rank weight is exact.
//! 3. Each field of `entry.weights` is a lower bound of that field's true
//!    value (what was counted since the key last entered the summary). If the
//!    rank weight is a sum of fields (bytes sent + bytes received), each of
//!    those fields is also at most its shown value plus `overestimate`.
//!    Other fields (packets) have no upper bound unless the summary is exact.
//! 4. A key not held has `f(x) <= error_bound()`, and every entry's
//!    `overestimate <= error_bound()`.
//! 5. `error_bound() <= N / k` (barring u64 saturation). With 4: every key with `f(x) > N / k` (more
//!    generally, `f(x) > error_bound()`) is held.
//! 6. [`SpaceSaving::is_exact`]: nothing was ever evicted or dropped, so every
//!    key ever added is held with exactly its true weights, every
//!    `overestimate` is 0 and `error_bound()` is 0.
//!
//! A report that lists only the first `n` entries must bound the unlisted
//! keys by `max(error_bound(), entries[n].estimate())`: held keys beyond the
//! `n`-th may weigh more than `error_bound()`. Its "others" row is
//! `total()` minus the listed weights: an upper bound field by field, and at
//! least `N − Σ listed estimate()` in rank weight.
//!
//! # Cost
//!
//! `add` is O(log k) (a hash look-up and a sift in an indexed binary
//! min-heap) and allocates nothing once `capacity` keys are held: the table
//! is pre-sized when the summary is made. Memory is O(k) whatever the input.

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hash};
use std::ops::AddAssign;

/// The largest capacity a summary takes; larger requests are clamped to it,
/// so a mistaken size cannot allocate without bound (a summary pre-allocates
/// a few hundred bytes per key: about 200 for `IpAddr` keys).
pub const MAX_CAPACITY: usize = 1 << 20;

/// The weights carried per key: the summary ranks keys by `rank_weight()`
/// (bytes, say) but keeps and adds every field.
///
/// `rank_weight` must be additive (the rank weight of `a` after `a += b` is
/// the sum of both rank weights) and zero for `W::default()`; the bounds in
/// the module documentation rest on it. `+=` should not overflow in practice
/// (u64 counters) or should saturate.
pub trait Weights: Copy + Default + AddAssign {
    /// The number keys are ranked by.
    fn rank_weight(&self) -> u64;

    /// Adds `other` to a summary's total (everything, unless the weights
    /// say less is needed there).
    #[inline]
    fn add_to_total(&mut self, other: &Self) {
        *self += *other;
    }
}

/// One held key, as [`SpaceSaving::entries`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<K, W> {
    /// The key.
    pub key: K,
    /// Its weights as counted since it last entered the summary: each field a
    /// lower bound of the truth, exact when `overestimate` is 0 for the
    /// fields that make up the rank weight, and exact for every field when
    /// the summary [is exact](SpaceSaving::is_exact).
    pub weights: W,
    /// The most by which the key's true rank weight may exceed
    /// `weights.rank_weight()` (0: the rank weight is exact).
    pub overestimate: u64,
}

impl<K, W: Weights> Entry<K, W> {
    /// The upper bound of the key's true rank weight,
    /// `weights.rank_weight() + overestimate` (saturating); entries are
    /// ranked by it.
    pub fn estimate(&self) -> u64 {
        self.weights.rank_weight().saturating_add(self.overestimate)
    }
}

/// A held key. Aligned to a cache line: an add reads the key and writes
/// the weights, and a host's slot (an address, four counters and the
/// overestimate) then fits one line; the estimate is computed, not stored.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
struct Slot<K, W> {
    key: K,
    weights: W,
    overestimate: u64,
}

impl<K, W: Weights> Slot<K, W> {
    fn new(key: K, weights: W, overestimate: u64) -> Slot<K, W> {
        Slot {
            key,
            weights,
            overestimate,
        }
    }

    /// `weights.rank_weight() + overestimate`, saturating.
    #[inline]
    fn estimate(&self) -> u64 {
        self.weights.rank_weight().saturating_add(self.overestimate)
    }
}

/// Display order: estimate descending, then key ascending. The heap's
/// minimum is the last key in this order, so eviction is deterministic and
/// independent of the heap's layout.
fn display_order<K: Ord, W: Weights>(a: &Slot<K, W>, b: &Slot<K, W>) -> Ordering {
    b.estimate()
        .cmp(&a.estimate())
        .then_with(|| a.key.cmp(&b.key))
}

/// One place of the heap: a slot and the estimate the heap orders it by,
/// at most the slot's estimate and behind it after adds (the heap is
/// brought up to date lazily, when the minimum is wanted; see
/// [`SpaceSaving::fresh_minimum`]). Kept here rather than in the slot, so
/// that sifting reads the heap alone (keys only to break ties).
#[derive(Clone, Copy, Debug)]
struct HeapPlace {
    estimate: u64,
    slot: u32,
}

/// Key → slot index of a summary: open addressing with linear probing over
/// `(hash, slot + 1)` pairs (0: empty), deletion by backward shift (no
/// tombstones), at most half full. The keys stay in the slots; a pair is 8
/// bytes, so the table of a 4,096-key summary (64 KiB) stays in the CPU's
/// cache where a `HashMap` of keys (256-384 KiB, besides the slots) did not:
/// `report` looks up three keys per frame. The hasher (foldhash) is randomly
/// seeded per summary: keys come from the network (spoofed sources), and a
/// fixed hash would let a crafted capture make long probe runs. Nothing
/// depends on the table's layout.
#[derive(Clone, Debug)]
struct SlotIndex {
    /// Low 32 bits of the key's hash, and its slot + 1 (0: an empty pair).
    pairs: Vec<(u32, u32)>,
    /// `pairs.len() - 1` (a power of two, at least twice the capacity).
    mask: usize,
    hasher: foldhash::fast::RandomState,
}

impl SlotIndex {
    fn new(capacity: usize) -> SlotIndex {
        let len = (2 * capacity).next_power_of_two();
        SlotIndex {
            pairs: vec![(0, 0); len],
            mask: len - 1,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The part of a key's hash the table keeps (its position is the low
    /// bits; the table has at most 2^21 pairs).
    fn hash<K: Hash>(&self, key: &K) -> u32 {
        self.hasher.hash_one(key) as u32
    }

    /// The slot of the key whose hash is `hash` and for which `is_key`
    /// says yes.
    #[inline]
    fn find(&self, hash: u32, is_key: impl Fn(usize) -> bool) -> Option<usize> {
        let mut at = hash as usize & self.mask;
        loop {
            let (h, slot) = self.pairs[at];
            if slot == 0 {
                return None;
            }
            if h == hash && is_key(slot as usize - 1) {
                return Some(slot as usize - 1);
            }
            at = (at + 1) & self.mask;
        }
    }

    /// Records a key (not present) of hash `hash` at `slot`.
    fn insert(&mut self, hash: u32, slot: usize) {
        let mut at = hash as usize & self.mask;
        while self.pairs[at].1 != 0 {
            at = (at + 1) & self.mask;
        }
        // Slots are below the capacity (at most 2^20).
        self.pairs[at] = (hash, slot as u32 + 1);
    }

    /// Forgets the key of hash `hash` held at `slot`, moving later pairs of
    /// its probe run back so that no search stops short.
    fn remove(&mut self, hash: u32, slot: usize) {
        let mut hole = hash as usize & self.mask;
        while self.pairs[hole] != (hash, slot as u32 + 1) {
            if self.pairs[hole].1 == 0 {
                return;
            }
            hole = (hole + 1) & self.mask;
        }
        let mut at = hole;
        loop {
            at = (at + 1) & self.mask;
            let pair = self.pairs[at];
            if pair.1 == 0 {
                break;
            }
            // The pair may fill the hole when the hole lies on its probe
            // path: no farther from its home position than `at` is.
            let home = pair.0 as usize & self.mask;
            if at.wrapping_sub(home) & self.mask >= at.wrapping_sub(hole) & self.mask {
                self.pairs[hole] = pair;
                hole = at;
            }
        }
        self.pairs[hole] = (0, 0);
    }

    fn clear(&mut self) {
        self.pairs.fill((0, 0));
    }

    /// How many keys it holds (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pairs.iter().filter(|p| p.1 != 0).count()
    }
}

/// The heaviest keys of a stream of `(key, weights)` in bounded memory, with
/// error bounds (see the [module documentation](self) for exactly which
/// figures are exact and which are bounds). Summaries merge with `+=`.
#[derive(Clone, Debug)]
pub struct SpaceSaving<K, W> {
    capacity: usize,
    /// Held keys; a slot keeps its index for life (eviction reuses it).
    slots: Vec<Slot<K, W>>,
    /// Key → slot (see [`SlotIndex`]).
    index: SlotIndex,
    /// Binary min-heap of slots in display order by the estimates the heap
    /// last saw (the minimum is the last in that order). Adds to a held key
    /// only raise its estimate and leave the heap as it is (the common case
    /// costs one look-up); the minimum is brought up to date when a key is
    /// evicted.
    heap: Vec<HeapPlace>,
    /// Slot index → its position in `heap`.
    pos: Vec<u32>,
    total: W,
    /// Every key not held weighs at most this; every overestimate is at most
    /// this.
    unheld_bound: u64,
    exact: bool,
}

impl<K: Copy + Eq + Hash + Ord, W: Weights> SpaceSaving<K, W> {
    /// An empty summary holding at most `capacity` keys (clamped to
    /// `1..=MAX_CAPACITY`), its storage allocated now.
    pub fn new(capacity: usize) -> SpaceSaving<K, W> {
        let capacity = capacity.clamp(1, MAX_CAPACITY);
        SpaceSaving {
            capacity,
            slots: Vec::with_capacity(capacity),
            index: SlotIndex::new(capacity),
            heap: Vec::with_capacity(capacity),
            pos: Vec::with_capacity(capacity),
            total: W::default(),
            unheld_bound: 0,
            exact: true,
        }
    }

    /// The most keys it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds `w` to `key`. A key not held takes a free slot, or, when all are
    /// taken, the slot of the key with the least estimate (ties: the greatest
    /// key), inheriting that estimate as its overestimate. O(1) for a held
    /// key, amortised O(log capacity) for a new one; no allocation once
    /// `capacity` keys are held.
    pub fn add(&mut self, key: K, w: W) {
        self.add_slot(key, w);
    }

    /// Adds `w` to `key` exactly as [`add`](Self::add) does, trying first
    /// the slot `hint` (a number an earlier `add_at` returned for the key):
    /// while the key is still there, no hash and no look-up. Returns the
    /// key's slot now, the hint for its next add. A caller that sees the
    /// same keys again (a conversation's frames) keeps hints in a cache of
    /// its own; a stale or made-up hint costs one comparison.
    #[inline]
    pub fn add_at(&mut self, hint: usize, key: K, w: W) -> usize {
        if self.slots.get(hint).is_some_and(|s| s.key == key) {
            self.total.add_to_total(&w);
            self.add_held(hint, w);
            return hint;
        }
        self.add_slot(key, w)
    }

    /// Adds `w` to the key held at `slot` (the total aside).
    #[inline]
    fn add_held(&mut self, slot: usize, w: W) {
        let s = &mut self.slots[slot];
        let before = s.estimate();
        s.weights += w;
        let after = s.estimate();
        // A grown estimate leaves the heap valid for the lazy minimum; one
        // that shrank (a `Weights` that is not additive) must not hide below
        // the heap's (at most `before`), so the heap learns it now.
        if after < before {
            let at = self.pos[slot] as usize;
            if after < self.heap[at].estimate {
                self.heap[at].estimate = after;
                self.sift_up(at);
            }
        }
    }

    /// [`add`](Self::add), returning the key's slot.
    fn add_slot(&mut self, key: K, w: W) -> usize {
        self.total.add_to_total(&w);
        let hash = self.index.hash(&key);
        if let Some(slot) = self.index.find(hash, |slot| self.slots[slot].key == key) {
            self.add_held(slot, w);
            return slot;
        }
        if self.slots.len() < self.capacity {
            // A key not held may have been dropped by a merge: it weighs at
            // most `unheld_bound` so far (0 unless something was dropped).
            // Slots number at most `MAX_CAPACITY` (2^20): u32 holds them.
            let slot = self.slots.len();
            let new = Slot::new(key, w, self.unheld_bound);
            self.pos.push(self.heap.len() as u32);
            self.heap.push(HeapPlace {
                estimate: new.estimate(),
                slot: slot as u32,
            });
            self.slots.push(new);
            self.index.insert(hash, slot);
            self.sift_up(self.heap.len() - 1);
            return slot;
        }
        // Full (capacity >= 1, so the heap has a root): evict the minimum.
        let slot = self.fresh_minimum();
        let evicted = self.slots[slot];
        self.index.remove(self.index.hash(&evicted.key), slot);
        self.index.insert(hash, slot);
        self.unheld_bound = self.unheld_bound.max(evicted.estimate());
        self.exact = false;
        let new = Slot::new(key, w, self.unheld_bound);
        self.heap[0].estimate = new.estimate();
        self.slots[slot] = new;
        self.sift_down(0);
        slot
    }

    /// The held keys sorted by estimated rank weight (descending), ties by
    /// key (ascending), each with its weights and overestimate.
    pub fn entries(&self) -> Vec<Entry<K, W>> {
        let mut slots = self.slots.clone();
        slots.sort_unstable_by(display_order);
        slots
            .into_iter()
            .map(|s| Entry {
                key: s.key,
                weights: s.weights,
                overestimate: s.overestimate,
            })
            .collect()
    }

    /// The held keys, in no particular order (no allocation).
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.slots.iter().map(|s| &s.key)
    }

    /// The exact sum of all weights added, held or not (with the listed
    /// entries, this gives the "others" row).
    pub fn total(&self) -> W {
        self.total
    }

    /// Whether every figure is exact: no key was ever evicted, nor dropped by
    /// a merge, in this summary or any merged into it.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// The global bound: any key not held has a true rank weight of at most
    /// this, and every entry's overestimate is at most this. It is the
    /// largest estimate ever evicted or dropped (plus, for merged keys, the
    /// bounds of the summaries that did not hold them), hence at most the
    /// least held estimate and at most `total().rank_weight() / capacity()`.
    /// 0 when exact.
    pub fn error_bound(&self) -> u64 {
        self.unheld_bound
    }

    /// How many keys are held (at most `capacity()`).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Rebuilds a summary from its serialized parts (the JSON merge path):
    /// what `entries()`, `total()`, `error_bound()` and `is_exact()`
    /// returned. Parts that could not have come from a summary are made
    /// consistent rather than refused, keeping the bounds sound: the
    /// capacity is clamped as in [`SpaceSaving::new`]; a key listed twice is
    /// treated as two parts and added, as a merge would; entries beyond the
    /// capacity are dropped (the least estimates first) and raise the error
    /// bound to the largest dropped estimate; the error bound is raised to
    /// the largest overestimate; and an "exact" claim with a non-zero bound
    /// or overestimate, or with dropped entries, is withdrawn.
    pub fn from_parts(
        capacity: usize,
        entries: Vec<Entry<K, W>>,
        total: W,
        error_bound: u64,
        exact: bool,
    ) -> SpaceSaving<K, W> {
        let mut summary = SpaceSaving::new(capacity);
        let mut entries = entries;
        entries.sort_by_key(|e| e.key);
        let mut candidates: Vec<Slot<K, W>> = Vec::with_capacity(entries.len());
        for e in entries {
            match candidates.last_mut() {
                Some(last) if last.key == e.key => {
                    let mut weights = last.weights;
                    weights += e.weights;
                    let overestimate = last.overestimate.saturating_add(e.overestimate);
                    *last = Slot::new(e.key, weights, overestimate);
                }
                _ => candidates.push(Slot::new(e.key, e.weights, e.overestimate)),
            }
        }
        let largest_overestimate = candidates.iter().map(|s| s.overestimate).max();
        summary.unheld_bound = error_bound.max(largest_overestimate.unwrap_or(0));
        summary.total = total;
        summary.exact = exact && summary.unheld_bound == 0;
        summary.rebuild(candidates);
        summary
    }

    /// Replaces the held keys by the best `capacity` of `candidates`
    /// (dropping the rest raises the bound), and rebuilds index and heap.
    fn rebuild(&mut self, mut candidates: Vec<Slot<K, W>>) {
        candidates.sort_unstable_by(display_order);
        if let Some(first_dropped) = candidates.get(self.capacity) {
            self.unheld_bound = self.unheld_bound.max(first_dropped.estimate());
            self.exact = false;
            candidates.truncate(self.capacity);
        }
        // Ascending order is a valid min-heap: slot i at heap position i.
        candidates.reverse();
        self.index.clear();
        self.slots.clear();
        self.heap.clear();
        self.pos.clear();
        for (i, s) in candidates.into_iter().enumerate() {
            self.index.insert(self.index.hash(&s.key), i);
            self.heap.push(HeapPlace {
                estimate: s.estimate(),
                slot: i as u32,
            });
            self.pos.push(i as u32);
            self.slots.push(s);
        }
    }

    /// The slot holding `key`, if held.
    fn held(&self, key: &K) -> Option<usize> {
        self.index
            .find(self.index.hash(key), |slot| self.slots[slot].key == *key)
    }

    /// Whether the slot at heap position `i` belongs above the one at `j`:
    /// it comes later in display order by the heap's estimates (the
    /// minimum is the last in display order).
    fn less(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.heap[i], self.heap[j]);
        match a.estimate.cmp(&b.estimate) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.slots[a.slot as usize].key > self.slots[b.slot as usize].key,
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.pos[self.heap[i].slot as usize] = i as u32;
        self.pos[self.heap[j].slot as usize] = j as u32;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(i, parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.less(right, left) {
                right
            } else {
                left
            };
            if !self.less(child, i) {
                break;
            }
            self.swap(i, child);
            i = child;
        }
    }

    /// The slot of the least estimate (ties: the greatest key), the one
    /// display order puts last. Every slot's heap estimate is at most its
    /// estimate, so once the root's heap estimate is its estimate, the root
    /// is at most every other slot's heap estimate and hence its estimate:
    /// the same minimum as an eagerly ordered heap, found by moving stale
    /// roots down to where their grown estimates belong.
    fn fresh_minimum(&mut self) -> usize {
        loop {
            let root = self.heap[0];
            let estimate = self.slots[root.slot as usize].estimate();
            if root.estimate == estimate {
                return root.slot as usize;
            }
            self.heap[0].estimate = estimate;
            self.sift_down(0);
        }
    }
}

/// Merges another summary in (Agarwal et al. 2012). A key held by both gets
/// both weights and both overestimates; a key held by one side only gets, as
/// its possible weight on the other side, that side's `error_bound()` added
/// to its overestimate (its weights are unchanged: lower bounds stay lower
/// bounds). The best `capacity` candidates are kept, where the capacity is
/// the smaller of the two (this keeps `error_bound() <= N / capacity`). The
/// new error bound is the sum of the two bounds, or the largest dropped
/// estimate if greater; totals add; the result is exact only if both sides
/// were and nothing was dropped. When both sides are exact and together hold
/// no more than `capacity` keys, the result equals the summary of the
/// concatenated streams. The merge is commutative.
impl<K: Copy + Eq + Hash + Ord, W: Weights> AddAssign<&SpaceSaving<K, W>> for SpaceSaving<K, W> {
    fn add_assign(&mut self, other: &SpaceSaving<K, W>) {
        let (mine, theirs) = (self.unheld_bound, other.unheld_bound);
        let mut candidates = Vec::with_capacity(self.slots.len() + other.slots.len());
        for s in &self.slots {
            let slot = match other.held(&s.key) {
                Some(j) => {
                    let o = &other.slots[j];
                    let mut weights = s.weights;
                    weights += o.weights;
                    Slot::new(
                        s.key,
                        weights,
                        s.overestimate.saturating_add(o.overestimate),
                    )
                }
                None => Slot::new(s.key, s.weights, s.overestimate.saturating_add(theirs)),
            };
            candidates.push(slot);
        }
        for o in &other.slots {
            if self.held(&o.key).is_none() {
                candidates.push(Slot::new(
                    o.key,
                    o.weights,
                    o.overestimate.saturating_add(mine),
                ));
            }
        }
        self.capacity = self.capacity.min(other.capacity);
        self.total += other.total;
        self.unheld_bound = mine.saturating_add(theirs);
        self.exact = self.exact && other.exact;
        self.rebuild(candidates);
    }
}

impl<K: Copy + Eq + Hash + Ord, W: Weights> AddAssign for SpaceSaving<K, W> {
    fn add_assign(&mut self, other: SpaceSaving<K, W>) {
        *self += &other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    /// Host-like weights: ranked by bytes both ways, packets carried along.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct Host {
        sent: u64,
        received: u64,
        packets: u64,
    }

    impl AddAssign for Host {
        fn add_assign(&mut self, o: Host) {
            self.sent += o.sent;
            self.received += o.received;
            self.packets += o.packets;
        }
    }

    impl Weights for Host {
        fn rank_weight(&self) -> u64 {
            self.sent + self.received
        }
    }

    fn host(sent: u64, received: u64, packets: u64) -> Host {
        Host {
            sent,
            received,
            packets,
        }
    }

    /// One weight, for hand-worked examples.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct Bytes(u64);

    impl AddAssign for Bytes {
        fn add_assign(&mut self, o: Bytes) {
            self.0 += o.0;
        }
    }

    impl Weights for Bytes {
        fn rank_weight(&self) -> u64 {
            self.0
        }
    }

    type Stream = Vec<(u32, Host)>;

    fn summarize(stream: &[(u32, Host)], capacity: usize) -> SpaceSaving<u32, Host> {
        let mut s = SpaceSaving::new(capacity);
        for &(k, w) in stream {
            s.add(k, w);
        }
        s
    }

    fn truth_of(stream: &[(u32, Host)]) -> (BTreeMap<u32, Host>, Host) {
        let mut truth = BTreeMap::new();
        let mut total = Host::default();
        for &(k, w) in stream {
            *truth.entry(k).or_default() += w;
            total += w;
        }
        (truth, total)
    }

    /// The internal invariants: heap order, positions, index, cached
    /// estimates, bounds.
    fn check_structure<K: Copy + Eq + Hash + Ord + std::fmt::Debug, W: Weights>(
        s: &SpaceSaving<K, W>,
    ) {
        assert!(s.len() <= s.capacity());
        assert_eq!(s.heap.len(), s.slots.len());
        assert_eq!(s.pos.len(), s.slots.len());
        assert_eq!(s.index.len(), s.slots.len());
        for i in 0..s.heap.len() {
            assert_eq!(s.pos[s.heap[i].slot as usize] as usize, i);
            if i > 0 {
                assert!(!s.less(i, (i - 1) / 2), "heap order at {i}");
            }
        }
        for (i, slot) in s.slots.iter().enumerate() {
            assert_eq!(s.held(&slot.key), Some(i));
            assert!(slot.overestimate <= s.error_bound());
            let place = s.heap[s.pos[i] as usize];
            assert!(place.estimate <= slot.estimate(), "a heap estimate ahead");
        }
        if s.is_exact() {
            assert_eq!(s.error_bound(), 0);
        }
    }

    /// Every documented guarantee, against the ground truth of the whole
    /// stream the summary has seen.
    fn check_guarantees(s: &SpaceSaving<u32, Host>, truth: &BTreeMap<u32, Host>, total: Host) {
        check_structure(s);
        assert_eq!(s.total(), total);
        assert_eq!(s.len(), s.capacity().min(truth.len()));
        let entries = s.entries();
        for pair in entries.windows(2) {
            let order = pair[1]
                .estimate()
                .cmp(&pair[0].estimate())
                .then(pair[0].key.cmp(&pair[1].key));
            assert_eq!(order, Ordering::Less, "entries out of order");
        }
        let n = u128::from(total.rank_weight());
        let k = s.capacity() as u128;
        let eb = s.error_bound();
        assert!(u128::from(eb) * k <= n, "error bound {eb} > {n}/{k}");
        let mut held = BTreeMap::new();
        for e in &entries {
            let t = truth[&e.key];
            held.insert(e.key, e);
            assert!(e.weights.rank_weight() <= t.rank_weight(), "{e:?} vs {t:?}");
            assert!(t.rank_weight() <= e.estimate(), "{e:?} vs {t:?}");
            assert!(e.overestimate <= eb);
            assert!(e.weights.packets <= t.packets);
            assert!(e.weights.sent <= t.sent && t.sent <= e.weights.sent + e.overestimate);
            assert!(
                e.weights.received <= t.received
                    && t.received <= e.weights.received + e.overestimate
            );
            if s.is_exact() {
                assert_eq!(e.weights, t);
                assert_eq!(e.overestimate, 0);
            }
        }
        for (key, t) in truth {
            let f = u128::from(t.rank_weight());
            if f * k > n {
                assert!(held.contains_key(key), "heavy hitter {key} ({f}) missed");
            }
            if !held.contains_key(key) {
                assert!(!s.is_exact(), "exact but {key} not held");
                assert!(t.rank_weight() <= eb, "unheld {key} ({f}) > bound {eb}");
            }
        }
    }

    /// Keys skewed towards small numbers (min of two uniform picks), weights
    /// of up to ~2 KB, sometimes zero bytes.
    fn stream(keys: u32, len: usize) -> impl Strategy<Value = Stream> {
        proptest::collection::vec((0..keys, 0..keys, 0u64..1000, 0u64..1000, 0u64..3), 0..len)
            .prop_map(|v| {
                v.into_iter()
                    .map(|(a, b, s, r, p)| (a.min(b), host(s, r, p)))
                    .collect()
            })
    }

    /// Probe runs that wrap around the table's end and mix home positions:
    /// every removal leaves every other key findable.
    #[test]
    fn slot_index_removal_keeps_probe_runs() {
        // Capacity 4: 8 pairs. Hashes chosen by their home position (low
        // three bits), several at 6 and 7 so that runs wrap to 0 and 1.
        let hashes: [u32; 4] = [0x16, 0x26, 0x07, 0x36];
        for removed in 0..hashes.len() {
            let mut index = SlotIndex::new(4);
            for (slot, &h) in hashes.iter().enumerate() {
                index.insert(h, slot);
            }
            index.remove(hashes[removed], removed);
            assert_eq!(index.len(), 3);
            for (slot, &h) in hashes.iter().enumerate() {
                let found = index.find(h, |s| s == slot);
                assert_eq!(found, (slot != removed).then_some(slot), "{removed} {slot}");
            }
        }
    }

    #[test]
    fn worked_example() {
        let mut s = SpaceSaving::new(2);
        s.add('a', Bytes(5));
        s.add('b', Bytes(3));
        assert!(s.is_exact());
        // c takes b's slot and inherits its 3 as overestimate.
        s.add('c', Bytes(1));
        let e = |key, bytes, overestimate| Entry {
            key,
            weights: Bytes(bytes),
            overestimate,
        };
        assert_eq!(s.entries(), vec![e('a', 5, 0), e('c', 1, 3)]);
        assert_eq!(s.error_bound(), 3);
        assert!(!s.is_exact());
        // b returns: c (4) is the least; b ties with a at 5, listed after it.
        s.add('b', Bytes(1));
        assert_eq!(s.entries(), vec![e('a', 5, 0), e('b', 1, 4)]);
        assert_eq!(s.error_bound(), 4);
        assert_eq!(s.total(), Bytes(10));
        check_structure(&s);
    }

    /// Parts listing fewer keys than the capacity but with a bound (a JSON
    /// summary that kept only its top rows): a key not listed may already
    /// weigh up to the bound, so it enters with that overestimate.
    #[test]
    fn unlisted_keys_enter_with_the_bound() {
        let top = vec![Entry {
            key: 'a',
            weights: Bytes(10),
            overestimate: 0,
        }];
        let mut s = SpaceSaving::from_parts(4, top, Bytes(15), 5, false);
        s.add('b', Bytes(1));
        let b = s.entries()[1];
        assert_eq!((b.key, b.overestimate, b.estimate()), ('b', 5, 6));
        check_structure(&s);
    }

    #[test]
    fn capacity_is_clamped() {
        let mut s = SpaceSaving::<u8, Bytes>::new(0);
        assert_eq!(s.capacity(), 1);
        assert!(s.is_empty());
        s.add(1, Bytes(2));
        s.add(2, Bytes(1));
        assert_eq!(s.len(), 1);
        assert_eq!(s.entries()[0].estimate(), 3);
    }

    #[test]
    fn zero_weight_evictions_lose_exactness_not_soundness() {
        let mut s = SpaceSaving::new(1);
        s.add(1, host(0, 0, 1));
        s.add(2, host(0, 0, 1));
        assert!(!s.is_exact());
        assert_eq!(s.error_bound(), 0);
        let (truth, total) = truth_of(&[(1, host(0, 0, 1)), (2, host(0, 0, 1))]);
        check_guarantees(&s, &truth, total);
    }

    #[test]
    fn ip_and_conversation_keys() {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        struct Conversation {
            a: IpAddr,
            b: IpAddr,
            port: u16,
        }
        let v4 = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let mut hosts = SpaceSaving::new(4);
        hosts.add(v6, host(10, 0, 1));
        hosts.add(v4, host(0, 10, 1));
        let keys: Vec<IpAddr> = hosts.entries().iter().map(|e| e.key).collect();
        assert_eq!(keys, vec![v4, v6], "ties by key, V4 before V6");
        let mut talks = SpaceSaving::new(4);
        let c = Conversation {
            a: v4,
            b: v6,
            port: 443,
        };
        talks.add(c, Bytes(1500));
        talks.add(c, Bytes(40));
        assert_eq!(talks.entries()[0].weights, Bytes(1540));
    }

    /// A million distinct keys through 1,000 slots: the size stays put, no
    /// table grows, and a key heavier than total/capacity is held.
    #[test]
    fn memory_is_bounded_under_a_flood() {
        let mut s = SpaceSaving::new(1000);
        let (slots, index, heap) = (s.slots.capacity(), s.index.pairs.len(), s.heap.capacity());
        let mut heavy = 0;
        for i in 0..1_000_000u32 {
            s.add(i + 1, Bytes(1));
            if i % 100 == 0 {
                s.add(0, Bytes(50));
                heavy += 50;
            }
        }
        assert_eq!(s.len(), 1000);
        assert_eq!(s.slots.capacity(), slots);
        assert_eq!(s.index.pairs.len(), index);
        assert_eq!(s.heap.capacity(), heap);
        assert_eq!(s.pos.capacity(), heap);
        let n = s.total().0;
        assert_eq!(n, 1_000_000 + heavy);
        assert!(s.error_bound() <= n / 1000);
        let top = s.entries()[0];
        assert_eq!(top.key, 0);
        assert!(top.weights.0 <= heavy && heavy <= top.estimate());
        check_structure(&s);
    }

    proptest! {
        /// `add_at` with any hints (remembered per key, stale, or made up)
        /// gives the summary `add` gives, with evictions.
        #[test]
        fn hinted_adds_are_adds(
            capacity in 1usize..12,
            stream in stream(40, 400),
            noise in proptest::collection::vec(0usize..16, 400),
        ) {
            let plain = summarize(&stream, capacity);
            let mut hinted = SpaceSaving::new(capacity);
            let mut hints = BTreeMap::new();
            for (&(k, w), &n) in stream.iter().zip(noise.iter().cycle()) {
                let hint = if n < 12 { hints.get(&k).copied().unwrap_or(n) } else { n };
                hints.insert(k, hinted.add_at(hint, k, w));
                check_structure(&hinted);
            }
            prop_assert_eq!(hinted.entries(), plain.entries());
            prop_assert_eq!(hinted.total(), plain.total());
            prop_assert_eq!(hinted.error_bound(), plain.error_bound());
            prop_assert_eq!(hinted.is_exact(), plain.is_exact());
        }

        /// With no more distinct keys than slots, the summary is a plain
        /// exact tally.
        #[test]
        fn exact_while_keys_fit(capacity in 1usize..20, stream in stream(20, 200)) {
            let stream: Stream = stream.into_iter().map(|(k, w)| (k % capacity as u32, w)).collect();
            let s = summarize(&stream, capacity);
            let (truth, total) = truth_of(&stream);
            prop_assert!(s.is_exact());
            prop_assert_eq!(s.error_bound(), 0);
            check_guarantees(&s, &truth, total);
        }

        /// Bounds hold whatever the stream, with evictions.
        #[test]
        fn bounds_hold_with_evictions(capacity in 1usize..12, keys in 1u32..60, stream in stream(60, 400)) {
            let stream: Stream = stream.into_iter().map(|(k, w)| (k % keys, w)).collect();
            let s = summarize(&stream, capacity);
            let (truth, total) = truth_of(&stream);
            check_guarantees(&s, &truth, total);
        }

        /// Summaries of parts (with capacities that may differ), merged in
        /// any order and then added to, keep every guarantee against the
        /// whole stream.
        #[test]
        fn merged_parts_keep_the_bounds(
            capacity in 1usize..10,
            extra in proptest::collection::vec(0usize..3, 3),
            stream in stream(40, 400),
            cuts in (0usize..400, 0usize..400, 0usize..400),
        ) {
            let mut cuts = [cuts.0 % (stream.len() + 1), cuts.1 % (stream.len() + 1), cuts.2 % (stream.len() + 1)];
            cuts.sort();
            let parts = [&stream[..cuts[0]], &stream[cuts[0]..cuts[1]], &stream[cuts[1]..cuts[2]]];
            let tail = &stream[cuts[2]..];
            let mut merged = summarize(parts[0], capacity + extra[0]);
            for (part, extra) in parts[1..].iter().zip(&extra[1..]) {
                let s = summarize(part, capacity + extra);
                let mut reversed = s.clone();
                reversed += &merged;
                merged += &s;
                prop_assert_eq!(merged.entries(), reversed.entries(), "commutative");
                prop_assert_eq!(merged.error_bound(), reversed.error_bound());
                prop_assert_eq!(merged.is_exact(), reversed.is_exact());
                prop_assert_eq!(merged.capacity(), reversed.capacity());
                prop_assert_eq!(merged.total(), reversed.total());
            }
            prop_assert_eq!(merged.capacity(), capacity + extra.iter().min().copied().unwrap_or(0));
            let (truth, total) = truth_of(&stream[..cuts[2]]);
            check_guarantees(&merged, &truth, total);
            for &(k, w) in tail {
                merged.add(k, w);
            }
            let (truth, total) = truth_of(&stream);
            check_guarantees(&merged, &truth, total);
        }

        /// Exact parts that fit together merge into exactly the summary of
        /// the whole stream.
        #[test]
        fn exact_merge_equals_one_stream(capacity in 1usize..16, stream in stream(16, 200), cut in 0usize..200) {
            let stream: Stream = stream.into_iter().map(|(k, w)| (k % capacity as u32, w)).collect();
            let cut = cut.min(stream.len());
            let whole = summarize(&stream, capacity);
            let mut merged = summarize(&stream[..cut], capacity);
            merged += summarize(&stream[cut..], capacity);
            prop_assert!(merged.is_exact());
            prop_assert_eq!(merged.entries(), whole.entries());
            prop_assert_eq!(merged.total(), whole.total());
            prop_assert_eq!(merged.error_bound(), 0);
        }

        /// Merging into an empty summary of the same capacity changes nothing.
        #[test]
        fn empty_is_the_identity(capacity in 1usize..10, stream in stream(30, 200)) {
            let s = summarize(&stream, capacity);
            let mut merged = SpaceSaving::new(capacity);
            merged += &s;
            prop_assert_eq!(merged.entries(), s.entries());
            prop_assert_eq!(merged.error_bound(), s.error_bound());
            prop_assert_eq!(merged.is_exact(), s.is_exact());
            let mut other_way = s.clone();
            other_way += &SpaceSaving::new(capacity);
            prop_assert_eq!(other_way.entries(), s.entries());
        }

        /// A summary rebuilt from its parts is the same summary, and stays
        /// the same as more is added to both.
        #[test]
        fn parts_round_trip(capacity in 1usize..10, stream in stream(30, 300), cut in 0usize..300) {
            let cut = cut.min(stream.len());
            let mut s = summarize(&stream[..cut], capacity);
            let mut rebuilt = SpaceSaving::from_parts(s.capacity(), s.entries(), s.total(), s.error_bound(), s.is_exact());
            check_structure(&rebuilt);
            prop_assert_eq!(rebuilt.entries(), s.entries());
            prop_assert_eq!(rebuilt.error_bound(), s.error_bound());
            prop_assert_eq!(rebuilt.is_exact(), s.is_exact());
            for &(k, w) in &stream[cut..] {
                s.add(k, w);
                rebuilt.add(k, w);
            }
            prop_assert_eq!(rebuilt.entries(), s.entries());
            prop_assert_eq!(rebuilt.error_bound(), s.error_bound());
            let (truth, total) = truth_of(&stream);
            check_guarantees(&rebuilt, &truth, total);
        }

        /// Parts that no summary could have produced (duplicates, too many
        /// entries, false exactness, capacity 0) are made consistent, never
        /// a panic.
        #[test]
        fn odd_parts_are_made_consistent(
            capacity in 0usize..8,
            entries in proptest::collection::vec((0u32..10, 0u64..100, 0u64..50), 0..20),
            error_bound in 0u64..60,
            exact in any::<bool>(),
            more in stream(20, 50),
        ) {
            let entries: Vec<Entry<u32, Bytes>> = entries
                .into_iter()
                .map(|(key, b, overestimate)| Entry { key, weights: Bytes(b), overestimate })
                .collect();
            let largest = entries.iter().map(|e| e.overestimate).max().unwrap_or(0);
            let mut s = SpaceSaving::from_parts(capacity, entries, Bytes(0), error_bound, exact);
            check_structure(&s);
            prop_assert!(s.error_bound() >= error_bound.max(largest));
            prop_assert!(!s.is_exact() || s.entries().iter().all(|e| e.overestimate == 0));
            for (k, w) in more {
                s.add(k, Bytes(w.sent));
            }
            check_structure(&s);
            let mut other = SpaceSaving::new(capacity + 3);
            other.add(1, Bytes(7));
            s += &other;
            check_structure(&s);
        }
    }
}
