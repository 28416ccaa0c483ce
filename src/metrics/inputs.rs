//! The catalogue's inputs: what each is, and its unit, from one table for
//! every metric (an input name means the same thing wherever it appears).

use super::args::ArgKind;
use super::args::ArgKind as K;

/// One named input of a metric, as listed in the catalogue.
///
/// JSON form: `{"name": "won", "kind": "count", "description": "deals
/// won", "unit": "deals"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Input {
    /// The input's name, as in the function's signature.
    pub name: &'static str,
    /// Its kind.
    pub kind: ArgKind,
}

impl Input {
    /// What the input is.
    ///
    /// ```
    /// use revops::metrics::Metric;
    /// let won = Metric::WinRate.inputs()[0];
    /// assert_eq!((won.name, won.description(), won.unit()), ("won", "deals won", "deals"));
    /// ```
    pub fn description(&self) -> &'static str {
        describe(self.name, self.kind).map_or("", |d| d.0)
    }

    /// What it is counted or measured in (`money`, `deals`, `duration`,
    /// `ratio`, ...).
    pub fn unit(&self) -> &'static str {
        describe(self.name, self.kind).map_or("", |d| d.1)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Input", 4)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("description", self.description())?;
        st.serialize_field("unit", self.unit())?;
        st.end()
    }
}

