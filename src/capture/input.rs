//! One large read buffer over a byte source, from which records are handed
//! out as borrowed slices.
//!
//! Reads go straight from the source (a `File`, stdin or a decompressor)
//! into the buffer in chunks of up to [`BUFFER_SIZE`] bytes, so a plain file
//! is read with one `read(2)` per MiB and no second buffer. A record that
//! straddles the end of the buffer is moved to the front (at most one record,
//! ≤ 256 KiB, per MiB read). The buffer grows only for larger pcapng blocks,
//! and only as their bytes actually arrive, so a damaged length field cannot
//! make it allocate more than about twice what the input really holds.

use std::io::{self, Cursor, Read};

use super::reader::Compression;

/// Initial (and usual) size of the read buffer.
pub(super) const BUFFER_SIZE: usize = 1 << 20;

/// A byte source wrapped for reading.
pub(super) type Source = Box<dyn Read + Send>;

pub(super) struct InputBuffer {
    source: Source,
    /// Always fully initialised; `start..end` holds unread bytes.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Offset in the stream of `buf[start]`.
    offset: u64,
    /// The source reported end of input; it is not read again.
    eof: bool,
    /// The compression the source undoes, to tell decoder faults from I/O
    /// errors.
    pub compression: Compression,
}

impl InputBuffer {
    pub fn new(source: Source) -> InputBuffer {
        InputBuffer::with_capacity(source, BUFFER_SIZE)
    }

    /// A buffer of `capacity` bytes (tests use small ones to exercise refills).
    pub fn with_capacity(source: Source, capacity: usize) -> InputBuffer {
        InputBuffer {
            source,
            buf: vec![0; capacity.max(64)],
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            compression: Compression::None,
        }
    }

    /// The unread bytes now in the buffer.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Stream offset of the first unread byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Marks `n` bytes as read; `n` must not exceed `bytes().len()`.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Consumes `n` bytes and returns them, still borrowed from the buffer.
    #[inline]
    pub fn take(&mut self, n: usize) -> &[u8] {
        let begin = self.start;
        self.consume(n);
        &self.buf[begin..begin + n]
    }

    /// Where a slice of bytes the buffer lent since the last fill (its start
    /// and length)
    /// lies in the buffer, to lend it again with [`lent`](Self::lent).
    /// A slice that lies elsewhere (an empty one) gives an empty range.
    pub fn locate(&self, (start, len): (*const u8, usize)) -> std::ops::Range<usize> {
        let base = self.buf.as_ptr() as usize;
        (start as usize)
            .checked_sub(base)
            .and_then(|at| Some(at..at.checked_add(len)?))
            .filter(|range| range.end <= self.buf.len())
            .unwrap_or_default()
    }

    /// Bytes the buffer lent before, found with [`locate`](Self::locate);
    /// valid until the next fill.
    pub fn lent(&self, range: std::ops::Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Makes at least `need` unread bytes available. Returns `Ok(false)` if
    /// the input ends first (whatever did arrive stays available).
    #[inline]
    pub fn fill(&mut self, need: usize) -> io::Result<bool> {
        if self.end - self.start >= need {
            return Ok(true);
        }
        self.fill_slow(need)
    }

    fn fill_slow(&mut self, need: usize) -> io::Result<bool> {
        loop {
            if self.end - self.start >= need {
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            if self.start + need > self.buf.len() {
                self.compact();
            }
            if self.end == self.buf.len() {
                // Full of unread data and still short: grow, but at most
                // double, so growth follows data that really arrived.
                let grown = need.min(self.buf.len().saturating_mul(2));
                self.buf.resize(grown, 0);
            }
            self.read_more()?;
        }
    }

    /// Discards `n` bytes, reading through the source as needed without
    /// keeping them. Returns `Ok(false)` if the input ends first.
    pub fn skip(&mut self, n: u64) -> io::Result<bool> {
        let mut left = n;
        loop {
            let available = (self.end - self.start) as u64;
            if available >= left {
                // `left` fits in the buffer, hence in usize.
                self.consume(left as usize);
                return Ok(true);
            }
            self.consume(available as usize);
            left -= available;
            self.start = 0;
            self.end = 0;
            if self.eof {
                return Ok(false);
            }
            self.read_more()?;
        }
    }

    /// Replaces the source by `wrap(old source with the unread bytes put
    /// back in front)` and starts counting offsets from 0 again: used to
    /// slip a decompressor in after sniffing the first bytes.
    pub fn wrap_source(
        &mut self,
        compression: Compression,
        wrap: impl FnOnce(Source) -> io::Result<Source>,
    ) -> io::Result<()> {
        let pending = self.bytes().to_vec();
        let old = std::mem::replace(&mut self.source, Box::new(io::empty()));
        let was_eof = self.eof;
        let inner: Source = if was_eof {
            Box::new(Cursor::new(pending))
        } else {
            Box::new(Cursor::new(pending).chain(old))
        };
        self.source = wrap(inner)?;
        self.compression = compression;
        self.start = 0;
        self.end = 0;
        self.offset = 0;
        self.eof = false;
        Ok(())
    }

    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }

    fn read_more(&mut self) -> io::Result<()> {
        loop {
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `chunk` bytes per read.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        chunk: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(self.chunk).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn trickle(len: usize, chunk: usize) -> (Vec<u8>, Source) {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let source = Trickle {
            data: data.clone(),
            pos: 0,
            chunk,
        };
        (data, Box::new(source))
    }

    #[test]
    fn fill_take_and_skip_see_every_byte_in_order() {
        let (data, source) = trickle(10_000, 37);
        let mut input = InputBuffer::with_capacity(source, 100);
        let mut seen = Vec::new();
        let mut step = 1;
        loop {
            if !input.fill(step).unwrap() {
                seen.extend_from_slice(input.bytes());
                let rest = input.bytes().len();
                input.consume(rest);
                break;
            }
            if step % 5 == 0 {
                let at = input.offset() as usize;
                assert!(input.skip(step as u64).unwrap());
                seen.extend_from_slice(&data[at..at + step]);
            } else {
                seen.extend_from_slice(input.take(step));
            }
            step = step % 150 + 1;
        }
        assert_eq!(seen, data);
        assert_eq!(input.offset(), 10_000);
    }

    #[test]
    fn grows_only_as_data_arrives() {
        let (_, source) = trickle(1000, 1000);
        let mut input = InputBuffer::with_capacity(source, 64);
        // Asking for far more than exists must not allocate it up front.
        assert!(!input.fill(1 << 30).unwrap());
        assert_eq!(input.bytes().len(), 1000);
        assert!(input.buf.len() <= 2048);
    }

    #[test]
    fn skip_past_end_reports_false() {
        let (_, source) = trickle(300, 50);
        let mut input = InputBuffer::with_capacity(source, 64);
        assert!(!input.skip(301).unwrap());
        assert_eq!(input.offset(), 300);
    }

    #[test]
    fn wrap_source_puts_pending_bytes_back() {
        let (data, source) = trickle(500, 500);
        let mut input = InputBuffer::with_capacity(source, 64);
        assert!(input.fill(4).unwrap());
        input.wrap_source(Compression::None, Ok).unwrap();
        assert_eq!(input.offset(), 0);
        assert!(input.fill(500).unwrap());
        assert_eq!(input.bytes(), &data[..]);
    }
}
