//! One input's frames read and decoded on a thread of their own and split
//! between shard workers (one or more), so that one large capture uses
//! every core, with the same result as one thread.
//!
//! * A **reading thread** reads and decodes, and hands each frame to the
//!   shard of its unordered IP address pair. Every table of the flow classifier is keyed by addresses of one
//!   pair: a conversation, a datagram's fragments, a TFTP transfer's reply
//!   port, an ICMP error (routed by the pair of the datagram it quotes). An
//!   FTP data connection announced for another pair (a `PORT` towards a
//!   third host, or an address rewritten by NAT) is announced to that
//!   pair's shard. Frames without addresses keep no state and are spread
//!   round-robin. The frames go in rounds of batches, one batch per shard
//!   per round, recycled: nothing is allocated per frame.
//! * Each **shard worker** has its own [`FlowClassifier`] and sink. A shard
//!   sees only its own frames' timestamps, but held entries time out by
//!   every frame's; so each frame carries the latest time of the frames
//!   handed to other shards since the shard's previous one, and the worker
//!   lets its classifier catch up to it first ([`FlowClassifier::advance`]:
//!   timing out by the latest of several times is timing out by each).
//! * The **scan detector** needs every conversation event in capture
//!   order, across shards: workers return, per round, the events of their
//!   frames with their place in the round, and this thread merges each
//!   round's lists in that order and feeds the one detector. Memory stays
//!   bounded by the rounds in flight.
//! * A server's top-clients list keeps the first clients it met, so the
//!   servers' conversations (opened and answered) are counted here too, in
//!   capture order, from the same per-round lists; the workers' tallies
//!   count only their servers' traffic ([`Tally::defer_conversations`]).
//! * At the end the shards' sinks merge with `+=` in shard order, and the
//!   link types are put back in the order of their first frames.
//!
//! [`Tally::defer_conversations`]: crate::tally::Tally::defer_conversations
//!
//! Exactness: counts, conversations, fragments and scans are those of one
//! thread. The bounded tables of the classifier are per shard (each with
//! the full bound), so a capture that overflows them (more than 65,536
//! conversations at once) evicts differently; a fragmented ICMP error's
//! other fragments are looked for in the shard of the pair it quotes. The
//! top-K summaries (report hosts, conversations, servers) are exact below
//! their capacity, as for several inputs.

use super::flow::{address_bits, fold};
use super::scans::ScanDetector;
use super::{ConversationEvent, Decoded, FlowClassifier, Sink, classify_and_count, drain_resolved};
use crate::capture::CaptureReader;
use crate::classify::NamingRule;
use crate::config::AnalysisSettings;
use crate::decode::PacketInfo;
use crate::tally::InputStatus;
use crate::tally::servers::{ServerKey, Servers};
use std::net::IpAddr;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Frames read per round (split between the shards).
const ROUND_FRAMES: usize = 4096;
/// Rounds in flight: the reading thread runs at most this far ahead of a
/// worker, and a worker this far ahead of the scan detector.
const ROUNDS_AHEAD: usize = 4;
/// "No frame of another shard since": earlier than any timestamp.
const NOTHING_SINCE: i64 = i64::MIN;

/// A decoded frame on its way to its shard.
struct Routed {
    /// Its place in its round (capture order).
    order: u32,
    /// The latest time of the frames handed to other shards since this
    /// shard's previous one ([`NOTHING_SINCE`]: none).
    others_latest: i64,
    /// Only its announcement of an FTP data connection is for this shard
    /// (another counts the frame).
    announcement_only: bool,
    decoded: Decoded,
}

/// A frame's conversation event, for the scan detector.
struct Event {
    order: u32,
    info: PacketInfo,
    event: ConversationEvent,
    ts_nanos: i64,
}

/// A conversation of a server with a client, opened and answered (by the
/// frame at `order`), for the server inventory.
struct Met {
    order: u32,
    server: ServerKey,
    client: IpAddr,
}

