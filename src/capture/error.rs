//! The one error type of `capture`: what went wrong, in which input (a file,
//! or an interface for live capture), at which packet and byte offset, and
//! what to do about it.

use std::io;

use super::MAX_CAPTURED_LEN;
use super::reader::Compression;

/// What went wrong while opening or reading a capture.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// The input could not be opened (not found, permission denied, …).
    #[error("cannot open: {message}")]
    CannotOpen {
        /// The operating system's reason.
        reason: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// The path names a directory.
    #[error("is a directory")]
    IsADirectory,
    /// Reading failed (an I/O error, not damage in the data).
    #[error("read error: {message}")]
    Read {
        /// The operating system's reason.
        reason: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// The content is neither pcap nor pcapng (after decompression, if any).
    #[error("not a capture file ({})", describe_start(first_bytes, *compression))]
    NotACapture {
        /// Up to the first 4 bytes of the (decompressed) content.
        first_bytes: Vec<u8>,
        /// The compression found around the content.
        compression: Compression,
    },
    /// A pcap file whose major version is not 2, or a pcapng section whose
    /// version is not 1.0 or 1.2.
    #[error("unsupported {format} version {major}.{minor}")]
    UnsupportedVersion {
        /// `"pcap"` or `"pcapng"`.
        format: &'static str,
        /// Major version in the header.
        major: u16,
        /// Minor version in the header.
        minor: u16,
    },
    /// Bits 16–25 of a pcap header's link-type field are not zero.
    #[error("network type reserved field not zero ({field:#010x})")]
    ReservedLinkTypeBits {
        /// The whole link-type field.
        field: u32,
    },
    /// A record or block is inconsistent (bad lengths, bad options, an
    /// unknown interface, …).
    #[error("{detail}")]
    Damaged {
        /// What exactly is inconsistent.
        detail: String,
    },
    /// A record claims more captured bytes than [`MAX_CAPTURED_LEN`].
    #[error(
        "record claims a captured length of {caplen} bytes, more than the {MAX_CAPTURED_LEN} maximum"
    )]
    RecordTooLarge {
        /// The captured length claimed.
        caplen: u32,
    },
    /// The input ends inside a header, record or block.
    #[error("file cut short in the middle of {part}")]
    CutShort {
        /// What was being read: `"a packet"`, `"the file header"`, …
        part: &'static str,
    },
    /// The gzip or zstd stream is corrupt or ends too early.
    #[error("{compression} stream is corrupt or cut short: {message}")]
    Decompression {
        /// Which compression.
        compression: Compression,
        /// The decompressor's message.
        message: String,
    },
    /// Live capture: the process may not open the interface (libpcap says
    /// "Operation not permitted" or "Permission denied").
    #[error("{}", PERMISSION_WHAT)]
    PermissionDenied {
        /// libpcap's message (`"socket: Operation not permitted"`).
        message: String,
    },
    /// Live capture: the interface does not exist.
    #[error("no such interface")]
    NoSuchDevice {
        /// libpcap's message (`"No such device exists"`).
        message: String,
    },
    /// Live capture: the interface exists but is down.
    #[error("the interface is down")]
    DeviceDown {
        /// libpcap's message (`"That device is not up"`).
        message: String,
    },
    /// Live capture: no interface was given and libpcap knows none.
    #[error("no capture device found")]
    NoDefaultDevice,
    /// Live capture: listing the capture devices failed.
    #[error("cannot list the capture devices: {message}")]
    DeviceList {
        /// libpcap's message.
        message: String,
    },
    /// Live capture: libpcap refused the capture filter.
    #[error("bad capture filter \"{filter}\": {message}")]
    BadFilter {
        /// The filter expression as given.
        filter: String,
        /// libpcap's message (`"syntax error in filter expression"`).
        message: String,
    },
    /// Live capture: opening the interface failed for another reason.
    #[error("cannot capture: {message}")]
    CannotCapture {
        /// libpcap's message.
        message: String,
    },
    /// Live capture: reading failed after the capture had started, usually
    /// because the interface was removed (`"The interface disappeared"`).
    #[error("the interface stopped delivering packets: {message}")]
    DeviceGone {
        /// libpcap's message.
        message: String,
    },
    /// Live capture: libpcap's packet statistics could not be read.
    #[error("cannot read the capture statistics: {message}")]
    Stats {
        /// libpcap's message.
        message: String,
    },
    /// Live capture: the file to save packets in could not be created (the
    /// error's input is that file).
    #[error("cannot create the capture file: {message}")]
    CannotCreate {
        /// The operating system's message, through libpcap.
        message: String,
    },
    /// Live capture: writing the file of saved packets failed (the error's
    /// input is that file).
    #[error("cannot write the capture file: {message}")]
    Write {
        /// The operating system's message.
        message: String,
    },
}

