//! The mergeable partial state of recurring revenue: each customer's
//! spans of monthly revenue, in the report currency.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use rust_decimal::Decimal;

use super::{MrrSpec, Subscription};
use crate::error::{Error, Result};
use crate::quantity::text::same_bytes;
use crate::quantity::{Money, Month};

/// Months `[from, to)` of one customer's subscription at `mrr` a month
/// and `arr` a year (report currency); `to` of `i32::MAX` is open (active
/// to the last month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) customer: u32,
    pub(super) from: i32,
    pub(super) to: i32,
    pub(super) mrr: Decimal,
    pub(super) arr: Decimal,
}

/// One customer's MRR in one month (its ARR is 12 × MRR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) customer: u32,
    pub(super) month: i32,
    pub(super) mrr: Decimal,
}

/// The partial state of recurring revenue over some customers: add monthly
/// rows or subscriptions (any order, several per customer and month: they
/// add up), merge the states of other partitions, finish into the
/// [`MrrReport`](super::MrrReport).
///
/// # JSON form
///
/// `{"spec": ..., "first": "2026-01", "last": "2026-06", "customers":
/// [{"customer": "acme", "spans": [{"from": "2026-01", "to": "2026-03",
/// "mrr": "100", "arr": "1200"}]}]}` (`to` exclusive, `null` while
/// active); reading back checks every span (months in range, `from <
/// to`, amounts not negative).
///
/// ```
/// use revops::recurring::{MrrSpec, MrrState};
/// use revops::{Aggregate, Currency, Money};
/// let usd = |a: &str| Money::parse(a, "USD").unwrap();
/// let (mut east, mut west) = (MrrState::new(MrrSpec::new(Currency::USD)), MrrState::new(MrrSpec::new(Currency::USD)));
/// east.add_month("acme", "2026-01".parse()?, usd("100"))?;
/// west.add_month("bolt", "2026-02".parse()?, usd("40"))?;
/// east.merge(&west)?;
/// let r = east.finish()?;
/// assert_eq!(r.months[1].mrr, usd("40"));
/// # Ok::<(), revops::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct MrrState {
    pub(super) spec: MrrSpec,
    /// Customer ids by name (foldhash, seeded per state, as the funnel's
    /// user table).
    pub(super) ids: HashMap<Arc<str>, u32, RandomState>,
    /// Customer names by id (shared with `ids`: one allocation each).
    pub(super) names: Vec<Arc<str>>,
    pub(super) spans: Vec<Span>,
    pub(super) rows: Vec<Row>,
    /// The most decimals of any amount held (the report's sums are whole
    /// units of that many decimals).
    pub(super) scale: u32,
    /// The first month with an input, and the last month an input names
    /// (`i32::MAX` and `i32::MIN` while empty).
    pub(super) first: i32,
    pub(super) last: i32,
}

impl PartialEq for MrrState {
    /// Equal when they hold the same spans per customer name, whatever
    /// the order they came in.
    fn eq(&self, o: &MrrState) -> bool {
        fn key(s: &MrrState) -> Vec<(&str, i32, i32, Decimal, Option<Decimal>)> {
            let name = |c: u32| &*s.names[c as usize];
            let mut v: Vec<(&str, i32, i32, Decimal, Option<Decimal>)> = s
                .spans
                .iter()
                .map(|x| (name(x.customer), x.from, x.to, x.mrr, Some(x.arr)))
                .chain(
                    s.rows
                        .iter()
                        .map(|r| (name(r.customer), r.month, r.month + 1, r.mrr, None)),
                )
                .collect();
            v.sort();
            v
        }
        self.spec == o.spec
            && (self.first, self.last, self.scale) == (o.first, o.last, o.scale)
            && key(self) == key(o)
    }
}

/// One input of [`MrrState`] through [`Aggregate`](crate::Aggregate).
#[derive(Clone, Copy, Debug)]
pub enum MrrInput<'a> {
    /// A customer's MRR in a month.
    Month {
        /// The customer.
        customer: &'a str,
        /// The month.
        month: Month,
        /// The MRR (not negative).
        mrr: Money,
    },
    /// A subscription line item.
    Subscription(&'a Subscription),
}

impl MrrState {
    /// An empty state.
    pub fn new(spec: MrrSpec) -> MrrState {
        MrrState {
            spec,
            ids: HashMap::with_hasher(RandomState::default()),
            names: Vec::new(),
            spans: Vec::new(),
            rows: Vec::new(),
            scale: 0,
            first: i32::MAX,
            last: i32::MIN,
        }
    }

    /// The spec.
    pub fn spec(&self) -> &MrrSpec {
        &self.spec
    }

