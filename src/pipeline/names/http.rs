//! The `Host` header of an HTTP/1.x request (RFC 9112 §3.2): the name the
//! client asks the server at the segment's destination for. Only a
//! segment that starts a request (a method and a space) is read, and only
//! the headers it holds; a port is stripped, and an address written as
//! the host names nothing.

use super::HostName;

/// Request methods (RFC 9110 §9), each with the space after it.
const METHODS: [&[u8]; 8] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"TRACE ",
];

/// The name of the `Host` header of the request a segment starts with.
pub fn host(segment: &[u8]) -> Option<HostName> {
    if !METHODS.iter().any(|m| segment.starts_with(m)) {
        return None;
    }
    // Only whole lines: a header cut by the segment's end is not read.
    let whole = &segment[..segment.iter().rposition(|&b| b == b'\n')?];
    let mut lines = whole.split(|&b| b == b'\n');
    lines.next()?; // the request line
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            // The end of the headers.
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if !line[..colon].eq_ignore_ascii_case(b"host") {
            continue;
        }
        let value = line[colon + 1..].trim_ascii();
        if value.first() == Some(&b'[') {
            return None; // an IPv6 address
        }
        let name = match value.iter().rposition(|&b| b == b':') {
            Some(colon) if value[colon + 1..].iter().all(u8::is_ascii_digit) => &value[..colon],
            _ => value,
        };
        // A fully qualified name may end in a dot.
        return HostName::new(name.strip_suffix(b".").unwrap_or(name));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(segment: &str) -> Option<String> {
        host(segment.as_bytes()).map(|n| n.as_str().to_string())
    }

    #[test]
    fn the_host_header_names_the_server() {
        let cases = [
            (
                "GET / HTTP/1.1\r\nHost: web.portclass.test\r\n\r\n",
                Some("web.portclass.test"),
            ),
            (
                "POST /x HTTP/1.1\r\nUser-Agent: t\r\nhOsT:Example.COM:8080\r\n\r\n",
                Some("example.com"),
            ),
            (
                "HEAD / HTTP/1.1\nHost: example.com.\n\n",
                Some("example.com"),
            ),
            ("GET / HTTP/1.1\r\nHost: 10.0.3.17\r\n\r\n", None),
            ("GET / HTTP/1.1\r\nHost: 10.0.3.17:80\r\n\r\n", None),
            ("GET / HTTP/1.1\r\nHost: [fd00::1]:80\r\n\r\n", None),
            ("GET / HTTP/1.1\r\nHost: bad host\r\n\r\n", None),
            (
                "GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: body.test\r\n",
                None,
            ),
            ("GET / HTTP/1.1\r\nX-Host: other.test\r\n\r\n", None),
            ("HTTP/1.1 200 OK\r\nHost: reply.test\r\n\r\n", None),
            ("get / HTTP/1.1\r\nHost: lower.test\r\n\r\n", None),
            ("GET / HTTP/1.1\r\nHost: cut.te", None),
            (
                "GET / HTTP/1.1\r\nHost: whole.test\r\nAcc",
                Some("whole.test"),
            ),
        ];
        for (segment, expected) in cases {
            assert_eq!(name(segment).as_deref(), expected, "{segment:?}");
        }
    }
}
