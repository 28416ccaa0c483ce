//! The general reader: any CSV (quotes, any line ends) through
//! `csv_core`, one row at a time, with the line each row starts on.

use super::{MAX_FIELDS, MAX_ROW_BYTES};

/// A streaming CSV reader over any `Read`: `csv_core`'s parser fed in
/// 64 KiB chunks, counting line terminators (`\n`, `\r\n` and a lone `\r`
/// each end one line) in the bytes it consumes, so every record knows the
/// line it starts on. Memory is bounded by the chunk and the longest row
/// kept ([`MAX_ROW_BYTES`]), whatever the file holds.
pub struct RowReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Fields of the last record.
    nfields: usize,
    line: u64,
    prev_cr: bool,
}

/// One record: its first line, and whether it was too long to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowInfo {
    /// The line the record starts on (1-based).
    pub line: u64,
    /// Whether it was longer than [`MAX_ROW_BYTES`] (its fields are not kept).
    pub too_long: bool,
}

impl<R: std::io::Read> RowReader<R> {
    /// A reader of `inner` with the field `delimiter`, at line 1.
    pub fn new(inner: R, delimiter: u8) -> RowReader<R> {
        RowReader::at_line(inner, delimiter, 1)
    }

    /// A reader of `inner` whose first byte is on line `line`.
    pub fn at_line(inner: R, delimiter: u8, line: u64) -> RowReader<R> {
        RowReader {
            inner,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            eof: false,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 1024],
            ends: vec![0; 64],
            nfields: 0,
            line,
            prev_cr: false,
        }
    }

    fn count_lines(&mut self, from: usize, to: usize) {
        for &b in &self.buf[from..to] {
            match b {
                b'\n' if self.prev_cr => self.prev_cr = false,
                b'\n' => self.line += 1,
                b'\r' => {
                    self.line += 1;
                    self.prev_cr = true;
                }
                _ => self.prev_cr = false,
            }
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        if self.start == self.end && !self.eof {
            self.start = 0;
            self.end = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.eof = self.end == 0;
        }
        Ok(())
    }

    /// Reads the next record; `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<RowInfo>> {
        use csv_core::ReadRecordResult::*;
        // Blank lines before the record are not records: skip them here,
        // counting them, so that the record's line is its own.
        loop {
            self.fill()?;
            if self.start == self.end {
                break;
            }
            let skip = self.buf[self.start..self.end]
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(self.end - self.start);
            self.count_lines(self.start, self.start + skip);
            self.start += skip;
            if self.start < self.end {
                break;
            }
        }
        let line = self.line;
        let (mut outlen, mut endlen) = (0usize, 0usize);
        let mut too_long = false;
        loop {
            self.fill()?;
            let input = &self.buf[self.start..self.end];
            let (res, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            self.count_lines(self.start, self.start + nin);
            self.start += nin;
            outlen += nout;
            endlen += nend;
            match res {
                InputEmpty => continue,
                OutputFull => {
                    // The buffer grows to one byte past the limit, so that
                    // a row of exactly MAX_ROW_BYTES field bytes is kept
                    // (as the event reader keeps it) and only a longer one
                    // fills it.
                    if self.out.len() > MAX_ROW_BYTES {
                        // Read the rest of the row into the same space.
                        too_long = true;
                        outlen = 0;
                    } else {
                        let grown = (self.out.len() * 2).min(MAX_ROW_BYTES + 1);
                        self.out.resize(grown, 0);
                    }
                }
                OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        too_long = true;
                        endlen = 0;
                    } else {
                        self.ends.resize(self.ends.len() * 2, 0);
                    }
                }
                Record => {
                    self.nfields = if too_long { 0 } else { endlen };
                    return Ok(Some(RowInfo { line, too_long }));
                }
                End => return Ok(None),
            }
        }
    }

    /// The number of fields of the last record.
    pub fn len(&self) -> usize {
        self.nfields
    }

    /// Whether the last record had no fields kept (too long, or none read).
    pub fn is_empty(&self) -> bool {
        self.nfields == 0
    }

    /// The line the next record would start on (blank lines not yet
    /// skipped).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The reader and the bytes read from it but not parsed yet; the
    /// reader's state at a record boundary (after [`next_record`]
    /// returned). A `\n` left over from a `\r\n` split between two reads
    /// is dropped, so the bytes start on line [`line`](RowReader::line).
    ///
    /// [`next_record`]: RowReader::next_record
    pub fn into_parts(self) -> (R, Vec<u8>) {
        let mut rest = self.buf[self.start..self.end].to_vec();
        if self.prev_cr && rest.first() == Some(&b'\n') {
            rest.remove(0);
        }
        (self.inner, rest)
    }

    /// Field `i` of the last record.
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.nfields {
            return None;
        }
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(from..self.ends[i])
    }
}
