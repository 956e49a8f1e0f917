//! Live capture from a network interface through libpcap: [`LiveCapture`]
//! hands out the frames waiting in the kernel's ring a batch at a time
//! ([`LiveCapture::next_frames`]), or lends one like
//! [`CaptureReader`](super::CaptureReader) does, optionally saving every
//! packet to a pcap file as it goes; [`list_interfaces`] and
//! [`default_interface`] say what can be captured on.
//!
//! The handle is put in non-blocking mode. On Linux, libpcap's blocking read
//! never returns on an idle interface whatever its timeout (the kernel hands
//! over a ring block only once it holds a packet), so a blocking read would
//! keep the caller from redrawing or noticing Ctrl-C. Instead, a call that
//! finds nothing waits a short while ([`IDLE_WAIT`] at most) and returns
//! empty-handed; packets arriving meanwhile wait in the kernel's ring buffer.

use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use super::error::{CaptureError, CaptureErrorKind};
use super::{Frame, LinkType};

/// The input name of errors about the default interface before libpcap has
/// named one.
const DEFAULT_INTERFACE: &str = "default interface";

/// The longest [`LiveCapture::next_frames`] (or `next_frame`) waits when no
/// packet is ready. Short enough that a burst arriving after an idle spell fits in the
/// kernel buffer (32 MiB hold 10 ms of 25 Gbit/s), long enough that an idle
/// capture wakes only 100 times a second.
pub const IDLE_WAIT: Duration = Duration::from_millis(10);

/// How to open a live capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveOptions {
    /// The interface to capture on; `None`: the one libpcap lists first
    /// ([`default_interface`]).
    pub device: Option<String>,
    /// A BPF capture filter (`tcpdump` syntax), compiled by libpcap with
    /// optimisation on; `None` captures everything.
    pub filter: Option<String>,
    /// Bytes kept of each packet (libpcap caps it at 262144; 0 means that).
    pub snaplen: u32,
    /// Put the interface in promiscuous mode.
    pub promisc: bool,
    /// Also save every captured packet to this pcap file (created or
    /// truncated). `-` means standard output, as in libpcap and tcpdump.
    pub write: Option<PathBuf>,
    /// Size of the kernel capture buffer in bytes.
    pub buffer_size: u32,
    /// libpcap's read timeout: the longest a packet may wait in the kernel
    /// before it is handed over. [`LiveCapture::next_frames`] waits at most
    /// the shorter of this and [`IDLE_WAIT`]; zero makes it never wait.
    pub timeout: Duration,
}

impl Default for LiveOptions {
    /// The default interface, no filter, 262144-byte snaplen, promiscuous,
    /// no file, a 32 MiB buffer and a 100 ms timeout.
    fn default() -> LiveOptions {
        LiveOptions {
            device: None,
            filter: None,
            snaplen: 262_144,
            promisc: true,
            write: None,
            buffer_size: 32 << 20,
            timeout: Duration::from_millis(100),
        }
    }
}

/// libpcap's packet counters since the capture was opened (see
/// `pcap_stats(3PCAP)` for what each platform counts). libpcap's own
/// counters are 32 bits and wrap; these do not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets that reached the capture (on Linux: that passed the filter,
    /// including those dropped and, on loopback, the outgoing copies
    /// libpcap discards).
    pub received: u64,
    /// Packets dropped because the buffer was full (not read fast enough).
    pub dropped: u64,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u64,
}

impl std::ops::AddAssign for CaptureStats {
    /// Sums the counters of two captures.
    fn add_assign(&mut self, other: CaptureStats) {
        self.received += other.received;
        self.dropped += other.dropped;
        self.if_dropped += other.if_dropped;
    }
}

impl CaptureStats {
    /// Adds what libpcap counted since its `previous` reading (each counter
    /// may have wrapped once in between).
    fn accumulate(&mut self, previous: &pcap::Stat, current: &pcap::Stat) {
        self.received += u64::from(current.received.wrapping_sub(previous.received));
        self.dropped += u64::from(current.dropped.wrapping_sub(previous.dropped));
        self.if_dropped += u64::from(current.if_dropped.wrapping_sub(previous.if_dropped));
    }
}

/// Bytes of saved packets collected before they are written out.
const SAVE_BUFFER: usize = 1 << 20;

/// Where saved packets go: a file (which can be cut back to whole records)
/// or standard output (`-w -`).
enum SaveTarget {
    File(std::fs::File),
    Stdout(std::io::Stdout),
}

/// The file every captured packet is also written to, in pcap format with
/// libpcap's own header. Written by portclass rather than libpcap's
/// `pcap_dump`, which reports no error: a failed write (full disk, quota,
/// removed directory) is kept to be reported, nothing more is written, and
/// the file is cut back to the whole records written before it.
struct SaveFile {
    target: SaveTarget,
    /// The path as given, for messages.
    name: String,
    /// Whole records not written out yet.
    buffer: Vec<u8>,
    /// Records in `buffer`.
    buffered: u64,
    /// Bytes in the file, all of them whole records (and the header).
    written_bytes: u64,
    /// Records in the file.
    written: u64,
    /// Records not saved because of an earlier failed write.
    lost: u64,
    /// The failed write, until reported.
    error: Option<std::io::Error>,
    /// Whether a write failed (nothing more is written).
    failed: bool,
}

impl Drop for SaveFile {
    fn drop(&mut self) {
        self.write_out();
    }
}

impl SaveFile {
    /// Appends one record (or counts it lost after a failed write).
    fn write(&mut self, header: &pcap::PacketHeader, data: &[u8]) {
        if self.failed {
            self.lost += 1;
            return;
        }
        if self.buffer.len() + 16 + data.len() > SAVE_BUFFER && !self.write_out() {
            self.lost += 1;
            return;
        }
        // As libpcap writes them: host byte order, like its header; the
        // seconds field is 32 bits in the format.
        for field in [
            header.ts.tv_sec as u32,
            header.ts.tv_usec as u32,
            header.caplen,
            header.len,
        ] {
            self.buffer.extend_from_slice(&field.to_ne_bytes());
        }
        self.buffer.extend_from_slice(data);
        self.buffered += 1;
    }

