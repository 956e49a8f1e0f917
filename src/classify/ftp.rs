//! FTP data channels announced on the control channel (RFC 959, RFC 2428):
//! the client's `PORT`/`EPRT` commands and the server's `227`/`229`
//! replies to `PASV`/`EPSV` each name the endpoint the data connection
//! will be opened towards. The classifier then counts that connection
//! under ftp (`identified_by: related`).
//!
//! Only what a segment holds is read: a command or reply split across two
//! segments is missed (clients and servers send each as one write).

use std::net::{IpAddr, Ipv4Addr};

/// The FTP control port.
pub const FTP_CONTROL: u16 = 21;

/// A data connection announced on a control channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The endpoint the data connection will be opened towards.
    pub endpoint: (IpAddr, u16),
    /// The address that will open it.
    pub connector: IpAddr,
    /// Whether the FTP server opens it (active mode: `PORT`/`EPRT`) rather
    /// than the client (passive mode: `227`/`229`).
    pub server_connects: bool,
}

/// The data connection a control-channel segment announces, if any. The
/// segment went from `src` to `dst`; the side on port 21 is the server.
/// An announced address of 0.0.0.0, or none (`229`, `EPRT` without one),
/// means the control connection's own address, and so does one that
/// differs from it (a server behind NAT announces its private address,
/// which the capture does not see).
pub fn announcement(
    payload: &[u8],
    (src, src_port): (IpAddr, u16),
    (dst, dst_port): (IpAddr, u16),
) -> Option<Announcement> {
    if src_port == FTP_CONTROL {
        let port = payload.split(|&b| b == b'\n').find_map(passive_reply)?;
        Some(Announcement {
            endpoint: (src, port),
            connector: dst,
            server_connects: false,
        })
    } else if dst_port == FTP_CONTROL {
        let port = payload.split(|&b| b == b'\n').find_map(active_command)?;
        Some(Announcement {
            endpoint: (src, port),
            connector: dst,
            server_connects: true,
        })
    } else {
        None
    }
}

/// The port of a `227 ... (h1,h2,h3,h4,p1,p2)` or `229 ... (|||port|)`
/// reply line.
fn passive_reply(line: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text
        .strip_prefix("227")
        .or_else(|| text.strip_prefix("229"));
    match (text.get(..3)?, rest) {
        ("227", Some(rest)) => {
            // The six numbers start at the first digit after the code
            // (RFC 1123: the parentheses are not guaranteed).
            let start = rest.find(|c: char| c.is_ascii_digit())?;
            host_port(&rest[start..]).map(|(_, port)| port)
        }
        ("229", Some(rest)) => {
            let open = rest.find('(')?;
            extended(&rest[open + 1..]).map(|(_, port)| port)
        }
        _ => None,
    }
}

/// The port of a `PORT h1,h2,h3,h4,p1,p2` or `EPRT |af|addr|port|`
/// command line (commands are case-insensitive).
fn active_command(line: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(line).ok()?.trim_start();
    let (verb, argument) = text.split_at_checked(4)?;
    let argument = argument.strip_prefix(' ')?.trim_start();
    if verb.eq_ignore_ascii_case("PORT") {
        host_port(argument).map(|(_, port)| port)
    } else if verb.eq_ignore_ascii_case("EPRT") {
        extended(argument).map(|(_, port)| port)
    } else {
        None
    }
}

/// `h1,h2,h3,h4,p1,p2` (anything after the sixth number is ignored).
fn host_port(text: &str) -> Option<(Ipv4Addr, u16)> {
    let mut numbers = [0u8; 6];
    let mut fields = text.splitn(6, ',');
    for (i, slot) in numbers.iter_mut().enumerate() {
        let field = fields.next()?.trim_start();
        let field = if i == 5 {
            let end = field
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(field.len());
            &field[..end]
        } else {
            field.trim_end()
        };
        *slot = field.parse().ok()?;
    }
    let [a, b, c, d, high, low] = numbers;
    let port = u16::from_be_bytes([high, low]);
    (port != 0).then(|| (Ipv4Addr::new(a, b, c, d), port))
}

