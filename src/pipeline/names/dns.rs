//! Names from DNS responses (RFC 1035; multicast DNS, RFC 6762, the same
//! way): the question and the answer records, names decompressed into a
//! fixed buffer with a bounded number of pointer jumps.
//!
//! * A and AAAA answers give each address the name the client asked for
//!   (the question name), also through a CNAME chain (`www` → `secure` →
//!   A): the chain's last name is kept as the canonical name.
//! * A PTR answer to a reverse question (`17.3.0.10.in-addr.arpa`,
//!   `….ip6.arpa`) gives the address in the question its PTR target.
//! * A multicast DNS response carries no question: the owner of its first
//!   A or AAAA record is the name.
//!
//! Only responses without error are read; a malformed message teaches
//! nothing (what was read before the damage is dropped too).

use super::{Learnt, NameBuf, NameSource};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The fixed header.
const HEADER: usize = 12;
/// Pointer jumps followed in one name (a loop runs out of them).
const MAX_JUMPS: usize = 16;
/// Answer records read in one message.
const MAX_ANSWERS: usize = 64;
/// CNAME links followed from the question name.
const MAX_CHAIN: usize = 8;

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_PTR: u16 = 12;
const TYPE_AAAA: u16 = 28;
/// The class IN, with the mDNS cache-flush bit masked off.
const CLASS_IN: u16 = 1;

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// Reads the (possibly compressed) name at `at` into a buffer, labels
/// joined by dots and lowercased; returns it and the offset after the name
/// where it starts (not where a pointer led). `None` when malformed: a
/// label type other than plain or pointer, a pointer loop, a name longer
/// than the buffer, or the message ending first.
fn read_name(msg: &[u8], mut at: usize) -> Option<(NameBuf, usize)> {
    let mut name = NameBuf::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(at)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                return Some((name, end.unwrap_or(at + 1)));
            }
            0x00 => {
                let label = msg.get(at + 1..at + 1 + usize::from(len))?;
                if !name.as_bytes().is_empty() && !name.push(b'.') {
                    return None;
                }
                if !name.extend(label) {
                    return None;
                }
                at += 1 + usize::from(len);
            }
            0xc0 => {
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return None;
                }
                let target = usize::from(u16_at(msg, at)? & 0x3fff);
                end.get_or_insert(at + 2);
                at = target;
            }
            _ => return None,
        }
    }
}

/// The offset after the name at `at`, where the record goes on (a pointer
/// ends the name in place).
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + usize::from(len),
            0xc0 => return msg.get(at + 1).map(|_| at + 2),
            _ => return None,
        }
    }
}

/// Where the name at `at` is written: past the pointers it starts with
/// (a compressed owner name is usually one pointer to a name met before).
fn resolve(msg: &[u8], mut at: usize) -> Option<usize> {
    for _ in 0..MAX_JUMPS {
        if *msg.get(at)? & 0xc0 != 0xc0 {
            return Some(at);
        }
        at = usize::from(u16_at(msg, at)? & 0x3fff);
    }
    None
}

/// Whether the name at `owner` (resolved) is one of `chain` (resolved
/// offsets): the same place, or failing that, the same name written again.
fn in_chain(msg: &[u8], owner: usize, chain: &[usize]) -> Option<bool> {
    if chain.contains(&owner) {
        return Some(true);
    }
    let (name, _) = read_name(msg, owner)?;
    for &link in chain {
        if read_name(msg, link)?.0 == name {
            return Some(true);
        }
    }
    Some(false)
}

