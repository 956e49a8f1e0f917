//! The server name of the ClientHello in a QUIC Initial packet.

use super::HostName;

/// The server name of a QUIC Initial's ClientHello.
pub fn server_name(_datagram: &[u8]) -> Option<HostName> {
    None
}
