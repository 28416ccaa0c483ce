//! ISO 4217 currencies with their minor-unit exponents.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// An ISO 4217 currency: an owned, `Copy` code with its minor-unit exponent.
///
/// The table (every active ISO 4217 code, its name and its number of
/// decimals) comes from the [`iso_currency`] crate; revops wraps it so that
/// its own API does not change when that crate does.
///
/// * Most currencies have 2 decimals (USD, EUR, SAR, AED, EGP).
/// * Some have 0 (JPY, KRW) or 3 (KWD, BHD, OMR, JOD).
/// * A few have **no minor unit** at all: precious metals (XAU, XAG, ...),
///   the IMF's special drawing right (XDR) and the test codes (XTS, XXX).
///   For these [`Currency::exponent`] is `None`, and operations that need a
///   minor unit ([`Money::round`](crate::Money::round),
///   [`Money::allocate`](crate::Money::allocate)) return
///   [`Error::NoMinorUnit`]: there is no cent of gold to round to, and
///   revops will not invent one.
///
/// Parsing is case-insensitive; unknown codes are an error.
///
/// # JSON form
///
/// The three-letter code as a string: `"USD"`.
///
/// # Example
///
/// ```
/// use revops::Currency;
///
/// let sar: Currency = "sar".parse()?;
/// assert_eq!(sar.code(), "SAR");
/// assert_eq!(sar.exponent(), Some(2));
/// assert_eq!(Currency::KWD.exponent(), Some(3));
/// assert_eq!(Currency::JPY.exponent(), Some(0));
/// assert_eq!(Currency::XAU.exponent(), None);
/// assert!("ABC".parse::<Currency>().is_err());
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Currency(iso_currency::Currency);

macro_rules! currency_consts {
    ($($code:ident => $doc:literal),* $(,)?) => {
        impl Currency {
            $(
                #[doc = $doc]
                pub const $code: Currency = Currency(iso_currency::Currency::$code);
            )*
        }
    };
}

currency_consts! {
    USD => "US dollar (2 decimals).",
    EUR => "Euro (2 decimals).",
    GBP => "Pound sterling (2 decimals).",
    CHF => "Swiss franc (2 decimals).",
    CAD => "Canadian dollar (2 decimals).",
    AUD => "Australian dollar (2 decimals).",
    CNY => "Chinese yuan renminbi (2 decimals).",
    INR => "Indian rupee (2 decimals).",
    BRL => "Brazilian real (2 decimals).",
    MXN => "Mexican peso (2 decimals).",
    SAR => "Saudi riyal (2 decimals).",
    AED => "UAE dirham (2 decimals).",
    EGP => "Egyptian pound (2 decimals).",
    JPY => "Japanese yen (0 decimals).",
    KRW => "South Korean won (0 decimals).",
    KWD => "Kuwaiti dinar (3 decimals).",
    BHD => "Bahraini dinar (3 decimals).",
    OMR => "Omani rial (3 decimals).",
    JOD => "Jordanian dinar (3 decimals).",
    XAU => "Gold, one troy ounce (no minor unit).",
    XDR => "IMF special drawing right (no minor unit).",
}

impl Currency {
    /// Looks a currency up by its ISO 4217 alphabetic code, case-insensitively.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownCurrency`] if the code is not an ISO 4217 code.
    ///
    /// # Example
    ///
    /// ```
    /// use revops::Currency;
    /// assert_eq!(Currency::from_code("eur")?, Currency::EUR);
    /// assert!(Currency::from_code("EURO").is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_code(code: &str) -> Result<Currency> {
        let unknown = || Error::UnknownCurrency {
            code: code.to_string(),
        };
        if code.len() != 3 || !code.is_ascii() {
            return Err(unknown());
        }
        let upper = code.to_ascii_uppercase();
        iso_currency::Currency::from_code(&upper)
            .map(Currency)
            .ok_or_else(unknown)
    }

    /// The three-letter ISO 4217 code, upper case.
    ///
    /// ```
    /// assert_eq!(revops::Currency::USD.code(), "USD");
    /// ```
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// The English name of the currency.
    ///
    /// ```
    /// assert_eq!(revops::Currency::JPY.name(), "Japanese yen");
    /// ```
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The number of decimals of the minor unit (2 for cents), or `None`
    /// for currencies that have no minor unit (XAU, XDR, ...).
    ///
    /// ```
    /// use revops::Currency;
    /// assert_eq!(Currency::OMR.exponent(), Some(3));
    /// assert_eq!(Currency::XDR.exponent(), None);
    /// ```
    pub fn exponent(self) -> Option<u32> {
        self.0.exponent().map(u32::from)
    }

    /// The exponent, or [`Error::NoMinorUnit`] naming `operation`.
    pub(crate) fn require_exponent(self, operation: &'static str) -> Result<u32> {
        self.exponent().ok_or(Error::NoMinorUnit {
            operation: operation.into(),
            currency: self.code(),
        })
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Currency> {
        Currency::from_code(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(s: String) -> Result<Currency> {
        Currency::from_code(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    /// Writes the ISO code, `USD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
