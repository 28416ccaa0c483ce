//! serde helpers for types without a serde form of their own.

/// `chrono::TimeDelta` as decimal seconds in a string (`"2250"`, `"1.5"`),
/// the same form as every other decimal in revops.
pub(crate) mod seconds {
    use chrono::TimeDelta;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::metrics::{seconds_of, to_time_delta};

    pub(crate) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        Serialize::serialize(&seconds_of(*d).normalize(), s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let secs = <Decimal as Deserialize>::deserialize(d)?;
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
            Vec::<Decimal>::deserialize(d)?
                .into_iter()
                .map(|s| to_time_delta(s, "duration").map_err(serde::de::Error::custom))
                .collect()
        }
    }
}