    pub(super) fn id(&mut self, customer: &str) -> Result<u32> {
        // Exports list a customer's rows together: the last one first.
        if let Some(last) = self.names.last() {
            if same_bytes(last.as_bytes(), customer.as_bytes()) {
                return Ok(self.names.len() as u32 - 1);
            }
        }
        if let Some(&i) = self.ids.get(customer) {
            return Ok(i);
        }
        if customer.trim().is_empty() {
            return Err(Error::invalid("recurring revenue", "the customer is empty"));
        }
        let i = u32::try_from(self.names.len())
            .map_err(|_| Error::invalid("recurring revenue", "more than 2^32 customers"))?;
        let name: Arc<str> = Arc::from(customer);
        self.ids.insert(Arc::clone(&name), i);
        self.names.push(name);
        Ok(i)
    }

    /// `amount` in the report currency.
    fn convert(&self, amount: Money) -> Result<Decimal> {
        if amount.is_negative() {
            return Err(Error::invalid(
                "recurring revenue",
                "the amount is negative",
            ));
        }
        if amount.currency() == self.spec.fx.target() {
            return Ok(amount.amount());
        }
        // The product's trailing zeros (300.00 × 1.08 = 324.0000) are not
        // decimals anyone gave: kept down to the minor unit.
        let mut v = self.spec.fx.convert(amount)?.amount().normalize();
        if let Some(exp) = self.spec.currency().exponent() {
            if v.scale() < exp {
                v.rescale(exp);
            }
        }
        Ok(v)
    }

    pub(super) fn push(&mut self, span: Span, last: i32) {
        self.scale = self.scale.max(span.mrr.scale()).max(span.arr.scale());
        self.first = self.first.min(span.from);
        self.last = self.last.max(last);
        self.spans.push(span);
    }

    /// Adds `mrr` to `customer`'s MRR in `month` (ARR: 12 × MRR).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a negative amount or an empty customer;
    /// [`Error::CurrencyMismatch`] for a currency without a rate;
    /// [`Error::Overflow`].
    pub fn add_month(&mut self, customer: &str, month: Month, mrr: Money) -> Result<()> {
        let v = self.convert(mrr)?;
        let customer = self.id(customer)?;
        let m = month.index();
        self.first = self.first.min(m);
        self.last = self.last.max(m);
        self.scale = self.scale.max(v.scale());
        self.rows.push(Row {
            customer,
            month: m,
            mrr: v,
        });
        Ok(())
    }

    /// Adds a subscription: its monthly amount in each month on whose last
    /// day it is in force (see the [module docs](super)).
    ///
    /// # Errors
    ///
    /// As [`add_month`](MrrState::add_month).
    pub fn add_subscription(&mut self, s: &Subscription) -> Result<()> {
        let mrr = self.convert(s.interval.monthly(s.amount)?)?;
        let arr = self.convert(s.interval.annual(s.amount)?)?;
        let from = Month::of(s.start).index();
        // In force on the last day of month m when start <= that day < end:
        // from the start's month to the end's month, exclusive.
        let (to, last) = match s.end {
            Some(end) => {
                let to = Month::of(end).index();
                (to, to)
            }
            None => (i32::MAX, from),
        };
        let customer = self.id(&s.customer)?;
        // A subscription in force on no month's last day is still a
        // customer's input (it names its months), with no revenue.
        let span = Span {
            customer,
            from,
            to: to.max(from),
            mrr,
            arr,
        };
        self.push(span, last);
        Ok(())
    }

    /// Adds another partition's state (any split: inputs of one customer
    /// in both add up).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for states of different specs.
    pub fn merge(&mut self, other: &MrrState) -> Result<()> {
        if self.spec != other.spec {
            return Err(Error::invalid(
                "recurring revenue merge",
                "the states were computed for different specs",
            ));
        }
        let map: Vec<u32> = other
            .names
            .iter()
            .map(|n| self.id(n))
            .collect::<Result<_>>()?;
        self.spans.reserve(other.spans.len());
        for s in &other.spans {
            self.spans.push(Span {
                customer: map[s.customer as usize],
                ..*s
            });
        }
        self.rows.reserve(other.rows.len());
        for r in &other.rows {
            self.rows.push(Row {
                customer: map[r.customer as usize],
                ..*r
            });
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.scale = self.scale.max(other.scale);
        Ok(())
    }

    /// Customers seen.
    pub fn customers(&self) -> usize {
        self.names.len()
    }
}

impl crate::aggregate::Aggregate for MrrState {
    type Input<'a> = MrrInput<'a>;
    type Context<'a> = ();
    type Output = super::MrrReport;

    fn add(&mut self, input: MrrInput<'_>) -> Result<()> {
        match input {
            MrrInput::Month {
                customer,
                month,
                mrr,
            } => self.add_month(customer, month, mrr),
            MrrInput::Subscription(s) => self.add_subscription(s),
        }
    }

    fn merge(&mut self, other: &MrrState) -> Result<()> {
        MrrState::merge(self, other)
    }

    fn finish(self, (): ()) -> Result<super::MrrReport> {
        MrrState::finish(self)
    }
}
