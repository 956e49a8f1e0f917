//! What the report tests share: running `report` and `merge`, filtering the
//! volatile fields of their JSON, comparing two JSON documents field by field
//! with a readable list of differences, and taking capture files apart
//! (frames with their timestamps, halves of a capture) or writing them.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Port names for every run: the built-in database only, so that no figure
/// depends on the machine's `/etc/services`.
pub const NAME_FLAGS: [&str; 1] = ["--no-system-services"];

fn with_subcommand<S: AsRef<OsStr>>(subcommand: &str, args: &[S]) -> Vec<OsString> {
    let mut all: Vec<OsString> = vec![subcommand.into()];
    all.extend(NAME_FLAGS.iter().map(OsString::from));
    all.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    all
}

/// `portclass report --no-system-services ARGS...`
pub fn report<S: AsRef<OsStr>>(args: &[S]) -> Run {
    portclass(&with_subcommand("report", args))
}

/// `portclass merge --no-system-services ARGS...`
pub fn merge<S: AsRef<OsStr>>(args: &[S]) -> Run {
    portclass(&with_subcommand("merge", args))
}

/// `portclass read --format json --no-system-services ARGS...`
pub fn read<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let mut all = vec![OsString::from("--format"), "json".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_os_string()));
    portclass(&with_subcommand("read", &all))
}

/// Fails unless `run` exited 0 with nothing on stderr; returns it.
pub fn clean(run: Run) -> Run {
    run.assert_code(0);
    assert!(
        run.stderr.is_empty(),
        "{}: unexpected stderr:\n{}",
        run.command,
        run.stderr
    );
    run
}

/// Arguments `fixed` followed by `paths`.
pub fn args<P: AsRef<OsStr>>(fixed: &[&str], paths: &[P]) -> Vec<OsString> {
    fixed
        .iter()
        .map(OsString::from)
        .chain(paths.iter().map(|p| p.as_ref().to_os_string()))
        .collect()
}

/// `report --format json FILES...` (default `--top`, as `merge` uses),
/// expecting a clean run.
pub fn report_json<P: AsRef<OsStr>>(files: &[P]) -> Value {
    clean(report(&args(&["--format", "json"], files))).json()
}

/// `report OPTIONS --format json FILES...`, expecting a clean run.
pub fn report_json_with<P: AsRef<OsStr>>(files: &[P], options: &[&str]) -> Value {
    let mut all: Vec<&str> = options.to_vec();
    all.extend(["--format", "json"]);
    clean(report(&args(&all, files))).json()
}

/// `read --format json FILES...`, expecting a clean run.
pub fn read_json_of<P: AsRef<OsStr>>(files: &[P]) -> Value {
    clean(read(files)).json()
}

/// `merge FILES...`, expecting a clean run.
pub fn merge_json<P: AsRef<OsStr>>(files: &[P]) -> Value {
    clean(merge(files)).json()
}

/// Absolute paths of the named fixtures.
pub fn fixtures(names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(|n| fixture(n)).collect()
}

/// Writes `json` (pretty) to `dir/name` and returns the path.
pub fn write_json(dir: &Path, name: &str, json: &Value) -> PathBuf {
    let text = serde_json::to_string_pretty(json).expect("JSON serialises");
    write_file(dir, name, text.as_bytes())
}

/// The document with its volatile fields filtered: `portclass_version`
/// becomes `<version>` and each input's `name` its file name (the path
/// depends on where the crate is checked out). Nothing else varies between
/// runs: timestamps come from the captures.
pub fn normalized(json: &Value) -> Value {
    let mut json = json.clone();
    if json.get("portclass_version").is_some() {
        json["portclass_version"] = Value::from("<version>");
    }
    if let Some(inputs) = json.get_mut("inputs").and_then(Value::as_array_mut) {
        for input in inputs {
            if let Some(name) = input["name"].as_str() {
                let short = Path::new(name)
                    .file_name()
                    .map_or(name.to_string(), |n| n.to_string_lossy().into_owned());
                input["name"] = Value::from(short);
            }
        }
    }
    json
}

/// [`normalized`], with the inputs sorted by name (merging in another order
/// lists them in another order; every count is the same).
pub fn normalized_any_order(json: &Value) -> Value {
    let mut json = normalized(json);
    if let Some(inputs) = json.get_mut("inputs").and_then(Value::as_array_mut) {
        inputs.sort_by_key(|i| i["name"].as_str().unwrap_or_default().to_string());
    }
    json
}

