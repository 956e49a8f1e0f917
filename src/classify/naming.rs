//! Port classes and the rule that picks which port names a frame.

use crate::decode::Transport;

/// The IANA port ranges (RFC 6335 §6). JSON names them as
/// [`PortClass::name`] does.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PortClass {
    /// 0-1023: system ports, assigned by IETF process.
    WellKnown,
    /// 1024-49151: user ports, registered with IANA.
    Registered,
    /// 49152-65535: dynamic (private, ephemeral) ports, never assigned.
    Dynamic,
}

impl PortClass {
    /// All classes, lowest ports first.
    pub const ALL: [PortClass; 3] = [
        PortClass::WellKnown,
        PortClass::Registered,
        PortClass::Dynamic,
    ];

    /// First port of the registered range.
    pub const REGISTERED_START: u16 = 1024;
    /// First port of the dynamic range.
    pub const DYNAMIC_START: u16 = 49152;

    /// The class a port number falls in.
    pub const fn of(port: u16) -> PortClass {
        if port < Self::REGISTERED_START {
            PortClass::WellKnown
        } else if port < Self::DYNAMIC_START {
            PortClass::Registered
        } else {
            PortClass::Dynamic
        }
    }

    /// Lower-case name for output: `well-known`, `registered` or `dynamic`.
    pub fn name(self) -> &'static str {
        match self {
            PortClass::WellKnown => "well-known",
            PortClass::Registered => "registered",
            PortClass::Dynamic => "dynamic",
        }
    }
}

impl std::fmt::Display for PortClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which row of the service table a frame is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Naming {
    /// The frame is attributed to this port: shown under the port's primary
    /// service if the database has one, else as [`UNASSIGNED`](super::UNASSIGNED).
    Port(u16),
    /// Both ports are dynamic and unknown: the frame goes to the single
    /// [`DYNAMIC`](super::DYNAMIC) row.
    Dynamic,
    /// A failed attempt: a conversation whose opening was refused or never
    /// answered. One [`FAILED`](super::FAILED) row per transport, whatever
    /// port was tried.
    Failed,
}

/// The naming rule with the database folded into per-transport bitsets, so
/// that [`NamingRule::name_frame`] is two bit lookups and a comparison.
///
/// Build it once with [`PortDb::naming_rule`](super::PortDb::naming_rule)
/// and share it by reference; it does not borrow the database.
#[derive(Clone, PartialEq, Eq)]
pub struct NamingRule {
    /// Bit `port` of row `transport.index()` is set when the database has an
    /// entry for that (transport, port), in any layer. 3 × 8 KiB, so the
    /// whole table stays in L1 cache on the per-packet path.
    in_db: Box<[[u64; WORDS_PER_TRANSPORT]; TRANSPORT_COUNT]>,
}

const TRANSPORT_COUNT: usize = Transport::ALL.len();
const WORDS_PER_TRANSPORT: usize = (u16::MAX as usize + 1) / 64;

/// Rank bit set for a port the database does not know; it sorts after every
/// known port. Below it sits the port number itself: the class order
/// (well-known < registered < dynamic) is the numeric order, so
/// `(not_in_db, class, port)` and `(not_in_db, port)` compare alike and the
/// class needs no bits of its own.
const NOT_IN_DB: u32 = 1 << 16;

impl NamingRule {
    /// Builds the rule from the (transport, port) pairs that have an entry.
    pub(crate) fn from_known_ports(known: impl IntoIterator<Item = (Transport, u16)>) -> Self {
        let mut in_db = Box::new([[0u64; WORDS_PER_TRANSPORT]; TRANSPORT_COUNT]);
        for (transport, port) in known {
            in_db[transport.index()][usize::from(port / 64)] |= 1 << (port % 64);
        }
        NamingRule { in_db }
    }

    /// Whether the database has an entry for this transport and port.
    #[inline]
    pub fn in_db(&self, transport: Transport, port: u16) -> bool {
        (self.in_db[transport.index()][usize::from(port / 64)] >> (port % 64)) & 1 == 1
    }

