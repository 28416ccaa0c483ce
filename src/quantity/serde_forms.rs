//! The serde forms of the quantities that have no serde form of their
//! own: durations as decimal seconds, exchange rates keyed by currency.

/// `chrono::TimeDelta` as decimal seconds in a string (`"2250"`, `"1.5"`),
/// the same form as every other decimal in revops.
pub(crate) mod seconds {
    use chrono::TimeDelta;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::super::{seconds_of, to_time_delta};

    pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        Serialize::serialize(&seconds_of(*d).normalize(), s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let secs = crate::serde_util::decimal::deserialize(d)?;
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
            Vec::<crate::serde_util::StrictDecimal>::deserialize(d)?
                .into_iter()
                .map(|s| to_time_delta(s.0, "duration").map_err(serde::de::Error::custom))
                .collect()
        }
    }
}

/// `(Currency, Decimal)` pairs as a JSON object keyed by currency code,
/// `{"EUR": "1.08"}`, with the decimals read by the strict decimal rule;
/// read back sorted by currency.
pub(crate) mod currency_decimal_pairs {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use super::super::Currency;

    pub(crate) fn serialize<S: Serializer>(
        v: &[(Currency, Decimal)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(c, x)| (c.code(), x)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(Currency, Decimal)>, D::Error> {
        let mut out = BTreeMap::<String, crate::serde_util::StrictDecimal>::deserialize(d)?
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

/// The pattern of a decimal numeral as revops writes it, for JSON Schemas.
#[cfg(feature = "schemars")]
pub(crate) const DECIMAL_PATTERN: &str = r"^-?\d+(\.\d+)?$";

/// The JSON Schema of a duration in [`seconds`]' form.
#[cfg(feature = "schemars")]
pub(crate) struct Seconds;

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Seconds {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Seconds".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration in seconds, as a decimal string.",
            "pattern": DECIMAL_PATTERN,
        })
    }
}
