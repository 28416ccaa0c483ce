//! The crate's one error type.
//!
//! Every fallible function in revops returns [`Result<T>`], whose error is the
//! [`Error`] enum below. Each variant carries the context a person needs to
//! understand what went wrong: which metric or value, and the offending
//! numbers. The enum is `#[non_exhaustive]`: new variants may be added in a
//! minor release, so match with a wildcard arm.
//!
//! ```
//! use revops::{Error, Ratio};
//!
//! let err = Ratio::from_counts(12, 10).unwrap_err();
//! assert!(matches!(err, Error::PartExceedsWhole { .. }));
//! assert_eq!(err.to_string(), "ratio: 12 out of 10 is more than 100%");
//! ```

use std::borrow::Cow;

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in revops.
///
/// Messages are written for people: they name the quantity and the numbers
/// involved. Match on the variant to react in code; read the fields for the
/// details.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A currency code that is not in ISO 4217.
    #[error("unknown currency code {code:?}: expected an ISO 4217 code such as \"USD\"")]
    UnknownCurrency {
        /// The code as it was given.
        code: String,
    },

    /// Two amounts in different currencies met in one operation.
    #[error("{operation}: cannot combine {left} with {right} without an exchange rate")]
    CurrencyMismatch {
        /// The operation or metric that was attempted.
        operation: Cow<'static, str>,
        /// The ISO 4217 code of the left-hand (or first) amount's currency.
        left: &'static str,
        /// The ISO 4217 code of the right-hand (or offending) amount's
        /// currency.
        right: &'static str,
    },

    /// An exact result that needs more than the 28 significant digits a
    /// `Decimal` holds (a large amount plus a tiny one): not too large,
    /// too precise. revops does not round it silently.
    #[error("{operation}: the exact result needs more than 28 significant digits, more than a decimal holds; round an input to fewer decimals")]
    Inexact {
        /// The operation or metric.
        operation: Cow<'static, str>,
    },

    /// A result too large (or too small) for the number type.
    #[error("{operation}: arithmetic overflow")]
    Overflow {
        /// The operation or metric that overflowed.
        operation: Cow<'static, str>,
    },

    /// A denominator was zero, so the quantity is undefined.
    #[error("{quantity}: {denominator} is zero, so the value is undefined")]
    ZeroDenominator {
        /// The quantity being computed (a metric name, or an operation).
        quantity: Cow<'static, str>,
        /// What the denominator counts ("visitors", "divisor", ...).
        denominator: Cow<'static, str>,
    },

    /// A part is larger than the whole it is a part of.
    #[error("{quantity}: {part}{part_label} out of {whole}{whole_label} is more than 100%")]
    PartExceedsWhole {
        /// The quantity being computed.
        quantity: Cow<'static, str>,
        /// The part (numerator).
        part: u64,
        /// The whole (denominator).
        whole: u64,
        /// A noun for the part, with a leading space (" conversions"), or empty.
        part_label: Cow<'static, str>,
        /// A noun for the whole, with a leading space (" visitors"), or empty.
        whole_label: Cow<'static, str>,
    },

    /// A value outside the range its type allows.
    #[error("{quantity}: {value} is outside the allowed range {range}")]
    OutOfRange {
        /// The type or quantity ("ratio", "NPS", ...).
        quantity: Cow<'static, str>,
        /// The offending value, as text.
        value: String,
        /// The allowed range, as text ("[0, 1]").
        range: Cow<'static, str>,
    },

    /// An amount with more decimals than its currency's minor unit allows,
    /// where an exact minor-unit amount is needed.
    #[error("{operation}: {amount} {currency} is not a whole number of minor units ({exponent} decimals); round it first")]
    OffMinorUnitGrid {
        /// The operation that needs whole minor units.
        operation: Cow<'static, str>,
        /// The amount as text.
        amount: String,
        /// Its currency's ISO 4217 code.
        currency: &'static str,
        /// The currency's number of decimals.
        exponent: u32,
    },

    /// A currency without a minor unit (gold, SDR, test codes) where one is needed.
    #[error("{operation}: {currency} has no minor unit, so it cannot be rounded or split")]
    NoMinorUnit {
        /// The operation that needs a minor unit.
        operation: Cow<'static, str>,
        /// The currency's ISO 4217 code.
        currency: &'static str,
    },

    /// Weights for a split that cannot be used.
    #[error("invalid weights: {reason}")]
    InvalidWeights {
        /// Why the weights were refused.
        reason: Cow<'static, str>,
    },

    /// A period whose end is not after its start.
    #[error("period: end {end} must be after start {start}")]
    InvalidPeriod {
        /// The start date as given.
        start: chrono::NaiveDate,
        /// The end date as given.
        end: chrono::NaiveDate,
    },

    /// An iterative computation did not reach its documented accuracy
    /// within its limit: no result is returned rather than an inaccurate
    /// one.
    #[error("{operation}: did not converge within {iterations} iterations")]
    NotConverged {
        /// What was being computed.
        operation: Cow<'static, str>,
        /// The iterations spent.
        iterations: u64,
    },

    /// A metric was evaluated without one of its inputs.
    #[error("{metric}: the input {input:?} is missing")]
    MissingInput {
        /// The metric's id.
        metric: Cow<'static, str>,
        /// The missing input's name.
        input: Cow<'static, str>,
    },

    /// A metric was given an input it does not have (or one twice).
    #[error(
        "{metric}: {input:?} is not one of its inputs, or is given twice (inputs: {expected})"
    )]
    UnknownInput {
        /// The metric's id.
        metric: Cow<'static, str>,
        /// The name given.
        input: String,
        /// The metric's inputs, comma-separated.
        expected: String,
    },

    /// A metric's input was given a value of the wrong kind (a count where
    /// an amount is expected, say): not the same as a value the formula
    /// rejects.
    #[error("{metric}: the input {input:?} takes a {expected}, not a {got}")]
    WrongInputKind {
        /// The metric's id.
        metric: Cow<'static, str>,
        /// The input's name.
        input: Cow<'static, str>,
        /// The kind it takes.
        expected: String,
        /// The kind given.
        got: String,
    },

    /// Any other input that breaks a documented rule.
    #[error("{what}: {reason}")]
    InvalidInput {
        /// The value or record concerned.
        what: Cow<'static, str>,
        /// The rule it breaks.
        reason: Cow<'static, str>,
    },

    /// A search that would take more steps than its limit (ClickHouse's
    /// limit for `sequenceMatch`, kept so that a hostile pattern or input
    /// ends in an error rather than in a hang).
    #[error("{operation}: more than {limit} steps; the pattern is too costly on this input")]
    IterationLimit {
        /// The operation.
        operation: Cow<'static, str>,
        /// The most steps allowed.
        limit: u64,
    },

    /// A reader the caller gave failed (the `csv` feature's readers); the
    /// reader's own error is kept as the source.
    #[error("reading the input failed: {source}")]
    Io {
        /// The reader's error.
        #[source]
        source: IoError,
    },
}

