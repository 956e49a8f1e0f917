//! The server name of the ClientHello in a client's QUIC Initial packet
//! (RFC 9000 §17.2.2, RFC 9001 §5; QUIC version 2, RFC 9369, the same
//! way with its own salt, labels and packet type).
//!
//! An Initial packet is protected with keys anyone can derive from its
//! destination connection ID: the keys are derived with HKDF-SHA256, the
//! header protection removed with AES-128, and the payload opened with
//! AES-128-GCM (all from `ring`). The CRYPTO frames of that one packet are
//! put back in order, and the ClientHello they start with read as TLS's
//! (see [`super::tls`]). A ClientHello spread over several packets gives
//! its name only when the first packet holds it. Only the first packet of
//! a datagram is read; nothing is allocated.

use super::HostName;
use super::tls::{Reader, client_hello_server_name};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, quic};
use ring::hkdf::{HKDF_SHA256, KeyType, Prk, Salt};

/// QUIC version 1.
const VERSION_1: u32 = 1;
/// QUIC version 2.
const VERSION_2: u32 = 0x6b33_43cf;
/// RFC 9001 §5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// The longest connection ID (RFC 9000 §17.2).
const MAX_CID: usize = 20;
/// The largest packet opened (Initial packets are padded to at least
/// 1,200 bytes; paths rarely carry more than 1,500).
const MAX_PACKET: usize = 4096;
/// CRYPTO frames put together from one packet.
const MAX_CRYPTO_FRAMES: usize = 32;

/// The labels and packet type of one QUIC version.
struct Version {
    salt: &'static [u8; 20],
    key: &'static [u8],
    iv: &'static [u8],
    hp: &'static [u8],
    /// The long-header packet type bits of an Initial.
    initial: u8,
}

const V1: Version = Version {
    salt: &SALT_V1,
    key: b"quic key",
    iv: b"quic iv",
    hp: b"quic hp",
    initial: 0,
};

const V2: Version = Version {
    salt: &SALT_V2,
    key: b"quicv2 key",
    iv: b"quicv2 iv",
    hp: b"quicv2 hp",
    initial: 1,
};

/// An output length for HKDF-Expand.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(secret: &Prk, label: &[u8], out: &mut [u8]) -> Option<()> {
    let length = (out.len() as u16).to_be_bytes();
    let label_len = [(6 + label.len()) as u8];
    let info: [&[u8]; 5] = [&length, &label_len, b"tls13 ", label, &[0]];
    secret.expand(&info, Len(out.len())).ok()?.fill(out).ok()
}

/// The client's Initial keys: packet key, IV, header protection key.
struct Keys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

fn client_keys(version: &Version, dcid: &[u8]) -> Option<Keys> {
    let initial = Salt::new(HKDF_SHA256, version.salt).extract(dcid);
    let mut client = [0; 32];
    expand_label(&initial, b"client in", &mut client)?;
    let client = Prk::new_less_safe(HKDF_SHA256, &client);
    let mut keys = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&client, version.key, &mut keys.key)?;
    expand_label(&client, version.iv, &mut keys.iv)?;
    expand_label(&client, version.hp, &mut keys.hp)?;
    Some(keys)
}

/// A QUIC variable-length integer (RFC 9000 §16).
fn varint(reader: &mut Reader<'_>) -> Option<u64> {
    let first = reader.u8()?;
    let mut value = u64::from(first & 0x3f);
    for _ in 1..(1usize << (first >> 6)) {
        value = value << 8 | u64::from(reader.u8()?);
    }
    Some(value)
}

