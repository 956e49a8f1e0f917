//! Capture filters on saved captures: a tcpdump expression compiled by
//! libpcap itself and run here, frame by frame, by a classic BPF
//! interpreter that follows libpcap's `bpf_filter.c` instruction for
//! instruction.
//!
//! libpcap compiles some expressions differently for a saved file than for
//! a live or dead handle: on BSD loopback (NULL) `ip6` checks all three
//! BSD values of AF_INET6 rather than this host's, and the address family
//! is compared in the file's byte order. So each program is compiled as
//! `tcpdump -r FILE EXPRESSION` compiles it, on a savefile handle: libpcap
//! opens a 24-byte pcap header of the input's link type and byte order,
//! written to a pipe (`/dev/fd/N`). Where that cannot be done, a dead
//! handle of the link type is the fallback.
//!
//! Why not `BpfProgram::filter` of the `pcap` crate: it hands libpcap the
//! captured length as the length on the wire, so `len`, `greater` and
//! `less` would see the snap length. The interpreter gets the frame's real
//! length, as tcpdump's `pcap_offline_filter` does. The compiled program
//! is read through the instructions' `Display` (`"code jt jf k"`), the one
//! safe view of them the crate offers.

use std::fmt;
use std::sync::Arc;

use super::LinkType;

/// The most instructions a program may have (libpcap's `BPF_MAXINSNS`).
const MAX_INSTRUCTIONS: usize = 4096;

/// Scratch memory words (`BPF_MEMWORDS`).
const MEMORY_WORDS: usize = 16;

/// A filter expression that libpcap accepted (checked once for Ethernet
/// when made, compiled again for each link type an input has).
#[derive(Clone, PartialEq, Eq)]
pub struct PacketFilter {
    expression: Arc<str>,
}

impl fmt::Debug for PacketFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PacketFilter")
            .field(&&*self.expression)
            .finish()
    }
}

/// libpcap refused a filter expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad filter \"{expression}\": {message}")]
pub struct FilterError {
    /// The expression as given.
    pub expression: String,
    /// libpcap's message (`"syntax error in filter expression"`).
    pub message: String,
}

impl PacketFilter {
    /// Checks `expression` by compiling it for Ethernet, the link type
    /// nearly every capture has; an expression libpcap cannot compile
    /// there (a syntax error, a port above 65535, an unknown protocol
    /// name) is refused before any input is opened.
    pub fn new(expression: &str) -> Result<PacketFilter, FilterError> {
        Program::compile(expression, LinkType::ETHERNET, false)?;
        Ok(PacketFilter {
            expression: Arc::from(expression),
        })
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The filter, to be compiled for each link type as frames of it come.
    pub(super) fn for_input(&self) -> InputFilter {
        InputFilter {
            expression: Arc::clone(&self.expression),
            programs: Vec::new(),
            rejected: 0,
        }
    }
}

/// One input's filter: a program per link type seen (a pcapng file may
/// have several), compiled when its first frame comes.
#[derive(Debug)]
pub(super) struct InputFilter {
    expression: Arc<str>,
    /// Programs by link type and byte order of the file or section.
    programs: Vec<((LinkType, bool), Program)>,
    /// Frames the filter turned away.
    pub(super) rejected: u64,
}

impl InputFilter {
    /// Whether the frame passes; `Err` when libpcap cannot compile the
    /// expression for its link type (tcpdump refuses such a file too).
    /// `foreign_order`: the file (section) was written in the other byte
    /// order than this host's.
    #[inline]
    pub(super) fn accepts(
        &mut self,
        link_type: LinkType,
        data: &[u8],
        wire_len: u32,
        foreign_order: bool,
    ) -> Result<bool, FilterError> {
        let key = (link_type, foreign_order);
        let program = match self.programs.iter().position(|(k, _)| *k == key) {
            Some(i) => &self.programs[i].1,
            None => {
                let program = Program::compile(&self.expression, link_type, foreign_order)?;
                self.programs.push((key, program));
                &self.programs[self.programs.len() - 1].1
            }
        };
        let accepted = program.run(data, wire_len) != 0;
        if !accepted {
            self.rejected += 1;
        }
        Ok(accepted)
    }

    /// The expression as given.
    pub(super) fn expression(&self) -> &str {
        &self.expression
    }
}

/// One classic BPF instruction (`struct bpf_insn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Instruction {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// A compiled filter program.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Program {
    instructions: Vec<Instruction>,
}