    /// Writes the buffered records out; false (the error kept) if that
    /// failed, the file then cut back to the records written before.
    fn write_out(&mut self) -> bool {
        if self.failed {
            return false;
        }
        let result = match &mut self.target {
            SaveTarget::File(file) => file.write_all(&self.buffer).and_then(|()| file.flush()),
            SaveTarget::Stdout(stdout) => {
                let mut stdout = stdout.lock();
                stdout.write_all(&self.buffer).and_then(|()| stdout.flush())
            }
        };
        match result {
            Ok(()) => {
                self.written_bytes += self.buffer.len() as u64;
                self.written += self.buffered;
            }
            Err(error) => {
                // Part of the buffer may have reached the file: keep the
                // whole records of that part, cut the rest.
                let mut kept = (0, 0);
                if let SaveTarget::File(file) = &mut self.target {
                    let on_disk = file
                        .metadata()
                        .map_or(0, |m| m.len().saturating_sub(self.written_bytes));
                    kept = whole_records(&self.buffer, on_disk);
                    let _ = file.set_len(self.written_bytes + kept.1);
                }
                self.written += kept.0;
                self.written_bytes += kept.1;
                self.lost += self.buffered - kept.0;
                self.failed = true;
                self.error = Some(error);
            }
        }
        self.buffer.clear();
        self.buffered = 0;
        !self.failed
    }

    /// The failed write, once: what went wrong and what the file holds.
    fn take_error(&mut self) -> Option<CaptureError> {
        let error = self.error.take()?;
        let message = format!(
            "{error}; it holds the {} packet{} saved before, whole, and no more are saved",
            self.written,
            if self.written == 1 { "" } else { "s" }
        );
        Some(CaptureError::new(
            CaptureErrorKind::Write { message },
            &self.name,
        ))
    }
}

/// A live capture on one interface.
///
/// Frames are handed out a batch at a time straight from the kernel's ring
/// ([`next_frames`](Self::next_frames)), or lent one at a time from a copy
/// ([`next_frame`](Self::next_frame)); nothing is allocated per packet.
/// `LiveCapture` is
/// `Send` (it can be moved to a capture thread) but not `Sync`. Dropping it
/// closes the interface and flushes and closes the file of saved packets.
pub struct LiveCapture {
    capture: pcap::Capture<pcap::Active>,
    save: Option<SaveFile>,
    device: String,
    chose_default: bool,
    filter: Option<String>,
    link_type: LinkType,
    /// Time stamps come in nanoseconds (else microseconds).
    nanos: bool,
    /// How long `next_frames` and `next_frame` wait when nothing is ready.
    idle_wait: Duration,
    /// libpcap's counters at the last `stats` call.
    last_stat: pcap::Stat,
    totals: CaptureStats,
}

impl fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveCapture")
            .field("device", &self.device)
            .field("chose_default", &self.chose_default)
            .field("filter", &self.filter)
            .field("link_type", &self.link_type)
            .field("nanos", &self.nanos)
            .field("write", &self.save.as_ref().map(|save| &save.name))
            .finish_non_exhaustive()
    }
}

impl LiveCapture {
    /// Opens the interface, sets the filter, and creates the file of saved
    /// packets, in that order (so a bad filter leaves no empty file).
    ///
    /// Errors name the interface (or the file, for the file of saved
    /// packets); [`CaptureErrorKind::PermissionDenied`],
    /// [`NoSuchDevice`](CaptureErrorKind::NoSuchDevice),
    /// [`DeviceDown`](CaptureErrorKind::DeviceDown) and
    /// [`BadFilter`](CaptureErrorKind::BadFilter) are the usual ones.
    pub fn open(options: &LiveOptions) -> Result<LiveCapture, CaptureError> {
        let (device, chose_default) = match &options.device {
            Some(device) => (device.clone(), false),
            None => match default_interface()
                .map_err(|err| CaptureError::new(err.kind().clone(), DEFAULT_INTERFACE))?
            {
                Some(device) => (device, true),
                None => return Err(CaptureError::new(CaptureErrorKind::NoDefaultDevice, "")),
            },
        };
        let fail = |err: pcap::Error| CaptureError::new(open_error_kind(&err), &device);
        let mut capture = pcap::Capture::from_device(device.as_str())
            .map_err(fail)?
            .promisc(options.promisc)
            .snaplen(saturating_i32(options.snaplen))
            .timeout(timeout_millis(options.timeout))
            .buffer_size(saturating_i32(options.buffer_size))
            .precision(pcap::Precision::Nano)
            .open()
            .map_err(fail)?;
        if let Some(filter) = &options.filter {
            capture.filter(filter, true).map_err(|err| {
                let kind = CaptureErrorKind::BadFilter {
                    filter: filter.clone(),
                    message: pcap_message(&err),
                };
                CaptureError::new(kind, &device)
            })?;
        }
        // libpcap silently keeps microseconds when a device refuses
        // nanoseconds, and maps its DLT value to a file's LINKTYPE value in
        // its own way; the header it would write says what it did.
        let header = savefile_header(&capture);
        let nanos = header.is_none_or(|header| header.nanos);
        let link_type = header.map_or_else(
            || link_type_of_dlt(capture.get_datalink().0),
            |header| header.link_type,
        );
        let capture = capture.setnonblock().map_err(fail)?;
        let save = match &options.write {
            Some(path) => {
                let header = header.map_or_else(
                    || fallback_header(nanos, link_type, options.snaplen),
                    |header| header.bytes,
                );
                Some(create_savefile(path, &header)?)
            }
            None => None,
        };
        Ok(LiveCapture {
            capture,
            save,
            device,
            chose_default,
            filter: options.filter.clone(),
            link_type,
            nanos,
            idle_wait: options.timeout.min(IDLE_WAIT),
            last_stat: pcap::Stat {
                received: 0,
                dropped: 0,
                if_dropped: 0,
            },
            totals: CaptureStats::default(),
        })
    }

    /// The interface being captured on.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Whether the interface was chosen by libpcap because none was given.
    pub fn chose_default(&self) -> bool {
        self.chose_default
    }

