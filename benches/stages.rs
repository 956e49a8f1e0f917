//! Criterion benchmarks of the pipeline one stage at a time, so that a speed
//! regression shows where it happens:
//!
//! - `capture`: the capture reader (`CaptureReader::next_frame`) over the
//!   file's bytes in memory;
//! - `decode`: `decode_with`, on frames just copied into a reader-sized
//!   buffer (and `decode/cold`: straight from the whole set, cache-cold);
//! - `classify`: the `FlowClassifier` a `Stream` runs;
//! - `analyse`: the scan detector (`ScanDetector::observe` on the frames
//!   with a conversation event) and the server inventory
//!   (`Servers::add_frames`, the part of `Tally::count` it is);
//! - `tally`: `Tally::count` and `Tally::resolve`;
//! - `count_frame`: `Stream::count_frame` with a `Tally`, every stage but
//!   reading; `no_scans` and `no_tally` (a sink that counts nothing) take
//!   one stage out of it, to see what it costs in place.
//!
//! Frames: the first 200,000 of a capture made by
//! `../shared/bench/gen_bench_pcap.py` (generated once into the target
//! directory's `bench-data/`), read with portclass's own reader and held in
//! memory; without `../shared/bench`, frames built here with etherparse, in
//! flows of the same kind (a notice says so). `PORTCLASS_STAGES_CAPTURE=FILE`
//! benchmarks the first 200,000 frames of any capture instead.
//!
//! Each stage is timed on what the stages before it made of the frames,
//! computed once before timing (and checked against `Stream`); the stateful
//! stages start each timed pass with fresh state, as a stream does.
//! Throughput is in frames of the stream, also for the stages that look at
//! only some of them. See `benches/README.md`.

use std::hint::black_box;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use etherparse::PacketBuilder;
use portclass::capture::{CaptureReader, Frame, LinkType};
use portclass::classify::{Naming, NamingRule, PortDb};
use portclass::config::AnalysisSettings;
use portclass::decode::{Category, DecodeOptions, PacketInfo, Transport, decode_with};
use portclass::pipeline::scans::ScanDetector;
use portclass::pipeline::{
    Classified, ConversationEvent, Counted, FlowClassifier, Identified, Resolved, Sink, Stream,
};
use portclass::tally::Counter;
use portclass::tally::Tally;
use portclass::tally::servers::{ServerKey, Servers};

#[path = "common/xorshift.rs"]
mod xorshift;

/// Frames benchmarked (the first of the capture).
const FRAMES: usize = 200_000;
/// The generator's seed (its `--seed`).
const SEED: u32 = 1;
/// The capture reader's buffer (`capture::input::BUFFER_SIZE`): frames
/// reach decoding in runs of about this many bytes just copied.
const READ_BUFFER: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Frames held in memory
// ---------------------------------------------------------------------------

/// Where one frame's bytes are in [`Capture::data`], and its record facts.
struct FrameAt {
    start: usize,
    len: usize,
    orig_len: u32,
    ts_nanos: i64,
    link_type: LinkType,
    fcs_len: u8,
}

/// The benchmark's frames, copied out of the reader's buffer into one
/// buffer, and the capture file's bytes (for the `capture` stage).
struct Capture {
    /// Names the frames in benchmark ids: `bench_pcap`, `built` or `file`,
    /// so that figures of different frames never share a history.
    source: &'static str,
    /// The whole capture file.
    file: Arc<[u8]>,
    /// Frames in the whole file.
    file_frames: usize,
    data: Vec<u8>,
    frames: Vec<FrameAt>,
    /// The frames in runs of at most [`READ_BUFFER`] bytes: (frames, bytes).
    chunks: Vec<(Range<usize>, Range<usize>)>,
}

