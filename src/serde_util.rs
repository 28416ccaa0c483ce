//! serde helpers for types without a serde form of their own.

/// `Decimal` read strictly: from a string holding a decimal numeral, or
/// from a JSON integer. Never from a float (a JSON number with a fraction
/// or an exponent, or an integer too large for 64 bits, which serde_json
/// reads as a float): a float has already lost digits before revops sees
/// it. Never rounded: a numeral with more digits than a `Decimal` holds
/// (28 decimals, 96 bits) is an error, not the nearest `Decimal`.
pub(crate) mod decimal {
    use std::fmt;

    use rust_decimal::Decimal;
    use serde::de::{self, Deserializer, Visitor};

    struct Strict;

    impl<'de> Visitor<'de> for Strict {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal as a string (such as \"12.34\") or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            Decimal::from_str_exact(v.trim()).map_err(|e| {
                E::custom(format!(
                    "{v:?} is not a decimal that can be held exactly: {e}"
                ))
            })
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
            Decimal::try_from_i128_with_scale(v, 0)
                .map_err(|_| E::custom(format!("{v} is too large for a decimal")))
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
            i128::try_from(v)
                .ok()
                .and_then(|v| Decimal::try_from_i128_with_scale(v, 0).ok())
                .ok_or_else(|| E::custom(format!("{v} is too large for a decimal")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format!(
                "the number {v} was read as a float, which may have lost digits: \
                 give decimals as strings (\"12.34\")"
            )))
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(Strict)
    }

    /// The same for an optional decimal (`null` is `None`).
    pub(crate) mod option {
        use super::*;

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Decimal>, D::Error> {
            #[derive(serde::Deserialize)]
            #[serde(transparent)]
            struct W(#[serde(deserialize_with = "super::deserialize")] Decimal);
            Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
        }

        use serde::Deserialize;
    }
}

/// A `Decimal` read by [`decimal`]'s strict rule, for
/// `#[serde(try_from = "StrictDecimal")]` on validated types.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct StrictDecimal(
    #[serde(deserialize_with = "decimal::deserialize")] pub(crate) rust_decimal::Decimal,
);
