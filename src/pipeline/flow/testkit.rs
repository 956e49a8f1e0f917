//! What the flow tests share: a naming rule, two hosts, TCP flags, frame
//! builders and a classifier.

pub(super) use super::classifier::{ACK, RST, SYN};
pub(super) use super::{
    Classified, ConversationEvent, DEFAULT_ATTEMPT_WINDOW_NS, FlowClassifier, FlowSettings,
    Identified, Resolved,
};
pub(super) use crate::classify::{Naming, NamingRule, PortDb};
pub(super) use crate::decode::{Category, FragmentInfo, PacketInfo, Transport};
pub(super) use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

pub(super) static RULE: LazyLock<NamingRule> = LazyLock::new(|| PortDb::builtin().naming_rule());

pub(super) const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
pub(super) const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
pub(super) const SYN_ONLY: u8 = SYN;
pub(super) const SYN_ACK: u8 = SYN | ACK;
pub(super) const PSH_ACK: u8 = 0x08 | ACK;
pub(super) const RST_ACK: u8 = RST | ACK;

pub(super) fn tcp(from: (IpAddr, u16), to: (IpAddr, u16), flags: u8) -> PacketInfo {
    let mut info = PacketInfo::ports(Transport::Tcp, from.1, to.1);
    info.addresses = Some((from.0, to.0));
    info.tcp_flags = Some(flags);
    info
}

pub(super) fn udp(from: (IpAddr, u16), to: (IpAddr, u16)) -> PacketInfo {
    let mut info = PacketInfo::ports(Transport::Udp, from.1, to.1);
    info.addresses = Some((from.0, to.0));
    info
}

pub(super) fn classifier() -> FlowClassifier<'static> {
    FlowClassifier::new(&RULE, FlowSettings::default())
}

pub(super) fn port(c: &Classified) -> (Naming, Identified, bool) {
    let hit = c.service.expect("a service");
    (hit.naming, hit.identified, hit.to_server)
}

/// Held frames released so far, as (row, packets, bytes).
pub(super) fn released(flow: &mut FlowClassifier) -> Vec<(Naming, u64, u64)> {
    flow.drain_resolved()
        .filter_map(|r| match r {
            Resolved::Attempt {
                hit,
                packets,
                bytes,
                ..
            } => Some((hit.naming, packets, bytes)),
            _ => None,
        })
        .collect()
}

pub(super) fn fragment(
    info: PacketInfo,
    id: u32,
    protocol: u8,
    first: bool,
    more: bool,
) -> PacketInfo {
    PacketInfo {
        fragment: Some(FragmentInfo {
            id,
            protocol,
            first,
            more,
        }),
        ..info
    }
}

pub(super) fn later_fragment(
    from: IpAddr,
    to: IpAddr,
    id: u32,
    protocol: u8,
    more: bool,
) -> PacketInfo {
    let mut info = PacketInfo::plain(Category::Fragment);
    info.addresses = Some((from, to));
    fragment(info, id, protocol, false, more)
}
