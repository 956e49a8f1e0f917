//! The per-frame pipeline and its bounded state: each frame is decoded
//! ([`crate::decode`]), named by the port rule ([`crate::classify`]),
//! analysed against what earlier frames said ([`flow`]: conversations and
//! handshakes, fragments, related FTP and TFTP channels; [`scans`]: the
//! scan detector; [`names`]: names for addresses learnt from DNS, TLS,
//! QUIC and HTTP), and handed to a [`Sink`] (a tally) as one [`Counted`]
//! record. [`read_input`] runs one capture file through it, on one thread,
//! or with the reading and decoding on a thread of its own and the frames
//! handed to one or more shard workers (`shards.rs`); [`Stream`] for live
//! captures.
//!
//! May import `capture` (frames), `decode`, `classify` and `tally` (the
//! sinks); never `render` or `app`.

pub mod alerts;
pub mod flow;
pub mod geo;
pub mod names;
pub mod scans;
mod shards;

pub use flow::{
    Classified, ConversationEvent, FlowClassifier, FlowSettings, FragmentOutcome, Identified,
    Resolved, ServiceHit,
};

use crate::capture::{CaptureError, CaptureReader, Frame, Input, PacketFilter, ProgressCounter};
use crate::classify::NamingRule;
use crate::classify::ftp::{self, Announcement};
use crate::config::AnalysisSettings;
use crate::decode::{Category, DecodeOptions, PacketInfo, decode_with, tcp_payload, udp_payload};
use crate::tally::report::ReportTally;
use crate::tally::{InputStatus, Tally};
use names::Learnt;
use scans::{ScanDetector, ScanReport};

/// One frame as the pipeline hands it to a [`Sink`]: what decoding found,
/// how the frame was named and what it did to its conversation, and its
/// wire facts.
#[derive(Clone, Copy, Debug)]
pub struct Counted<'a> {
    /// What decoding learned of it.
    pub info: &'a PacketInfo,
    /// Its service row and conversation event.
    pub classified: &'a Classified,
    /// Its length on the wire.
    pub wire_len: u32,
    /// Its link type.
    pub link_type: u16,
    /// Its time, ns since the epoch.
    pub ts_nanos: i64,
}

/// Where counted frames go: `read`'s tally or the report's.
pub trait Sink {
    /// Counts one frame.
    fn count(&mut self, frame: &Counted<'_>);
    /// Counts the late fate of held frames (fragments, attempts).
    fn resolve(&mut self, resolved: &Resolved);
    /// The tally holding the inputs' facts.
    fn base(&mut self) -> &mut Tally;
    /// An empty sink of the same kind and settings (a shard worker's).
    fn empty(&self) -> Self
    where
        Self: Sized;
    /// Adds what `other` counted (`+=`).
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
    /// Takes in a name a frame taught at capture time `ts_nanos` (kept in
    /// the base tally's name table).
    fn learn_name(&mut self, learnt: &Learnt, ts_nanos: i64) {
        self.base().learn_name(learnt, ts_nanos);
    }
}

impl Sink for Tally {
    #[inline]
    fn count(&mut self, frame: &Counted<'_>) {
        Tally::count(self, frame);
    }

    fn resolve(&mut self, resolved: &Resolved) {
        Tally::resolve(self, resolved);
    }

    fn base(&mut self) -> &mut Tally {
        self
    }

    fn empty(&self) -> Tally {
        self.empty_like()
    }

    fn merge(&mut self, other: Tally) {
        *self += other;
    }
}

impl Sink for ReportTally {
    #[inline]
    fn count(&mut self, frame: &Counted<'_>) {
        ReportTally::count(self, frame);
    }

    fn resolve(&mut self, resolved: &Resolved) {
        ReportTally::resolve(self, resolved);
    }

    fn base(&mut self) -> &mut Tally {
        &mut self.base
    }

    fn empty(&self) -> ReportTally {
        let mut empty = ReportTally::new(self.series().requested_ns());
        empty.base = self.base.empty_like();
        empty
    }

    fn merge(&mut self, other: ReportTally) {
        *self += other;
    }
}

/// A decoded frame: what classifying and counting need of it, no longer
/// borrowing the reader's buffer (so it can cross to another thread).
pub struct Decoded {
    info: PacketInfo,
    /// An FTP data connection the frame announces (boxed: rare, and the
    /// batches handed between threads stay small).
    announced: Option<Box<Announcement>>,
    /// A name the frame teaches for addresses (boxed: rare, see
    /// [`names::may_carry_name`]).
    learnt: Option<Box<Learnt>>,
    wire_len: u32,
    link_type: u16,
    ts_nanos: i64,
}

/// How each frame is read: the decoder's options, and whether names are
/// learnt from payloads (`--no-names` turns that off).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameOptions {
    decode: DecodeOptions,
    names: bool,
}

