//! A bounded table whose entries time out in capture time, oldest first:
//! the fragment, attempt and expectation tables are each one.

use foldhash::HashMapExt;
use std::collections::VecDeque;

/// A bounded table whose entries leave, oldest first, when they have been
/// in it for `timeout_ns` of capture time or when it needs the room. Each
/// entry that leaves without being taken out is handed to a callback (its
/// fate is decided there). Used for fragmented datagrams waiting for their
/// first fragment and for conversations waiting for an answer.
#[derive(Debug)]
pub(super) struct Expiring<K, V> {
    map: foldhash::HashMap<K, (V, i64)>,
    /// Keys in order of entry, with their entry time; a record whose time
    /// no longer matches the map's is stale (the key left and came back).
    pub(super) queue: VecDeque<(K, i64)>,
    capacity: usize,
    timeout_ns: u64,
    /// Capture time at which the oldest entry times out (`i64::MAX`: none
    /// held; may be early after removals, never late).
    pub(super) next_expiry_ns: i64,
}

impl<K: Copy + Eq + std::hash::Hash, V> Expiring<K, V> {
    pub(super) fn new(capacity: usize, timeout_ns: u64) -> Expiring<K, V> {
        Expiring {
            map: foldhash::HashMap::new(),
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            timeout_ns,
            next_expiry_ns: i64::MAX,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn contains(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub(super) fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    pub(super) fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(v, _)| v)
    }

    /// Removes the oldest entry (or a stale queue record), handing it to
    /// `left`. Returns false when the queue is empty.
    fn pop_oldest(&mut self, left: &mut impl FnMut(K, V)) -> bool {
        let Some((key, since)) = self.queue.pop_front() else {
            return false;
        };
        if self.map.get(&key).is_some_and(|(_, s)| *s == since)
            && let Some((value, _)) = self.map.remove(&key)
        {
            left(key, value);
        }
        true
    }

    /// Hands every entry older than the timeout at capture time `now` to
    /// `left`, and notes when the next one will be.
    #[cold]
    pub(super) fn expire(&mut self, now: i64, left: &mut impl FnMut(K, V)) {
        while let Some(&(_, since)) = self.queue.front() {
            let age = now.saturating_sub(since);
            if age < 0 || age.unsigned_abs() < self.timeout_ns {
                break;
            }
            self.pop_oldest(left);
        }
        self.next_expiry_ns = self.queue.front().map_or(i64::MAX, |&(_, since)| {
            since.saturating_add_unsigned(self.timeout_ns)
        });
    }

    /// The entry of `key`, made with `make` if absent (making room first by
    /// handing the oldest entries to `left`).
    pub(super) fn entry(
        &mut self,
        key: K,
        now: i64,
        make: impl FnOnce() -> V,
        left: &mut impl FnMut(K, V),
    ) -> &mut V {
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.capacity && self.pop_oldest(left) {}
            if self.queue.is_empty() {
                self.next_expiry_ns = now.saturating_add_unsigned(self.timeout_ns);
            }
            if self.queue.len() >= 2 * self.capacity {
                self.drop_stale();
            }
            self.queue.push_back((key, now));
        }
        &mut self.map.entry(key).or_insert_with(|| (make(), now)).0
    }

    /// Forgets the queue records of entries taken out: answered attempts
    /// leave one each, and a flood answered at once (a scan of closed
    /// ports) would otherwise grow the queue by its rate times the
    /// timeout. Runs when the queue holds twice the capacity, and leaves at
    /// most the capacity (one record per entry): amortized O(1).
    #[cold]
    fn drop_stale(&mut self) {
        let map = &self.map;
        self.queue
            .retain(|(key, since)| map.get(key).is_some_and(|(_, s)| s == since));
    }

    /// Hands every entry to `left`, oldest first.
    pub(super) fn drain(&mut self, left: &mut impl FnMut(K, V)) {
        while self.pop_oldest(left) {}
        self.next_expiry_ns = i64::MAX;
    }
}