/// The document without the top-level fields `keys`.
pub fn without(json: &Value, keys: &[&str]) -> Value {
    let mut json = json.clone();
    if let Some(object) = json.as_object_mut() {
        for key in keys {
            object.remove(*key);
        }
    }
    json
}

/// Every difference between two JSON documents, as `path: actual vs
/// expected` lines.
pub fn json_differences(actual: &Value, expected: &Value) -> Vec<String> {
    fn walk(a: &Value, e: &Value, path: &str, out: &mut Vec<String>) {
        match (a, e) {
            (Value::Object(a), Value::Object(e)) => {
                for key in a
                    .keys()
                    .chain(e.keys())
                    .collect::<std::collections::BTreeSet<_>>()
                {
                    let here = format!("{path}.{key}");
                    match (a.get(key), e.get(key)) {
                        (Some(x), Some(y)) => walk(x, y, &here, out),
                        (x, y) => out.push(format!(
                            "{here}: {} vs {}",
                            x.map_or("(absent)".into(), short),
                            y.map_or("(absent)".into(), short)
                        )),
                    }
                }
            }
            (Value::Array(a), Value::Array(e)) => {
                if a.len() != e.len() {
                    out.push(format!("{path}: {} elements vs {}", a.len(), e.len()));
                }
                for (i, (x, y)) in a.iter().zip(e).enumerate() {
                    walk(x, y, &format!("{path}[{i}]"), out);
                }
            }
            _ if a != e => out.push(format!("{path}: {} vs {}", short(a), short(e))),
            _ => {}
        }
    }
    fn short(v: &Value) -> String {
        let text = v.to_string();
        if text.chars().count() > 120 {
            format!("{}…", text.chars().take(120).collect::<String>())
        } else {
            text
        }
    }
    let mut out = Vec::new();
    walk(actual, expected, "", &mut out);
    out
}

/// Fails listing every differing field (the first 40) unless `actual` and
/// `expected` are the same document.
pub fn assert_same_json(what: &str, actual: &Value, expected: &Value) {
    let diffs = json_differences(actual, expected);
    assert!(
        diffs.is_empty(),
        "{what}: {} fields differ (left: actual, right: expected):\n  {}",
        diffs.len(),
        diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// Capture files.

/// One frame of a capture file.
#[derive(Clone, Copy, Debug)]
pub struct CapturedFrame<'a> {
    /// Nanoseconds since the epoch.
    pub ts_ns: i64,
    /// Original (wire) length: what `bytes` counts.
    pub orig_len: u64,
    /// The captured bytes.
    pub data: &'a [u8],
}

fn u32_le(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"))
}

/// Every frame of a little-endian classic pcap (µs or ns) or of a
/// single-section little-endian pcapng file whose packets are EPBs; enough
/// for the committed fixtures and the files these tests write.
pub fn captured_frames(data: &[u8]) -> Vec<CapturedFrame<'_>> {
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        return pcapng_frames(data);
    }
    let nanos = match &data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => false,
        [0x4d, 0x3c, 0xb2, 0xa1] => true,
        other => panic!("not a little-endian pcap file: {other:02x?}"),
    };
    pcap_records(data)
        .into_iter()
        .map(|r| {
            let seconds = i64::from(u32_le(data, r.start));
            let fraction = i64::from(u32_le(data, r.start + 4));
            CapturedFrame {
                ts_ns: seconds * 1_000_000_000 + if nanos { fraction } else { fraction * 1_000 },
                orig_len: r.orig_len,
                data: &data[r.start + 16..r.end],
            }
        })
        .collect()
}