/// The server name of the ClientHello a client's Initial packet (the
/// first of `datagram`) carries.
pub fn server_name(datagram: &[u8]) -> Option<HostName> {
    let mut header = Reader::new(datagram);
    let first = header.u8()?;
    // A long header with the fixed bit.
    if first & 0xc0 != 0xc0 {
        return None;
    }
    let version = match u32::from_be_bytes([header.u8()?, header.u8()?, header.u8()?, header.u8()?])
    {
        VERSION_1 => &V1,
        VERSION_2 => &V2,
        _ => return None,
    };
    if (first >> 4) & 0x03 != version.initial {
        return None;
    }
    let dcid_len = usize::from(header.u8()?);
    if dcid_len > MAX_CID {
        return None;
    }
    let dcid = header.take(dcid_len)?;
    let scid_len = usize::from(header.u8()?);
    header.skip(scid_len)?;
    let token_len = usize::try_from(varint(&mut header)?).ok()?;
    header.skip(token_len)?;
    let length = usize::try_from(varint(&mut header)?).ok()?;
    let pn_offset = datagram.len() - header.rest().len();
    let end = pn_offset.checked_add(length)?;
    if end > datagram.len() || end > MAX_PACKET {
        return None;
    }
    // Header protection: the mask comes from the 16 bytes 4 past the
    // start of the packet number, inside the packet.
    let sample = datagram[..end].get(pn_offset + 4..pn_offset + 20)?;
    let keys = client_keys(version, dcid)?;
    let hp = quic::HeaderProtectionKey::new(&quic::AES_128, &keys.hp).ok()?;
    let mask = hp.new_mask(sample).ok()?;
    let mut packet = [0u8; MAX_PACKET];
    let packet = &mut packet[..end];
    packet.copy_from_slice(&datagram[..end]);
    packet[0] ^= mask[0] & 0x0f;
    let pn_len = usize::from(packet[0] & 0x03) + 1;
    let mut nonce = keys.iv;
    for i in 0..pn_len {
        packet[pn_offset + i] ^= mask[1 + i];
        // The packet number, right-aligned in the IV (the first packets
        // of a connection: its truncated value is the whole number).
        nonce[12 - pn_len + i] ^= packet[pn_offset + i];
    }
    let (header, payload) = packet.split_at_mut(pn_offset + pn_len);
    let key = LessSafeKey::new(UnboundKey::new(&aead::AES_128_GCM, &keys.key).ok()?);
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&*header),
            payload,
        )
        .ok()?;
    client_hello_in_frames(plain)
}