impl Capture {
    /// Reads the first [`FRAMES`] frames of `file` with portclass's reader.
    fn read(source: &'static str, file: Arc<[u8]>) -> Capture {
        let mut reader = CaptureReader::from_reader(SharedBytes::new(&file), source)
            .unwrap_or_else(|error| panic!("the benchmark capture does not open: {error}"));
        let mut data = Vec::new();
        let mut frames = Vec::with_capacity(FRAMES);
        let mut file_frames = 0;
        while let Some(frame) = reader
            .next_frame()
            .unwrap_or_else(|error| panic!("the benchmark capture is damaged: {error}"))
        {
            file_frames += 1;
            if frames.len() < FRAMES {
                frames.push(FrameAt {
                    start: data.len(),
                    len: frame.data.len(),
                    orig_len: frame.orig_len,
                    ts_nanos: frame.ts_nanos,
                    link_type: frame.link_type,
                    fcs_len: frame.fcs_len,
                });
                data.extend_from_slice(frame.data);
            }
        }
        let mut chunks: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        for (i, at) in frames.iter().enumerate() {
            let end = at.start + at.len;
            match chunks.last_mut() {
                Some((f, b)) if end - b.start <= READ_BUFFER => {
                    f.end = i + 1;
                    b.end = end;
                }
                _ => chunks.push((i..i + 1, at.start..end)),
            }
        }
        Capture {
            source,
            file,
            file_frames,
            data,
            frames,
            chunks,
        }
    }

    /// Runs `stage` on every frame and returns the time it took, a chunk at
    /// a time: each chunk is first copied (untimed) into `buffer`, as the
    /// reader's `read(2)` fills its buffer, so the frames are as warm in
    /// the cache as they are in the pipeline.
    fn time_warm(&self, buffer: &mut [u8], mut stage: impl FnMut(&Frame<'_>)) -> Duration {
        let mut elapsed = Duration::ZERO;
        for (frames, bytes) in &self.chunks {
            let base = bytes.start;
            buffer[..bytes.len()].copy_from_slice(&self.data[bytes.clone()]);
            let start = Instant::now();
            for at in &self.frames[frames.clone()] {
                let from = at.start - base;
                stage(&Frame {
                    data: &buffer[from..from + at.len],
                    orig_len: at.orig_len,
                    ts_nanos: at.ts_nanos,
                    link_type: at.link_type,
                    fcs_len: at.fcs_len,
                });
            }
            elapsed += start.elapsed();
        }
        elapsed
    }

    /// The frames, as the reader hands them to `Stream::count_frame`.
    fn frames(&self) -> impl Iterator<Item = Frame<'_>> {
        self.frames.iter().map(|at| Frame {
            data: &self.data[at.start..at.start + at.len],
            orig_len: at.orig_len,
            ts_nanos: at.ts_nanos,
            link_type: at.link_type,
            fcs_len: at.fcs_len,
        })
    }
}

/// A capture file in memory as a byte stream (`CaptureReader::from_reader`
/// wants an owned `'static` source).
struct SharedBytes {
    bytes: Arc<[u8]>,
    at: usize,
}

impl SharedBytes {
    fn new(bytes: &Arc<[u8]>) -> SharedBytes {
        SharedBytes {
            bytes: Arc::clone(bytes),
            at: 0,
        }
    }
}