/// What [`CaptureErrorKind::PermissionDenied`] says is missing.
#[cfg(target_os = "linux")]
const PERMISSION_WHAT: &str = "capturing needs root or the CAP_NET_RAW capability";
#[cfg(not(target_os = "linux"))]
const PERMISSION_WHAT: &str = "capturing needs root or read access to the packet capture device";

/// How to get the permission [`CaptureErrorKind::PermissionDenied`] lacks.
#[cfg(target_os = "linux")]
const PERMISSION_HINT: &str = "run sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v portclass)\" once, or run portclass with sudo";
#[cfg(not(target_os = "linux"))]
const PERMISSION_HINT: &str = "run portclass with sudo";

impl CaptureErrorKind {
    /// What the user can do about it, if there is something to say.
    fn hint(&self) -> Option<&'static str> {
        match self {
            CaptureErrorKind::CannotOpen { reason, .. } => match reason {
                io::ErrorKind::NotFound => Some("check the path"),
                io::ErrorKind::PermissionDenied => Some("check permissions"),
                _ => None,
            },
            CaptureErrorKind::IsADirectory => Some("give a capture file, not a directory"),
            CaptureErrorKind::Read { .. } => None,
            CaptureErrorKind::NotACapture { .. } => {
                Some("expected pcap or pcapng, optionally gzip/zstd-compressed")
            }
            CaptureErrorKind::UnsupportedVersion { .. }
            | CaptureErrorKind::ReservedLinkTypeBits { .. } => {
                Some("libpcap and tshark refuse this file too")
            }
            CaptureErrorKind::Damaged { .. } | CaptureErrorKind::RecordTooLarge { .. } => {
                Some("the file is damaged")
            }
            CaptureErrorKind::CutShort { .. } => {
                Some("the file is incomplete (truncated copy, or capture still being written)")
            }
            CaptureErrorKind::Decompression { .. } => {
                Some("the compressed file is damaged or incomplete")
            }
            CaptureErrorKind::PermissionDenied { .. } => Some(PERMISSION_HINT),
            CaptureErrorKind::NoSuchDevice { .. } => {
                Some("portclass interfaces lists the capture devices")
            }
            CaptureErrorKind::DeviceDown { .. } => {
                Some("bring it up, or capture on another one (portclass interfaces lists them)")
            }
            CaptureErrorKind::NoDefaultDevice => {
                Some("give one with -i (portclass interfaces lists them)")
            }
            CaptureErrorKind::DeviceList { .. }
            | CaptureErrorKind::BadFilter { .. }
            | CaptureErrorKind::CannotCapture { .. }
            | CaptureErrorKind::DeviceGone { .. }
            | CaptureErrorKind::Stats { .. }
            | CaptureErrorKind::CannotCreate { .. }
            | CaptureErrorKind::Write { .. } => None,
        }
    }
}

/// `"starts with 1f 8b 08 00"` / `"it is empty"`, with the compression named.
fn describe_start(first_bytes: &[u8], compression: Compression) -> String {
    let start = if first_bytes.is_empty() {
        "it is empty".to_owned()
    } else {
        let hex: Vec<String> = first_bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("starts with {}", hex.join(" "))
    };
    match compression {
        Compression::None => start,
        other => format!("{other}-compressed; decompressed content {start}"),
    }
}