/// An I/O error kept inside [`Error::Io`]: the `std::io::Error` itself
/// (its [`kind`](IoError::kind), its own source), shared so that
/// [`Error`] stays `Clone`; two are equal when their kinds and messages
/// are.
#[derive(Clone, Debug)]
pub struct IoError(std::sync::Arc<std::io::Error>);

impl IoError {
    /// The error's kind.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.0.kind()
    }

    /// The `std::io::Error` itself.
    pub fn get(&self) -> &std::io::Error {
        &self.0
    }
}

impl From<std::io::Error> for IoError {
    fn from(e: std::io::Error) -> IoError {
        IoError(std::sync::Arc::new(e))
    }
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &IoError) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoError {}

impl Error {
    /// Shorthand for [`Error::Overflow`].
    pub(crate) fn overflow(operation: impl Into<Cow<'static, str>>) -> Self {
        Error::Overflow {
            operation: operation.into(),
        }
    }

    /// Shorthand for [`Error::ZeroDenominator`].
    pub(crate) fn zero(
        quantity: impl Into<Cow<'static, str>>,
        denominator: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::ZeroDenominator {
            quantity: quantity.into(),
            denominator: denominator.into(),
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub(crate) fn invalid(
        what: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::OutOfRange`].
    pub(crate) fn out_of_range(
        quantity: impl Into<Cow<'static, str>>,
        value: impl std::fmt::Display,
        range: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::OutOfRange {
            quantity: quantity.into(),
            value: value.to_string(),
            range: range.into(),
        }
    }
}