    /// The link-layer header type of every frame (a file's `LINKTYPE_*`
    /// value, as written to the file of saved packets).
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// The capture filter as given.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    /// Passes each frame ready in the kernel's ring, at most `max` of them,
    /// to `each`, straight from the ring (the frame is valid during the
    /// call only), and returns how many it passed. Returns 0 when no packet
    /// is ready (or `max` is 0): the call then has waited up to
    /// [`IDLE_WAIT`] (or the timeout, if shorter) and should be repeated.
    /// The caller gets control back at least that often, busy or idle.
    ///
    /// This is the cheap way to read a busy interface: one libpcap call
    /// (`pcap_dispatch`) per batch, and no copy. On Linux, libpcap's
    /// one-packet read ([`next_frame`](Self::next_frame), `pcap_next_ex`)
    /// copies every packet out of the ring, since the kernel may reuse the
    /// ring's block once the call has returned: at 260,000 packets/s the
    /// call was 12% of `live`'s CPU time, 7% the copy.
    ///
    /// Saving to a file and errors are as for [`next_frame`](Self::next_frame).
    pub fn next_frames(
        &mut self,
        max: usize,
        mut each: impl FnMut(&Frame<'_>),
    ) -> Result<usize, CaptureError> {
        if max == 0 {
            return Ok(0);
        }
        let (save, link_type, nanos) = (&mut self.save, self.link_type, self.nanos);
        let passed = self.capture.dispatch(Some(max), |packet| {
            if let Some(save) = save {
                save.write(packet.header, packet.data);
            }
            let header = packet.header;
            each(&Frame {
                data: packet.data,
                orig_len: header.len,
                ts_nanos: ts_nanos(header.ts.tv_sec, header.ts.tv_usec, nanos),
                link_type,
                fcs_len: 0,
            });
        });
        match passed {
            Ok(0) => {
                if !self.idle_wait.is_zero() {
                    thread::sleep(self.idle_wait);
                }
                Ok(0)
            }
            Ok(passed) => Ok(passed),
            Err(err) => {
                let kind = CaptureErrorKind::DeviceGone {
                    message: pcap_message(&err),
                };
                Err(CaptureError::new(kind, &self.device))
            }
        }
    }

    /// The next captured frame, borrowed from libpcap's buffer until the next
    /// call; `Ok(None)` when no packet is ready: the call then has waited up
    /// to [`IDLE_WAIT`] (or the timeout, if shorter) and should be repeated.
    /// The caller gets control back at least that often, busy or idle.
    /// [`next_frames`](Self::next_frames) reads a busy interface for less.
    ///
    /// When a file of saved packets was asked for, the packet is appended to
    /// it before it is returned (through libpcap's buffered writes; see
    /// [`flush`](Self::flush)).
    ///
    /// An error ([`CaptureErrorKind::DeviceGone`]) means the interface
    /// stopped delivering packets, typically because it was removed; an
    /// interface merely taken down just delivers nothing.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        // One read per call: a loop retrying the read while returning a
        // borrow of one of its packets is beyond the borrow checker.
        match self.capture.next_packet() {
            Ok(packet) => {
                if let Some(save) = &mut self.save {
                    save.write(packet.header, packet.data);
                }
                let header = packet.header;
                Ok(Some(Frame {
                    data: packet.data,
                    orig_len: header.len,
                    ts_nanos: ts_nanos(header.ts.tv_sec, header.ts.tv_usec, self.nanos),
                    link_type: self.link_type,
                    fcs_len: 0,
                }))
            }
            // TimeoutExpired: nothing ready in non-blocking mode;
            // NoMorePackets: pcap_breakloop was called.
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                if !self.idle_wait.is_zero() {
                    thread::sleep(self.idle_wait);
                }
                Ok(None)
            }
            Err(err) => {
                let kind = CaptureErrorKind::DeviceGone {
                    message: pcap_message(&err),
                };
                Err(CaptureError::new(kind, &self.device))
            }
        }
    }

    /// libpcap's counters since the capture was opened.
    pub fn stats(&mut self) -> Result<CaptureStats, CaptureError> {
        let current = self.capture.stats().map_err(|err| {
            let kind = CaptureErrorKind::Stats {
                message: pcap_message(&err),
            };
            CaptureError::new(kind, &self.device)
        })?;
        self.totals.accumulate(&self.last_stat, &current);
        self.last_stat = current;
        Ok(self.totals)
    }

    /// Writes out the packets saved so far, if a file of saved packets was
    /// asked for. An error (reported once) means writing it failed; the
    /// file then holds the whole records written before, and no more.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        let Some(save) = &mut self.save else {
            return Ok(());
        };
        save.write_out();
        save.take_error().map_or(Ok(()), Err)
    }

    /// Writes out the packets saved so far (an error is kept for
    /// [`LiveCapture::take_write_error`]).
    pub fn write_saved(&mut self) {
        if let Some(save) = &mut self.save {
            save.write_out();
        }
    }

    /// A failed write of the file of saved packets, once, as soon as it
    /// happened (the capture itself goes on).
    pub fn take_write_error(&mut self) -> Option<CaptureError> {
        self.save.as_mut().and_then(SaveFile::take_error)
    }

    /// Packets in the file of saved packets and packets that could not be
    /// saved, if there is one.
    pub fn saved(&self) -> Option<(u64, u64)> {
        self.save
            .as_ref()
            .map(|save| (save.written + save.buffered, save.lost))
    }
}

/// A capture device and what libpcap knows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The name to capture on (`eth0`, `any`, `lo`).
    pub name: String,
    /// libpcap's description, if it has one.
    pub description: Option<String>,
    /// IPv4 and IPv6 addresses with their prefix length (`10.0.0.1/24`,
    /// `fe80::1/64`), or a plain address when there is no netmask.
    pub addresses: Vec<String>,
    /// Administratively up.
    pub up: bool,
    /// Operationally up (running).
    pub running: bool,
    /// A loopback interface.
    pub loopback: bool,
    /// A wireless interface (Wi-Fi, but also IrDA, 802.15.4, …).
    pub wireless: bool,
    /// Whether a cable is plugged in or the wireless interface is
    /// associated; `None` when unknown or not applicable (loopback, `any`).
    pub connected: Option<bool>,
}

impl InterfaceInfo {
    fn from_device(device: pcap::Device) -> InterfaceInfo {
        let flags = &device.flags;
        InterfaceInfo {
            addresses: device
                .addresses
                .iter()
                .map(|address| with_prefix(address.addr, address.netmask))
                .collect(),
            up: flags.is_up(),
            running: flags.is_running(),
            loopback: flags.is_loopback(),
            wireless: flags.is_wireless(),
            connected: match flags.connection_status {
                pcap::ConnectionStatus::Connected => Some(true),
                pcap::ConnectionStatus::Disconnected => Some(false),
                pcap::ConnectionStatus::Unknown | pcap::ConnectionStatus::NotApplicable => None,
            },
            name: device.name,
            description: device.desc,
        }
    }
}