// Instruction classes and fields (`pcap/bpf.h`).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;

const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;

const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const MSH: u16 = 0xa0;

const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;

const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;

const SRC_X: u16 = 0x08;
const RVAL_X: u16 = 0x08;
const RVAL_A: u16 = 0x10;
const TXA: u16 = 0x80;

impl Program {
    /// Compiles `expression` with libpcap for a file of `link_type`
    /// written in this host's byte order or the other, optimised, as
    /// tcpdump does.
    fn compile(
        expression: &str,
        link_type: LinkType,
        foreign_order: bool,
    ) -> Result<Program, FilterError> {
        let refused = |message: String| FilterError {
            expression: expression.to_owned(),
            message,
        };
        let compiled = match savefile_handle(link_type, foreign_order) {
            Ok(file) => file.compile(expression, true),
            Err(SavefileError::Refused(message)) => return Err(refused(message)),
            Err(SavefileError::NoPipe) => pcap::Capture::dead(pcap::Linktype(dlt_of(link_type)))
                .map_err(|err| refused(err.to_string()))?
                .compile(expression, true),
        }
        .map_err(|err| refused(compile_message(err, link_type)))?;
        let instructions: Option<Vec<Instruction>> = compiled
            .get_instructions()
            .iter()
            .map(|insn| parse_instruction(&insn.to_string()))
            .collect();
        match instructions {
            Some(instructions) if instructions.len() <= MAX_INSTRUCTIONS => {
                Ok(Program { instructions })
            }
            _ => Err(refused(
                "libpcap's compiled program could not be read back".to_owned(),
            )),
        }
    }

    /// Runs the program on one frame: libpcap's `pcap_filter` with no
    /// auxiliary data. Returns the accepting length, 0 to reject; a load
    /// past the captured bytes, a division by zero or a malformed
    /// instruction rejects, as there.
    fn run(&self, data: &[u8], wire_len: u32) -> u32 {
        let program = &self.instructions;
        if program.is_empty() {
            return u32::MAX;
        }
        let buflen = data.len();
        let mut a: u32 = 0;
        let mut x: u32 = 0;
        let mut mem = [0u32; MEMORY_WORDS];
        let mut pc = 0usize;
        loop {
            let Some(&Instruction { code, jt, jf, k }) = program.get(pc) else {
                return 0;
            };
            pc += 1;
            match code & 0x07 {
                RET => {
                    return match code & 0x18 {
                        RVAL_A => a,
                        RVAL_X => x,
                        _ => k,
                    };
                }
                LD => {
                    a = match code & 0xe0 {
                        ABS => match load(data, buflen, k as usize, code & 0x18) {
                            Some(value) => value,
                            None => return 0,
                        },
                        IND => {
                            let Some(at) = (x as usize).checked_add(k as usize) else {
                                return 0;
                            };
                            match load(data, buflen, at, code & 0x18) {
                                Some(value) => value,
                                None => return 0,
                            }
                        }
                        IMM => k,
                        MEM => match mem.get(k as usize) {
                            Some(&value) => value,
                            None => return 0,
                        },
                        LEN => wire_len,
                        _ => return 0,
                    }
                }
                LDX => {
                    x = match code & 0xe0 {
                        IMM => k,
                        MEM => match mem.get(k as usize) {
                            Some(&value) => value,
                            None => return 0,
                        },
                        LEN => wire_len,
                        MSH => match data.get(k as usize) {
                            Some(&byte) => u32::from(byte & 0x0f) << 2,
                            None => return 0,
                        },
                        _ => return 0,
                    }
                }
                ST | STX => {
                    let value = if code & 0x07 == ST { a } else { x };
                    match mem.get_mut(k as usize) {
                        Some(slot) => *slot = value,
                        None => return 0,
                    }
                }
                ALU => {
                    let operand = if code & SRC_X != 0 { x } else { k };
                    a = match code & 0xf0 {
                        ADD => a.wrapping_add(operand),
                        SUB => a.wrapping_sub(operand),
                        MUL => a.wrapping_mul(operand),
                        DIV => match a.checked_div(operand) {
                            Some(value) => value,
                            None => return 0,
                        },
                        MOD => match a.checked_rem(operand) {
                            Some(value) => value,
                            None => return 0,
                        },
                        AND => a & operand,
                        OR => a | operand,
                        XOR => a ^ operand,
                        LSH => a.checked_shl(operand).unwrap_or(0),
                        RSH => a.checked_shr(operand).unwrap_or(0),
                        NEG => a.wrapping_neg(),
                        _ => return 0,
                    }
                }
                JMP => {
                    let operand = if code & SRC_X != 0 { x } else { k };
                    let taken = match code & 0xf0 {
                        JA => {
                            pc = match pc.checked_add(k as usize) {
                                Some(next) => next,
                                None => return 0,
                            };
                            continue;
                        }
                        JEQ => a == operand,
                        JGT => a > operand,
                        JGE => a >= operand,
                        JSET => a & operand != 0,
                        _ => return 0,
                    };
                    pc += usize::from(if taken { jt } else { jf });
                }
                MISC => {
                    if code & 0xf8 == TXA {
                        a = x;
                    } else {
                        x = a;
                    }
                }
                _ => return 0,
            }
        }
    }
}