/// An error opening or reading a capture: its [kind](Self::kind), the input's
/// display name, and where it happened.
///
/// `Display` gives one line:
/// `<input>: <what went wrong>[ at packet N, byte offset O][: <what to do>]`.
/// Byte offsets count from the start of the (decompressed) content. The
/// input is a file name, `<stdin>`, an interface name, or `default
/// interface`; errors that concern no input (no capture device at all) have
/// an empty input and print without the `<input>: ` prefix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{prefix}{kind}{location}{hint}",
    prefix = if input.is_empty() { String::new() } else { format!("{input}: ") },
    location = describe_location(*.packet, *.offset),
    hint = kind.hint().map(|h| format!(": {h}")).unwrap_or_default()
)]
pub struct CaptureError {
    kind: CaptureErrorKind,
    input: String,
    packet: Option<u64>,
    offset: Option<u64>,
}

fn describe_location(packet: Option<u64>, offset: Option<u64>) -> String {
    match (packet, offset) {
        (Some(p), Some(o)) => format!(" at packet {p}, byte offset {o}"),
        (Some(p), None) => format!(" at packet {p}"),
        (None, Some(o)) => format!(" at byte offset {o}"),
        (None, None) => String::new(),
    }
}

impl CaptureError {
    pub(super) fn new(kind: CaptureErrorKind, input: &str) -> CaptureError {
        CaptureError {
            kind,
            input: input.to_owned(),
            packet: None,
            offset: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &CaptureErrorKind {
        &self.kind
    }

    /// The input's display name: path as given, `<stdin>`, the interface
    /// of a live capture (`default interface` when none was chosen yet), or
    /// empty when the error concerns no input.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The 1-based number of the packet being read when it happened, if the
    /// error concerns a packet.
    pub fn packet(&self) -> Option<u64> {
        self.packet
    }

    /// Byte offset (in the decompressed content) of the record or block being
    /// read when it happened.
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }
}

/// An error found while parsing, before the input name is attached.
#[derive(Debug)]
pub(super) struct Fault {
    pub kind: CaptureErrorKind,
    pub packet: Option<u64>,
    pub offset: Option<u64>,
}

impl Fault {
    /// A fault at byte `offset`, not tied to a packet.
    pub fn at(kind: CaptureErrorKind, offset: u64) -> Fault {
        Fault {
            kind,
            packet: None,
            offset: Some(offset),
        }
    }

    /// A fault in packet `packet` whose record starts at byte `offset`.
    pub fn in_packet(kind: CaptureErrorKind, packet: u64, offset: u64) -> Fault {
        Fault {
            kind,
            packet: Some(packet),
            offset: Some(offset),
        }
    }

    /// A [`CaptureErrorKind::RecordTooLarge`] fault: packet `packet`'s
    /// record, at byte `offset`, claims `caplen` captured bytes.
    pub fn record_too_large(caplen: u32, packet: u64, offset: u64) -> Fault {
        Fault::in_packet(CaptureErrorKind::RecordTooLarge { caplen }, packet, offset)
    }

    /// A [`CaptureErrorKind::Damaged`] fault.
    pub fn damaged(detail: String, packet: Option<u64>, offset: u64) -> Fault {
        Fault {
            kind: CaptureErrorKind::Damaged { detail },
            packet,
            offset: Some(offset),
        }
    }

    /// Attaches the input name.
    pub fn into_error(self, input: &str) -> CaptureError {
        CaptureError {
            kind: self.kind,
            input: input.to_owned(),
            packet: self.packet,
            offset: self.offset,
        }
    }
}

/// Turns an I/O error from the (possibly decompressing) source into a kind:
/// a decompressor reports bad or missing data as `InvalidData`,
/// `InvalidInput`, `UnexpectedEof` or `Other`.
pub(super) fn read_error_kind(err: &io::Error, compression: Compression) -> CaptureErrorKind {
    let decoder_fault = matches!(
        err.kind(),
        io::ErrorKind::InvalidData
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::Other
    );
    if compression != Compression::None && decoder_fault {
        CaptureErrorKind::Decompression {
            compression,
            message: err.to_string(),
        }
    } else {
        CaptureErrorKind::Read {
            reason: err.kind(),
            message: err.to_string(),
        }
    }
}
