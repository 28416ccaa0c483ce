//! Decoding fuzz bytes into values: a cursor that never fails (it yields
//! zeros past the end), so every input is a valid test case.

#![allow(dead_code)]

pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | u16::from(self.u8()) << 8
    }

    pub fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }

    /// A number that is small most of the time and extreme sometimes.
    pub fn count(&mut self) -> u64 {
        match self.u8() % 8 {
            0 => u64::MAX - u64::from(self.u8()),
            1 => self.u64(),
            _ => u64::from(self.u8() % 16),
        }
    }

    /// A decimal amount, ordinary or extreme.
    pub fn decimal(&mut self) -> revops::Decimal {
        use revops::Decimal;
        match self.u8() % 8 {
            0 => Decimal::MAX,
            1 => Decimal::MIN,
            2 => Decimal::from_i128_with_scale(i128::from(self.u64()), u32::from(self.u8() % 29)),
            3 => -Decimal::new(i64::from(self.u32()), u32::from(self.u8() % 5)),
            _ => Decimal::new(i64::from(self.u16()), u32::from(self.u8() % 4)),
        }
    }
}