    /// Sort key of a port under the naming rule: lower wins.
    #[inline]
    fn rank(&self, transport: Transport, port: u16) -> u32 {
        let not_in_db = if self.in_db(transport, port) {
            0
        } else {
            NOT_IN_DB
        };
        not_in_db | u32::from(port)
    }

    /// Picks the port that names a frame (see the module documentation for
    /// the rule). Pure and symmetric: swapping `src` and `dst` never changes
    /// the answer. Per-packet hot path: no allocation, no hashing.
    #[inline]
    pub fn name_frame(&self, transport: Transport, src: u16, dst: u16) -> Naming {
        self.name_frame_known(transport, src, dst).0
    }

    /// [`NamingRule::name_frame`], and whether the naming port is in the
    /// database (false for the dynamic row), from the same two lookups.
    #[inline]
    pub fn name_frame_known(&self, transport: Transport, src: u16, dst: u16) -> (Naming, bool) {
        let best = self.rank(transport, src).min(self.rank(transport, dst));
        // The low 16 bits of a rank are the port itself.
        let port = (best & 0xFFFF) as u16;
        let known = best & NOT_IN_DB == 0;
        if !known && port >= PortClass::DYNAMIC_START {
            (Naming::Dynamic, false)
        } else {
            (Naming::Port(port), known)
        }
    }
}

impl std::fmt::Debug for NamingRule {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bitsets are 24 KiB of noise; show how many ports each knows.
        let known: Vec<(&str, u32)> = Transport::ALL
            .iter()
            .map(|transport| {
                let row = &self.in_db[transport.index()];
                (
                    transport.name(),
                    row.iter().map(|word| word.count_ones()).sum(),
                )
            })
            .collect();
        formatter
            .debug_struct("NamingRule")
            .field("known_ports", &known)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::PortDb;
    use Transport::{Sctp, Tcp, Udp};
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static BUILTIN: LazyLock<PortDb> = LazyLock::new(PortDb::builtin);
    static RULE: LazyLock<NamingRule> = LazyLock::new(|| BUILTIN.naming_rule());

    /// The rule exactly as the module documentation words it, step by step,
    /// with the class spelled out: the packed-rank version must agree.
    fn rule_as_written(db: &PortDb, transport: Transport, a: u16, b: u16) -> Naming {
        let key = |port: u16| (!db.contains(transport, port), PortClass::of(port), port);
        let winner = if key(a) <= key(b) { a } else { b };
        let neither_in_db = !db.contains(transport, a) && !db.contains(transport, b);
        if neither_in_db && PortClass::of(winner) == PortClass::Dynamic {
            Naming::Dynamic
        } else {
            Naming::Port(winner)
        }
    }

    #[test]
    fn port_class_boundaries() {
        let cases = [
            (0, PortClass::WellKnown),
            (1023, PortClass::WellKnown),
            (1024, PortClass::Registered),
            (49151, PortClass::Registered),
            (49152, PortClass::Dynamic),
            (65535, PortClass::Dynamic),
        ];
        for (port, class) in cases {
            assert_eq!(PortClass::of(port), class, "port {port}");
        }
        assert_eq!(PortClass::WellKnown.name(), "well-known");
        assert_eq!(PortClass::Registered.name(), "registered");
        assert_eq!(PortClass::Dynamic.name(), "dynamic");
    }

    #[test]
    fn class_order_is_numeric_order() {
        // Why the rank needs no class bits: class never decreases as the
        // port grows.
        let mut previous = PortClass::of(0);
        for port in 1..=u16::MAX {
            let class = PortClass::of(port);
            assert!(class >= previous, "class drops at port {port}");
            previous = class;
        }
    }

