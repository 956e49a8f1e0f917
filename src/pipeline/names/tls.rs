//! The server name (SNI, RFC 6066) of a TLS ClientHello (RFC 8446 §4.1.2):
//! the name a client asks the server at the segment's destination for.
//! Only what the segment holds is read (a ClientHello's extensions nearly
//! always fit in the first segment); the record may go on past it.

use super::HostName;

/// A handshake record.
const HANDSHAKE: u8 = 22;
/// A ClientHello message.
const CLIENT_HELLO: u8 = 1;
/// The server_name extension.
const SERVER_NAME: u16 = 0;
/// A host_name entry of the server name list.
const HOST_NAME: u8 = 0;

/// A cursor over bytes that may end at any point.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(super) fn u8(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    pub(super) fn u24(&mut self) -> Option<usize> {
        let high = usize::from(self.u8()?);
        Some(high << 16 | usize::from(self.u16()?))
    }

    pub(super) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let bytes = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(bytes)
    }

    pub(super) fn skip(&mut self, len: usize) -> Option<()> {
        self.take(len).map(|_| ())
    }

    /// What is left (possibly less than a length field announced).
    pub(super) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.at..).unwrap_or(&[])
    }
}

/// The server name of the ClientHello a TLS segment starts with.
pub fn server_name(segment: &[u8]) -> Option<HostName> {
    let mut record = Reader::new(segment);
    if record.u8()? != HANDSHAKE || record.u8()? != 3 {
        return None;
    }
    record.skip(3)?; // minor version, record length
    client_hello_server_name(record.rest())
}

/// The server name in a handshake message that is a ClientHello (also
/// QUIC's, whose CRYPTO frames carry the handshake without records). The
/// message may be cut short after the extension.
pub(super) fn client_hello_server_name(handshake: &[u8]) -> Option<HostName> {
    let mut hello = Reader::new(handshake);
    if hello.u8()? != CLIENT_HELLO {
        return None;
    }
    hello.u24()?;
    hello.skip(2 + 32)?; // legacy version, random
    let session_id = usize::from(hello.u8()?);
    hello.skip(session_id)?;
    let suites = usize::from(hello.u16()?);
    hello.skip(suites)?;
    let compressions = usize::from(hello.u8()?);
    hello.skip(compressions)?;
    hello.u16()?; // extensions length: they may go on past the segment
    loop {
        let kind = hello.u16()?;
        let len = usize::from(hello.u16()?);
        if kind != SERVER_NAME {
            hello.skip(len)?;
            continue;
        }
        let mut list = Reader::new(hello.take(len)?);
        list.u16()?;
        while let Some(name_type) = list.u8() {
            let name_len = usize::from(list.u16()?);
            let name = list.take(name_len)?;
            if name_type == HOST_NAME {
                return HostName::new(name);
            }
        }
        return None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vec16(data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u16).to_be_bytes().to_vec();
        v.extend(data);
        v
    }

    fn extension(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut v = kind.to_be_bytes().to_vec();
        v.extend(vec16(data));
        v
    }

    fn sni(name: &[u8]) -> Vec<u8> {
        let mut entry = vec![HOST_NAME];
        entry.extend(vec16(name));
        extension(SERVER_NAME, &vec16(&entry))
    }

    /// A ClientHello record carrying `extensions`.
    fn client_hello(extensions: &[Vec<u8>]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([7; 32]);
        body.push(32);
        body.extend([9; 32]);
        body.extend(vec16(&[0x13, 0x01, 0x13, 0x02]));
        body.extend([1, 0]);
        body.extend(vec16(&extensions.concat()));
        let mut handshake = vec![CLIENT_HELLO];
        handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
        handshake.extend(body);
        let mut record = vec![HANDSHAKE, 3, 1];
        record.extend(vec16(&handshake));
        record
    }

    fn name(segment: &[u8]) -> Option<String> {
        server_name(segment).map(|n| n.as_str().to_string())
    }

    #[test]
    fn the_server_name_is_found_among_the_extensions() {
        let supported_versions = extension(43, &[2, 3, 4]);
        let alpn = extension(16, &vec16(b"\x02h2"));
        let cases = [
            (vec![sni(b"example.com")], Some("example.com")),
            (
                vec![supported_versions.clone(), alpn, sni(b"Web.Portclass.Test")],
                Some("web.portclass.test"),
            ),
            (vec![supported_versions], None),
            (vec![sni(b"192.0.2.1")], None),
            (vec![sni(b"bad name")], None),
        ];
        for (extensions, expected) in cases {
            assert_eq!(name(&client_hello(&extensions)).as_deref(), expected);
        }
    }

    #[test]
    fn a_segment_cut_after_the_name_still_gives_it_and_before_it_does_not() {
        let hello = client_hello(&[extension(43, &[2, 3, 4]), sni(b"example.com")]);
        let mut padded = hello.clone();
        padded.extend(extension(21, &[0; 600]));
        // The record announces more than the segment holds.
        for cut in 0..hello.len() {
            assert_eq!(name(&hello[..cut]), None, "cut at {cut}");
        }
        assert_eq!(name(&hello).as_deref(), Some("example.com"));
        assert_eq!(
            name(&padded[..hello.len() + 10]).as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn other_records_and_messages_are_not_read() {
        let mut hello = client_hello(&[sni(b"example.com")]);
        hello[0] = 23; // application data
        assert_eq!(name(&hello), None);
        let mut server_hello = client_hello(&[sni(b"example.com")]);
        server_hello[5] = 2;
        assert_eq!(name(&server_hello), None);
        assert_eq!(name(b"GET / HTTP/1.1\r\n"), None);
    }
}