/// The server name of the ClientHello the CRYPTO frames of one packet's
/// payload hold, put back in order from offset 0 as far as they go.
fn client_hello_in_frames(payload: &[u8]) -> Option<HostName> {
    let mut frames: [(usize, &[u8]); MAX_CRYPTO_FRAMES] = [(0, &[]); MAX_CRYPTO_FRAMES];
    let mut count = 0;
    let mut reader = Reader::new(payload);
    while let Some(kind) = varint(&mut reader) {
        match kind {
            0x00 | 0x01 => {} // PADDING, PING
            0x02 | 0x03 => {
                // ACK: largest, delay, range count, first range, ranges
                // (gap, length), and with 0x03 three ECN counts.
                varint(&mut reader)?;
                varint(&mut reader)?;
                let ranges = varint(&mut reader)?;
                varint(&mut reader)?;
                for _ in 0..ranges.min(256) * 2 {
                    varint(&mut reader)?;
                }
                if kind == 0x03 {
                    for _ in 0..3 {
                        varint(&mut reader)?;
                    }
                }
            }
            0x06 => {
                let offset = usize::try_from(varint(&mut reader)?).ok()?;
                let len = usize::try_from(varint(&mut reader)?).ok()?;
                let data = reader.take(len)?;
                if count < MAX_CRYPTO_FRAMES {
                    frames[count] = (offset, data);
                    count += 1;
                }
            }
            // CONNECTION_CLOSE, or a frame an Initial may not carry.
            _ => break,
        }
    }
    let frames = &frames[..count];
    // The bytes from offset 0 as far as the frames cover them without a
    // gap.
    let mut hello = [0u8; MAX_PACKET];
    let mut covered = 0;
    loop {
        let before = covered;
        for &(offset, data) in frames {
            let frame_end = offset.saturating_add(data.len()).min(MAX_PACKET);
            if offset <= covered && covered < frame_end {
                hello[covered..frame_end]
                    .copy_from_slice(&data[covered - offset..frame_end - offset]);
                covered = frame_end;
            }
        }
        if covered == before {
            break;
        }
    }
    client_hello_server_name(&hello[..covered])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of hex text, `#` lines skipped.
    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .flat_map(str::bytes)
            .filter(u8::is_ascii_hexdigit)
            .map(|b| char::from(b).to_digit(16).map_or(0, |d| d as u8))
            .collect();
        digits
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair[1])
            .collect()
    }

    /// RFC 9001 Appendix A.1: the keys of the client's Initial packets of
    /// the connection whose destination ID is 0x8394c8f03e515708.
    #[test]
    fn initial_keys_are_those_of_rfc_9001_appendix_a() {
        let keys = client_keys(&V1, &hex("8394c8f03e515708")).expect("keys");
        assert_eq!(keys.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(keys.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(keys.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
        // RFC 9369 Appendix A.1, the same connection ID under QUIC v2.
        let keys = client_keys(&V2, &hex("8394c8f03e515708")).expect("keys");
        assert_eq!(keys.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(keys.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(keys.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
    }

    /// RFC 9001 Appendix A.2: the client's protected Initial packet, its
    /// ClientHello naming `example.com`, padded to 1,200 bytes.
    const CLIENT_INITIAL: &str = include_str!("quic_rfc9001_a2.hex");

    #[test]
    fn the_rfc_9001_client_initial_names_example_com() {
        let packet = hex(CLIENT_INITIAL);
        assert_eq!(packet.len(), 1200);
        assert_eq!(
            server_name(&packet).map(|n| n.as_str().to_string()),
            Some("example.com".to_string())
        );
        // Any byte changed: the packet no longer opens (or no longer is an
        // Initial), and nothing is learnt.
        for at in [0, 5, 20, 100, 600, 1199] {
            let mut damaged = packet.clone();
            damaged[at] ^= 0x40;
            assert_eq!(server_name(&damaged), None, "byte {at}");
        }
        // Cut short anywhere: nothing, and never a panic.
        for cut in (0..packet.len()).step_by(7) {
            assert_eq!(server_name(&packet[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn a_length_too_short_for_the_header_protection_sample_is_refused() {
        // Found reading random datagrams to UDP 443: a Length field that
        // ends the packet before its packet number and sample.
        let packet = hex(CLIENT_INITIAL);
        for length in 0..=40u16 {
            let mut short = packet.clone();
            short[16..18].copy_from_slice(&(0x4000 | length).to_be_bytes());
            assert_eq!(server_name(&short), None, "length {length}");
        }
    }

    proptest::proptest! {
        /// The RFC's packet with any byte of its header (and the first
        /// of its payload) set to anything: never a panic.
        #[test]
        fn a_damaged_header_never_panics(at in 0usize..40, value in 0u8..=255) {
            let mut packet = hex(CLIENT_INITIAL);
            packet[at] = value;
            let _ = server_name(&packet);
        }
    }

    #[test]
    fn crypto_frames_out_of_order_are_put_back_together() {
        // The RFC's ClientHello, opened, split into three CRYPTO frames
        // sent last part first, with PADDING and PING between.
        let hello = hex(include_str!("quic_rfc9001_hello.hex"));
        let frame = |offset: usize, data: &[u8]| {
            let mut f = vec![0x06, 0x40 | (offset >> 8) as u8, offset as u8];
            f.extend([0x40 | (data.len() >> 8) as u8, data.len() as u8]);
            f.extend(data);
            f
        };
        let mut payload = frame(150, &hello[150..]);
        payload.extend([0, 0, 1]);
        payload.extend(frame(0, &hello[..60]));
        payload.extend(frame(60, &hello[60..150]));
        assert_eq!(
            client_hello_in_frames(&payload).map(|n| n.as_str().to_string()),
            Some("example.com".to_string())
        );
        // Without the middle frame the name is out of reach.
        let mut gap = frame(150, &hello[150..]);
        gap.extend(frame(0, &hello[..60]));
        assert_eq!(client_hello_in_frames(&gap), None);
    }

    #[test]
    fn other_packets_are_not_read() {
        let mut packet = hex(CLIENT_INITIAL);
        // A short header (1-RTT), a Handshake packet, another version.
        packet[0] = 0x43;
        assert_eq!(server_name(&packet), None);
        let mut handshake = hex(CLIENT_INITIAL);
        handshake[0] = (handshake[0] & 0xcf) | 0x20;
        assert_eq!(server_name(&handshake), None);
        let mut other = hex(CLIENT_INITIAL);
        other[4] = 2;
        assert_eq!(server_name(&other), None);
    }
}
