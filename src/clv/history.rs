//! A customer's purchase history as the models read it, and the prepared
//! form a fit works on.

use crate::error::{Error, Result};

/// One customer's history in the models' terms, every time in one unit
/// (days, weeks, ...): `frequency` (x) repeat purchases, the last of them
/// at `recency` (t_x) after the first purchase, observed for `age` (T)
/// since the first purchase.
///
/// Rules, checked by [`History::new`]: times are finite and not negative,
/// `recency ≤ age`, and a customer without repeat purchases has a recency
/// of 0.
///
/// ```
/// use revops::clv::History;
/// let h = History::new(2, 30.43, 38.86)?;
/// assert_eq!(h.frequency(), 2);
/// assert!(History::new(0, 3.0, 10.0).is_err()); // no repeat, yet a recency
/// assert!(History::new(1, 12.0, 10.0).is_err()); // recency after the age
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "HistoryRepr", into = "HistoryRepr")
)]
pub struct History {
    frequency: u64,
    recency: f64,
    age: f64,
}

#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryRepr {
    frequency: u64,
    recency: f64,
    #[serde(rename = "T")]
    age: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<HistoryRepr> for History {
    type Error = Error;
    fn try_from(r: HistoryRepr) -> Result<History> {
        History::new(r.frequency, r.recency, r.age)
    }
}

#[cfg(feature = "serde")]
impl From<History> for HistoryRepr {
    fn from(h: History) -> HistoryRepr {
        HistoryRepr {
            frequency: h.frequency,
            recency: h.recency,
            age: h.age,
        }
    }
}

impl History {
    /// A validated history (see the type's rules).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if a rule is broken.
    pub fn new(frequency: u64, recency: f64, age: f64) -> Result<History> {
        let bad = |why: String| Err(Error::invalid("customer history", why));
        if !recency.is_finite() || !age.is_finite() || recency < 0.0 || age < 0.0 {
            return bad(format!(
                "recency {recency} and T {age} must be finite and not negative"
            ));
        }
        if recency > age {
            return bad(format!("recency {recency} is after T {age}"));
        }
        if frequency == 0 && recency != 0.0 {
            return bad(format!(
                "no repeat purchase, yet a recency of {recency} (it must be 0)"
            ));
        }
        Ok(History {
            frequency,
            recency,
            age,
        })
    }

    /// x: the number of repeat purchases (periods with a purchase after
    /// the first).
    pub fn frequency(&self) -> u64 {
        self.frequency
    }

    /// t_x: the time of the last repeat purchase since the first purchase
    /// (0 without repeat purchases).
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// T: the time from the first purchase to the end of observation.
    pub fn age(&self) -> f64 {
        self.age
    }
}

/// Histories arranged for repeated evaluation: identical histories
/// merged into one row with a weight (the likelihood depends on a
/// customer only through (x, t_x, T)), the distinct frequencies (so the
/// gamma functions of `x` are computed once per distinct value), each
/// row's index into them, and the times scaled so that the largest age is
/// 1 (as `lifetimes` scales them, for the optimiser's conditioning).
pub(crate) struct Prepared {
    pub(crate) xs: Vec<f64>,
    pub(crate) index: Vec<u32>,
    pub(crate) recency: Vec<f64>,
    pub(crate) age: Vec<f64>,
    /// The distinct scaled ages, and each row's index into them (ages
    /// take few values: observation ends are calendar periods).
    pub(crate) ages: Vec<f64>,
    pub(crate) age_index: Vec<u32>,
    /// The distinct (x index, scaled time) pairs of the rows' recencies
    /// and ages, and each row's index into them for its recency and its
    /// age (Pareto/NBD's integral depends on a row only through such a
    /// pair, and many rows share them: every x = 0 row has t_x = 0).
    pub(crate) tails: Vec<(u32, f64)>,
    pub(crate) tail_recency: Vec<u32>,
    pub(crate) tail_age: Vec<u32>,
    /// How many customers each row stands for.
    pub(crate) weight: Vec<f64>,
    /// The number of customers (the sum of the weights).
    pub(crate) customers: f64,
    /// The factor applied to the times: 1 / the largest age.
    pub(crate) scale: f64,
}

impl Prepared {
    /// The histories, merged and scaled by `1 / max T` (by 1 if every T
    /// is 0).
    pub(crate) fn new(histories: &[History]) -> Prepared {
        let max_age = histories.iter().fold(0.0f64, |m, h| m.max(h.age));
        let scale = if max_age > 0.0 { 1.0 / max_age } else { 1.0 };
        let mut keys: Vec<(u64, u64, u64)> = histories
            .iter()
            .map(|h| (h.frequency, h.recency.to_bits(), h.age.to_bits()))
            .collect();
        keys.sort_unstable();
        let mut rows: Vec<((u64, u64, u64), f64)> = Vec::new();
        for k in keys {
            match rows.last_mut() {
                Some((last, w)) if *last == k => *w += 1.0,
                _ => rows.push((k, 1.0)),
            }
        }
        let mut distinct: Vec<u64> = rows.iter().map(|r| r.0 .0).collect();
        distinct.dedup(); // sorted by x already
        let index = rows
            .iter()
            .map(|r| distinct.partition_point(|&x| x < r.0 .0) as u32)
            .collect();
        let mut ages: Vec<u64> = rows.iter().map(|r| r.0 .2).collect();
        ages.sort_unstable();
        ages.dedup();
        let age_index = rows
            .iter()
            .map(|r| ages.partition_point(|&t| t < r.0 .2) as u32)
            .collect();
        let index: Vec<u32> = index;
        let mut tails: Vec<(u32, u64)> = rows
            .iter()
            .zip(&index)
            .flat_map(|(r, &xi)| [(xi, r.0 .1), (xi, r.0 .2)])
            .collect();
        tails.sort_unstable();
        tails.dedup();
        let tail_of = |xi: u32, t: u64| tails.partition_point(|&p| p < (xi, t)) as u32;
        let tail_recency = rows
            .iter()
            .zip(&index)
            .map(|(r, &xi)| tail_of(xi, r.0 .1))
            .collect();
        let tail_age = rows
            .iter()
            .zip(&index)
            .map(|(r, &xi)| tail_of(xi, r.0 .2))
            .collect();
        Prepared {
            tails: tails
                .iter()
                .map(|&(xi, t)| (xi, f64::from_bits(t) * scale))
                .collect(),
            tail_recency,
            tail_age,
            ages: ages.iter().map(|&t| f64::from_bits(t) * scale).collect(),
            age_index,
            xs: distinct.iter().map(|&x| x as f64).collect(),
            index,
            recency: rows
                .iter()
                .map(|r| f64::from_bits(r.0 .1) * scale)
                .collect(),
            age: rows
                .iter()
                .map(|r| f64::from_bits(r.0 .2) * scale)
                .collect(),
            weight: rows.iter().map(|r| r.1).collect(),
            customers: histories.len() as f64,
            scale,
        }
    }

    /// The number of distinct rows.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }
}