impl Read for SharedBytes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.bytes[self.at..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// The benchmark's frames: a file named by `PORTCLASS_STAGES_CAPTURE`, else
/// the reference generator's capture, else frames built here.
fn load_capture() -> Capture {
    if let Some(path) = std::env::var_os("PORTCLASS_STAGES_CAPTURE") {
        let path = PathBuf::from(path);
        eprintln!(
            "stages: frames from {} (PORTCLASS_STAGES_CAPTURE)",
            path.display()
        );
        return Capture::read("file", read_file(&path));
    }
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_bench_pcap.py");
    if generator.is_file() {
        let path = generated_capture(&generator);
        eprintln!("stages: frames from {}", path.display());
        return Capture::read("bench_pcap", read_file(&path));
    }
    eprintln!(
        "stages: NOTICE: {} is absent; benchmarking {FRAMES} frames built in code \
         (etherparse), whose figures do not compare with the generator's",
        generator.display()
    );
    Capture::read("built", built::capture(FRAMES).into())
}

fn read_file(path: &Path) -> Arc<[u8]> {
    std::fs::read(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
        .into()
}

/// The generator's [`FRAMES`]-frame capture, made on first use into
/// `bench-data/` of the target directory and reused while the generator is
/// unchanged (its hash is in the name, as in `compare.sh`).
fn generated_capture(generator: &Path) -> PathBuf {
    let script = std::fs::read(generator)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", generator.display()));
    let dir = target_dir().join("bench-data");
    let path = dir.join(format!(
        "stages-{FRAMES}-seed{SEED}-{:016x}.pcap",
        fnv1a(&script)
    ));
    if path.is_file() {
        return path;
    }
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    let partial = path.with_extension("pcap.part");
    eprintln!(
        "stages: generating {} (about 10 s)...",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let status = Command::new("python3")
        .arg(generator)
        .args(["--packets", &FRAMES.to_string()])
        .args(["--seed", &SEED.to_string()])
        .arg("--out")
        .arg(&partial)
        .arg("--quiet")
        .status()
        .unwrap_or_else(|error| panic!("cannot run python3 {}: {error}", generator.display()));
    assert!(status.success(), "{} failed: {status}", generator.display());
    std::fs::rename(&partial, &path)
        .unwrap_or_else(|error| panic!("cannot rename {}: {error}", partial.display()));
    path
}

/// The target directory this bench binary was built in
/// (`<target>/<profile>/deps/stages-*`), else the system's temporary one.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(std::env::temp_dir)
}

/// FNV-1a, 64 bits: names a cached capture by its generator's content.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------
// Each stage's input, computed once
// ---------------------------------------------------------------------------

/// A frame's contribution to the server inventory.
#[derive(Clone, Copy)]
struct ServerFrame {
    key: ServerKey,
    to_server: bool,
    frames: Counter,
    ts: i64,
}

/// What each stage hands the next, for every frame.
struct Staged {
    infos: Vec<PacketInfo>,
    classified: Vec<Classified>,
    /// Held frames resolved after frame `.0` was classified.
    resolved: Vec<(usize, Resolved)>,
    /// The server inventory's input, in frame order.
    server_frames: Vec<ServerFrame>,
}

/// The server a counted frame adds to, picked as `Tally::count` picks it
/// (its private `server_of`): a port named by a handshake, the port
/// database or a related channel. [`check`] proves the copy still agrees.
fn server_frame(
    info: &PacketInfo,
    classified: &Classified,
    wire_len: u32,
    ts: i64,
) -> Option<ServerFrame> {
    let hit = classified.service?;
    let (src, dst) = info.addresses?;
    let Naming::Port(port) = hit.naming else {
        return None;
    };
    if hit.identified == Identified::Heuristic {
        return None;
    }
    Some(ServerFrame {
        key: ServerKey {
            transport: hit.transport,
            address: if hit.to_server { dst } else { src },
            port,
        },
        to_server: hit.to_server,
        frames: Counter {
            packets: 1,
            bytes: u64::from(wire_len),
        },
        ts,
    })
}

fn stage(capture: &Capture, rule: &NamingRule, analysis: &AnalysisSettings) -> Staged {
    let options = DecodeOptions {
        decap: analysis.decap,
    };
    let infos: Vec<PacketInfo> = capture
        .frames()
        .map(|f| decode_with(f.link_type, f.data, f.orig_len, f.fcs_len, options))
        .collect();
    let mut classifier = FlowClassifier::new(rule, analysis.flow);
    let mut classified = Vec::with_capacity(infos.len());
    let mut resolved = Vec::new();
    let mut server_frames = Vec::new();
    for (i, (frame, info)) in capture.frames().zip(&infos).enumerate() {
        let c = classifier.classify(info, frame.orig_len, frame.ts_nanos);
        server_frames.extend(server_frame(info, &c, frame.orig_len, frame.ts_nanos));
        classified.push(c);
        resolved.extend(classifier.drain_resolved().map(|r| (i, r)));
    }
    Staged {
        infos,
        classified,
        resolved,
        server_frames,
    }
}

/// Counts the staged frames into `tally` as `Stream::count_decoded` does.
fn count_staged(tally: &mut Tally, capture: &Capture, staged: &Staged) {
    let mut resolved = staged.resolved.iter().peekable();
    for (i, ((at, info), classified)) in capture
        .frames
        .iter()
        .zip(&staged.infos)
        .zip(&staged.classified)
        .enumerate()
    {
        tally.count(&Counted {
            info,
            classified,
            wire_len: at.orig_len,
            link_type: at.link_type.0,
            ts_nanos: at.ts_nanos,
        });
        while let Some((_, r)) = resolved.next_if(|(after, _)| *after == i) {
            tally.resolve(r);
        }
    }
}

/// A tally whose per-transport tables are already allocated and touched, so
/// that timed passes do not pay the 3 MiB-per-transport page faults a long
/// capture pays once (cloned per pass; counts one empty frame per transport).
fn warm_tally(ts_nanos: i64) -> Tally {
    let mut tally = Tally::new();
    for transport in Transport::ALL {
        tally.count(&Counted {
            info: &PacketInfo::ports(transport, 0, 0),
            classified: &Classified::UNNAMED,
            wire_len: 0,
            link_type: LinkType::ETHERNET.0,
            ts_nanos,
        });
    }
    tally
}

/// Checks, before timing, that the staged inputs are what the pipeline
/// makes of the frames (so no stage is timed on inputs it never sees), and
/// prints the mix.
fn check(capture: &Capture, rule: &NamingRule, analysis: &AnalysisSettings, staged: &Staged) {
    let mut whole = Tally::new();
    let mut stream = Stream::new(rule, analysis);
    for frame in capture.frames() {
        stream.count_frame(&mut whole, &frame);
    }
    let mut replayed = Tally::new();
    count_staged(&mut replayed, capture, staged);
    assert_eq!(whole.total(), replayed.total());
    for category in Category::ALL {
        assert_eq!(whole.category(category), replayed.category(category));
    }
    assert_eq!(whole.fragments(), replayed.fragments());
    assert_eq!(whole.servers().entries(), replayed.servers().entries());

    // The server frames against the tally's own inventory, before any
    // resolved frame adds to it.
    let mut counted = Tally::new();
    let mut servers = Servers::new();
    for ((at, info), classified) in capture
        .frames
        .iter()
        .zip(&staged.infos)
        .zip(&staged.classified)
    {
        counted.count(&Counted {
            info,
            classified,
            wire_len: at.orig_len,
            link_type: at.link_type.0,
            ts_nanos: at.ts_nanos,
        });
    }
    for f in &staged.server_frames {
        servers.add_frames(f.key, f.to_server, f.frames, f.ts);
    }
    assert_eq!(counted.servers().entries(), servers.entries());

    let frames = capture.frames.len();
    let percent = |n: u64| 100.0 * n as f64 / frames as f64;
    let events = |event| {
        staged
            .classified
            .iter()
            .filter(|c| c.event == event)
            .count() as u64
    };
    let bytes: u64 = capture.frames.iter().map(|at| u64::from(at.orig_len)).sum();
    eprintln!(
        "stages: {frames} frames ({} of {} in the file), {:.0} bytes/frame; \
         tcp {:.1}%, udp {:.1}%, other {:.1}%; conversation events: opened {:.2}%, \
         answered {:.2}%, refused {:.3}%; held {:.2}%; server frames {:.1}%; {} resolved",
        frames,
        capture.file_frames,
        bytes as f64 / frames as f64,
        percent(whole.category(Category::Tcp).packets),
        percent(whole.category(Category::Udp).packets),
        percent(
            whole.total().packets
                - whole.category(Category::Tcp).packets
                - whole.category(Category::Udp).packets
        ),
        percent(events(ConversationEvent::Opened)),
        percent(events(ConversationEvent::Answered)),
        percent(events(ConversationEvent::Refused)),
        percent(staged.classified.iter().filter(|c| c.held).count() as u64),
        percent(staged.server_frames.len() as u64),
        staged.resolved.len(),
    );
}

// ---------------------------------------------------------------------------
// The benchmarks
// ---------------------------------------------------------------------------

/// A group timing one pass over `frames` frames per iteration: few, long
/// samples (a pass takes milliseconds).
fn stage_group<'c>(
    c: &'c mut Criterion,
    name: &str,
    frames: usize,
) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(frames as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group
}

fn bench_stages(c: &mut Criterion) {
    let capture = load_capture();
    // The built-in table, not /etc/services: the same rule on every machine.
    let db = PortDb::builtin();
    let rule = db.naming_rule();
    // `read`'s defaults: handshake naming and scan detection on, no decap.
    let analysis = AnalysisSettings::default();
    let staged = stage(&capture, &rule, &analysis);
    check(&capture, &rule, &analysis, &staged);
    let frames = capture.frames.len();
    let id = capture.source;
    let first_ts = capture.frames.first().map_or(0, |at| at.ts_nanos);
    let warm = warm_tally(first_ts);

    let mut group = stage_group(c, "capture", capture.file_frames);
    group.bench_function(id, |b| {
        b.iter(|| {
            let mut reader = CaptureReader::from_reader(SharedBytes::new(&capture.file), id)
                .unwrap_or_else(|error| panic!("{error}"));
            let mut bytes = 0u64;
            while let Ok(Some(frame)) = reader.next_frame() {
                bytes += u64::from(frame.orig_len);
            }
            bytes
        })
    });
    group.finish();

    let options = DecodeOptions {
        decap: analysis.decap,
    };
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut group = stage_group(c, "decode", frames);
    group.bench_function(id, |b| {
        b.iter_custom(|passes| {
            let mut ports = 0u64;
            let elapsed = (0..passes)
                .map(|_| {
                    capture.time_warm(&mut buffer, |f| {
                        let info = decode_with(f.link_type, f.data, f.orig_len, f.fcs_len, options);
                        ports += u64::from(info.src_port) + u64::from(info.dst_port);
                    })
                })
                .sum();
            black_box(ports);
            elapsed
        })
    });
    // The same frames straight from the whole set (130 MB of the
    // generator's): each frame's header a miss to memory, as decoding
    // straight from a mapped file would see without prefetching.
    group.bench_function(format!("cold/{id}"), |b| {
        b.iter(|| {
            capture.frames().fold(0u64, |acc, f| {
                let info = decode_with(
                    f.link_type,
                    black_box(f.data),
                    f.orig_len,
                    f.fcs_len,
                    options,
                );
                acc + u64::from(info.src_port) + u64::from(info.dst_port)
            })
        })
    });
    group.finish();

    let mut group = stage_group(c, "classify", frames);
    group.bench_function(id, |b| {
        b.iter_batched(
            || FlowClassifier::new(&rule, analysis.flow),
            |mut classifier| {
                let mut resolved = 0usize;
                for (at, info) in capture.frames.iter().zip(&staged.infos) {
                    let classified = classifier.classify(info, at.orig_len, at.ts_nanos);
                    black_box(&classified);
                    if classifier.has_resolved() {
                        resolved += classifier.drain_resolved().count();
                    }
                }
                (classifier, resolved)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let scan_settings = analysis.scans.unwrap_or_default();
    let mut group = stage_group(c, "analyse", frames);
    group.bench_function(format!("scans/{id}"), |b| {
        b.iter_batched(
            || ScanDetector::new(scan_settings),
            |mut scans| {
                for ((at, info), classified) in capture
                    .frames
                    .iter()
                    .zip(&staged.infos)
                    .zip(&staged.classified)
                {
                    // As `Stream::count_decoded` calls it.
                    if classified.event != ConversationEvent::None {
                        scans.observe(info, classified.event, at.ts_nanos);
                    }
                }
                scans
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function(format!("servers/{id}"), |b| {
        b.iter_batched(
            Servers::new,
            |mut servers| {
                for f in &staged.server_frames {
                    servers.add_frames(f.key, f.to_server, f.frames, f.ts);
                }
                servers
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mut group = stage_group(c, "tally", frames);
    group.bench_function(id, |b| {
        b.iter_batched(
            || warm.clone(),
            |mut tally| {
                count_staged(&mut tally, &capture, &staged);
                tally
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mut group = stage_group(c, "count_frame", frames);
    let no_scans = AnalysisSettings {
        scans: None,
        ..analysis
    };
    let mut whole = |name: String, analysis: &AnalysisSettings, discard: bool| {
        group.bench_function(name, |b| {
            b.iter_custom(|passes| {
                (0..passes)
                    .map(|_| {
                        let stream = Stream::new(&rule, analysis);
                        if discard {
                            time_stream(&capture, &mut buffer, stream, Discard(Tally::new()))
                        } else {
                            time_stream(&capture, &mut buffer, stream, warm.clone())
                        }
                    })
                    .sum()
            })
        });
    };
    whole(id.to_string(), &analysis, false);
    whole(format!("no_tally/{id}"), &analysis, true);
    whole(format!("no_scans/{id}"), &no_scans, false);
    group.finish();
}

/// One warm pass of `Stream::count_frame` over the capture into `sink`.
fn time_stream<S: Sink>(
    capture: &Capture,
    buffer: &mut [u8],
    mut stream: Stream<'_>,
    mut sink: S,
) -> Duration {
    let elapsed = capture.time_warm(buffer, |f| stream.count_frame(&mut sink, f));
    black_box((stream, sink));
    elapsed
}

/// A sink that counts nothing.
struct Discard(Tally);

impl Sink for Discard {
    fn count(&mut self, frame: &Counted<'_>) {
        black_box(frame);
    }
    fn resolve(&mut self, resolved: &Resolved) {
        black_box(resolved);
    }
    fn base(&mut self) -> &mut Tally {
        &mut self.0
    }
    fn empty(&self) -> Discard {
        Discard(Tally::new())
    }
    fn merge(&mut self, other: Discard) {
        self.0 += other.0;
    }
}

// ---------------------------------------------------------------------------
// Frames built in code, when ../shared/bench is absent
// ---------------------------------------------------------------------------

mod built {
    //! Flows of the kind `gen_bench_pcap.py` writes, built with etherparse
    //! from a fixed seed: TCP handshakes, data, delayed ACKs and teardowns
    //! (a few refused), DNS and NTP exchanges, QUIC-like and RTP-like UDP
    //! streams, ICMP echoes and ARP; ~20% IPv6, ~5% 802.1Q-tagged, as a
    //! classic pcap file in memory.

    use super::PacketBuilder;
    use super::xorshift::XorShift;

    /// The flows' own draws.
    impl XorShift {
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Kind {
        /// Handshake, request, data with delayed ACKs, FIN teardown.
        Tcp,
        /// One query, one answer.
        UdpExchange,
        /// Datagrams both ways, mostly full-sized.
        UdpStream,
        /// Echo request and reply.
        Icmp,
        /// One frame.
        Arp,
    }

    /// (kind, server port (0: a random high one), share of frames).
    const SERVICES: [(Kind, u16, u64); 14] = [
        (Kind::Tcp, 443, 38),
        (Kind::Tcp, 80, 9),
        (Kind::Tcp, 22, 4),
        (Kind::Tcp, 8080, 3),
        (Kind::Tcp, 3306, 3),
        (Kind::Tcp, 5432, 3),
        (Kind::Tcp, 25, 2),
        (Kind::Tcp, 0, 4),
        (Kind::UdpExchange, 53, 10),
        (Kind::UdpExchange, 123, 3),
        (Kind::UdpStream, 443, 10),
        (Kind::UdpStream, 0, 6),
        (Kind::Icmp, 0, 4),
        (Kind::Arp, 0, 1),
    ];
    /// Flows under way per service.
    const POOL: usize = 64;

    struct Flow {
        kind: Kind,
        ipv6: bool,
        vlan: bool,
        client: ([u8; 16], u16),
        server: ([u8; 16], u16),
        step: u32,
        steps: u32,
        refused: bool,
    }

    impl Flow {
        fn new(rng: &mut XorShift, kind: Kind, port: u16, service: usize) -> Flow {
            let ipv6 = rng.chance(20);
            let mut client = [0u8; 16];
            let mut server = [0u8; 16];
            if ipv6 {
                client[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
                client[8..].copy_from_slice(&rng.next().to_be_bytes());
                server[..4].copy_from_slice(&[0x26, 0x06, 0x47, 0x00]);
                server[14] = service as u8;
                server[15] = rng.below(50) as u8;
            } else {
                client[..4].copy_from_slice(&[10, 0, 0, 0]);
                client[1..4].copy_from_slice(&rng.next().to_be_bytes()[..3]);
                server[..4].copy_from_slice(&[203, 0, service as u8, rng.below(50) as u8]);
            }
            let client_port = 32_768 + rng.below(28_232) as u16;
            let server_port = if port == 0 {
                1024 + rng.below(30_000) as u16
            } else {
                port
            };
            let steps = match kind {
                Kind::Tcp => 7 + rng.below(40) as u32,
                Kind::UdpExchange | Kind::Icmp => 2,
                Kind::UdpStream => 10 + rng.below(90) as u32,
                Kind::Arp => 1,
            };
            Flow {
                kind,
                ipv6,
                vlan: rng.chance(5),
                client: (client, client_port),
                server: (server, server_port),
                step: 0,
                steps,
                refused: kind == Kind::Tcp && rng.chance(2),
            }
        }

        fn done(&self) -> bool {
            self.step >= self.steps || (self.refused && self.step >= 2)
        }

        /// The flow's next frame (Ethernet).
        fn next_frame(&mut self, rng: &mut XorShift) -> Vec<u8> {
            let step = self.step;
            self.step += 1;
            let to_server = match self.kind {
                Kind::Tcp => tcp_to_server(step, self.steps),
                Kind::UdpStream => step == 0 || rng.chance(40),
                _ => step.is_multiple_of(2),
            };
            let (src, dst) = if to_server {
                (self.client, self.server)
            } else {
                (self.server, self.client)
            };
            let mut frame = match self.kind {
                Kind::Arp => arp(&src.0),
                Kind::Icmp => icmp(self.ipv6, src.0, dst.0, to_server),
                Kind::UdpExchange => {
                    let len = if to_server {
                        40
                    } else {
                        120 + rng.below(300) as usize
                    };
                    udp(self.ipv6, src, dst, len)
                }
                Kind::UdpStream => {
                    let len = if rng.chance(70) {
                        1200 + rng.below(150) as usize
                    } else {
                        60
                    };
                    udp(self.ipv6, src, dst, len)
                }
                Kind::Tcp => self.tcp_frame(rng, step, src, dst),
            };
            if self.vlan {
                // An 802.1Q tag after the MAC addresses.
                frame.splice(12..12, [0x81, 0x00, 0x00, 0x64]);
            }
            frame
        }

        fn tcp_frame(
            &self,
            rng: &mut XorShift,
            step: u32,
            src: ([u8; 16], u16),
            dst: ([u8; 16], u16),
        ) -> Vec<u8> {
            let last = self.steps - 1;
            let (flags, len) = match step {
                0 => ("S", 0),
                1 if self.refused => ("RA", 0),
                1 => ("SA", 0),
                2 => ("A", 0),
                3 => ("PA", 200 + rng.below(400) as usize),
                s if s == last - 2 => ("FA", 0),
                s if s == last - 1 => ("FA", 0),
                s if s == last => ("A", 0),
                s if (s - 4) % 3 == 2 => ("A", 0),
                _ if rng.chance(60) => ("A", 1448),
                _ => ("PA", 100 + rng.below(1300) as usize),
            };
            tcp(self.ipv6, src, dst, flags, len)
        }
    }

    /// Whether step `step` of a TCP flow of `steps` frames goes to the
    /// server: the handshake, the request, every third (a delayed ACK) and
    /// the first and last of the teardown; data comes back.
    fn tcp_to_server(step: u32, steps: u32) -> bool {
        let last = steps - 1;
        match step {
            0 | 2 | 3 => true,
            1 => false,
            s if s == last - 2 || s == last => true,
            s if s == last - 1 => false,
            s => (s - 4) % 3 == 2,
        }
    }

    const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
    const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

    fn v4(address: [u8; 16]) -> [u8; 4] {
        [address[0], address[1], address[2], address[3]]
    }

    fn ip(
        ipv6: bool,
        src: [u8; 16],
        dst: [u8; 16],
    ) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
        let ethernet = PacketBuilder::ethernet2(MAC_A, MAC_B);
        if ipv6 {
            ethernet.ipv6(src, dst, 64)
        } else {
            ethernet.ipv4(v4(src), v4(dst), 64)
        }
    }

    fn tcp(
        ipv6: bool,
        src: ([u8; 16], u16),
        dst: ([u8; 16], u16),
        flags: &str,
        len: usize,
    ) -> Vec<u8> {
        let mut builder = ip(ipv6, src.0, dst.0).tcp(src.1, dst.1, 0x1000_0000, 64_240);
        for flag in flags.chars() {
            builder = match flag {
                'S' => builder.syn(),
                'A' => builder.ack(0x2000_0000),
                'F' => builder.fin(),
                'R' => builder.rst(),
                _ => builder.psh(),
            };
        }
        write(builder.size(len), |out| builder.write(out, &vec![0; len]))
    }

    fn udp(ipv6: bool, src: ([u8; 16], u16), dst: ([u8; 16], u16), len: usize) -> Vec<u8> {
        let builder = ip(ipv6, src.0, dst.0).udp(src.1, dst.1);
        write(builder.size(len), |out| builder.write(out, &vec![0; len]))
    }

    fn icmp(ipv6: bool, src: [u8; 16], dst: [u8; 16], request: bool) -> Vec<u8> {
        let payload = [0u8; 56];
        let ip = ip(ipv6, src, dst);
        match (ipv6, request) {
            (false, true) => {
                let b = ip.icmpv4_echo_request(7, 1);
                write(b.size(56), |out| b.write(out, &payload))
            }
            (false, false) => {
                let b = ip.icmpv4_echo_reply(7, 1);
                write(b.size(56), |out| b.write(out, &payload))
            }
            (true, true) => {
                let b = ip.icmpv6_echo_request(7, 1);
                write(b.size(56), |out| b.write(out, &payload))
            }
            (true, false) => {
                let b = ip.icmpv6_echo_reply(7, 1);
                write(b.size(56), |out| b.write(out, &payload))
            }
        }
    }

    fn write<E: std::fmt::Debug>(
        size: usize,
        build: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(size);
        build(&mut out).unwrap_or_else(|error| panic!("building a bench frame: {error:?}"));
        out
    }

    /// An Ethernet ARP request, by hand: 14 + 28 bytes.
    fn arp(sender: &[u8; 16]) -> Vec<u8> {
        let mut data = Vec::with_capacity(42);
        data.extend_from_slice(&[0xff; 6]);
        data.extend_from_slice(&MAC_A);
        data.extend_from_slice(&[0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
        data.extend_from_slice(&MAC_A);
        data.extend_from_slice(&sender[..4]);
        data.extend_from_slice(&[0; 6]);
        data.extend_from_slice(&[10, 0, 0, 1]);
        data
    }

    /// `frames` frames as a classic pcap file (little-endian, microseconds,
    /// Ethernet), about 10 µs apart.
    pub(super) fn capture(frames: usize) -> Vec<u8> {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut pools: Vec<Vec<Flow>> = SERVICES.iter().map(|_| Vec::new()).collect();
        let total_share: u64 = SERVICES.iter().map(|s| s.2).sum();
        let mut file = Vec::with_capacity(frames * 700);
        file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        file.extend_from_slice(&2u16.to_le_bytes());
        file.extend_from_slice(&4u16.to_le_bytes());
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&262_144u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        let mut micros: u64 = 1_700_000_000_000_000;
        for _ in 0..frames {
            let mut pick = rng.below(total_share);
            let service = SERVICES
                .iter()
                .position(|s| {
                    let hit = pick < s.2;
                    pick = pick.saturating_sub(s.2);
                    hit
                })
                .unwrap_or(0);
            let (kind, port, _) = SERVICES[service];
            let pool = &mut pools[service];
            if pool.len() < POOL {
                pool.push(Flow::new(&mut rng, kind, port, service));
            }
            let which = rng.below(pool.len() as u64) as usize;
            let frame = pool[which].next_frame(&mut rng);
            if pool[which].done() {
                pool.swap_remove(which);
            }
            micros += 1 + rng.below(20);
            let len = frame.len() as u32;
            file.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
            file.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
            file.extend_from_slice(&len.to_le_bytes());
            file.extend_from_slice(&len.to_le_bytes());
            file.extend_from_slice(&frame);
        }
        file
    }
}

criterion_group!(benches, bench_stages);
criterion_main!(benches);
