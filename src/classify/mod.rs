//! classify: the port database (load, validate, look up) and the rule that
//! picks which port names a packet. No counting, no formatting.
//!
//! # The port database
//!
//! [`PortDb`] merges three layers, each an ordered list of
//! (port, transport, service, description) entries:
//!
//! 1. **builtin**: `port-db/services.tsv`, compiled in ([`BUILTIN_PORT_DB`]);
//! 2. **system**: the services file, normally `/etc/services`; it only adds
//!    entries for (port, transport) pairs the built-in table lacks (its
//!    names for the other pairs become aliases of the built-in entry), and a
//!    missing or garbled file is skipped (see [`PortDb::warnings`]);
//! 3. **user**: a file named with `--port-db`, in the port-db or the
//!    `/etc/services` format; its entries come first for the pairs they name,
//!    with the lower layers' entries for those pairs listed after them. A bad
//!    user file is an error ([`PortDbError`]).
//!
//! Several entries may share a (port, transport): the first is the
//! *primary* one, shown by default ([`PortDb::primary`]); the rest are
//! conflicts, still listed by [`PortDb::entries_for`] and [`PortDb::query`].
//! The file formats are described in `port-db/README.md`.
//!
//! # The naming rule
//!
//! A frame has two ports; exactly one row of the service table gets it.
//! [`NamingRule::name_frame`] picks it:
//!
//! 1. a port in the database (for the frame's transport, in any layer) beats
//!    one that is not;
//! 2. then a well-known port (0-1023) beats a registered one (1024-49151),
//!    which beats a dynamic one (49152-65535) — see [`PortClass`];
//! 3. then the lower number wins;
//! 4. if neither port is in the database, the frame goes to the lower port
//!    when that is below 49152 (shown as [`UNASSIGNED`]), and otherwise to
//!    the single [`DYNAMIC`] row ([`Naming::Dynamic`]).
//!
//! The rule is pure and symmetric: (src, dst) and (dst, src) give the same
//! answer. One consequence: a client's ephemeral port (say 51234) never names
//! a frame whose other port is below 49152 or in the database, so
//! `tcp 51234 → 443` counts under 443 (`https`) and `tcp 40000 → 50000`, with
//! neither in the database, under 40000 (`unassigned`).
//!
//! Steps 2 and 3 together are plain numeric order, because the classes are
//! consecutive ranges; so the rule is implemented as a rank
//! `(not_in_db << 16) | port` per port, computed from one bitset per
//! transport, and `name_frame` takes the lower rank.
//!
//! ```
//! use portclass::classify::{Naming, PortDb};
//! use portclass::decode::Transport;
//!
//! let db = PortDb::builtin();
//! let rule = db.naming_rule();
//! let naming = rule.name_frame(Transport::Tcp, 51234, 443);
//! assert_eq!(naming, Naming::Port(443));
//! assert_eq!(db.label(Transport::Tcp, naming), "https");
//! assert_eq!(rule.name_frame(Transport::Udp, 50001, 60000), Naming::Dynamic);
//! ```
//!
//! May import `decode` (transports) only.

mod db;
pub mod ftp;
mod naming;
mod parse;
mod query;

pub use db::{BUILTIN_PORT_DB, PortDb, PortDbError, PortEntry, Source};
pub use naming::{Naming, NamingRule, PortClass};
pub use parse::LineProblem;
pub use query::{QueryError, ServiceFilterError};

/// Label of a frame attributed to a port that has no database entry.
pub const UNASSIGNED: &str = "unassigned";

/// Label of the single row for frames whose ports are both dynamic and
/// unknown.
pub const DYNAMIC: &str = "dynamic";

/// Label of the row of failed attempts: conversations refused or never
/// answered (see [`Naming::Failed`]).
pub const FAILED: &str = "failed";
