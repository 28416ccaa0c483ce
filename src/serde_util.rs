//! serde helpers for types without a serde form of their own.

/// `chrono::TimeDelta` as decimal seconds in a string (`"2250"`, `"1.5"`),
/// the same form as every other decimal in revops.
pub(crate) mod seconds {
    use chrono::TimeDelta;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::quantity::{seconds_of, to_time_delta};

    pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        Serialize::serialize(&seconds_of(*d).normalize(), s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let secs = super::decimal::deserialize(d)?;
        to_time_delta(secs, "duration").map_err(serde::de::Error::custom)
    }

    /// The same for a list of durations.
    pub(crate) mod vec {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(v: &[TimeDelta], s: S) -> Result<S::Ok, S::Error> {
            let secs: Vec<Decimal> = v.iter().map(|d| seconds_of(*d).normalize()).collect();
            secs.serialize(s)
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<TimeDelta>, D::Error> {
            Vec::<super::super::StrictDecimal>::deserialize(d)?
                .into_iter()
                .map(|s| to_time_delta(s.0, "duration").map_err(serde::de::Error::custom))
                .collect()
        }
    }
}

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

/// `(Currency, Decimal)` pairs as a JSON object keyed by currency code,
/// `{"EUR": "1.08"}`, with the decimals read by [`decimal`]'s strict rule;
/// read back sorted by currency.
pub(crate) mod currency_decimal_pairs {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use crate::quantity::Currency;

    pub(crate) fn serialize<S: Serializer>(
        v: &[(Currency, Decimal)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(c, x)| (c.code(), x)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(Currency, Decimal)>, D::Error> {
        let mut out = BTreeMap::<String, super::StrictDecimal>::deserialize(d)?
            .into_iter()
            .map(|(c, x)| Ok((Currency::from_code(&c).map_err(D::Error::custom)?, x.0)))
            .collect::<Result<Vec<_>, D::Error>>()?;
        out.sort_by_key(|p| p.0);
        if out.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(D::Error::custom("a currency is given twice"));
        }
        Ok(out)
    }
}
