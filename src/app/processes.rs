//! Which process on this machine owns a local endpoint: the kernel's socket
//! tables (`/proc/net/tcp`, `tcp6`, `udp`, `udp6`, of the network namespace
//! portclass runs in) give each bound socket's inode, and each process's
//! open files (`/proc/PID/fd`) say which inodes it holds. Read through the
//! `procfs` crate once per live interval, never per packet.
//!
//! Without root (or CAP_SYS_PTRACE) only one's own processes' files can be
//! read: the others are counted as hidden, and the caller says so once.

use crate::decode::Transport;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A process, as far as it is known.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessInfo {
    /// Its process id.
    pub pid: i32,
    /// Its command name (`/proc/PID/comm`).
    pub name: String,
    /// The user it runs as (a name from `/etc/passwd`, else the uid).
    pub user: String,
}

/// The local sockets and their owners at one moment.
#[derive(Debug, Default)]
pub struct Sockets {
    /// (transport, bound address, port) → owner; the address may be the
    /// unspecified one (a socket bound to every address).
    owners: HashMap<(Transport, IpAddr, u16), ProcessInfo>,
    /// Processes whose open files could not be read (other users', without
    /// the privilege).
    pub hidden: usize,
    /// Whether the socket tables could be read at all.
    pub readable: bool,
}

impl Sockets {
    /// Reads the socket tables and the processes now. Tables that cannot
    /// be read (not Linux, no /proc) give an empty result.
    pub fn scan() -> Sockets {
        let mut inodes: HashMap<u64, (Transport, IpAddr, u16)> = HashMap::new();
        let tables = [
            (Transport::Tcp, procfs::net::tcp().map(tcp_locals)),
            (Transport::Tcp, procfs::net::tcp6().map(tcp_locals)),
            (Transport::Udp, procfs::net::udp().map(udp_locals)),
            (Transport::Udp, procfs::net::udp6().map(udp_locals)),
        ];
        let readable = tables.iter().any(|(_, table)| table.is_ok());
        for (transport, table) in tables {
            for (inode, address) in table.unwrap_or_default() {
                if inode != 0 {
                    inodes.insert(inode, (transport, address.ip(), address.port()));
                }
            }
        }
        let mut sockets = Sockets {
            readable,
            ..Sockets::default()
        };
        if inodes.is_empty() {
            return sockets;
        }
        let users = user_names();
        let Ok(processes) = procfs::process::all_processes() else {
            return sockets;
        };
        for process in processes.flatten() {
            let Ok(fds) = process.fd() else {
                sockets.hidden += 1;
                continue;
            };
            let mut owner: Option<ProcessInfo> = None;
            for fd in fds.flatten() {
                let procfs::process::FDTarget::Socket(inode) = fd.target else {
                    continue;
                };
                let Some(&endpoint) = inodes.get(&inode) else {
                    continue;
                };
                let info = owner.get_or_insert_with(|| {
                    let uid = process.uid().ok();
                    ProcessInfo {
                        pid: process.pid,
                        name: process
                            .stat()
                            .map(|s| s.comm)
                            .unwrap_or_else(|_| format!("pid {}", process.pid)),
                        user: uid.map_or_else(
                            || "?".to_string(),
                            |uid| users.get(&uid).cloned().unwrap_or_else(|| uid.to_string()),
                        ),
                    }
                });
                // The lowest pid keeps a socket several processes share (a
                // forking server's listening socket: its parent).
                sockets
                    .owners
                    .entry(endpoint)
                    .and_modify(|o| {
                        if info.pid < o.pid {
                            *o = info.clone();
                        }
                    })
                    .or_insert_with(|| info.clone());
            }
        }
        sockets
    }

    /// The owner of local endpoint `(address, port)`: a socket bound to
    /// that address, else one bound to every address (of the same family,
    /// or a dual-stack IPv6 one).
    pub fn owner(&self, transport: Transport, address: IpAddr, port: u16) -> Option<&ProcessInfo> {
        let any: &[IpAddr] = match address {
            IpAddr::V4(_) => &[
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            ],
            IpAddr::V6(_) => &[IpAddr::V6(Ipv6Addr::UNSPECIFIED)],
        };
        self.owners
            .get(&(transport, address, port))
            .or_else(|| {
                // A v4 address as a dual-stack socket sees it.
                let mapped = match address {
                    IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
                    IpAddr::V6(_) => None,
                };
                mapped.and_then(|m| self.owners.get(&(transport, m, port)))
            })
            .or_else(|| {
                any.iter()
                    .find_map(|a| self.owners.get(&(transport, *a, port)))
            })
    }