impl FrameOptions {
    fn new(analysis: &AnalysisSettings) -> FrameOptions {
        FrameOptions {
            decode: DecodeOptions {
                decap: analysis.decap,
            },
            names: analysis.names,
        }
    }
}

impl Decoded {
    /// Decodes one frame.
    #[inline]
    fn new(options: FrameOptions, frame: &Frame<'_>) -> Decoded {
        let info = decode_with(
            frame.link_type,
            frame.data,
            frame.orig_len,
            frame.fcs_len,
            options.decode,
        );
        Decoded {
            announced: Self::ftp_announcement(&info, frame),
            learnt: if options.names {
                Self::learnt_name(&info, frame)
            } else {
                None
            },
            info,
            wire_len: frame.orig_len,
            link_type: frame.link_type.0,
            ts_nanos: frame.ts_nanos,
        }
    }

    /// The data connection an FTP control segment announces, if any (one
    /// of the two places a frame's payload is read, with
    /// [`Decoded::learnt_name`]).
    #[inline]
    fn ftp_announcement(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Announcement>> {
        if info.category != Category::Tcp
            || (info.src_port != ftp::FTP_CONTROL && info.dst_port != ftp::FTP_CONTROL)
        {
            return None;
        }
        Self::read_ftp_control(info, frame)
    }

    #[cold]
    fn read_ftp_control(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Announcement>> {
        let (src, dst) = info.addresses?;
        if info.tunnel.is_some() || info.fragment.is_some() {
            return None;
        }
        let payload = tcp_payload(frame.link_type, frame.data, frame.fcs_len)?;
        ftp::announcement(payload, (src, info.src_port), (dst, info.dst_port)).map(Box::new)
    }

    /// A name the frame teaches, if any: frames of other services than
    /// DNS, TLS, QUIC and HTTP cost the port compares of
    /// [`names::may_carry_name`] only.
    #[inline]
    fn learnt_name(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Learnt>> {
        if !names::may_carry_name(info) {
            return None;
        }
        Self::read_name(info, frame)
    }

    #[cold]
    fn read_name(info: &PacketInfo, frame: &Frame<'_>) -> Option<Box<Learnt>> {
        if info.tunnel.is_some() || info.fragment.is_some() {
            return None;
        }
        let payload = match info.category {
            Category::Tcp => tcp_payload(frame.link_type, frame.data, frame.fcs_len)?,
            _ => udp_payload(frame.link_type, frame.data, frame.fcs_len)?,
        };
        names::learn(info, payload).map(Box::new)
    }
}

/// Classifies and counts a decoded frame (and what became of earlier held
/// frames); returns what it did to its conversation, for the scan detector.
#[inline]
fn classify_and_count<S: Sink>(
    classifier: &mut FlowClassifier<'_>,
    sink: &mut S,
    decoded: &Decoded,
) -> ConversationEvent {
    let info = &decoded.info;
    if let Some(announced) = &decoded.announced {
        classifier.announce(info.tunnel, announced, decoded.ts_nanos);
    }
    if let Some(learnt) = &decoded.learnt {
        sink.learn_name(learnt, decoded.ts_nanos);
    }
    let classified = classifier.classify(info, decoded.wire_len, decoded.ts_nanos);
    sink.count(&Counted {
        info,
        classified: &classified,
        wire_len: decoded.wire_len,
        link_type: decoded.link_type,
        ts_nanos: decoded.ts_nanos,
    });
    drain_resolved(classifier, sink);
    classified.event
}

/// Counts in `sink` what became of held frames since the last drain.
#[inline]
fn drain_resolved<S: Sink>(classifier: &mut FlowClassifier<'_>, sink: &mut S) {
    if classifier.has_resolved() {
        for resolved in classifier.drain_resolved() {
            sink.resolve(&resolved);
        }
    }
}

/// The stateful stages of one stream of frames (one input, or one live
/// capture): decode options, the flow classifier and the scan detector.
pub struct Stream<'r> {
    decode: FrameOptions,
    classifier: FlowClassifier<'r>,
    scans: Option<ScanDetector>,
}

impl<'r> Stream<'r> {
    /// A stream at its start.
    pub fn new(rule: &'r NamingRule, analysis: &AnalysisSettings) -> Stream<'r> {
        Stream {
            decode: FrameOptions::new(analysis),
            classifier: FlowClassifier::new(rule, analysis.flow),
            scans: analysis.scans.map(ScanDetector::new),
        }
    }

    /// One frame through the pipeline: decode, classify, count.
    #[inline]
    pub fn count_frame<S: Sink>(&mut self, sink: &mut S, frame: &Frame<'_>) {
        let decoded = Decoded::new(self.decode, frame);
        self.count_decoded(sink, &decoded);
    }

    /// Classifies and counts a decoded frame.
    #[inline]
    pub fn count_decoded<S: Sink>(&mut self, sink: &mut S, decoded: &Decoded) {
        let event = classify_and_count(&mut self.classifier, sink, decoded);
        if event != ConversationEvent::None
            && let Some(scans) = &mut self.scans
        {
            scans.observe(&decoded.info, event, decoded.ts_nanos);
        }
    }

    /// Lets the classifier give up what waited past its window by capture
    /// time `now` (a live capture, between frames), counting it in `sink`.
    pub fn advance<S: Sink>(&mut self, sink: &mut S, now: i64) {
        self.classifier.advance(now);
        for resolved in self.classifier.drain_resolved() {
            sink.resolve(&resolved);
        }
    }

    /// The scans found so far (live snapshots).
    pub fn scan_report(&self) -> Option<ScanReport> {
        self.scans.as_ref().map(ScanDetector::report)
    }

    /// Ends the stream: fragments still held become unattributed, and the
    /// scans found go into the sink's tally.
    pub fn finish<S: Sink>(&mut self, sink: &mut S) {
        self.classifier.finish();
        for resolved in self.classifier.drain_resolved() {
            sink.resolve(&resolved);
        }
        let base = sink.base();
        base.set_decap(self.decode.decode.decap);
        if let Some(scans) = self.scans.take() {
            base.add_scans(&scans.finish());
        }
    }
}

/// Reads one input into `sink` to its end or its first error; everything
/// read before an error is counted. With [`AnalysisSettings::shards`] above
/// one, its frames are split between that many shard workers (see
/// `shards.rs`); the result is the same.
pub fn read_input<S: Sink + Send>(
    sink: &mut S,
    position: usize,
    input: &Input,
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    filter: Option<&PacketFilter>,
    progress: Option<&ProgressCounter>,
) {
    let opened = match progress {
        Some(counter) => CaptureReader::open_with_progress(input, counter),
        None => CaptureReader::open(input),
    };
    let name = input.display_name();
    read_opened(sink, (position, name), opened, rule, analysis, filter);
}

/// [`read_input`] of a capture already opened (or that failed to open),
/// the input numbered `position` and called `name`.
pub fn read_opened<S: Sink + Send>(
    sink: &mut S,
    (position, name): (usize, String),
    opened: Result<CaptureReader, CaptureError>,
    rule: &NamingRule,
    analysis: &AnalysisSettings,
    filter: Option<&PacketFilter>,
) {
    let mut reader = match opened {
        Ok(reader) => reader,
        Err(error) => {
            sink.base().failed_input(position, name, error.into());
            return;
        }
    };
    if let Some(filter) = filter {
        reader.set_filter(filter);
    }
    // With a reading thread, even for one worker: the scan detector then
    // runs on a third thread (see `shards.rs`). Under a SYN flood, where it
    // is the dearest stage, that made `read` 1.6x as fast as a reading and
    // one counting thread (3M SYNs: 1.60 s against 2.61 s), and no slower
    // on ordinary traffic (1M: 0.168 s against 0.173 s; 10M: 1.22 s
    // against 1.45 s).
    let status = if analysis.shards > 1 || analysis.pipelined {
        shards::read_sharded(&mut reader, rule, analysis, sink)
    } else {
        let mut stream = Stream::new(rule, analysis);
        let status = loop {
            match reader.next_frame() {
                Ok(Some(frame)) => stream.count_frame(sink, &frame),
                Ok(None) => break InputStatus::Complete,
                Err(error) => break InputStatus::Partial(error.into()),
            }
        };
        stream.finish(sink);
        status
    };
    let format = reader.format().to_string();
    let filtered = reader
        .filtered()
        .map(|(expression, rejected)| (expression.to_owned(), Some(rejected)));
    sink.base()
        .finish_input(position, name, format, status, filtered);
}
