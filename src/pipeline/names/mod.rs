//! Names for addresses, learnt passively from the traffic itself: DNS
//! answers ([`dns`]), the server name of a TLS ClientHello ([`tls`]) and of
//! a QUIC Initial ([`quic`]), and the `Host` header of an HTTP request
//! ([`http`]). Nothing is ever looked up on the network.
//!
//! The parsers are pure functions of one frame's payload, called on the
//! reading thread (where the bytes are) only for frames on the ports of
//! those services ([`learn`]); what they find travels as one boxed
//! [`Learnt`] record with the frame, and the tally keeps it in a bounded
//! [`NameTable`] (see its precedence rule).
//!
//! May import `decode` (addresses, transports); nothing that counts or
//! formats.

pub mod dns;
pub mod http;
pub mod quic;
mod table;
pub mod tls;

pub use table::{NAME_CAPACITY, NameEntry, NameTable};

use crate::decode::{Category, PacketInfo};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// DNS (and DNS over TCP).
pub const DNS_PORT: u16 = 53;
/// Multicast DNS.
pub const MDNS_PORT: u16 = 5353;
/// HTTP.
pub const HTTP_PORT: u16 = 80;
/// HTTPS: TLS over TCP, QUIC over UDP.
pub const HTTPS_PORT: u16 = 443;

/// How a name was learnt, in precedence order: a name learnt one way
/// replaces one learnt a way listed after it, never one listed before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// An A or AAAA answer: the name the client asked for (the question
    /// name, at the start of any CNAME chain).
    Dns,
    /// The server name (SNI) of a TLS ClientHello towards the address.
    TlsSni,
    /// The server name (SNI) of the ClientHello in a QUIC Initial packet.
    QuicSni,
    /// The `Host` header of an HTTP request towards the address.
    HttpHost,
    /// A PTR answer for the address's reverse name (what the address's
    /// owner says it is called, not what anyone asked for).
    DnsPtr,
    /// portclass's own reverse lookup through the system's resolver
    /// (`--resolve`): not seen in the traffic.
    Rdns,
}

impl NameSource {
    /// Every source, in precedence order.
    pub const ALL: [NameSource; 6] = [
        NameSource::Dns,
        NameSource::TlsSni,
        NameSource::QuicSni,
        NameSource::HttpHost,
        NameSource::DnsPtr,
        NameSource::Rdns,
    ];

    /// Its JSON name (`dns`, `tls_sni`, ...).
    pub fn name(self) -> &'static str {
        match self {
            NameSource::Dns => "dns",
            NameSource::TlsSni => "tls_sni",
            NameSource::QuicSni => "quic_sni",
            NameSource::HttpHost => "http_host",
            NameSource::DnsPtr => "dns_ptr",
            NameSource::Rdns => "rdns",
        }
    }
}