    /// Whether any socket was seen at all.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

fn tcp_locals(entries: Vec<procfs::net::TcpNetEntry>) -> Vec<(u64, std::net::SocketAddr)> {
    entries
        .into_iter()
        .map(|e| (e.inode, e.local_address))
        .collect()
}

fn udp_locals(entries: Vec<procfs::net::UdpNetEntry>) -> Vec<(u64, std::net::SocketAddr)> {
    entries
        .into_iter()
        .map(|e| (e.inode, e.local_address))
        .collect()
}

/// uid → user name, from `/etc/passwd` (empty if unreadable).
fn user_names() -> HashMap<u32, String> {
    let Ok(text) = std::fs::read_to_string("/etc/passwd") else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

/// Traffic per process, summed over what was attributed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessTraffic {
    /// Bytes its sockets sent.
    pub sent_bytes: u64,
    /// Bytes its sockets received.
    pub received_bytes: u64,
    /// Conversations it took part in (per interval in which they were busy).
    pub conversations: u64,
}

/// Most processes kept; the traffic of any other goes to `other`.
pub const MAX_PROCESSES: usize = 1000;

/// The traffic of local processes over a live run, bounded.
#[derive(Debug, Default)]
pub struct ProcessTally {
    /// Per process.
    pub processes: HashMap<ProcessInfo, ProcessTraffic>,
    /// Processes beyond [`MAX_PROCESSES`], summed.
    pub other: ProcessTraffic,
}

impl ProcessTally {
    /// Adds one conversation's bytes to the process owning its `local` side
    /// (which `sent` bytes left from).
    pub fn add(&mut self, owner: &ProcessInfo, sent: u64, received: u64) {
        let slot = if self.processes.len() < MAX_PROCESSES || self.processes.contains_key(owner) {
            self.processes.entry(owner.clone()).or_default()
        } else {
            &mut self.other
        };
        slot.sent_bytes += sent;
        slot.received_bytes += received;
        slot.conversations += 1;
    }

    /// The processes, most bytes first.
    pub fn ranked(&self) -> Vec<(&ProcessInfo, ProcessTraffic)> {
        let mut list: Vec<_> = self.processes.iter().map(|(p, t)| (p, *t)).collect();
        list.sort_by(|a, b| {
            (b.1.sent_bytes + b.1.received_bytes)
                .cmp(&(a.1.sent_bytes + a.1.received_bytes))
                .then(a.0.cmp(b.0))
        });
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, UdpSocket};

    #[test]
    fn a_socket_of_this_process_is_found_with_its_pid() {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let udp = UdpSocket::bind("0.0.0.0:0").expect("bind udp");
        let sockets = Sockets::scan();
        if sockets.is_empty() {
            crate::test_skipped("no /proc socket tables here");
            return;
        }
        let me = std::process::id() as i32;
        let tcp_port = tcp.local_addr().expect("addr").port();
        let owner = sockets
            .owner(Transport::Tcp, "127.0.0.1".parse().expect("ip"), tcp_port)
            .expect("the listener's owner");
        assert_eq!(owner.pid, me);
        // Bound to every address: found for any local address.
        let udp_port = udp.local_addr().expect("addr").port();
        let owner = sockets
            .owner(Transport::Udp, "10.1.2.3".parse().expect("ip"), udp_port)
            .expect("the udp socket's owner");
        assert_eq!(owner.pid, me);
        assert!(
            sockets
                .owner(Transport::Udp, "127.0.0.1".parse().expect("ip"), tcp_port)
                .is_none()
                || tcp_port == udp_port
        );
    }

    #[test]
    fn the_process_tally_is_bounded() {
        let mut tally = ProcessTally::default();
        for pid in 0..(MAX_PROCESSES as i32 + 10) {
            let p = ProcessInfo {
                pid,
                name: "x".into(),
                user: "u".into(),
            };
            tally.add(&p, 10, 20);
        }
        assert_eq!(tally.processes.len(), MAX_PROCESSES);
        assert_eq!(tally.other.sent_bytes, 100);
        assert_eq!(tally.ranked().len(), MAX_PROCESSES);
    }
}
