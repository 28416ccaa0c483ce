//! Byte scanning for the fast path: delimiters and line ends eight bytes
//! at a time.

/// The positions of the delimiter and of LF in a byte slice, in order:
/// eight bytes at a time (SWAR: a word's matching bytes found with a few
/// integer operations, no per-field call), which beats a SIMD search for
/// the short fields of event rows.
pub(super) struct Separators<'a> {
    bytes: &'a [u8],
    /// The offset of the word `mask` describes.
    base: usize,
    /// The high bit of each matching byte of the current word.
    mask: u64,
    delimiter: u64,
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const LF: u64 = 0x0A0A_0A0A_0A0A_0A0A;

impl<'a> Separators<'a> {
    pub(super) fn new(bytes: &'a [u8], delimiter: u8) -> Separators<'a> {
        let delimiter = u64::from(delimiter) * 0x0101_0101_0101_0101;
        let mut s = Separators {
            bytes,
            base: 0,
            mask: 0,
            delimiter,
        };
        s.mask = s.matches(0);
        s
    }

    /// The high bit of each byte equal to 0 in `x`, exactly.
    #[inline]
    fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7) + LOW7) | x | LOW7)
    }

    /// The matches in the word at `at` (bytes past the end read as 0).
    #[inline]
    fn matches(&self, at: usize) -> u64 {
        let w = match self.bytes.get(at..at + 8) {
            Some(c) => u64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
            None => {
                let mut c = [0u8; 8];
                let rest = self.bytes.get(at..).unwrap_or(&[]);
                c[..rest.len()].copy_from_slice(rest);
                u64::from_le_bytes(c)
            }
        };
        Self::zero_bytes(w ^ self.delimiter) | Self::zero_bytes(w ^ LF)
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 8;
            if self.base >= self.bytes.len() {
                return None;
            }
            self.mask = self.matches(self.base);
        }
        let i = (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        // (A NUL delimiter would match the padding past the end.)
        Some(self.base + i).filter(|&at| at < self.bytes.len())
    }
}