impl fmt::Display for NameSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The longest name kept, in characters (RFC 1035: 255 octets on the
/// wire, 253 written out without the final dot).
pub const MAX_NAME: usize = 253;

/// A host name being assembled in a fixed buffer (no allocation): bytes
/// lowercased as they are pushed; not yet checked.
#[derive(Clone, Copy)]
pub struct NameBuf {
    len: u8,
    bytes: [u8; MAX_NAME],
}

impl NameBuf {
    /// An empty name.
    pub const fn new() -> NameBuf {
        NameBuf {
            len: 0,
            bytes: [0; MAX_NAME],
        }
    }

    /// Appends `byte` (lowercased); false when the name would be too long.
    #[inline]
    pub fn push(&mut self, byte: u8) -> bool {
        let at = usize::from(self.len);
        if at == MAX_NAME {
            return false;
        }
        self.bytes[at] = byte.to_ascii_lowercase();
        self.len += 1;
        true
    }

    /// Appends every byte of `bytes`; false when the name would be too long.
    pub fn extend(&mut self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| self.push(b))
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The bytes as a checked host name, or `None` (see [`HostName`]).
    pub fn checked(&self) -> Option<HostName> {
        HostName::from_lowercase(*self)
    }
}

impl Default for NameBuf {
    fn default() -> NameBuf {
        NameBuf::new()
    }
}

impl fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A checked host name: lowercase; 1 to [`MAX_NAME`] characters; labels of
/// 1 to 63 letters, digits, hyphens and underscores, separated by single
/// dots, with no final dot; not an IPv4 address written out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HostName(NameBuf);

impl HostName {
    /// `bytes` lowercased, when they are a host name.
    pub fn new(bytes: &[u8]) -> Option<HostName> {
        let mut buf = NameBuf::new();
        if !buf.extend(bytes) {
            return None;
        }
        HostName::from_lowercase(buf)
    }

    fn from_lowercase(buf: NameBuf) -> Option<HostName> {
        let bytes = buf.as_bytes();
        if bytes.is_empty()
            || !bytes
                .split(|&b| b == b'.')
                .all(|label| (1..=63).contains(&label.len()) && label.iter().all(is_label_byte))
        {
            return None;
        }
        // An address written out names nothing.
        if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.')
            && std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<Ipv4Addr>().ok())
                .is_some()
        {
            return None;
        }
        Some(HostName(buf))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        // Checked to be ASCII when made.
        std::str::from_utf8(self.0.as_bytes()).unwrap_or("")
    }
}

impl PartialEq for NameBuf {
    fn eq(&self, other: &NameBuf) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for NameBuf {}

impl fmt::Debug for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

fn is_label_byte(b: &u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_'
}

/// The most addresses one record names (a DNS answer with more gives the
/// first ones).
pub const MAX_ADDRESSES: usize = 8;

/// What one frame taught: a name, how, and the addresses it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learnt {
    /// How it was learnt.
    pub source: NameSource,
    /// The name.
    pub name: HostName,
    /// For a DNS answer through a CNAME chain: the name at its end (the
    /// canonical name, which the addresses are records of).
    pub canonical: Option<HostName>,
    addresses: [IpAddr; MAX_ADDRESSES],
    len: u8,
}

impl Learnt {
    /// A record of `name` learnt by `source`, for no address yet.
    pub fn new(source: NameSource, name: HostName) -> Learnt {
        Learnt {
            source,
            name,
            canonical: None,
            addresses: [IpAddr::V4(Ipv4Addr::UNSPECIFIED); MAX_ADDRESSES],
            len: 0,
        }
    }

    /// A record of `name` learnt by `source` for one address.
    pub fn one(source: NameSource, name: HostName, address: IpAddr) -> Learnt {
        let mut learnt = Learnt::new(source, name);
        learnt.add(address);
        learnt
    }

    /// Adds an address (ignored past [`MAX_ADDRESSES`], and when already
    /// there).
    pub fn add(&mut self, address: IpAddr) {
        if usize::from(self.len) < MAX_ADDRESSES && !self.addresses().contains(&address) {
            self.addresses[usize::from(self.len)] = address;
            self.len += 1;
        }
    }

    /// The addresses the name belongs to.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses[..usize::from(self.len)]
    }
}

/// Whether a frame of `info` may carry a name: a cheap check of its
/// transport and ports, inlined into the per-frame path (a frame of any
/// other service costs these compares only).
#[inline]
pub fn may_carry_name(info: &PacketInfo) -> bool {
    match info.category {
        Category::Tcp => {
            info.dst_port == HTTPS_PORT || info.dst_port == HTTP_PORT || info.src_port == DNS_PORT
        }
        Category::Udp => {
            info.src_port == DNS_PORT || info.dst_port == HTTPS_PORT || info.src_port == MDNS_PORT
        }
        _ => false,
    }
}