fn pcapng_frames(data: &[u8]) -> Vec<CapturedFrame<'_>> {
    assert_eq!(
        &data[8..12],
        &[0x4d, 0x3c, 0x2b, 0x1a],
        "little-endian pcapng"
    );
    // Units per second of each interface (if_tsresol, default 10^6).
    let mut units: Vec<i128> = Vec::new();
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 12 <= data.len() {
        let (kind, length) = (u32_le(data, at), u32_le(data, at + 4) as usize);
        let block = &data[at..at + length];
        match kind {
            1 => {
                let mut per_second = 1_000_000i128;
                let mut option = 16;
                while option + 4 <= length - 4 {
                    let code = u16::from_le_bytes([block[option], block[option + 1]]);
                    let len =
                        usize::from(u16::from_le_bytes([block[option + 2], block[option + 3]]));
                    if code == 0 {
                        break;
                    }
                    if code == 9 && len == 1 {
                        let r = block[option + 4];
                        per_second = if r & 0x80 == 0 {
                            10i128.pow(u32::from(r))
                        } else {
                            1i128 << (r & 0x7f)
                        };
                    }
                    option += 4 + len.div_ceil(4) * 4;
                }
                units.push(per_second);
            }
            6 => {
                let interface = u32_le(block, 8) as usize;
                let ticks = (i128::from(u32_le(block, 12)) << 32) | i128::from(u32_le(block, 16));
                let caplen = u32_le(block, 20) as usize;
                let per_second = units[interface];
                let ts_ns = ticks * 1_000_000_000 / per_second;
                frames.push(CapturedFrame {
                    ts_ns: i64::try_from(ts_ns).expect("timestamp fits"),
                    orig_len: u64::from(u32_le(block, 24)),
                    data: &block[28..28 + caplen],
                });
            }
            _ => {}
        }
        at += length;
    }
    frames
}

/// The source and destination of an Ethernet frame's first IP header (no
/// VLAN tags: enough for the fixtures checked with it).
pub fn ethernet_ip_addresses(frame: &[u8]) -> Option<(IpAddr, IpAddr)> {
    let ip = frame.get(14..)?;
    match frame.get(12..14)? {
        [0x08, 0x00] if ip.len() >= 20 && ip[0] >> 4 == 4 => {
            let src: [u8; 4] = ip[12..16].try_into().ok()?;
            let dst: [u8; 4] = ip[16..20].try_into().ok()?;
            Some((src.into(), dst.into()))
        }
        [0x86, 0xdd] if ip.len() >= 40 && ip[0] >> 4 == 6 => {
            let src: [u8; 16] = ip[8..24].try_into().ok()?;
            let dst: [u8; 16] = ip[24..40].try_into().ok()?;
            Some((src.into(), dst.into()))
        }
        _ => None,
    }
}

/// Host figures `[sent_packets, sent_bytes, received_packets,
/// received_bytes]` by address, as a plain count over the frames: every
/// frame with an IP header counts once for its source and once for its
/// destination.
pub fn hosts_of_frames(frames: &[CapturedFrame<'_>]) -> BTreeMap<String, [u64; 4]> {
    let mut hosts: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for frame in frames {
        if let Some((src, dst)) = ethernet_ip_addresses(frame.data) {
            let s = hosts.entry(src.to_string()).or_default();
            s[0] += 1;
            s[1] += frame.orig_len;
            let d = hosts.entry(dst.to_string()).or_default();
            d[2] += 1;
            d[3] += frame.orig_len;
        }
    }
    hosts
}

/// Splits a capture into parts at the given frame indices (ascending): each
/// part is the file's header (everything before its first frame: pcap header,
/// or pcapng section and interface blocks) followed by its frames, and any
/// other blocks that lie among them. Each part is a valid capture of the
/// same format, byte for byte from the original.
pub fn split_capture(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let records = capture_records(data);
    assert!(!records.is_empty(), "no frames to split");
    assert!(
        cuts.windows(2).all(|w| w[0] < w[1]) && cuts.iter().all(|&c| c > 0 && c < records.len()),
        "bad cuts {cuts:?} for {} frames",
        records.len()
    );
    let head = &data[..records[0].start];
    let mut bounds = vec![records[0].start];
    bounds.extend(cuts.iter().map(|&c| records[c].start));
    bounds.push(data.len());
    bounds
        .windows(2)
        .map(|w| [head, &data[w[0]..w[1]]].concat())
        .collect()
}

/// An Ethernet/IPv4/TCP SYN `src:src_port → dst:dst_port`, 54 bytes, with a
/// valid IPv4 header checksum.
pub fn tcp_syn_frame(src: [u8; 4], src_port: u16, dst: [u8; 4], dst_port: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(54);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00]);
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&40u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(&ip);
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&src_port.to_be_bytes());
    tcp[2..4].copy_from_slice(&dst_port.to_be_bytes());
    tcp[12] = 0x50; // data offset 5
    tcp[13] = 0x02; // SYN
    tcp[14..16].copy_from_slice(&64240u16.to_be_bytes());
    f.extend_from_slice(&tcp);
    f
}