/// A big-endian load of `size` (W, H or B) at `at`, `None` past the
/// captured bytes.
#[inline]
fn load(data: &[u8], buflen: usize, at: usize, size: u16) -> Option<u32> {
    let width = match size {
        W => 4,
        H => 2,
        B => 1,
        _ => return None,
    };
    if at >= buflen || width > buflen - at {
        return None;
    }
    let bytes = &data[at..at + width];
    Some(bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// Why no savefile handle could be had.
enum SavefileError {
    /// No pipe to hand libpcap the header through (no `/dev/fd`).
    NoPipe,
    /// libpcap refused the header: it does not know the link type.
    Refused(String),
}

/// A libpcap savefile handle of `link_type`, in this host's byte order or
/// the other: libpcap reads the 24-byte pcap file header from a pipe.
fn savefile_handle(
    link_type: LinkType,
    foreign_order: bool,
) -> Result<pcap::Capture<pcap::Offline>, SavefileError> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let big_endian = cfg!(target_endian = "big") != foreign_order;
    let mut header = Vec::with_capacity(24);
    let mut put = |value: u32, width: usize| {
        let bytes = if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        };
        match (width, big_endian) {
            (2, true) => header.extend_from_slice(&bytes[2..]),
            (2, false) => header.extend_from_slice(&bytes[..2]),
            _ => header.extend_from_slice(&bytes),
        }
    };
    put(0xa1b2_c3d4, 4); // magic: microseconds
    put(2, 2); // version 2.4
    put(4, 2);
    put(0, 4); // this zone
    put(0, 4); // sigfigs
    put(262_144, 4); // snapshot length
    put(u32::from(link_type.0), 4);
    let (reader, mut writer) = std::io::pipe().map_err(|_| SavefileError::NoPipe)?;
    // 24 bytes fit in any pipe's buffer: the write cannot block.
    writer
        .write_all(&header)
        .map_err(|_| SavefileError::NoPipe)?;
    drop(writer);
    let path = format!("/dev/fd/{}", reader.as_raw_fd());
    if !std::path::Path::new(&path).exists() {
        return Err(SavefileError::NoPipe);
    }
    // libpcap opens its own descriptor of the pipe; `reader` may close after.
    pcap::Capture::from_file(&path).map_err(|err| {
        SavefileError::Refused(match err {
            pcap::Error::PcapError(message) => message,
            other => other.to_string(),
        })
    })
}

/// The platform's `DLT_` value libpcap compiles for, from a file's
/// `LINKTYPE_` value (libpcap's `linktype_to_dlt` on Linux): the few link
/// types whose numbers differ between the two; every other is the same.
fn dlt_of(link_type: LinkType) -> i32 {
    match link_type.0 {
        100 => 11, // ATM_RFC1483
        101 => 12, // RAW
        102 => 15, // SLIP_BSDOS
        103 => 16, // PPP_BSDOS
        106 => 19, // ATM_CLIP
        other => i32::from(other),
    }
}

/// `"code jt jf k"` (the crate's `Display` of `struct bpf_insn`).
fn parse_instruction(text: &str) -> Option<Instruction> {
    let mut fields = text.split(' ');
    let instruction = Instruction {
        code: fields.next()?.parse().ok()?,
        jt: fields.next()?.parse().ok()?,
        jf: fields.next()?.parse().ok()?,
        k: fields.next()?.parse().ok()?,
    };
    fields.next().is_none().then_some(instruction)
}

