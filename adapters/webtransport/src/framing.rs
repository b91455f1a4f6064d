//! Newline-delimited packets on a byte stream (docs/transports.md#framing): lines are cut at
//! `\n`, an optional `\r` before it is dropped, empty lines are skipped, and a line longer than
//! the limit is refused before it is buffered whole (docs/design/webtransport.md#line-limit).

/// A line longer than the limit arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// Buffers stream bytes and hands out complete lines.
#[derive(Debug)]
pub struct Lines {
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    max: usize,
}

impl Lines {
    /// Lines of at most `max` bytes (not counting the newline).
    pub fn new(max: usize) -> Self {
        Self { buf: Vec::new(), scanned: 0, max }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete, non-empty line, `Err` once a line is over the limit (complete or
    /// not), `None` while no complete line is buffered.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, TooLong>> {
        loop {
            let Some(at) = self.buf[self.scanned..].iter().position(|&b| b == b'\n').map(|i| i + self.scanned) else {
                self.scanned = self.buf.len();
                // A partial line may still end in `\r\n`: one byte of slack for the `\r`.
                return (self.buf.len() > self.max + 1).then_some(Err(TooLong));
            };
            let mut line: Vec<u8> = self.buf.drain(..=at).collect();
            self.scanned = 0;
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.max {
                return Some(Err(TooLong));
            }
            if !line.is_empty() {
                return Some(Ok(line));
            }
        }
    }

    /// Bytes buffered and not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_newlines_across_reads() {
        let mut l = Lines::new(100);
        l.push(b"{\"a\":1}\n{\"b\"");
        assert_eq!(l.next_line(), Some(Ok(b"{\"a\":1}".to_vec())));
        assert_eq!(l.next_line(), None);
        l.push(b":2}\r\n\n\r\n{}\n");
        assert_eq!(l.next_line(), Some(Ok(b"{\"b\":2}".to_vec())), "\\r\\n ends a line too");
        assert_eq!(l.next_line(), Some(Ok(b"{}".to_vec())), "empty lines are skipped");
        assert_eq!(l.next_line(), None);
        assert_eq!(l.buffered(), 0);
    }

    #[test]
    fn a_line_over_the_limit_is_refused_before_it_is_complete() {
        let mut l = Lines::new(4);
        l.push(b"1234\n");
        assert_eq!(l.next_line(), Some(Ok(b"1234".to_vec())), "exactly the limit passes");
        l.push(b"1234\r\n");
        assert_eq!(l.next_line(), Some(Ok(b"1234".to_vec())), "the \\r does not count");
        l.push(b"12345\n");
        assert_eq!(l.next_line(), Some(Err(TooLong)));
        let mut l = Lines::new(4);
        l.push(b"123456");
        assert_eq!(l.next_line(), Some(Err(TooLong)), "no newline needed to refuse");
        let mut l = Lines::new(4);
        l.push(b"12345");
        assert_eq!(l.next_line(), None, "may still be 1234\\r\\n");
    }
}