/// What a shard worker hands on per round, each list in capture order.
#[derive(Default)]
struct RoundOut {
    events: Vec<Event>,
    met: Vec<Met>,
}

/// The shard of an unordered address pair: a folded-multiply hash of the
/// two addresses in order (a general hasher through `Hash for IpAddr` cost
/// 3% of a sharded read).
#[inline]
fn shard_of_pair(a: IpAddr, b: IpAddr, shards: usize) -> usize {
    if shards == 1 {
        return 0;
    }
    const SEEDS: [u64; 4] = [
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let (a, b) = (address_bits(a), address_bits(b));
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let hash = fold(
        fold(low as u64 ^ SEEDS[0], (low >> 64) as u64 ^ SEEDS[1]),
        fold(high as u64 ^ SEEDS[2], (high >> 64) as u64 ^ SEEDS[3]),
    );
    // Multiply-shift: the high bits of the hash, spread over the shards.
    ((u128::from(hash) * shards as u128) >> 64) as usize
}

/// The shard whose tables a frame reads and writes: that of its address
/// pair, or of the pair an ICMP error quotes; `None` without addresses.
fn shard_of(info: &PacketInfo, shards: usize) -> Option<usize> {
    let (a, b) = match info.unreachable {
        Some(quoted) => (quoted.src.0, quoted.dst.0),
        None => info.addresses?,
    };
    Some(shard_of_pair(a, b, shards))
}

/// What the reading thread ends with.
struct ReadEnd {
    status: InputStatus,
    /// Per shard, the latest time of the frames after its last one.
    others_latest: Vec<i64>,
    /// Link types in the order of their first frames.
    link_types: Vec<u16>,
}

/// The reading thread: reads, decodes and routes frames in rounds.
struct Router {
    shards: usize,
    batches: Vec<Vec<Routed>>,
    in_round: usize,
    others_latest: Vec<i64>,
    link_types: Vec<u16>,
    next_stateless: usize,
}

impl Router {
    fn new(shards: usize) -> Router {
        Router {
            shards,
            batches: (0..shards).map(|_| Vec::new()).collect(),
            in_round: 0,
            others_latest: vec![NOTHING_SINCE; shards],
            link_types: Vec::new(),
            next_stateless: 0,
        }
    }

    /// Hands one decoded frame to its shard's batch.
    #[inline]
    fn route(&mut self, mut decoded: Decoded) {
        let order = self.in_round as u32;
        self.in_round += 1;
        if self.link_types.last() != Some(&decoded.link_type)
            && !self.link_types.contains(&decoded.link_type)
        {
            self.link_types.push(decoded.link_type);
        }
        let shard = shard_of(&decoded.info, self.shards).unwrap_or_else(|| {
            self.next_stateless = (self.next_stateless + 1) % self.shards;
            self.next_stateless
        });
        if let Some(announced) = &decoded.announced {
            let elsewhere = shard_of_pair(announced.connector, announced.endpoint.0, self.shards);
            if elsewhere != shard {
                let announcement = Decoded {
                    info: decoded.info,
                    announced: decoded.announced.take(),
                    learnt: None,
                    wire_len: decoded.wire_len,
                    link_type: decoded.link_type,
                    ts_nanos: decoded.ts_nanos,
                };
                self.push(elsewhere, order, true, announcement);
            }
        }
        self.push(shard, order, false, decoded);
    }

    #[inline]
    fn push(&mut self, shard: usize, order: u32, announcement_only: bool, decoded: Decoded) {
        let ts = decoded.ts_nanos;
        self.batches[shard].push(Routed {
            order,
            others_latest: self.others_latest[shard],
            announcement_only,
            decoded,
        });
        for latest in &mut self.others_latest {
            *latest = (*latest).max(ts);
        }
        self.others_latest[shard] = NOTHING_SINCE;
    }

    /// Sends the round's batches (one per shard, empty or not); false when
    /// a worker is gone.
    fn send_round(
        &mut self,
        full: &[SyncSender<Vec<Routed>>],
        empties: &[Receiver<Vec<Routed>>],
    ) -> bool {
        self.in_round = 0;
        for ((batch, full), empties) in self.batches.iter_mut().zip(full).zip(empties) {
            let next = empties
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(batch.capacity()));
            if full.send(std::mem::replace(batch, next)).is_err() {
                return false;
            }
        }
        true
    }

    fn run(
        mut self,
        reader: &mut CaptureReader,
        options: super::FrameOptions,
        full: Vec<SyncSender<Vec<Routed>>>,
        empties: Vec<Receiver<Vec<Routed>>>,
    ) -> ReadEnd {
        let status = loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    self.route(Decoded::new(options, &frame));
                    if self.in_round == ROUND_FRAMES && !self.send_round(&full, &empties) {
                        // A worker is gone (it panicked): nothing to hand over.
                        break InputStatus::Complete;
                    }
                }
                Ok(None) => break InputStatus::Complete,
                Err(error) => break InputStatus::Partial(error.into()),
            }
        };
        if self.in_round != 0 {
            self.send_round(&full, &empties);
        }
        ReadEnd {
            status,
            others_latest: self.others_latest,
            link_types: self.link_types,
        }
    }
}