/// libpcap's message, with the link type named when the expression does
/// not apply to it (`"ip" on a link type without IP`).
fn compile_message(err: pcap::Error, link_type: LinkType) -> String {
    let message = match err {
        pcap::Error::PcapError(message) => message,
        other => other.to_string(),
    };
    if link_type == LinkType::ETHERNET {
        message
    } else {
        format!(
            "{message} (compiled for link type {} {})",
            link_type.0,
            link_type.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, Input};

    /// libpcap's own `pcap_offline_filter` (through the `pcap` crate, which
    /// passes the captured length as the wire length) and the interpreter
    /// agree on every whole frame of every fixture, for filters that load
    /// bytes, halves and words, index through the IP header length, and
    /// use the scratch memory and the ALU.
    #[test]
    fn interpreter_agrees_with_libpcap_on_every_fixture_frame() {
        const FILTERS: [&str; 7] = [
            "tcp port 80 or udp port 53",
            "ip[6:2] & 0x1fff != 0",
            "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
            "ip6 and (tcp or udp)",
            "len > 100 and len < 600",
            "(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) % 7 = 3",
            "vlan and (ip or ip6)",
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        files.sort();
        let mut checked = 0u64;
        for file in &files {
            let mut reader = CaptureReader::open(&Input::Path(file.clone())).expect("readable");
            let mut compiled: Vec<(LinkType, Vec<(Program, pcap::BpfProgram)>)> = Vec::new();
            let mut number = 0u64;
            while let Ok(Some(frame)) = reader.next_frame() {
                number += 1;
                let whole = u32::try_from(frame.data.len()) == Ok(frame.orig_len);
                if !whole || frame.link_type == LinkType::PCAPNG_CUSTOM_BLOCK {
                    continue;
                }
                let at = match compiled.iter().position(|(lt, _)| *lt == frame.link_type) {
                    Some(at) => at,
                    None => {
                        let Ok(handle) = savefile_handle(frame.link_type, false) else {
                            continue;
                        };
                        let programs = FILTERS
                            .iter()
                            .filter_map(|f| {
                                let ours = Program::compile(f, frame.link_type, false).ok()?;
                                Some((ours, handle.compile(f, true).ok()?))
                            })
                            .collect();
                        compiled.push((frame.link_type, programs));
                        compiled.len() - 1
                    }
                };
                for (ours, theirs) in &compiled[at].1 {
                    assert_eq!(
                        ours.run(frame.data, frame.orig_len) != 0,
                        theirs.filter(frame.data),
                        "{}: frame {} of link type {}",
                        file.display(),
                        number,
                        frame.link_type.0
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 50_000, "only {checked} decisions compared");
    }

    #[test]
    fn loads_past_the_captured_bytes_reject() {
        let program = Program::compile("tcp port 80", LinkType::ETHERNET, false).unwrap();
        // An IPv4 TCP frame cut inside the TCP header.
        let mut frame = vec![0u8; 14 + 20 + 2];
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        frame[14] = 0x45;
        frame[23] = 6;
        frame[34..36].copy_from_slice(&80u16.to_be_bytes());
        assert_ne!(program.run(&frame, 60), 0, "source port 80 is captured");
        assert_eq!(program.run(&frame[..35], 60), 0, "half a port is not");
    }

    #[test]
    fn length_is_the_wire_length_not_the_captured_one() {
        let program = Program::compile("greater 1000", LinkType::ETHERNET, false).unwrap();
        let frame = [0u8; 64];
        assert_ne!(program.run(&frame, 1500), 0);
        assert_eq!(program.run(&frame, 64), 0);
    }

    #[test]
    fn bsd_loopback_ipv6_matches_every_bsd_family_in_either_byte_order() {
        for (family, foreign) in [(24u32, false), (28, false), (30, false), (30, true)] {
            let program = Program::compile("ip6", LinkType::NULL, foreign).unwrap();
            let little = cfg!(target_endian = "little") != foreign;
            let mut frame = if little {
                family.to_le_bytes().to_vec()
            } else {
                family.to_be_bytes().to_vec()
            };
            frame.extend_from_slice(&[0x60; 40]);
            assert_ne!(
                program.run(&frame, 44),
                0,
                "family {family}, foreign {foreign}"
            );
        }
    }

    #[test]
    fn libpcaps_message_names_the_link_type() {
        let err = Program::compile("wlan host 1:2:3:4:5:6", LinkType::RAW, false).unwrap_err();
        assert!(err.message.contains("link type"), "{}", err.message);
        let err = PacketFilter::new("tcp prt 22").unwrap_err();
        assert!(err.message.contains("syntax error"), "{}", err.message);
    }
}