/// What a frame's transport payload teaches, given the frame's addresses
/// and ports (`info`, on which [`may_carry_name`] held).
pub fn learn(info: &PacketInfo, payload: &[u8]) -> Option<Learnt> {
    let (_, dst) = info.addresses?;
    match info.category {
        Category::Tcp if info.src_port == DNS_PORT => dns::learn_tcp(payload),
        Category::Tcp if info.dst_port == HTTPS_PORT => {
            tls::server_name(payload).map(|name| Learnt::one(NameSource::TlsSni, name, dst))
        }
        Category::Tcp if info.dst_port == HTTP_PORT => {
            http::host(payload).map(|name| Learnt::one(NameSource::HttpHost, name, dst))
        }
        Category::Udp if info.src_port == DNS_PORT || info.src_port == MDNS_PORT => {
            dns::learn(payload)
        }
        Category::Udp if info.dst_port == HTTPS_PORT => {
            quic::server_name(payload).map(|name| Learnt::one(NameSource::QuicSni, name, dst))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked_and_lowercased() {
        let ok = |s: &str| HostName::new(s.as_bytes()).map(|n| n.as_str().to_string());
        assert_eq!(ok("WWW.Example.COM").as_deref(), Some("www.example.com"));
        assert_eq!(ok("localhost").as_deref(), Some("localhost"));
        assert_eq!(ok("_http._tcp.local").as_deref(), Some("_http._tcp.local"));
        assert_eq!(ok("10.0.3.17x").as_deref(), Some("10.0.3.17x"));
        for bad in [
            "",
            ".",
            "a..b",
            "a.",
            ".a",
            "a b",
            "a/b",
            "ex\u{e4}mple.com",
            "10.0.3.17",
            "[::1]",
            "host:80",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
        let label63 = "a".repeat(63);
        assert!(ok(&label63).is_some());
        assert_eq!(ok(&"a".repeat(64)), None);
        // 253 characters is the longest name; 254 is refused.
        let long = [label63.as_str(); 4].join(".");
        assert_eq!(long.len(), 255);
        assert_eq!(ok(&long[..253]).map(|n| n.len()), Some(253));
        assert_eq!(ok(&long[..254]), None);
        assert_eq!(ok(&long), None);
    }

    #[test]
    fn sources_serialise_as_their_names_in_precedence_order() {
        for source in NameSource::ALL {
            let json = serde_json::to_string(&source).expect("serialise");
            assert_eq!(json, format!("\"{}\"", source.name()));
        }
        let mut sorted = NameSource::ALL;
        sorted.sort();
        assert_eq!(sorted, NameSource::ALL);
    }

    proptest::proptest! {
        /// Any bytes, and any bytes after a plausible start: every parser
        /// answers without panicking.
        #[test]
        fn parsers_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1400),
            start in 0usize..6,
        ) {
            let starts: [&[u8]; 6] = [
                &[],
                &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
                b"GET / HTTP/1.1\r\nHost: ",
                &[0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02],
                &[0xc3, 0x00, 0x00, 0x00, 0x01, 0x08],
                &[0xd3, 0x6b, 0x33, 0x43, 0xcf, 0x00],
            ];
            let mut input = starts[start].to_vec();
            input.extend(&bytes);
            let _ = dns::learn(&input);
            let _ = dns::learn_tcp(&input);
            let _ = tls::server_name(&input);
            let _ = http::host(&input);
            let _ = quic::server_name(&input);
        }
    }

    #[test]
    fn a_record_keeps_each_address_once_and_at_most_eight() {
        let name = HostName::new(b"a.test").expect("name");
        let mut learnt = Learnt::new(NameSource::Dns, name);
        for last in [1, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10] {
            learnt.add(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)));
        }
        let lasts: Vec<u8> = learnt
            .addresses()
            .iter()
            .map(|a| match a {
                IpAddr::V4(v4) => v4.octets()[3],
                IpAddr::V6(_) => 0,
            })
            .collect();
        assert_eq!(lasts, [1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
