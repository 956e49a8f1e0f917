//! [`CaptureReader`]: opens an input, recognises compression and format by
//! content, and hands out frames.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use super::classic::{self, PcapFile, PcapVariant};
use super::error::{CaptureError, CaptureErrorKind, Fault, read_error_kind};
use super::filter::{InputFilter, PacketFilter};
use super::input::{InputBuffer, Source};
use super::pcapng::PcapngFile;
use super::{Frame, Input, LinkType};

/// Compression around the capture, recognised by its magic number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (`1f 8b`); concatenated members are read as one stream.
    Gzip,
    /// Zstandard (`28 b5 2f fd`).
    Zstd,
}

impl fmt::Display for Compression {
    /// `"uncompressed"`, `"gzip"` or `"zstd"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// First block type of every pcapng file (the same in both byte orders).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The file format, as far as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic pcap.
    Pcap {
        /// Which variant (record header layout, time stamp unit).
        variant: PcapVariant,
        /// Time stamps in nanoseconds (magic `a1b23c4d`, or AIX) rather
        /// than microseconds.
        nanos: bool,
        /// The "modified" magic `a1b2cd34` (Kuznetzov's patches).
        modified: bool,
        /// Written big-endian.
        big_endian: bool,
        /// (major, minor) version from the header.
        version: (u16, u16),
        /// Snapshot length from the header.
        snaplen: u32,
        /// Compression around the file.
        compression: Compression,
    },
    /// pcapng.
    Pcapng {
        /// The current section is big-endian.
        big_endian: bool,
        /// Sections seen so far.
        sections: u32,
        /// Compression around the file.
        compression: Compression,
    },
}

impl CaptureFormat {
    /// Compression around the file.
    pub fn compression(&self) -> Compression {
        match *self {
            CaptureFormat::Pcap { compression, .. } | CaptureFormat::Pcapng { compression, .. } => {
                compression
            }
        }
    }
}

impl fmt::Display for CaptureFormat {
    /// `"pcap (microseconds, little-endian)"`, `"pcapng (big-endian, 3
    /// sections), gzip-compressed"`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = |big: bool| if big { "big-endian" } else { "little-endian" };
        match *self {
            CaptureFormat::Pcap {
                variant,
                big_endian,
                ..
            } => {
                write!(f, "pcap ({}, {})", variant.description(), order(big_endian))?;
            }
            CaptureFormat::Pcapng {
                big_endian,
                sections,
                ..
            } => {
                write!(f, "pcapng ({}", order(big_endian))?;
                if sections > 1 {
                    write!(f, ", {sections} sections")?;
                }
                f.write_str(")")?;
            }
        }
        match self.compression() {
            Compression::None => Ok(()),
            other => write!(f, ", {other}-compressed"),
        }
    }
}

/// The container being read.
enum Container {
    Pcap(PcapFile),
    Pcapng(PcapngFile),
}

/// Reads frames from a pcap or pcapng capture, optionally gzip- or
/// zstd-compressed, from a file or stdin.
///
/// Frames are lent one at a time ([`next_frame`](Self::next_frame)); no
/// memory is allocated per frame. After an error, or the end,
/// `next_frame` returns `Ok(None)`.
///
/// Accepted and refused files, and the frames read from them, follow
/// tshark 4.0 (including its guessing between old pcap variants, and
/// pcapng Custom Blocks counted as frames), with these exceptions: link
/// types tshark does not know are read, not refused; a pcap major version
/// other than 2 is refused (tshark accepts any ≥ 2, libpcap only 2); a
/// pcapng block length that is not a multiple of 4 is refused (as libpcap
/// does; tshark rounds it up); pcapng blocks other than SHB, IDB, EPB, SPB,
/// PB and custom blocks are skipped without checking their contents.
pub struct CaptureReader {
    input: InputBuffer,
    container: Container,
    name: String,
    frames_read: u64,
    link_types: Vec<LinkType>,
    finished: bool,
    filter: Option<InputFilter>,
}

impl CaptureReader {
    /// Opens a file or stdin and reads the capture's header (for pcapng,
    /// everything up to the first packet). The format is recognised by
    /// content, never by file name.
    pub fn open(input: &Input) -> Result<CaptureReader, CaptureError> {
        let name = input.display_name();
        // Like tshark, guess between pcap variants only on a regular file:
        // on a pipe, it would hold back the first packet until three came.
        let (source, regular_file): (Source, bool) = match input {
            Input::Path(path) => open_file(path, &name)?,
            Input::Stdin => (Box::new(io::stdin()), false),
        };
        CaptureReader::start(InputBuffer::new(source), name, regular_file)
    }

    /// Like [`CaptureReader::open`], and adds every byte read from the
    /// input (before decompression) to `progress`, for a progress display.
    pub fn open_with_progress(
        input: &Input,
        progress: &ProgressCounter,
    ) -> Result<CaptureReader, CaptureError> {
        let name = input.display_name();
        let (source, regular_file): (Source, bool) = match input {
            Input::Path(path) => open_file(path, &name)?,
            Input::Stdin => (Box::new(io::stdin()), false),
        };
        let counted = CountingReader {
            inner: source,
            counter: Arc::clone(progress),
        };
        CaptureReader::start(InputBuffer::new(Box::new(counted)), name, regular_file)
    }