/// One shard worker: classifies and counts its frames in its own sink, and
/// hands each round's conversation events on (when scans are detected).
fn work<'r, S: Sink>(
    mut classifier: FlowClassifier<'r>,
    mut sink: S,
    scans: bool,
    (batches, recycle): (Receiver<Vec<Routed>>, Sender<Vec<Routed>>),
    (outs, empty_outs): (SyncSender<RoundOut>, Receiver<RoundOut>),
) -> (FlowClassifier<'r>, S) {
    sink.base().defer_conversations();
    for mut batch in batches {
        let mut out = empty_outs.try_recv().unwrap_or_default();
        for routed in &batch {
            if routed.others_latest != NOTHING_SINCE {
                classifier.advance(routed.others_latest);
                drain_resolved(&mut classifier, &mut sink);
            }
            let decoded = &routed.decoded;
            if routed.announcement_only {
                if let Some(announced) = &decoded.announced {
                    classifier.announce(decoded.info.tunnel, announced, decoded.ts_nanos);
                }
                continue;
            }
            let event = classify_and_count(&mut classifier, &mut sink, decoded);
            let order = routed.order;
            out.met.extend(
                sink.base()
                    .take_conversations()
                    .map(|(server, client)| Met {
                        order,
                        server,
                        client,
                    }),
            );
            if scans && event != ConversationEvent::None {
                out.events.push(Event {
                    order: routed.order,
                    info: decoded.info,
                    event,
                    ts_nanos: decoded.ts_nanos,
                });
            }
        }
        batch.clear();
        let _ = recycle.send(batch);
        if outs.send(out).is_err() {
            break;
        }
    }
    (classifier, sink)
}

/// Hands `each` the items of every shard's list (each in capture order
/// already) in capture order.
fn in_order<T>(
    lists: impl Iterator<Item = impl AsRef<[T]>> + Clone,
    order: impl Fn(&T) -> u32,
    heads: &mut [usize],
    mut each: impl FnMut(&T),
) {
    heads.fill(0);
    loop {
        let mut next: Option<(usize, u32)> = None;
        for (shard, list) in lists.clone().enumerate() {
            if let Some(item) = list.as_ref().get(heads[shard])
                && next.is_none_or(|(_, first)| order(item) < first)
            {
                next = Some((shard, order(item)));
            }
        }
        let Some((shard, _)) = next else {
            return;
        };
        if let Some(list) = lists.clone().nth(shard) {
            each(&list.as_ref()[heads[shard]]);
        }
        heads[shard] += 1;
    }
}