/// The capture devices, in libpcap's order (up and running interfaces
/// first, loopback near the end). Needs no privileges.
pub fn list_interfaces() -> Result<Vec<InterfaceInfo>, CaptureError> {
    let devices = pcap::Device::list().map_err(device_list_error)?;
    Ok(devices
        .into_iter()
        .map(InterfaceInfo::from_device)
        .collect())
}

/// The device libpcap picks when none is given (the first of
/// [`list_interfaces`], as tcpdump does), or `None` when there is none.
pub fn default_interface() -> Result<Option<String>, CaptureError> {
    let device = pcap::Device::lookup().map_err(device_list_error)?;
    Ok(device.map(|device| device.name))
}

fn device_list_error(err: pcap::Error) -> CaptureError {
    let kind = CaptureErrorKind::DeviceList {
        message: pcap_message(&err),
    };
    CaptureError::new(kind, "")
}

/// libpcap's own text for a libpcap error, else the `pcap` crate's.
fn pcap_message(err: &pcap::Error) -> String {
    match err {
        pcap::Error::PcapError(message) => message.clone(),
        other => other.to_string(),
    }
}

/// Sorts an error from creating or activating a capture by libpcap's
/// message (the `pcap` crate keeps only the message, not the status code).
fn open_error_kind(err: &pcap::Error) -> CaptureErrorKind {
    let message = pcap_message(err);
    let lower = message.to_ascii_lowercase();
    // Linux without CAP_NET_RAW: "socket: Operation not permitted"; BSD and
    // macOS: "(cannot open BPF device) /dev/bpf0: Permission denied";
    // libpcap's generic PCAP_ERROR_PERM_DENIED text: "You don't have
    // permission to capture on that device".
    if [
        "operation not permitted",
        "permission denied",
        "don't have permission",
    ]
    .iter()
    .any(|text| lower.contains(text))
    {
        CaptureErrorKind::PermissionDenied { message }
    } else if ["no such device", "device not configured"]
        .iter()
        .any(|text| lower.contains(text))
    {
        // "No such device exists", "SIOCGIFHWADDR: No such device",
        // "BIOCSETIF: en9: Device not configured".
        CaptureErrorKind::NoSuchDevice { message }
    } else if lower.contains("not up") {
        // "That device is not up".
        CaptureErrorKind::DeviceDown { message }
    } else {
        CaptureErrorKind::CannotCapture { message }
    }
}

/// How many of the records at the head of `buffer` lie whole within its
/// first `len` bytes, and their bytes.
fn whole_records(buffer: &[u8], len: u64) -> (u64, u64) {
    let (mut records, mut at) = (0, 0usize);
    while let Some(caplen) = buffer.get(at + 8..at + 12) {
        let caplen = u32::from_ne_bytes([caplen[0], caplen[1], caplen[2], caplen[3]]);
        let end = at + 16 + caplen as usize;
        if end > buffer.len() || end as u64 > len {
            break;
        }
        records += 1;
        at = end;
    }
    (records, at as u64)
}

/// Creates the file every packet is saved to, starting with `header`.
fn create_savefile(path: &std::path::Path, header: &[u8; 24]) -> Result<SaveFile, CaptureError> {
    let name = path.display().to_string();
    let fail = |error: std::io::Error| {
        CaptureError::new(
            CaptureErrorKind::CannotCreate {
                message: error.to_string(),
            },
            &name,
        )
    };
    let mut target = if path.as_os_str() == "-" {
        SaveTarget::Stdout(std::io::stdout())
    } else {
        SaveTarget::File(std::fs::File::create(path).map_err(fail)?)
    };
    match &mut target {
        SaveTarget::File(file) => file.write_all(header),
        SaveTarget::Stdout(stdout) => stdout.write_all(header),
    }
    .map_err(fail)?;
    Ok(SaveFile {
        target,
        name,
        buffer: Vec::with_capacity(SAVE_BUFFER),
        buffered: 0,
        written_bytes: header.len() as u64,
        written: 0,
        lost: 0,
        error: None,
        failed: false,
    })
}

/// What libpcap writes at the head of a pcap file for a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SavefileHeader {
    nanos: bool,
    link_type: LinkType,
    /// The header's bytes, written at the head of `-w`'s file.
    bytes: [u8; 24],
}

/// Has libpcap write a pcap file header for `capture` into a pipe and reads
/// it back: the only way, without `unsafe`, to learn the time stamp
/// precision libpcap settled on (it ignores a refused request silently).
/// `None` if that fails (no `/dev/fd`).
#[cfg(unix)]
fn savefile_header(capture: &pcap::Capture<pcap::Active>) -> Option<SavefileHeader> {
    use std::io::Read;
    use std::os::fd::AsRawFd;

    let (mut reader, writer) = std::io::pipe().ok()?;
    let path = format!("/dev/fd/{}", writer.as_raw_fd());
    let mut savefile = capture.savefile(&path).ok()?;
    let flushed = savefile.flush();
    drop(savefile);
    drop(writer);
    flushed.ok()?;
    // Exactly the header: do not wait for the end of the pipe, which a child
    // forked meanwhile by another thread could hold open.
    let mut header = [0u8; 24];
    reader.read_exact(&mut header).ok()?;
    parse_savefile_header(&header)
}

#[cfg(not(unix))]
fn savefile_header(_capture: &pcap::Capture<pcap::Active>) -> Option<SavefileHeader> {
    None
}

/// A pcap file header in host byte order, as libpcap writes one, for when
/// libpcap's own could not be had.
fn fallback_header(nanos: bool, link_type: LinkType, snaplen: u32) -> [u8; 24] {
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut header = [0u8; 24];
    header[0..4].copy_from_slice(&magic.to_ne_bytes());
    header[4..6].copy_from_slice(&2u16.to_ne_bytes());
    header[6..8].copy_from_slice(&4u16.to_ne_bytes());
    header[16..20].copy_from_slice(&snaplen.to_ne_bytes());
    header[20..24].copy_from_slice(&u32::from(link_type.0).to_ne_bytes());
    header
}