/// The description and unit of the input `name` of kind `kind`.
pub(super) fn describe(name: &str, kind: K) -> Option<(&'static str, &'static str)> {
    Some(match (name, kind) {
        ("accepted", K::Count) => ("leads sales accepted after the hand-off", "leads"),
        ("acquisitions", K::Count) => ("customers acquired by the spend", "customers"),
        ("ad_spend", K::Money) => ("advertising spend that brought the revenue", "money"),
        ("amounts", K::Moneys) => ("the amounts of the sales, all in `currency`", "money each"),
        ("answers", K::Answers) => (
            "survey answers: 0 to 10 for NPS, 1 to 5 for CSAT",
            "score each",
        ),
        ("attributed_revenue", K::Money) => ("revenue attributed to marketing", "money"),
        ("average_deal_size", K::Money) => ("the average won deal", "money"),
        ("average_order_value", K::Money) => ("the average order", "money"),
        ("aware", K::Count) => ("people surveyed who know the brand", "people"),
        ("baseline", K::Duration) => ("the earlier cycle length", "duration"),
        ("baseline", K::Money) => ("the earlier value", "money"),
        ("brand_mentions", K::Count) => ("mentions of the brand", "mentions"),
        ("cac", K::Money) => ("customer acquisition cost", "money per customer"),
        ("category_mentions", K::Count) => ("mentions of every brand in the category", "mentions"),
        ("churn_rate", K::Ratio) => ("share of customers lost per period", "ratio per period"),
        ("churned", K::Money) => ("recurring revenue lost to cancellations", "money"),
        ("clicks", K::Count) => ("clicks on the ads", "clicks"),
        ("contraction", K::Money) => ("recurring revenue lost to downgrades", "money"),
        ("currency", K::Currency) => ("the currency of the result", "ISO 4217 code"),
        ("current", K::Duration) => ("the later cycle length", "duration"),
        ("current", K::Money) => ("the later value", "money"),
        ("customers", K::Count) => ("customers over the period", "customers"),
        ("customers_at_start", K::Count) => ("customers at the start of the period", "customers"),
        ("cycle", K::Duration) => ("the average sales cycle", "duration"),
        ("cycles", K::Durations) => (
            "the cycle of each won deal, from creation to close",
            "duration each",
        ),
        ("deals", K::WeightedDeals) => (
            "open deals: amount and win probability",
            "money and ratio each",
        ),
        ("delays", K::Durations) => (
            "time from each lead's creation to first contact",
            "duration each",
        ),
        ("detractors", K::Count) => ("answers of 0 to 6", "answers"),
        ("end", K::Count) => ("customers at the end of the period", "customers"),
        ("engagements", K::Count) => ("likes, shares, comments and clicks", "engagements"),
        ("expansion", K::Money) => ("recurring revenue added by upsells", "money"),
        ("gross_margin", K::Ratio) => ("gross margin on the revenue", "ratio"),
        ("handed_off", K::Count) => ("leads marketing handed to sales", "leads"),
        ("handoffs", K::Count) => ("leads handed to sales", "leads"),
        ("impressions", K::Count) => ("times the ads were shown", "impressions"),
        ("leads", K::Count) => ("leads over the period", "leads"),
        ("lifespan_periods", K::Decimal) => ("expected customer lifespan", "periods"),
        ("lost", K::Count) => ("deals lost", "deals"),
        ("ltv", K::Money) => ("customer lifetime value", "money per customer"),
        ("marketing_sourced", K::Money) => ("the part that marketing sourced", "money"),
        ("marketing_spend", K::Money) => ("marketing spend over the period", "money"),
        ("monthly_revenue_per_customer", K::Money) => {
            ("average revenue per customer per month", "money per month")
        }
        ("mqls", K::Count) => ("marketing-qualified leads", "leads"),
        ("never_followed_up", K::Count) => ("leads sales never contacted", "leads"),
        ("new", K::Count) => ("customers gained during the period", "customers"),
        ("new_customers", K::Count) => ("new customers over the period", "customers"),
        ("open_pipeline", K::Money) => ("the value of open deals", "money"),
        ("opportunities", K::Count) => ("open opportunities", "deals"),
        ("orders", K::Count) => ("orders placed", "orders"),
        ("orders_with_addon", K::Count) => ("orders that included an add-on", "orders"),
        ("passives", K::Count) => ("answers of 7 or 8", "answers"),
        ("previous", K::Money) => ("revenue of the earlier period", "money"),
        ("promoters", K::Count) => ("answers of 9 or 10", "answers"),
        ("purchases_per_period", K::Decimal) => {
            ("purchases per customer per period", "purchases per period")
        }
        ("quota", K::Money) => ("the revenue target", "money"),
        ("reach", K::Count) => ("distinct people who saw the ads", "people"),
        ("remaining_quota", K::Money) => ("quota still to close", "money"),
        ("repeat_customers", K::Count) => ("customers who bought more than once", "customers"),
        ("revenue", K::Money) => ("revenue over the period", "money"),
        ("revenue_last_quarter", K::Money) => ("revenue of the previous quarter", "money"),
        ("revenue_per_account", K::Money) => ("average revenue per account", "money per account"),
        ("revenue_this_quarter", K::Money) => ("revenue of the current quarter", "money"),
        ("sales_spend", K::Money) => ("sales spend over the period", "money"),
        ("spend", K::Money) => ("what was spent over the period", "money"),
        ("spend_last_quarter", K::Money) => ("spend of the previous quarter", "money"),
        ("start", K::Count) => ("customers at the start of the period", "customers"),
        ("start", K::Money) => ("recurring revenue at the start of the period", "money"),
        ("surveyed", K::Count) => ("people surveyed", "people"),
        ("total", K::Money) => ("the whole that marketing_sourced is a part of", "money"),
        ("units", K::Counts) => ("units sold, per order or line", "units each"),
        ("visitors", K::Count) => ("distinct visitors", "visitors"),
        ("win_rate", K::Ratio) => ("share of decided deals that were won", "ratio"),
        ("within_sla", K::Count) => ("hand-offs contacted within the SLA", "leads"),
        ("won", K::Count) => ("deals won", "deals"),
        ("won_deals", K::Count) => ("deals won", "deals"),
        ("won_deals", K::Counts) => ("deals won, per rep or period", "deals each"),
        ("won_revenue", K::Money) => ("revenue from won deals", "money"),
        ("counts", K::Counts) => ("new leads, per source or period", "leads each"),
        _ => return None,
    })
}