/// `<d>af<d>addr<d>port<d>` with any delimiter `<d>` (RFC 2428); `af` and
/// `addr` may be empty (the `229` reply).
fn extended(text: &str) -> Option<(Option<IpAddr>, u16)> {
    let delimiter = text.chars().next()?;
    if !(' '..='~').contains(&delimiter) || delimiter.is_ascii_alphanumeric() {
        return None;
    }
    let mut fields = text[delimiter.len_utf8()..].split(delimiter);
    let _family = fields.next()?;
    let address = fields.next()?;
    let port: u16 = fields.next()?.parse().ok()?;
    fields.next()?; // the closing delimiter
    let address = if address.is_empty() {
        None
    } else {
        Some(address.parse().ok()?)
    };
    (port != 0).then_some((address, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    const SERVER: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 21);
    const CLIENT: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 40000);

    fn from_server(payload: &str) -> Option<Announcement> {
        announcement(payload.as_bytes(), SERVER, CLIENT)
    }

    fn from_client(payload: &str) -> Option<Announcement> {
        announcement(payload.as_bytes(), CLIENT, SERVER)
    }

    #[test]
    fn passive_replies_name_the_servers_endpoint() {
        let passive = Announcement {
            endpoint: (SERVER.0, 195 * 256 + 80),
            connector: CLIENT.0,
            server_connects: false,
        };
        for reply in [
            "227 Entering Passive Mode (10,0,0,1,195,80).\r\n",
            "227 Entering Passive Mode (192,168,1,9,195,80)\r\n",
            "227 =10,0,0,1,195,80\r\n",
            "150 ok\r\n227 Entering Passive Mode (0,0,0,0,195,80)\r\n",
        ] {
            assert_eq!(from_server(reply), Some(passive), "{reply}");
        }
        assert_eq!(
            from_server("229 Entering Extended Passive Mode (|||50000|)\r\n"),
            Some(Announcement {
                endpoint: (SERVER.0, 50000),
                ..passive
            })
        );
    }

    #[test]
    fn active_commands_name_the_clients_endpoint() {
        let active = Announcement {
            endpoint: (CLIENT.0, 7 * 256 + 138),
            connector: SERVER.0,
            server_connects: true,
        };
        assert_eq!(from_client("PORT 10,0,0,2,7,138\r\n"), Some(active));
        assert_eq!(from_client("port 10,0,0,2,7,138\r\n"), Some(active));
        assert_eq!(
            from_client("EPRT |1|10.0.0.2|1930|\r\n").map(|a| a.endpoint.1),
            Some(1930)
        );
        let v6 = Ipv6Addr::new(0x1080, 0, 0, 0, 8, 0x800, 0x200c, 0x417a);
        assert_eq!(
            extended("|2|1080::8:800:200C:417A|5282|"),
            Some((Some(v6.into()), 5282))
        );
    }

    #[test]
    fn anything_else_announces_nothing() {
        for text in [
            "",
            "227 Entering Passive Mode\r\n",
            "227 Entering Passive Mode (10,0,0,1,0,0)\r\n",
            "227 Entering Passive Mode (10,0,0,1,300,1)\r\n",
            "229 Entering Extended Passive Mode (|||port|)\r\n",
            "229 Entering Extended Passive Mode (|||50000\r\n",
            "PORT\r\n",
            "PORTS 10,0,0,2,7,138\r\n",
            "EPRT |1|not an address|1930|\r\n",
            "USER anonymous\r\n",
            "\u{ff}\u{fe}227 (1,2,3,4,5,6)",
        ] {
            assert_eq!(from_server(text), None, "{text:?}");
            assert_eq!(from_client(text), None, "{text:?}");
        }
        // Only the control port's traffic is read.
        let elsewhere = (CLIENT.0, 2121);
        let reply = b"227 Entering Passive Mode (10,0,0,1,195,80)\r\n";
        assert_eq!(announcement(reply, elsewhere, CLIENT), None);
    }
}