/// Reads a classic pcap header written in host byte order, as libpcap
/// writes them.
fn parse_savefile_header(header: &[u8; 24]) -> Option<SavefileHeader> {
    let field = |at: usize| {
        u32::from_ne_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let nanos = match field(0) {
        0xa1b2_c3d4 => false,
        0xa1b2_3c4d => true,
        _ => return None,
    };
    // The upper bits of the link-type field carry FCS information.
    let link_type = LinkType((field(20) & 0xffff) as u16);
    Some(SavefileHeader {
        nanos,
        link_type,
        bytes: *header,
    })
}

/// The file `LINKTYPE_*` value of a libpcap `DLT_*` value, for the few that
/// differ (after libpcap's `dlt_to_linktype`). Used only when
/// [`savefile_header`] fails.
fn link_type_of_dlt(dlt: i32) -> LinkType {
    let linktype = match dlt {
        11 => 100,                                // ATM_RFC1483
        12 if cfg!(target_os = "openbsd") => 108, // LOOP
        12 => 101,                                // RAW
        14 if cfg!(target_os = "openbsd") => 101, // RAW
        15 => 102,                                // SLIP_BSDOS
        16 => 103,                                // PPP_BSDOS
        19 if cfg!(target_os = "linux") => 106,   // ATM_CLIP
        other => other,
    };
    LinkType(u16::try_from(linktype).unwrap_or(u16::MAX - 1))
}

/// Nanoseconds since the epoch of a libpcap time stamp whose fraction is in
/// nanoseconds or microseconds.
/// (Generic because `time_t` and `suseconds_t` are `i64` or `i32` depending
/// on the platform.)
fn ts_nanos(seconds: impl Into<i64>, fraction: impl Into<i64>, nanos: bool) -> i64 {
    let (seconds, fraction) = (seconds.into(), fraction.into());
    let fraction = if nanos {
        fraction
    } else {
        fraction.saturating_mul(1_000)
    };
    seconds
        .saturating_mul(1_000_000_000)
        .saturating_add(fraction)
}

fn saturating_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// libpcap's timeout in milliseconds: a non-zero timeout below 1 ms becomes
/// 1 ms, since 0 would mean "wait for a full buffer".
fn timeout_millis(timeout: Duration) -> i32 {
    let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    if millis == 0 && !timeout.is_zero() {
        1
    } else {
        millis
    }
}

/// A prefix length for a contiguous netmask, else the mask itself.
fn with_prefix(address: IpAddr, netmask: Option<IpAddr>) -> String {
    let prefix = match (address, netmask) {
        (IpAddr::V4(_), Some(IpAddr::V4(mask))) => {
            contiguous_prefix(u128::from(u32::from(mask)) << 96)
                .map_or_else(|| mask.to_string(), |bits| bits.to_string())
        }
        (IpAddr::V6(_), Some(IpAddr::V6(mask))) => contiguous_prefix(u128::from(mask))
            .map_or_else(|| mask.to_string(), |bits| bits.to_string()),
        _ => return address.to_string(),
    };
    format!("{address}/{prefix}")
}

/// The number of leading one bits when no one bit follows a zero bit.
fn contiguous_prefix(mask: u128) -> Option<u32> {
    let ones = mask.leading_ones();
    (mask.count_ones() == ones).then_some(ones)
}

#[cfg(test)]
mod tests {
    //! Real captures on the loopback interface; they need CAP_NET_RAW (root)
    //! and print a notice and return without it. Without it, the permission
    //! error itself is checked instead.

    use std::net::{Ipv4Addr, UdpSocket};
    use std::time::Instant;

    use super::*;
    use crate::capture::{CaptureReader, Input};
    use crate::decode::{Category, decode};

    /// Datagrams sent per test.
    const DATAGRAMS: u32 = 20;
    /// Never reached when capture works; keeps a broken capture from hanging
    /// the test run.
    const GIVE_UP_AFTER: Duration = Duration::from_secs(20);

    /// Whether this process may capture: bit 13 (CAP_NET_RAW) of the
    /// effective capability set, or, without `/proc`, effective user 0.
    fn may_capture() -> bool {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return false;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(str::trim)
                .map(str::to_owned)
        };
        match field("CapEff:").and_then(|hex| u64::from_str_radix(&hex, 16).ok()) {
            Some(caps) => caps & (1 << 13) != 0,
            None => field("Uid:").is_some_and(|uids| uids.split_whitespace().nth(1) == Some("0")),
        }
    }

    fn skip_notice() {
        crate::test_skipped("capturing needs root or CAP_NET_RAW");
    }

    fn loopback_options(filter: String) -> LiveOptions {
        LiveOptions {
            device: Some("lo".to_owned()),
            filter: Some(filter),
            // Loopback has no other use for promiscuous mode.
            promisc: false,
            ..LiveOptions::default()
        }
    }

    /// A frame copied out of the capture, for comparisons.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Owned {
        data: Vec<u8>,
        orig_len: u32,
        ts_nanos: i64,
        link_type: LinkType,
    }

    impl Owned {
        fn new(frame: &Frame<'_>) -> Owned {
            Owned {
                data: frame.data.to_vec(),
                orig_len: frame.orig_len,
                ts_nanos: frame.ts_nanos,
                link_type: frame.link_type,
            }
        }
    }

    /// A receiving socket (so no ICMP "port unreachable" is sent) and a
    /// sending socket on 127.0.0.1, with ports the system picked.
    struct Traffic {
        receiver: UdpSocket,
        sender: UdpSocket,
        /// A second receiver: one datagram to it marks the end.
        end_marker: UdpSocket,
    }

    impl Traffic {
        fn new() -> Traffic {
            let bind = || UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            Traffic {
                receiver: bind(),
                sender: bind(),
                end_marker: bind(),
            }
        }

        fn port(socket: &UdpSocket) -> u16 {
            socket.local_addr().unwrap().port()
        }

        /// Captures the datagrams to the receiver and the end marker.
        fn filter(&self) -> String {
            format!(
                "udp and (dst port {} or dst port {})",
                Traffic::port(&self.receiver),
                Traffic::port(&self.end_marker)
            )
        }

        /// Sends `DATAGRAMS` datagrams numbered in their first 4 bytes, then
        /// the end marker.
        fn send(&self) {
            let to = self.receiver.local_addr().unwrap();
            for n in 0..DATAGRAMS {
                let mut payload = [0x5a; 100];
                payload[..4].copy_from_slice(&n.to_be_bytes());
                self.sender.send_to(&payload, to).unwrap();
            }
            let end = self.end_marker.local_addr().unwrap();
            self.sender.send_to(b"end", end).unwrap();
        }

        /// Reads frames up to the end marker, then until nothing is ready.
        fn collect(&self, capture: &mut LiveCapture) -> Vec<Owned> {
            let end_port = Traffic::port(&self.end_marker);
            let started = Instant::now();
            let mut frames = Vec::new();
            let mut seen_end = false;
            loop {
                match capture.next_frame() {
                    Ok(Some(frame)) => {
                        let info = decode(frame.link_type, frame.data, frame.orig_len, 0);
                        seen_end |= info.category == Category::Udp && info.dst_port == end_port;
                        frames.push(Owned::new(&frame));
                    }
                    Ok(None) if seen_end => return frames,
                    Ok(None) => assert!(
                        started.elapsed() < GIVE_UP_AFTER,
                        "the end marker never came; frames so far: {}",
                        frames.len()
                    ),
                    Err(err) => panic!("capture failed: {err}"),
                }
            }
        }

        /// As [`collect`](Self::collect), through
        /// [`LiveCapture::next_frames`] batches of at most `max` frames.
        fn collect_batches(&self, capture: &mut LiveCapture, max: usize) -> Vec<Owned> {
            let end_port = Traffic::port(&self.end_marker);
            let started = Instant::now();
            let mut frames = Vec::new();
            let mut seen_end = false;
            loop {
                let before = frames.len();
                let passed = capture
                    .next_frames(max, |frame| {
                        let info = decode(frame.link_type, frame.data, frame.orig_len, 0);
                        seen_end |= info.category == Category::Udp && info.dst_port == end_port;
                        frames.push(Owned::new(frame));
                    })
                    .unwrap_or_else(|err| panic!("capture failed: {err}"));
                assert_eq!(passed, frames.len() - before, "the count returned");
                assert!(passed <= max, "{passed} frames in a batch of at most {max}");
                if passed == 0 && seen_end {
                    return frames;
                }
                assert!(
                    started.elapsed() < GIVE_UP_AFTER,
                    "the end marker never came; frames so far: {}",
                    frames.len()
                );
            }
        }

        /// Checks that `frames` are exactly the datagrams sent and the end
        /// marker.
        fn check(&self, frames: &[Owned]) {
            let (from, to, end) = (
                Traffic::port(&self.sender),
                Traffic::port(&self.receiver),
                Traffic::port(&self.end_marker),
            );
            let mut numbers = Vec::new();
            let mut ends = 0;
            for frame in frames {
                let info = decode(frame.link_type, &frame.data, frame.orig_len, 0);
                assert_eq!(info.category, Category::Udp, "{frame:?}");
                assert_eq!(info.src_port, from);
                assert_eq!(frame.orig_len as usize, frame.data.len(), "not truncated");
                if info.dst_port == end {
                    ends += 1;
                } else {
                    assert_eq!(info.dst_port, to);
                    let payload = &frame.data[frame.data.len() - 100..];
                    numbers.push(u32::from_be_bytes(payload[..4].try_into().unwrap()));
                }
            }
            assert_eq!(ends, 1, "the end marker, once");
            // Arrival order is the sending order unless the sender moved
            // between CPUs; the set is what matters.
            numbers.sort_unstable();
            assert_eq!(numbers, (0..DATAGRAMS).collect::<Vec<_>>());
        }
    }

    #[test]
    fn captures_exactly_the_datagrams_sent_on_loopback() {
        if !may_capture() {
            return skip_notice();
        }
        let traffic = Traffic::new();
        let filter = traffic.filter();
        let mut capture = LiveCapture::open(&loopback_options(filter.clone())).unwrap();
        assert_eq!(capture.device(), "lo");
        assert!(!capture.chose_default());
        assert_eq!(capture.filter(), Some(filter.as_str()));
        // Linux loopback looks like Ethernet.
        assert_eq!(capture.link_type(), LinkType::ETHERNET);
        traffic.send();
        let frames = traffic.collect(&mut capture);
        traffic.check(&frames);
        assert_eq!(frames.len() as u32, DATAGRAMS + 1);
        let stats = capture.stats().unwrap();
        assert!(
            stats.received >= u64::from(DATAGRAMS + 1),
            "stats {stats:?}"
        );
        assert_eq!(stats.dropped, 0);
        // Counters accumulate: a second reading is not smaller.
        assert!(capture.stats().unwrap().received >= stats.received);
        // No file to flush.
        capture.flush().unwrap();
    }

    #[test]
    fn batches_straight_from_the_ring_are_the_datagrams_sent_and_saved() {
        if !may_capture() {
            return skip_notice();
        }
        let (dir, path, traffic, mut capture) = saving_capture();
        assert_eq!(
            capture
                .next_frames(0, |_| panic!("no frame wanted"))
                .unwrap(),
            0
        );
        traffic.send();
        let frames = traffic.collect_batches(&mut capture, 7);
        traffic.check(&frames);
        assert_eq!(capture.stats().unwrap().dropped, 0);
        capture.flush().unwrap();
        drop(capture);

        let (saved, _) = read_back(path);
        assert_eq!(saved, frames);
        drop(dir);
    }

    /// A loopback capture of a new [`Traffic`] that saves what it captures
    /// to a file in a temporary directory (kept alive by the caller).
    fn saving_capture() -> (tempfile::TempDir, std::path::PathBuf, Traffic, LiveCapture) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.pcap");
        let traffic = Traffic::new();
        let options = LiveOptions {
            write: Some(path.clone()),
            ..loopback_options(traffic.filter())
        };
        let capture = LiveCapture::open(&options).unwrap();
        (dir, path, traffic, capture)
    }

    /// The frames of a saved capture (none with an FCS), and its reader.
    fn read_back(path: std::path::PathBuf) -> (Vec<Owned>, CaptureReader) {
        let mut reader = CaptureReader::open(&Input::Path(path)).unwrap();
        let mut saved = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            assert_eq!(frame.fcs_len, 0);
            saved.push(Owned::new(&frame));
        }
        (saved, reader)
    }

    #[test]
    fn saved_packets_read_back_identical() {
        if !may_capture() {
            return skip_notice();
        }
        let (dir, path, traffic, mut capture) = saving_capture();
        traffic.send();
        let frames = traffic.collect(&mut capture);
        traffic.check(&frames);
        capture.flush().unwrap();
        drop(capture);

        let (saved, reader) = read_back(path);
        // Same bytes, lengths, link type and (nanosecond) time stamps, in
        // the same order.
        assert_eq!(saved, frames);
        assert!(
            reader.format().to_string().starts_with("pcap (nanoseconds"),
            "{}",
            reader.format()
        );
        drop(dir);
    }

    #[test]
    fn default_device_is_the_first_listed() {
        let Some(default) = default_interface().unwrap() else {
            return crate::test_skipped("no capture device here");
        };
        let interfaces = list_interfaces().unwrap();
        assert_eq!(interfaces.first().map(|i| &i.name), Some(&default));
        if !may_capture() {
            // The listing is checked; opening the device is what is skipped.
            return skip_notice();
        }
        let options = LiveOptions {
            promisc: false,
            // Matches nothing: the test only opens the device.
            filter: Some("ether proto 0x88b5".to_owned()),
            ..LiveOptions::default()
        };
        let capture = LiveCapture::open(&options).unwrap();
        assert!(capture.chose_default());
        assert_eq!(capture.device(), default);
    }

    #[test]
    fn bad_filter_gives_libpcaps_message() {
        if !may_capture() {
            return skip_notice();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("never.pcap");
        let options = LiveOptions {
            write: Some(path.clone()),
            ..loopback_options("udp and prt 53".to_owned())
        };
        let err = LiveCapture::open(&options).unwrap_err();
        assert_eq!(
            err.kind(),
            &CaptureErrorKind::BadFilter {
                filter: "udp and prt 53".to_owned(),
                message: "syntax error in filter expression".to_owned(),
            }
        );
        assert_eq!(
            err.to_string(),
            "lo: bad capture filter \"udp and prt 53\": syntax error in filter expression"
        );
        assert!(
            !path.exists(),
            "no file is created for a capture that failed"
        );

        let options = loopback_options("tcp port 99999".to_owned());
        let err = LiveCapture::open(&options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "lo: bad capture filter \"tcp port 99999\": illegal port number 99999 > 65535"
        );
    }

    #[test]
    fn unknown_interface_is_no_such_device() {
        if !may_capture() {
            return skip_notice();
        }
        let options = LiveOptions {
            device: Some("nonexistent0".to_owned()),
            ..LiveOptions::default()
        };
        let err = LiveCapture::open(&options).unwrap_err();
        assert!(
            matches!(err.kind(), CaptureErrorKind::NoSuchDevice { .. }),
            "{err:?}"
        );
        assert_eq!(err.input(), "nonexistent0");
        assert_eq!(
            err.to_string(),
            "nonexistent0: no such interface: portclass interfaces lists the capture devices"
        );
    }

    #[test]
    fn uncreatable_file_is_named() {
        if !may_capture() {
            return skip_notice();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("live.pcap");
        let options = LiveOptions {
            write: Some(path.clone()),
            ..loopback_options("ether proto 0x88b5".to_owned())
        };
        let err = LiveCapture::open(&options).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: cannot create the capture file: No such file or directory (os error 2)",
                path.display()
            )
        );
    }

    /// Run as an unprivileged user (for instance the test binary under
    /// `setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all`).
    #[test]
    fn without_privileges_the_error_says_what_to_do() {
        if may_capture() {
            return crate::test_skipped("this process may capture (run it unprivileged)");
        }
        for device in ["lo", "nonexistent0"] {
            let options = LiveOptions {
                device: Some(device.to_owned()),
                ..LiveOptions::default()
            };
            let err = LiveCapture::open(&options).unwrap_err();
            assert!(
                matches!(err.kind(), CaptureErrorKind::PermissionDenied { .. }),
                "{err:?}"
            );
            #[cfg(target_os = "linux")]
            assert_eq!(
                err.to_string(),
                format!(
                    "{device}: capturing needs root or the CAP_NET_RAW capability: run sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v portclass)\" once, or run portclass with sudo"
                )
            );
        }
    }

    #[test]
    fn loopback_is_listed_with_its_address() {
        let interfaces = list_interfaces().unwrap();
        let Some(lo) = interfaces.iter().find(|i| i.name == "lo") else {
            return crate::test_skipped("no lo interface here");
        };
        assert!(lo.loopback, "{lo:?}");
        assert!(lo.up, "{lo:?}");
        assert!(!lo.wireless, "{lo:?}");
        assert_eq!(lo.connected, None, "{lo:?}");
        assert!(lo.addresses.iter().any(|a| a == "127.0.0.1/8"), "{lo:?}");
    }

    #[test]
    fn libpcap_open_messages_are_sorted_by_cause() {
        let kind = |message: &str| open_error_kind(&pcap::Error::PcapError(message.to_owned()));
        let denied = [
            "socket: Operation not permitted",
            "(cannot open BPF device) /dev/bpf0: Permission denied",
            "You don't have permission to capture on that device (socket: Operation not permitted)",
        ];
        for message in denied {
            assert!(
                matches!(kind(message), CaptureErrorKind::PermissionDenied { .. }),
                "{message}"
            );
        }
        for message in ["No such device exists", "SIOCGIFHWADDR: No such device"] {
            assert!(
                matches!(kind(message), CaptureErrorKind::NoSuchDevice { .. }),
                "{message}"
            );
        }
        assert!(matches!(
            kind("That device is not up"),
            CaptureErrorKind::DeviceDown { .. }
        ));
        assert_eq!(
            kind("can't mmap rx ring: Cannot allocate memory"),
            CaptureErrorKind::CannotCapture {
                message: "can't mmap rx ring: Cannot allocate memory".to_owned()
            }
        );
    }

    #[test]
    fn messages_as_printed() {
        let no_device = CaptureError::new(CaptureErrorKind::NoDefaultDevice, "");
        assert_eq!(
            no_device.to_string(),
            "no capture device found: give one with -i (portclass interfaces lists them)"
        );
        let gone = CaptureError::new(
            CaptureErrorKind::DeviceGone {
                message: "The interface disappeared".to_owned(),
            },
            "veth0",
        );
        assert_eq!(
            gone.to_string(),
            "veth0: the interface stopped delivering packets: The interface disappeared"
        );
        let down = CaptureError::new(
            CaptureErrorKind::DeviceDown {
                message: "That device is not up".to_owned(),
            },
            "eth1",
        );
        assert_eq!(
            down.to_string(),
            "eth1: the interface is down: bring it up, or capture on another one (portclass interfaces lists them)"
        );
    }

    #[test]
    fn stats_survive_libpcaps_counters_wrapping() {
        let stat = |received, dropped, if_dropped| pcap::Stat {
            received,
            dropped,
            if_dropped,
        };
        let mut totals = CaptureStats::default();
        let readings = [
            stat(0, 0, 0),
            stat(u32::MAX - 5, 10, 0),
            stat(4, 12, 1), // received wrapped: 10 more
            stat(4, 12, 1),
            stat(3_000_000_000, 12, 1),
            stat(1_000_000_000, 13, 1), // wrapped again
        ];
        for pair in readings.windows(2) {
            totals.accumulate(&pair[0], &pair[1]);
        }
        let expected_received = u64::from(u32::MAX - 5)
            + 10
            + (3_000_000_000 - 4)
            + (u64::from(u32::MAX) + 1 - 3_000_000_000 + 1_000_000_000);
        assert_eq!(
            totals,
            CaptureStats {
                received: expected_received,
                dropped: 13,
                if_dropped: 1,
            }
        );
        let mut sum = totals;
        sum += totals;
        assert_eq!(sum.received, 2 * expected_received);
    }

    #[test]
    fn addresses_with_prefix_lengths() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            with_prefix(ip("10.0.0.1"), Some(ip("255.255.255.0"))),
            "10.0.0.1/24"
        );
        assert_eq!(
            with_prefix(ip("127.0.0.1"), Some(ip("255.0.0.0"))),
            "127.0.0.1/8"
        );
        assert_eq!(
            with_prefix(ip("192.0.2.9"), Some(ip("255.255.255.255"))),
            "192.0.2.9/32"
        );
        assert_eq!(
            with_prefix(ip("192.0.2.9"), Some(ip("0.0.0.0"))),
            "192.0.2.9/0"
        );
        assert_eq!(
            with_prefix(ip("fe80::1"), Some(ip("ffff:ffff:ffff:ffff::"))),
            "fe80::1/64"
        );
        assert_eq!(
            with_prefix(
                ip("::1"),
                Some(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
            ),
            "::1/128"
        );
        assert_eq!(with_prefix(ip("10.0.0.1"), None), "10.0.0.1");
        assert_eq!(
            with_prefix(ip("10.0.0.1"), Some(ip("255.0.255.0"))),
            "10.0.0.1/255.0.255.0"
        );
        assert_eq!(with_prefix(ip("10.0.0.1"), Some(ip("ffff::"))), "10.0.0.1");
    }

    #[test]
    fn time_stamps_in_nanoseconds() {
        assert_eq!(
            ts_nanos(1_700_000_000_i64, 123_456_789_i64, true),
            1_700_000_000_123_456_789
        );
        assert_eq!(
            ts_nanos(1_700_000_000_i64, 123_456_i64, false),
            1_700_000_000_123_456_000
        );
        assert_eq!(ts_nanos(i64::MAX, 1_i64, true), i64::MAX);
    }

    #[test]
    fn a_cut_write_keeps_only_whole_records() {
        let record = |caplen: u32| {
            let mut bytes = vec![0u8; 16 + caplen as usize];
            bytes[8..12].copy_from_slice(&caplen.to_ne_bytes());
            bytes
        };
        let buffer = [record(60), record(100), record(40)].concat();
        assert_eq!(whole_records(&buffer, 0), (0, 0));
        assert_eq!(whole_records(&buffer, 75), (0, 0));
        assert_eq!(whole_records(&buffer, 76), (1, 76));
        assert_eq!(whole_records(&buffer, 191), (1, 76));
        assert_eq!(whole_records(&buffer, 192), (2, 192));
        assert_eq!(whole_records(&buffer, 10_000), (3, 248));
        assert_eq!(whole_records(&buffer[..200], 10_000), (2, 192));
    }

    #[test]
    fn savefile_headers() {
        let header = |magic: u32, link: u32| {
            let mut bytes = [0u8; 24];
            bytes[..4].copy_from_slice(&magic.to_ne_bytes());
            bytes[20..].copy_from_slice(&link.to_ne_bytes());
            bytes
        };
        assert_eq!(
            parse_savefile_header(&header(0xa1b2_3c4d, 1)),
            Some(SavefileHeader {
                nanos: true,
                link_type: LinkType::ETHERNET,
                bytes: header(0xa1b2_3c4d, 1),
            })
        );
        assert_eq!(
            parse_savefile_header(&header(0xa1b2_c3d4, 113 | 0x1000_0000)),
            Some(SavefileHeader {
                nanos: false,
                link_type: LinkType::LINUX_SLL,
                bytes: header(0xa1b2_c3d4, 113 | 0x1000_0000),
            })
        );
        assert_eq!(parse_savefile_header(&header(0x0a0d_0d0a, 1)), None);
        // The fallback header reads back as what it was made for.
        assert_eq!(
            parse_savefile_header(&fallback_header(true, LinkType::ETHERNET, 65535)),
            Some(SavefileHeader {
                nanos: true,
                link_type: LinkType::ETHERNET,
                bytes: fallback_header(true, LinkType::ETHERNET, 65535),
            })
        );
        assert_eq!(link_type_of_dlt(1), LinkType::ETHERNET);
        #[cfg(target_os = "linux")]
        assert_eq!(link_type_of_dlt(12), LinkType::RAW);
        assert_eq!(link_type_of_dlt(276), LinkType::LINUX_SLL2);
    }

    #[test]
    fn timeouts_in_milliseconds() {
        assert_eq!(timeout_millis(Duration::from_millis(100)), 100);
        assert_eq!(timeout_millis(Duration::from_micros(10)), 1);
        assert_eq!(timeout_millis(Duration::ZERO), 0);
        assert_eq!(timeout_millis(Duration::from_secs(u64::MAX)), i32::MAX);
        assert_eq!(saturating_i32(u32::MAX), i32::MAX);
    }

    #[test]
    fn live_capture_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<LiveCapture>();
    }
}