/// What a UDP DNS (or mDNS) message teaches, when it is a response.
pub fn learn(msg: &[u8]) -> Option<Learnt> {
    let flags = u16_at(msg, 2)?;
    // A response (QR), standard query (opcode 0), no error (RCODE 0).
    if flags & 0x8000 == 0 || flags & 0x7800 != 0 || flags & 0x000f != 0 {
        return None;
    }
    let questions = u16_at(msg, 4)?;
    let answers = usize::from(u16_at(msg, 6)?).min(MAX_ANSWERS);
    // The names the addresses may be records of, as offsets of where
    // they are written: the question's, then each CNAME target along the
    // chain.
    let mut chain = [0usize; MAX_CHAIN];
    let mut links = 0;
    let mut at = HEADER;
    let mut reverse = None;
    let mut question = None;
    match questions {
        0 => {}
        1 => {
            let (name, next) = read_name(msg, at)?;
            reverse = reverse_address(&name);
            question = Some(name);
            chain[0] = HEADER;
            links = 1;
            at = next + 4;
        }
        // Several questions in one message: no server sends them.
        _ => return None,
    }
    let mut learnt: Option<Learnt> = None;
    for _ in 0..answers {
        let owner = resolve(msg, at)?;
        let next = skip_name(msg, at)?;
        let kind = u16_at(msg, next)?;
        let class = u16_at(msg, next + 2)? & 0x7fff;
        let len = usize::from(u16_at(msg, next + 8)?);
        let data_at = next + 10;
        let data = msg.get(data_at..data_at + len)?;
        at = data_at + len;
        if class != CLASS_IN || !matches!(kind, TYPE_A | TYPE_AAAA | TYPE_CNAME | TYPE_PTR) {
            continue;
        }
        if links == 0 && matches!(kind, TYPE_A | TYPE_AAAA) {
            // Multicast DNS: the first address record's owner.
            chain[0] = owner;
            links = 1;
        }
        if !in_chain(msg, owner, &chain[..links])? {
            continue;
        }
        match kind {
            TYPE_A | TYPE_AAAA if reverse.is_none() => {
                let address = match *data {
                    [a, b, c, d] if kind == TYPE_A => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
                    _ if kind == TYPE_AAAA && data.len() == 16 => {
                        let mut octets = [0; 16];
                        octets.copy_from_slice(data);
                        IpAddr::V6(Ipv6Addr::from(octets))
                    }
                    _ => continue,
                };
                if learnt.is_none() {
                    // The question, decoded already (or an mDNS owner).
                    let name = match question {
                        Some(question) => question,
                        None => read_name(msg, chain[0])?.0,
                    };
                    let name = name.checked()?;
                    let mut record = Learnt::new(NameSource::Dns, name);
                    if links > 1 {
                        record.canonical = read_name(msg, chain[links - 1])?.0.checked();
                    }
                    learnt = Some(record);
                }
                if let Some(learnt) = &mut learnt {
                    learnt.add(address);
                }
            }
            TYPE_CNAME if links < MAX_CHAIN => {
                let target = resolve(msg, data_at)?;
                if !chain[..links].contains(&target) {
                    chain[links] = target;
                    links += 1;
                }
            }
            TYPE_PTR if learnt.is_none() => {
                if let Some(address) = reverse {
                    let (target, _) = read_name(msg, data_at)?;
                    if let Some(name) = target.checked() {
                        learnt = Some(Learnt::one(NameSource::DnsPtr, name, address));
                    }
                }
            }
            _ => {}
        }
    }
    learnt
}

/// What a DNS-over-TCP segment teaches: one message after its 2-byte
/// length, when the segment holds all of it.
pub fn learn_tcp(segment: &[u8]) -> Option<Learnt> {
    let len = usize::from(u16_at(segment, 0)?);
    learn(segment.get(2..2 + len)?)
}