/// Reads `reader` into `sink` with [`AnalysisSettings::shards`] shard
/// workers (see the module documentation); finishes the stream as
/// [`super::Stream::finish`] does.
pub(super) fn read_sharded<S: Sink + Send>(
    reader: &mut CaptureReader,
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    sink: &mut S,
) -> InputStatus {
    let shards = analysis.shards.max(1);
    let options = super::FrameOptions::new(analysis);
    let mut detector = analysis.scans.map(ScanDetector::new);
    let scans = detector.is_some();
    // The servers' conversations, counted here in capture order.
    let mut servers = Servers::new();
    let (end, workers) = std::thread::scope(|scope| {
        let mut full = Vec::with_capacity(shards);
        let mut empties = Vec::with_capacity(shards);
        let mut outs_in = Vec::with_capacity(shards);
        let mut out_recycles = Vec::with_capacity(shards);
        let mut workers = Vec::with_capacity(shards);
        for _ in 0..shards {
            let (batch_out, batches) = mpsc::sync_channel::<Vec<Routed>>(ROUNDS_AHEAD);
            let (recycle, batch_empties) = mpsc::channel::<Vec<Routed>>();
            let (outs, outs_received) = mpsc::sync_channel::<RoundOut>(ROUNDS_AHEAD);
            let (out_recycle, empty_outs) = mpsc::channel::<RoundOut>();
            full.push(batch_out);
            empties.push(batch_empties);
            outs_in.push(outs_received);
            out_recycles.push(out_recycle);
            let classifier = FlowClassifier::new(rule, analysis.flow);
            let shard_sink = sink.empty();
            workers.push(scope.spawn(move || {
                work(
                    classifier,
                    shard_sink,
                    scans,
                    (batches, recycle),
                    (outs, empty_outs),
                )
            }));
        }
        let reading = scope.spawn(move || Router::new(shards).run(reader, options, full, empties));
        // Each round's lists, one per shard, in turn.
        let mut rounds: Vec<RoundOut> = (0..shards).map(|_| RoundOut::default()).collect();
        let mut heads = vec![0; shards];
        'rounds: loop {
            for (round, outs) in rounds.iter_mut().zip(&outs_in) {
                match outs.recv() {
                    Ok(received) => *round = received,
                    // The reading is over (or a worker is gone).
                    Err(_) => break 'rounds,
                }
            }
            if let Some(detector) = &mut detector {
                let lists = rounds.iter().map(|r| r.events.as_slice());
                in_order(
                    lists,
                    |e| e.order,
                    &mut heads,
                    |e| {
                        detector.observe(&e.info, e.event, e.ts_nanos);
                    },
                );
            }
            let lists = rounds.iter().map(|r| r.met.as_slice());
            in_order(
                lists,
                |m| m.order,
                &mut heads,
                |m| {
                    servers.add_conversation(m.server, m.client);
                },
            );
            for (round, recycle) in rounds.iter_mut().zip(&out_recycles) {
                let mut round = std::mem::take(round);
                round.events.clear();
                round.met.clear();
                let _ = recycle.send(round);
            }
        }
        drop(outs_in);
        let end = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let workers: Vec<_> = workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        (end, workers)
    });
    for ((mut classifier, mut shard_sink), latest) in workers.into_iter().zip(&end.others_latest) {
        if *latest != NOTHING_SINCE {
            classifier.advance(*latest);
            drain_resolved(&mut classifier, &mut shard_sink);
        }
        classifier.finish();
        drain_resolved(&mut classifier, &mut shard_sink);
        sink.merge(shard_sink);
    }
    let base = sink.base();
    base.add_servers(&servers);
    base.order_link_types(&end.link_types);
    base.set_decap(analysis.decap);
    if let Some(detector) = detector {
        base.add_scans(&detector.finish());
    }
    end.status
}