    /// Reads a capture from any byte stream (read to its end, like a file);
    /// `name` is used in messages.
    pub fn from_reader(
        source: impl Read + Send + 'static,
        name: &str,
    ) -> Result<CaptureReader, CaptureError> {
        CaptureReader::start(InputBuffer::new(Box::new(source)), name.to_owned(), true)
    }

    /// Reads a capture from a stream that can be read only once (a pipe
    /// already opened and looked into); `name` is used in messages. As on
    /// standard input, the pcap variant is not guessed (that would hold
    /// back the first frames).
    pub fn from_stream(
        source: impl Read + Send + 'static,
        name: &str,
    ) -> Result<CaptureReader, CaptureError> {
        CaptureReader::start(InputBuffer::new(Box::new(source)), name.to_owned(), false)
    }

    /// A reader with a `buffer_size` buffer; `guess_variant` as for a file
    /// (true) or a pipe (false).
    #[cfg(test)]
    pub(super) fn for_test(
        source: impl Read + Send + 'static,
        buffer_size: usize,
        guess_variant: bool,
    ) -> Result<CaptureReader, CaptureError> {
        CaptureReader::start(
            InputBuffer::with_capacity(Box::new(source), buffer_size),
            "test".to_owned(),
            guess_variant,
        )
    }

    fn start(
        mut input: InputBuffer,
        name: String,
        guess_variant: bool,
    ) -> Result<CaptureReader, CaptureError> {
        let fail = |fault: Fault| fault.into_error(&name);
        let first = sniff(&mut input).map_err(fail)?;
        let compression = if first.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if first.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        };
        if compression != Compression::None {
            input
                .wrap_source(compression, |raw| decompressor(raw, compression))
                .map_err(|err| fail(Fault::at(read_error_kind(&err, compression), 0)))?;
        }
        let first = if compression == Compression::None {
            first
        } else {
            sniff(&mut input).map_err(fail)?
        };
        let mut link_types = Vec::new();
        let container = if let Some(magic) = <[u8; 4]>::try_from(first.as_slice())
            .ok()
            .and_then(classic::sniff)
        {
            let file = PcapFile::open(&mut input, magic, guess_variant).map_err(fail)?;
            link_types.push(file.link_type);
            Container::Pcap(file)
        } else if first == PCAPNG_MAGIC {
            Container::Pcapng(PcapngFile::open(&mut input, &mut link_types).map_err(fail)?)
        } else {
            return Err(fail(Fault {
                kind: CaptureErrorKind::NotACapture {
                    first_bytes: first,
                    compression,
                },
                packet: None,
                offset: None,
            }));
        };
        Ok(CaptureReader {
            input,
            container,
            name,
            frames_read: 0,
            link_types,
            finished: false,
            filter: None,
        })
    }

    /// The next frame, `Ok(None)` at the end of the capture. The frame
    /// borrows the reader's buffer until the next call.
    ///
    /// An error means the capture could be read only up to here: every frame
    /// returned before it is good.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        if self.filter.is_some() {
            return self.next_filtered_frame();
        }
        self.read_frame()
    }

    /// The next frame of the file, filter or not.
    #[inline]
    fn read_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let packet = self.frames_read + 1;
        let result = match &mut self.container {
            Container::Pcap(file) => file.next(&mut self.input, packet),
            Container::Pcapng(file) => file.next(&mut self.input, packet, &mut self.link_types),
        };
        match result {
            Ok(Some(frame)) => {
                self.frames_read = packet;
                Ok(Some(frame))
            }
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(fault) => {
                self.finished = true;
                Err(fault.into_error(&self.name))
            }
        }
    }

    /// The next frame the filter accepts: the frames it turns away are read
    /// and dropped (they still count in [`frames_read`](Self::frames_read),
    /// so that error messages give packet numbers in the file).
    #[cold]
    fn next_filtered_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let (head, range) = loop {
            let (head, data_at) = match self.read_frame()? {
                None => return Ok(None),
                Some(frame) => (
                    FrameHead::of(&frame),
                    (frame.data.as_ptr(), frame.data.len()),
                ),
            };
            let range = self.input.locate(data_at);
            let Some(filter) = self.filter.as_mut() else {
                break (head, range);
            };
            // libpcap knows no link type for pcapng Custom Blocks: they are
            // not packets to tcpdump.
            if head.link_type == LinkType::PCAPNG_CUSTOM_BLOCK {
                filter.rejected += 1;
                continue;
            }
            // The filter sees the frame as libpcap hands it over: with
            // SunATM's pseudo-header in its length.
            let wire_len = head
                .orig_len
                .wrapping_add(super::classic::pseudo_header_len(head.link_type));
            let foreign_order = match &self.container {
                Container::Pcap(file) => file.endian != super::byte_order::Endian::native(),
                Container::Pcapng(file) => file.endian != super::byte_order::Endian::native(),
            };
            let data = self.input.lent(range.clone());
            match filter.accepts(head.link_type, data, wire_len, foreign_order) {
                Ok(true) => break (head, range),
                Ok(false) => {}
                Err(err) => {
                    self.finished = true;
                    let kind = CaptureErrorKind::BadFilter {
                        filter: err.expression,
                        message: err.message,
                    };
                    let fault = Fault {
                        kind,
                        packet: Some(self.frames_read),
                        offset: None,
                    };
                    return Err(fault.into_error(&self.name));
                }
            }
        };
        Ok(Some(head.with_data(self.input.lent(range))))
    }

    /// Counts only the frames `filter` accepts from now on (a tcpdump
    /// expression, compiled by libpcap for each link type the input has).
    pub fn set_filter(&mut self, filter: &PacketFilter) {
        self.filter = Some(filter.for_input());
    }

    /// The filter expression and the frames it turned away so far.
    pub fn filtered(&self) -> Option<(&str, u64)> {
        self.filter
            .as_ref()
            .map(|filter| (filter.expression(), filter.rejected))
    }

    /// The file format (for pcapng, as far as read).
    pub fn format(&self) -> CaptureFormat {
        let compression = self.input.compression;
        match &self.container {
            Container::Pcap(file) => CaptureFormat::Pcap {
                variant: file.variant,
                nanos: file.variant.nanos(),
                modified: file.variant.modified_magic(),
                big_endian: file.endian == super::byte_order::Endian::Big,
                version: file.version,
                snaplen: file.snaplen,
                compression,
            },
            Container::Pcapng(file) => CaptureFormat::Pcapng {
                big_endian: file.endian == super::byte_order::Endian::Big,
                sections: file.sections,
                compression,
            },
        }
    }

    /// Compression around the capture.
    pub fn compression(&self) -> Compression {
        self.input.compression
    }

    /// Link types seen so far, without duplicates, in order of appearance:
    /// the header's for pcap, the interfaces' for pcapng.
    pub fn link_types(&self) -> Vec<LinkType> {
        self.link_types.clone()
    }

    /// Frames returned so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// The input's display name: the path as given, or `<stdin>`.
    pub fn input_name(&self) -> &str {
        &self.name
    }
}