    #[test]
    fn naming_table() {
        // Preconditions the table relies on; if one fails, the port-db grew
        // an entry and the case below needs another example port.
        for (transport, port, in_db) in [
            (Tcp, 51234, false),
            (Tcp, 40000, false),
            (Tcp, 50123, false),
            (Udp, 50001, false),
            (Udp, 60000, false),
            (Udp, 33333, false),
            (Tcp, 443, true),
            (Tcp, 80, true),
            (Tcp, 3306, true),
            (Tcp, 2049, true),
            (Tcp, 700, true),
            (Udp, 5353, true),
            (Udp, 51820, true),
            (Udp, 443, true),
            (Sctp, 2905, true),
            (Sctp, 80, false),
            (Tcp, 2, false),
        ] {
            assert_eq!(RULE.in_db(transport, port), in_db, "{transport:?} {port}");
        }

        let cases = [
            // A client's ephemeral port never names a frame.
            (Tcp, 51234, 443, Naming::Port(443)),
            (Udp, 50001, 53, Naming::Port(53)),
            // Same port on both sides.
            (Udp, 5353, 5353, Naming::Port(5353)),
            // Neither known: lower port if below 49152, else dynamic.
            (Tcp, 40000, 50123, Naming::Port(40000)),
            (Udp, 50001, 60000, Naming::Dynamic),
            (Udp, 60000, 60000, Naming::Dynamic),
            (Udp, 33333, 33333, Naming::Port(33333)),
            // Both known: lower class, then lower port.
            (Tcp, 3306, 80, Naming::Port(80)),
            (Tcp, 2049, 700, Naming::Port(700)),
            (Tcp, 443, 80, Naming::Port(80)),
            // Known beats unknown, whatever the numbers.
            (Tcp, 3306, 2, Naming::Port(3306)),
            (Tcp, 3306, 40000, Naming::Port(3306)),
            (Udp, 51820, 40000, Naming::Port(51820)),
            (Udp, 51820, 60000, Naming::Port(51820)),
            // Transport matters: sctp has no port-80 entry, m3ua is sctp.
            (Sctp, 80, 2905, Naming::Port(2905)),
            (Tcp, 0, 0, Naming::Port(0)),
            (Udp, 65535, 65535, Naming::Dynamic),
        ];
        for (transport, src, dst, expected) in cases {
            assert_eq!(
                RULE.name_frame(transport, src, dst),
                expected,
                "{transport:?} {src}->{dst}"
            );
            assert_eq!(
                RULE.name_frame(transport, dst, src),
                expected,
                "{transport:?} {dst}->{src}"
            );
        }
    }

    #[test]
    fn empty_database_names_by_port_alone() {
        let rule = NamingRule::from_known_ports([]);
        assert_eq!(rule.name_frame(Tcp, 51234, 443), Naming::Port(443));
        assert_eq!(rule.name_frame(Tcp, 49151, 49152), Naming::Port(49151));
        assert_eq!(rule.name_frame(Tcp, 49152, 49153), Naming::Dynamic);
    }

    #[test]
    fn debug_output_counts_known_ports() {
        let rule = NamingRule::from_known_ports([(Tcp, 1), (Tcp, 65535), (Sctp, 7)]);
        assert_eq!(
            format!("{rule:?}"),
            r#"NamingRule { known_ports: [("tcp", 2), ("udp", 0), ("sctp", 1)] }"#
        );
    }

    fn any_transport() -> impl Strategy<Value = Transport> {
        prop::sample::select(Transport::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn naming_is_symmetric(transport in any_transport(), a: u16, b: u16) {
            prop_assert_eq!(RULE.name_frame(transport, a, b), RULE.name_frame(transport, b, a));
        }

        #[test]
        fn naming_matches_the_rule_as_written(transport in any_transport(), a: u16, b: u16) {
            prop_assert_eq!(
                RULE.name_frame(transport, a, b),
                rule_as_written(&BUILTIN, transport, a, b)
            );
        }

        #[test]
        fn naming_picks_one_of_the_two_ports(transport in any_transport(), a: u16, b: u16) {
            if let Naming::Port(port) = RULE.name_frame(transport, a, b) {
                prop_assert!(port == a || port == b);
            }
        }

        #[test]
        fn ephemeral_port_never_wins(
            transport in any_transport(),
            ephemeral in PortClass::DYNAMIC_START..=u16::MAX,
            other: u16,
        ) {
            prop_assume!(!RULE.in_db(transport, ephemeral));
            prop_assume!(other < PortClass::DYNAMIC_START || RULE.in_db(transport, other));
            prop_assert_ne!(RULE.name_frame(transport, ephemeral, other), Naming::Port(ephemeral));
            prop_assert_eq!(RULE.name_frame(transport, ephemeral, other), Naming::Port(other));
        }
    }
}
