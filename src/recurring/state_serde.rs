//! The JSON form of an [`MrrState`], read back with every check.

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::state::{MrrState, Row, Span};
use super::MrrSpec;
use crate::quantity::Month;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpanRepr {
    from: Month,
    to: Option<Month>,
    #[serde(deserialize_with = "crate::serde_util::decimal::deserialize")]
    mrr: Decimal,
    /// Absent for a monthly row (12 × `mrr`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    arr: Option<Decimal>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRepr {
    customer: String,
    spans: Vec<SpanRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    spec: MrrSpec,
    first: Option<Month>,
    last: Option<Month>,
    customers: Vec<CustomerRepr>,
}

impl Serialize for MrrState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut by: Vec<Vec<SpanRepr>> = (0..self.names.len()).map(|_| Vec::new()).collect();
        let month = |i: i32| Month::from_index(i);
        for sp in &self.spans {
            by[sp.customer as usize].push(SpanRepr {
                from: month(sp.from).unwrap_or(Month::MIN),
                to: if sp.to == i32::MAX {
                    None
                } else {
                    month(sp.to)
                },
                mrr: sp.mrr,
                arr: Some(sp.arr),
            });
        }
        for r in &self.rows {
            by[r.customer as usize].push(SpanRepr {
                from: month(r.month).unwrap_or(Month::MIN),
                to: month(r.month + 1),
                mrr: r.mrr,
                arr: None,
            });
        }
        // Customers by name, spans in order: the same JSON for the same
        // inputs in any order.
        let mut customers: Vec<CustomerRepr> = self
            .names
            .iter()
            .zip(by)
            .map(|(n, mut spans)| {
                spans.sort_by(|a, b| {
                    (a.from, a.to, a.mrr, a.arr).cmp(&(b.from, b.to, b.mrr, b.arr))
                });
                CustomerRepr {
                    customer: n.to_string(),
                    spans,
                }
            })
            .collect();
        customers.sort_by(|a, b| a.customer.cmp(&b.customer));
        StateRepr {
            spec: self.spec.clone(),
            first: month(self.first),
            last: month(self.last),
            customers,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for MrrState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MrrState, D::Error> {
        let r = StateRepr::deserialize(d)?;
        let bad = |m: String| D::Error::custom(format!("invalid recurring revenue state: {m}"));
        let mut st = MrrState::new(r.spec);
        let (first, last) = match (r.first, r.last) {
            (Some(f), Some(l)) if f <= l => (f.index(), l.index()),
            (None, None) => (i32::MAX, i32::MIN),
            _ => {
                return Err(bad(
                    "first and last must both be given, first <= last".into()
                ))
            }
        };
        for c in r.customers {
            if st.ids.contains_key(c.customer.as_str()) {
                return Err(bad(format!("customer {:?} is listed twice", c.customer)));
            }
            let id = st.id(&c.customer).map_err(|e| bad(e.to_string()))?;
            for sp in c.spans {
                let from = sp.from.index();
                let to = sp.to.map_or(i32::MAX, Month::index);
                if to < from
                    || from < first
                    || sp.mrr.is_sign_negative()
                    || sp.arr.is_some_and(|a| a.is_sign_negative())
                {
                    return Err(bad(format!(
                        "customer {:?}: a span must have from <= to, from >= first, and amounts not negative",
                        c.customer
                    )));
                }
                st.scale = st
                    .scale
                    .max(sp.mrr.scale())
                    .max(sp.arr.map_or(0, |a| a.scale()));
                match sp.arr {
                    Some(arr) => st.spans.push(Span {
                        customer: id,
                        from,
                        to,
                        mrr: sp.mrr,
                        arr,
                    }),
                    // A monthly row: one month, ARR 12 × MRR.
                    None if to == from + 1 => st.rows.push(Row {
                        customer: id,
                        month: from,
                        mrr: sp.mrr,
                    }),
                    None => {
                        return Err(bad(format!(
                            "customer {:?}: a span without arr is one month (a monthly row)",
                            c.customer
                        )))
                    }
                }
            }
        }
        if (st.spans.is_empty() && st.rows.is_empty()) != (first == i32::MAX) {
            return Err(bad(
                "first and last are given exactly when there are spans".into()
            ));
        }
        st.first = first;
        st.last = last;
        Ok(st)
    }
}