/// The address a reverse name stands for: `d.c.b.a.in-addr.arpa` or the
/// 32 nibbles of an `ip6.arpa` name, least significant first.
fn reverse_address(name: &NameBuf) -> Option<IpAddr> {
    let name = name.as_bytes();
    if let Some(digits) = name.strip_suffix(b".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let mut parts = digits.split(|&b| b == b'.');
        for octet in octets.iter_mut().rev() {
            let part = parts.next()?;
            if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            *octet = std::str::from_utf8(part).ok()?.parse().ok()?;
        }
        parts.next().is_none().then(|| IpAddr::from(octets))
    } else if let Some(nibbles) = name.strip_suffix(b".ip6.arpa") {
        if nibbles.len() != 63 {
            return None;
        }
        let mut bits: u128 = 0;
        for (i, part) in nibbles.split(|&b| b == b'.').enumerate() {
            let [digit] = *part else { return None };
            let value = char::from(digit).to_digit(16)?;
            bits |= u128::from(value) << (4 * i);
        }
        Some(IpAddr::V6(Ipv6Addr::from(bits)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DNS message built record by record (names written out, or as a
    /// pointer to an offset).
    struct Message {
        bytes: Vec<u8>,
    }

    enum Name<'a> {
        Text(&'a str),
        /// Labels, then a pointer to an offset.
        Then(&'a str, u16),
        Pointer(u16),
    }

    impl Message {
        fn response(questions: u16, answers: u16) -> Message {
            Self::with_flags(0x8180, questions, answers)
        }

        fn with_flags(flags: u16, questions: u16, answers: u16) -> Message {
            let mut bytes = vec![0x12, 0x34];
            for v in [flags, questions, answers, 0, 0] {
                bytes.extend(v.to_be_bytes());
            }
            Message { bytes }
        }

        fn labels(&mut self, text: &str) {
            for label in text.split('.').filter(|l| !l.is_empty()) {
                self.bytes.push(label.len() as u8);
                self.bytes.extend(label.as_bytes());
            }
        }

        fn name(&mut self, name: Name<'_>) -> &mut Self {
            match name {
                Name::Text(text) => {
                    self.labels(text);
                    self.bytes.push(0);
                }
                Name::Then(text, offset) => {
                    self.labels(text);
                    self.bytes.extend((0xc000 | offset).to_be_bytes());
                }
                Name::Pointer(offset) => self.bytes.extend((0xc000 | offset).to_be_bytes()),
            }
            self
        }

        fn question(&mut self, name: &str, kind: u16) -> &mut Self {
            self.name(Name::Text(name));
            self.bytes.extend(kind.to_be_bytes());
            self.bytes.extend(1u16.to_be_bytes());
            self
        }

        fn record(&mut self, owner: Name<'_>, kind: u16, data: &[u8]) -> &mut Self {
            self.name(owner);
            self.bytes.extend(kind.to_be_bytes());
            self.bytes.extend(1u16.to_be_bytes());
            self.bytes.extend(300u32.to_be_bytes());
            self.bytes.extend((data.len() as u16).to_be_bytes());
            self.bytes.extend(data);
            self
        }

        /// A record whose data is a name.
        fn name_record(&mut self, owner: Name<'_>, kind: u16, target: Name<'_>) -> &mut Self {
            let mut data = Message { bytes: Vec::new() };
            data.name(target);
            self.record(owner, kind, &data.bytes)
        }
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn summary(
        learnt: &Option<Learnt>,
    ) -> Option<(NameSource, String, Option<String>, Vec<IpAddr>)> {
        learnt.as_ref().map(|l| {
            (
                l.source,
                l.name.as_str().to_string(),
                l.canonical.map(|c| c.as_str().to_string()),
                l.addresses().to_vec(),
            )
        })
    }

    /// The question starts at offset 12.
    const QUESTION: u16 = 12;

    #[test]
    fn a_and_aaaa_answers_name_their_addresses_by_the_question() {
        let v6: Ipv6Addr = "fd00::3:17".parse().expect("v6");
        let mut a = Message::response(1, 2);
        a.question("Web.Portclass.TEST", TYPE_A)
            .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 3, 17])
            .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 3, 18]);
        let mut aaaa = Message::response(1, 1);
        aaaa.question("web.portclass.test", TYPE_AAAA).record(
            Name::Text("web.portclass.test"),
            TYPE_AAAA,
            &v6.octets(),
        );
        let cases = [
            (a.bytes, vec![v4(10, 0, 3, 17), v4(10, 0, 3, 18)]),
            (aaaa.bytes, vec![IpAddr::V6(v6)]),
        ];
        for (msg, addresses) in cases {
            assert_eq!(
                summary(&learn(&msg)),
                Some((
                    NameSource::Dns,
                    "web.portclass.test".to_string(),
                    None,
                    addresses
                ))
            );
        }
    }

    #[test]
    fn a_cname_chain_names_the_address_as_asked_and_keeps_the_canonical_name() {
        let mut msg = Message::response(1, 3);
        msg.question("www.example.com", TYPE_A);
        let cname1 = msg.bytes.len() as u16;
        // www → secure.example.com (compressed against the question's
        // `example.com`, at offset 16) → edge.cdn.net → A.
        msg.name_record(
            Name::Pointer(QUESTION),
            TYPE_CNAME,
            Name::Then("secure", QUESTION + 4),
        );
        let secure = cname1 + 12;
        let cname2 = msg.bytes.len() as u16;
        msg.name_record(
            Name::Pointer(secure),
            TYPE_CNAME,
            Name::Text("edge.cdn.net"),
        );
        let edge = cname2 + 12;
        msg.record(Name::Pointer(edge), TYPE_A, &[192, 0, 2, 7]);
        assert_eq!(
            summary(&learn(&msg.bytes)),
            Some((
                NameSource::Dns,
                "www.example.com".to_string(),
                Some("edge.cdn.net".to_string()),
                vec![v4(192, 0, 2, 7)]
            ))
        );
    }

    #[test]
    fn answers_for_names_outside_the_chain_are_ignored() {
        let mut msg = Message::response(1, 2);
        msg.question("a.test", TYPE_A)
            .record(Name::Text("other.test"), TYPE_A, &[10, 0, 0, 9])
            .record(Name::Text("a.test"), TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(
            summary(&learn(&msg.bytes)).map(|s| s.3),
            Some(vec![v4(10, 0, 0, 1)])
        );
    }

    #[test]
    fn ptr_answers_name_the_address_of_the_reverse_question() {
        let mut v4msg = Message::response(1, 1);
        v4msg
            .question("17.3.0.10.in-addr.arpa", TYPE_PTR)
            .name_record(
                Name::Pointer(QUESTION),
                TYPE_PTR,
                Name::Text("web.portclass.test"),
            );
        let v6: Ipv6Addr = "2001:db8::567:89ab".parse().expect("v6");
        let nibbles: Vec<String> = format!("{:032x}", v6.to_bits())
            .chars()
            .rev()
            .map(String::from)
            .collect();
        let reverse6 = format!("{}.ip6.arpa", nibbles.join("."));
        let mut v6msg = Message::response(1, 1);
        v6msg.question(&reverse6, TYPE_PTR).name_record(
            Name::Pointer(QUESTION),
            TYPE_PTR,
            Name::Text("host6.test"),
        );
        assert_eq!(
            summary(&learn(&v4msg.bytes)),
            Some((
                NameSource::DnsPtr,
                "web.portclass.test".to_string(),
                None,
                vec![v4(10, 0, 3, 17)]
            ))
        );
        assert_eq!(
            summary(&learn(&v6msg.bytes)),
            Some((
                NameSource::DnsPtr,
                "host6.test".to_string(),
                None,
                vec![IpAddr::V6(v6)]
            ))
        );
    }

    #[test]
    fn mdns_responses_without_a_question_name_by_the_record_owner() {
        let mut msg = Message::with_flags(0x8400, 0, 2);
        msg.record(Name::Text("printer.local"), TYPE_A, &[169, 254, 1, 2]);
        // The cache-flush bit set in the class.
        msg.name(Name::Pointer(QUESTION));
        msg.bytes.extend(TYPE_A.to_be_bytes());
        msg.bytes.extend(0x8001u16.to_be_bytes());
        msg.bytes.extend(120u32.to_be_bytes());
        msg.bytes.extend(4u16.to_be_bytes());
        msg.bytes.extend([169, 254, 1, 3]);
        assert_eq!(
            summary(&learn(&msg.bytes)),
            Some((
                NameSource::Dns,
                "printer.local".to_string(),
                None,
                vec![v4(169, 254, 1, 2), v4(169, 254, 1, 3)]
            ))
        );
    }

    #[test]
    fn queries_errors_and_malformed_messages_teach_nothing() {
        let answered = |flags: u16| {
            let mut msg = Message::with_flags(flags, 1, 1);
            msg.question("a.test", TYPE_A)
                .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 0, 1]);
            msg.bytes
        };
        assert!(learn(&answered(0x8180)).is_some());
        // A query, an NXDOMAIN, a non-standard opcode.
        for flags in [0x0100, 0x8183, 0x8980] {
            assert_eq!(learn(&answered(flags)), None, "{flags:#x}");
        }
        // Cut at every length: never a panic, and nothing learnt before the
        // whole answer is there.
        let whole = answered(0x8180);
        for cut in 0..whole.len() {
            assert_eq!(learn(&whole[..cut]), None, "cut at {cut}");
        }
        // A pointer to itself, and a pointer chain longer than allowed.
        let mut looped = Message::response(1, 1);
        looped.name(Name::Pointer(QUESTION));
        looped.bytes.extend([0, 1, 0, 1]);
        assert_eq!(learn(&looped.bytes), None);
        // A reserved label type (0x40).
        let mut reserved = answered(0x8180);
        reserved[12] = 0x41;
        assert_eq!(learn(&reserved), None);
        // A name that is not a host name (a space in a label).
        let mut odd = Message::response(1, 1);
        odd.question("a b.test", TYPE_A)
            .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(learn(&odd.bytes), None);
    }

    #[test]
    fn a_name_longer_than_253_characters_is_malformed() {
        let label = "a".repeat(63);
        let long = [label.as_str(); 5].join(".");
        let mut msg = Message::response(1, 1);
        msg.question(&long, TYPE_A)
            .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 0, 1]);
        assert_eq!(learn(&msg.bytes), None);
    }

    #[test]
    fn dns_over_tcp_reads_one_whole_message_after_its_length() {
        let mut msg = Message::response(1, 1);
        msg.question("a.test", TYPE_A)
            .record(Name::Pointer(QUESTION), TYPE_A, &[10, 0, 0, 1]);
        let mut segment = (msg.bytes.len() as u16).to_be_bytes().to_vec();
        segment.extend(&msg.bytes);
        assert_eq!(
            summary(&learn_tcp(&segment)).map(|s| s.3),
            Some(vec![v4(10, 0, 0, 1)])
        );
        // Only part of the message in this segment.
        assert_eq!(learn_tcp(&segment[..segment.len() - 1]), None);
    }

    #[test]
    fn reverse_names_are_read_exactly() {
        let name = |s: &str| {
            let mut buf = NameBuf::new();
            buf.extend(s.as_bytes());
            reverse_address(&buf)
        };
        assert_eq!(name("4.3.2.1.in-addr.arpa"), Some(v4(1, 2, 3, 4)));
        assert_eq!(name("3.2.1.in-addr.arpa"), None);
        assert_eq!(name("5.4.3.2.1.in-addr.arpa"), None);
        assert_eq!(name("256.3.2.1.in-addr.arpa"), None);
        assert_eq!(name("x.3.2.1.in-addr.arpa"), None);
        assert_eq!(name("1.0.ip6.arpa"), None);
        assert_eq!(name("example.com"), None);
    }
}