/// A frame without its bytes, kept while the reader's buffer is lent again.
#[derive(Clone, Copy)]
struct FrameHead {
    orig_len: u32,
    ts_nanos: i64,
    link_type: LinkType,
    fcs_len: u8,
}

impl FrameHead {
    fn of(frame: &Frame<'_>) -> FrameHead {
        FrameHead {
            orig_len: frame.orig_len,
            ts_nanos: frame.ts_nanos,
            link_type: frame.link_type,
            fcs_len: frame.fcs_len,
        }
    }

    fn with_data(self, data: &[u8]) -> Frame<'_> {
        Frame {
            data,
            orig_len: self.orig_len,
            ts_nanos: self.ts_nanos,
            link_type: self.link_type,
            fcs_len: self.fcs_len,
        }
    }
}

/// Up to the first 4 bytes of the input (fewer if it is shorter).
fn sniff(input: &mut InputBuffer) -> Result<Vec<u8>, Fault> {
    input
        .fill(4)
        .map_err(|err| Fault::at(read_error_kind(&err, input.compression), 0))?;
    let bytes = input.bytes();
    Ok(bytes[..bytes.len().min(4)].to_vec())
}

fn decompressor(raw: Source, compression: Compression) -> io::Result<Source> {
    Ok(match compression {
        Compression::Gzip => Box::new(MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(raw)?),
        Compression::None => raw,
    })
}

/// Opens a path; also says whether it is a regular file (not a FIFO or
/// device).
/// Bytes read from inputs so far, shared with a progress display.
pub type ProgressCounter = Arc<AtomicU64>;

/// A reader that adds what it reads to a shared counter (once per read
/// call, i.e. per MiB for a file: nothing per packet).
struct CountingReader {
    inner: Source,
    counter: ProgressCounter,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn open_file(path: &Path, name: &str) -> Result<(Source, bool), CaptureError> {
    let file = File::open(path).map_err(|err| {
        let kind = if err.kind() == io::ErrorKind::IsADirectory {
            CaptureErrorKind::IsADirectory
        } else {
            CaptureErrorKind::CannotOpen {
                reason: err.kind(),
                message: err.to_string(),
            }
        };
        CaptureError::new(kind, name)
    })?;
    let file_type = file.metadata().map(|meta| meta.file_type()).ok();
    // Opening a directory succeeds on Linux; reading it would fail later
    // with a less helpful message.
    if file_type.is_some_and(|t| t.is_dir()) {
        return Err(CaptureError::new(CaptureErrorKind::IsADirectory, name));
    }
    Ok((Box::new(file), file_type.is_some_and(|t| t.is_file())))
}
