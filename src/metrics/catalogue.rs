//! The catalogue: every metric with its id, name, owner, unit, direction,
//! formula, objectives, aliases and inputs, and its evaluation.

use std::fmt;

use super::args::{Arg, ArgKind, Args};
use super::inputs::Input;
use super::objectives::{Direction, MarketingObjective as MO, Objective, SalesObjective as SO};
use super::{alignment, customer, marketing, sales};
use crate::error::{Error, Result};
use crate::journey::Ownership;
use crate::quantity::{Unit, Value};

const AWARENESS: Objective = Objective::Marketing(MO::BrandAwareness);
const NEEDS: Objective = Objective::Marketing(MO::CustomerNeeds);
const RELATIONSHIPS: Objective = Objective::Marketing(MO::LongTermRelationships);
const DEMAND: Objective = Objective::Marketing(MO::Demand);
const REVENUE: Objective = Objective::Sales(SO::Revenue);
const TARGETS: Objective = Objective::Sales(SO::Targets);
const CONVERSION: Objective = Objective::Sales(SO::Conversion);
const EXPERIENCE: Objective = Objective::Sales(SO::PurchaseExperience);

use ArgKind as K;

macro_rules! catalogue {
    ($(
        $variant:ident {
            id: $id:literal,
            name: $name:literal,
            owner: $owner:ident,
            unit: $unit:ident,
            direction: $dir:ident,
            formula: $formula:literal,
            objectives: [$($obj:expr),* $(,)?],
            aliases: [$($alias:literal),* $(,)?],
            inputs: [$($iname:literal : $ikind:ident),* $(,)?],
            eval: |$a:ident| $eval:expr $(,)?
        }
    ),* $(,)?) => {
        /// Every metric revops computes. See the [module docs](super).
        ///
        /// # JSON form
        ///
        /// The metric's id: `"win_rate"` (aliases are accepted on input).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(try_from = "String", into = "&'static str"))]
        pub enum Metric {
            $(
                #[doc = concat!("`", $id, "`: ", $name, ". ", $formula, ".")]
                #[doc = ""]
                #[doc = "Inputs, by name for [`Metric::evaluate_named`]:"]
                #[doc = ""]
                $(#[doc = concat!("* `", $iname, "`: ", stringify!($ikind))])*
                $variant,
            )*
        }

        impl Metric {
            /// Every metric, in catalogue order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];

            /// The stable snake_case id.
            pub fn id(self) -> &'static str {
                match self { $(Metric::$variant => $id),* }
            }

            /// The display name.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name),* }
            }

            /// Who owns the metric: marketing, sales, or both (shared).
            pub fn owner(self) -> Ownership {
                match self { $(Metric::$variant => Ownership::$owner),* }
            }

            /// The kind of value it returns.
            pub fn unit(self) -> Unit {
                match self { $(Metric::$variant => Unit::$unit),* }
            }

            /// Whether higher or lower values are better.
            pub fn direction(self) -> Direction {
                match self { $(Metric::$variant => Direction::$dir),* }
            }

            /// The formula, as text.
            pub fn formula(self) -> &'static str {
                match self { $(Metric::$variant => $formula),* }
            }

            /// The objectives this metric measures. This catalogue is the
            /// one place in revops that maps metrics to objectives.
            pub fn objectives(self) -> &'static [Objective] {
                match self { $(Metric::$variant => &[$($obj),*]),* }
            }

            /// Other names accepted by [`Metric::from_id`].
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(Metric::$variant => &[$($alias),*]),* }
            }

            /// The inputs [`Metric::evaluate`] expects, in order.
            pub fn inputs(self) -> &'static [Input] {
                match self {
                    $(Metric::$variant => &[$(Input { name: $iname, kind: K::$ikind }),*]),*
                }
            }

            /// Computes the metric from `args` (in the order of
            /// [`Metric::inputs`]) by calling its function.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidInput`] if the arguments do not match the
            /// inputs; otherwise whatever the metric's function returns.
            pub fn evaluate(self, args: &[Arg]) -> Result<Value> {
                let expected = self.inputs();
                for (i, input) in expected.iter().enumerate() {
                    match args.get(i) {
                        None => {
                            return Err(Error::MissingInput {
                                metric: self.id().into(),
                                input: input.name.into(),
                            })
                        }
                        Some(a) if a.kind() != input.kind => {
                            return Err(Error::WrongInputKind {
                                metric: self.id().into(),
                                input: input.name.into(),
                                expected: format!("{:?}", input.kind).to_lowercase(),
                                got: format!("{:?}", a.kind()).to_lowercase(),
                            })
                        }
                        Some(_) => {}
                    }
                }
                if args.len() > expected.len() {
                    return Err(Error::UnknownInput {
                        metric: self.id().into(),
                        input: format!("argument {}", expected.len() + 1),
                        expected: expected.iter().map(|i| i.name).collect::<Vec<_>>().join(", "),
                    });
                }
                match self {
                    $(Metric::$variant => {
                        let $a = Args { metric: $id, args };
                        $eval
                    }),*
                }
            }
        }
    };
}

catalogue! {
    // ------------------------------------------------------- marketing
    LeadCount {
        id: "lead_count", name: "Lead count", owner: Marketing, unit: Count,
        direction: HigherIsBetter, formula: "sum of new leads",
        objectives: [DEMAND], aliases: ["number of leads", "leads"],
        inputs: ["counts": Counts],
        eval: |a| marketing::lead_count(a.counts(0)?).map(Value::Count),
    },
    BrandAwareness {
        id: "brand_awareness", name: "Brand awareness", owner: Marketing, unit: Ratio,
        direction: HigherIsBetter, formula: "aware respondents / surveyed",
        objectives: [AWARENESS], aliases: [],
        inputs: ["aware": Count, "surveyed": Count],
        eval: |a| marketing::brand_awareness(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    ShareOfVoice {
        id: "share_of_voice", name: "Share of voice", owner: Marketing, unit: Ratio,
        direction: HigherIsBetter, formula: "brand mentions / category mentions",
        objectives: [AWARENESS], aliases: ["sov"],
        inputs: ["brand_mentions": Count, "category_mentions": Count],
        eval: |a| marketing::share_of_voice(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    AverageFrequency {
        id: "average_frequency", name: "Average frequency", owner: Marketing, unit: Multiple,
        direction: HigherIsBetter, formula: "impressions / reach",
        objectives: [AWARENESS], aliases: ["frequency"],
        inputs: ["impressions": Count, "reach": Count],
        eval: |a| marketing::average_frequency(a.count(0)?, a.count(1)?).map(Value::Multiple),
    },
    ClickThroughRate {
        id: "click_through_rate", name: "Click-through rate", owner: Marketing, unit: Ratio,
        direction: HigherIsBetter, formula: "clicks / impressions",
        objectives: [AWARENESS, DEMAND], aliases: ["ctr"],
        inputs: ["clicks": Count, "impressions": Count],
        eval: |a| marketing::click_through_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    CostPerMille {
        id: "cost_per_mille", name: "Cost per thousand impressions", owner: Marketing, unit: Money,
        direction: LowerIsBetter, formula: "spend / impressions × 1000",
        objectives: [AWARENESS], aliases: ["cpm"],
        inputs: ["spend": Money, "impressions": Count],
        eval: |a| marketing::cost_per_mille(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    CostPerClick {
        id: "cost_per_click", name: "Cost per click", owner: Marketing, unit: Money,
        direction: LowerIsBetter, formula: "spend / clicks",
        objectives: [DEMAND], aliases: ["cpc"],
        inputs: ["spend": Money, "clicks": Count],
        eval: |a| marketing::cost_per_click(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    CostPerLead {
        id: "cost_per_lead", name: "Cost per lead", owner: Marketing, unit: Money,
        direction: LowerIsBetter, formula: "spend / leads",
        objectives: [DEMAND], aliases: ["cpl"],
        inputs: ["spend": Money, "leads": Count],
        eval: |a| marketing::cost_per_lead(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    CostPerAcquisition {
        id: "cost_per_acquisition", name: "Cost per acquisition", owner: Marketing, unit: Money,
        direction: LowerIsBetter, formula: "spend / acquisitions",
        objectives: [DEMAND, CONVERSION], aliases: ["cpa"],
        inputs: ["spend": Money, "acquisitions": Count],
        eval: |a| marketing::cost_per_acquisition(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    EngagementRate {
        id: "engagement_rate", name: "Engagement rate", owner: Marketing, unit: Multiple,
        direction: HigherIsBetter, formula: "engagements / impressions",
        objectives: [AWARENESS, RELATIONSHIPS], aliases: [],
        inputs: ["engagements": Count, "impressions": Count],
        eval: |a| marketing::engagement_rate(a.count(0)?, a.count(1)?).map(Value::Multiple),
    },
    VisitorToLeadRate {
        id: "visitor_to_lead_rate", name: "Visitor-to-lead rate", owner: Marketing, unit: Ratio,
        direction: HigherIsBetter, formula: "leads / visitors",
        objectives: [DEMAND], aliases: ["lead conversion rate"],
        inputs: ["leads": Count, "visitors": Count],
        eval: |a| marketing::visitor_to_lead_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    LeadToMqlRate {
        id: "lead_to_mql_rate", name: "Lead-to-MQL rate", owner: Marketing, unit: Ratio,
        direction: HigherIsBetter, formula: "MQLs / leads",
        objectives: [DEMAND, NEEDS], aliases: [],
        inputs: ["mqls": Count, "leads": Count],
        eval: |a| marketing::lead_to_mql_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    ReturnOnAdSpend {
        id: "return_on_ad_spend", name: "Return on ad spend", owner: Marketing, unit: Multiple,
        direction: HigherIsBetter, formula: "attributed revenue / ad spend",
        objectives: [DEMAND, REVENUE], aliases: ["roas"],
        inputs: ["attributed_revenue": Money, "ad_spend": Money],
        eval: |a| marketing::return_on_ad_spend(a.money(0)?, a.money(1)?).map(Value::Multiple),
    },
    MarketingRoi {
        id: "marketing_roi", name: "Marketing ROI", owner: Marketing, unit: Change,
        direction: HigherIsBetter, formula: "(attributed revenue − spend) / spend",
        objectives: [DEMAND, REVENUE], aliases: ["roi", "return on marketing investment"],
        inputs: ["attributed_revenue": Money, "spend": Money],
        eval: |a| marketing::marketing_roi(a.money(0)?, a.money(1)?).map(Value::Change),
    },
    MarketingRoiOnMargin {
        id: "marketing_roi_on_margin", name: "Marketing ROI on gross margin", owner: Marketing,
        unit: Change, direction: HigherIsBetter,
        formula: "(attributed revenue × gross margin − spend) / spend",
        objectives: [DEMAND, REVENUE], aliases: [],
        inputs: ["attributed_revenue": Money, "gross_margin": Ratio, "spend": Money],
        eval: |a| marketing::marketing_roi_on_margin(a.money(0)?, a.ratio(1)?, a.money(2)?).map(Value::Change),
    },
    // ----------------------------------------------------------- sales
    SalesVolume {
        id: "sales_volume", name: "Sales volume", owner: Sales, unit: Count,
        direction: HigherIsBetter, formula: "sum of units sold",
        objectives: [REVENUE, TARGETS], aliases: ["units sold"],
        inputs: ["units": Counts],
        eval: |a| sales::sales_volume(a.counts(0)?).map(Value::Count),
    },
    Revenue {
        id: "revenue", name: "Revenue", owner: Sales, unit: Money,
        direction: HigherIsBetter, formula: "sum of sale amounts",
        objectives: [REVENUE, TARGETS], aliases: ["sales revenue"],
        inputs: ["amounts": Moneys, "currency": Currency],
        eval: |a| sales::revenue(a.moneys(0)?, a.currency(1)?).map(Value::Money),
    },
    ClosedDealCount {
        id: "closed_deal_count", name: "Closed deals", owner: Sales, unit: Count,
        direction: HigherIsBetter, formula: "sum of deals closed-won",
        objectives: [REVENUE, TARGETS], aliases: ["number of closed deals", "deals won"],
        inputs: ["won_deals": Counts],
        eval: |a| sales::closed_deal_count(a.counts(0)?).map(Value::Count),
    },
    WinRate {
        id: "win_rate", name: "Win rate", owner: Sales, unit: Ratio,
        direction: HigherIsBetter, formula: "won / (won + lost), deals closed in the period",
        objectives: [CONVERSION], aliases: [],
        inputs: ["won": Count, "lost": Count],
        eval: |a| sales::win_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    CloseRate {
        id: "close_rate", name: "Close rate", owner: Sales, unit: Ratio,
        direction: HigherIsBetter, formula: "won / opportunities created in the period",
        objectives: [CONVERSION], aliases: ["win_rate_over_opportunities"],
        inputs: ["won": Count, "opportunities": Count],
        eval: |a| sales::close_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    LeadToCustomerRate {
        id: "lead_to_customer_rate", name: "Lead-to-customer rate", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "new customers / leads",
        objectives: [CONVERSION, DEMAND],
        aliases: ["lead-to-sales conversion rate", "lead to sales conversion rate", "lead conversion to sale"],
        inputs: ["new_customers": Count, "leads": Count],
        eval: |a| sales::lead_to_customer_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    AverageDealSize {
        id: "average_deal_size", name: "Average deal size", owner: Sales, unit: Money,
        direction: HigherIsBetter, formula: "won revenue / won deals",
        objectives: [REVENUE], aliases: ["average deal value"],
        inputs: ["won_revenue": Money, "won_deals": Count],
        eval: |a| sales::average_deal_size(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    SalesCycleLength {
        id: "sales_cycle_length", name: "Sales cycle length", owner: Sales, unit: Duration,
        direction: LowerIsBetter, formula: "median of (closed − created) over won deals",
        objectives: [REVENUE, EXPERIENCE], aliases: ["time to close"],
        inputs: ["cycles": Durations],
        eval: |a| sales::sales_cycle_length(a.durations(0)?).map(|c| Value::Duration(c.median)),
    },
    MeanSalesCycleLength {
        id: "mean_sales_cycle_length", name: "Sales cycle length (mean)", owner: Sales, unit: Duration,
        direction: LowerIsBetter, formula: "mean of (closed − created) over won deals",
        objectives: [REVENUE, EXPERIENCE], aliases: ["average sales cycle"],
        inputs: ["cycles": Durations],
        eval: |a| sales::sales_cycle_length(a.durations(0)?).map(|c| Value::Duration(c.mean)),
    },
    PipelineVelocity {
        id: "pipeline_velocity", name: "Pipeline velocity", owner: Sales, unit: Money,
        direction: HigherIsBetter,
        formula: "opportunities × win rate × average deal size / sales cycle in days",
        objectives: [REVENUE, TARGETS], aliases: ["sales velocity"],
        inputs: ["opportunities": Count, "win_rate": Ratio, "average_deal_size": Money, "cycle": Duration],
        eval: |a| sales::pipeline_velocity(a.count(0)?, a.ratio(1)?, a.money(2)?, a.duration(3)?).map(Value::Money),
    },
    QuotaAttainment {
        id: "quota_attainment", name: "Quota attainment", owner: Sales, unit: Multiple,
        direction: HigherIsBetter, formula: "revenue / quota",
        objectives: [TARGETS], aliases: [],
        inputs: ["revenue": Money, "quota": Money],
        eval: |a| sales::quota_attainment(a.money(0)?, a.money(1)?).map(Value::Multiple),
    },
    PipelineCoverage {
        id: "pipeline_coverage", name: "Pipeline coverage", owner: Sales, unit: Multiple,
        direction: HigherIsBetter, formula: "open pipeline / remaining quota",
        objectives: [TARGETS], aliases: [],
        inputs: ["open_pipeline": Money, "remaining_quota": Money],
        eval: |a| sales::pipeline_coverage(a.money(0)?, a.money(1)?).map(Value::Multiple),
    },
    WeightedPipeline {
        id: "weighted_pipeline", name: "Weighted pipeline", owner: Sales, unit: Money,
        direction: HigherIsBetter, formula: "sum of amount × win probability over open deals",
        objectives: [TARGETS], aliases: [],
        inputs: ["deals": WeightedDeals, "currency": Currency],
        eval: |a| sales::weighted_pipeline(a.weighted(0)?, a.currency(1)?).map(Value::Money),
    },
    AverageOrderValue {
        id: "average_order_value", name: "Average order value", owner: Sales, unit: Money,
        direction: HigherIsBetter, formula: "revenue / orders",
        objectives: [REVENUE], aliases: ["aov", "average bill"],
        inputs: ["revenue": Money, "orders": Count],
        eval: |a| sales::average_order_value(a.money(0)?, a.count(1)?).map(Value::Money),
    },
    AttachRate {
        id: "attach_rate", name: "Attach rate", owner: Sales, unit: Ratio,
        direction: HigherIsBetter, formula: "orders with an add-on / orders",
        objectives: [REVENUE, EXPERIENCE], aliases: ["upsell rate"],
        inputs: ["orders_with_addon": Count, "orders": Count],
        eval: |a| sales::attach_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    RevenueGrowth {
        id: "revenue_growth", name: "Revenue growth", owner: Shared, unit: Change,
        direction: HigherIsBetter, formula: "(current revenue − previous revenue) / previous revenue",
        objectives: [REVENUE, DEMAND], aliases: [],
        inputs: ["previous": Money, "current": Money],
        eval: |a| sales::revenue_growth(a.money(0)?, a.money(1)?).map(Value::Change),
    },
    // -------------------------------------------------------- customer
    CustomerAcquisitionCost {
        id: "customer_acquisition_cost", name: "Customer acquisition cost", owner: Shared, unit: Money,
        direction: LowerIsBetter, formula: "(marketing spend + sales spend) / new customers",
        objectives: [DEMAND, CONVERSION], aliases: ["cac"],
        inputs: ["marketing_spend": Money, "sales_spend": Money, "new_customers": Count],
        eval: |a| customer::customer_acquisition_cost(a.money(0)?, a.money(1)?, a.count(2)?).map(Value::Money),
    },
    CacPaybackMonths {
        id: "cac_payback_months", name: "CAC payback (months)", owner: Shared, unit: Decimal,
        direction: LowerIsBetter, formula: "CAC / (monthly revenue per customer × gross margin)",
        objectives: [REVENUE, RELATIONSHIPS], aliases: ["cac payback"],
        inputs: ["cac": Money, "monthly_revenue_per_customer": Money, "gross_margin": Ratio],
        eval: |a| customer::cac_payback_months(a.money(0)?, a.money(1)?, a.ratio(2)?).map(Value::Decimal),
    },
    CustomerLifetimeValue {
        id: "customer_lifetime_value", name: "Customer lifetime value", owner: Shared, unit: Money,
        direction: HigherIsBetter, formula: "revenue per account per period × gross margin / churn rate per period",
        objectives: [RELATIONSHIPS, REVENUE], aliases: ["ltv", "clv", "clv simple"],
        inputs: ["revenue_per_account": Money, "gross_margin": Ratio, "churn_rate": Ratio],
        eval: |a| customer::customer_lifetime_value(a.money(0)?, a.ratio(1)?, a.ratio(2)?).map(Value::Money),
    },
    CustomerLifetimeValueFromOrders {
        id: "customer_lifetime_value_from_orders", name: "Customer lifetime value (orders)",
        owner: Shared, unit: Money, direction: HigherIsBetter,
        formula: "average order value × purchases per period × lifespan in periods",
        objectives: [RELATIONSHIPS, REVENUE], aliases: [],
        inputs: ["average_order_value": Money, "purchases_per_period": Decimal, "lifespan_periods": Decimal],
        eval: |a| customer::customer_lifetime_value_from_orders(a.money(0)?, a.decimal(1)?, a.decimal(2)?).map(Value::Money),
    },
    LtvToCac {
        id: "ltv_to_cac", name: "LTV to CAC", owner: Shared, unit: Multiple,
        direction: HigherIsBetter, formula: "customer lifetime value / customer acquisition cost",
        objectives: [RELATIONSHIPS, REVENUE], aliases: ["ltv:cac"],
        inputs: ["ltv": Money, "cac": Money],
        eval: |a| customer::ltv_to_cac(a.money(0)?, a.money(1)?).map(Value::Multiple),
    },
    ChurnRate {
        id: "churn_rate", name: "Churn rate", owner: Shared, unit: Ratio,
        direction: LowerIsBetter, formula: "customers lost / customers at start",
        objectives: [RELATIONSHIPS], aliases: ["customer churn"],
        inputs: ["lost": Count, "customers_at_start": Count],
        eval: |a| customer::churn_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    CustomerRetentionRate {
        id: "customer_retention_rate", name: "Customer retention rate", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "(customers at end − new customers) / customers at start",
        objectives: [RELATIONSHIPS], aliases: ["retention rate"],
        inputs: ["start": Count, "end": Count, "new": Count],
        eval: |a| customer::customer_retention_rate(a.count(0)?, a.count(1)?, a.count(2)?).map(Value::Ratio),
    },
    RepeatPurchaseRate {
        id: "repeat_purchase_rate", name: "Repeat purchase rate", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "customers with more than one purchase / customers",
        objectives: [RELATIONSHIPS, EXPERIENCE], aliases: ["brand loyalty", "loyalty"],
        inputs: ["repeat_customers": Count, "customers": Count],
        eval: |a| customer::repeat_purchase_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    PurchaseFrequency {
        id: "purchase_frequency", name: "Purchase frequency", owner: Shared, unit: Multiple,
        direction: HigherIsBetter, formula: "orders / customers",
        objectives: [RELATIONSHIPS, REVENUE], aliases: [],
        inputs: ["orders": Count, "customers": Count],
        eval: |a| customer::purchase_frequency(a.count(0)?, a.count(1)?).map(Value::Multiple),
    },
    NetPromoterScore {
        id: "net_promoter_score", name: "Net promoter score", owner: Shared, unit: Score,
        direction: HigherIsBetter, formula: "% answers 9–10 − % answers 0–6",
        objectives: [RELATIONSHIPS, EXPERIENCE], aliases: ["nps"],
        inputs: ["answers": Answers],
        eval: |a| customer::net_promoter_score(a.answers(0)?).map(Value::Score),
    },
    NetPromoterScoreFromCounts {
        id: "net_promoter_score_from_counts", name: "Net promoter score (from counts)", owner: Shared, unit: Score,
        direction: HigherIsBetter, formula: "(promoters − detractors) / (promoters + passives + detractors) × 100",
        objectives: [RELATIONSHIPS, EXPERIENCE], aliases: ["nps from counts"],
        inputs: ["promoters": Count, "passives": Count, "detractors": Count],
        eval: |a| crate::quantity::Nps::from_counts(a.count(0)?, a.count(1)?, a.count(2)?).map(Value::Score),
    },
    CustomerSatisfactionScore {
        id: "customer_satisfaction_score", name: "Customer satisfaction score", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "answers of 4 or 5 / answers, on a 1–5 scale",
        objectives: [EXPERIENCE, RELATIONSHIPS], aliases: ["csat", "customer satisfaction"],
        inputs: ["answers": Answers],
        eval: |a| customer::customer_satisfaction_score(a.answers(0)?).map(Value::Ratio),
    },
    NetRevenueRetention {
        id: "net_revenue_retention", name: "Net revenue retention", owner: Shared, unit: Multiple,
        direction: HigherIsBetter,
        formula: "(starting revenue + expansion − contraction − churn) / starting revenue",
        objectives: [RELATIONSHIPS, REVENUE], aliases: ["nrr", "net dollar retention"],
        inputs: ["start": Money, "expansion": Money, "contraction": Money, "churned": Money],
        eval: |a| customer::net_revenue_retention(a.money(0)?, a.money(1)?, a.money(2)?, a.money(3)?).map(Value::Multiple),
    },
    GrossRevenueRetention {
        id: "gross_revenue_retention", name: "Gross revenue retention", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "(starting revenue − contraction − churn) / starting revenue",
        objectives: [RELATIONSHIPS], aliases: ["grr"],
        inputs: ["start": Money, "contraction": Money, "churned": Money],
        eval: |a| customer::gross_revenue_retention(a.money(0)?, a.money(1)?, a.money(2)?).map(Value::Ratio),
    },
    MagicNumber {
        id: "magic_number", name: "Magic number", owner: Shared, unit: Change,
        direction: HigherIsBetter,
        formula: "(revenue this quarter − revenue last quarter) × 4 / sales and marketing spend last quarter",
        objectives: [REVENUE, DEMAND], aliases: ["sales efficiency"],
        inputs: ["revenue_this_quarter": Money, "revenue_last_quarter": Money, "spend_last_quarter": Money],
        eval: |a| customer::magic_number(a.money(0)?, a.money(1)?, a.money(2)?).map(Value::Change),
    },
    // ------------------------------------------------------- alignment
    MqlAcceptanceRate {
        id: "mql_acceptance_rate", name: "MQL acceptance rate", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "SQLs accepted by sales / MQLs handed off",
        objectives: [CONVERSION, DEMAND], aliases: ["sql acceptance rate"],
        inputs: ["accepted": Count, "handed_off": Count],
        eval: |a| alignment::mql_acceptance_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    SpeedToLead {
        id: "speed_to_lead", name: "Speed to lead", owner: Shared, unit: Duration,
        direction: LowerIsBetter, formula: "median of (first sales contact − hand-off)",
        objectives: [CONVERSION, EXPERIENCE], aliases: ["lead response time"],
        inputs: ["delays": Durations],
        eval: |a| alignment::speed_to_lead(a.durations(0)?).map(Value::Duration),
    },
    SlaComplianceRate {
        id: "sla_compliance_rate", name: "SLA compliance rate", owner: Shared, unit: Ratio,
        direction: HigherIsBetter, formula: "hand-offs followed up within the SLA / hand-offs",
        objectives: [CONVERSION], aliases: [],
        inputs: ["within_sla": Count, "handoffs": Count],
        eval: |a| alignment::sla_compliance_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    LeadLeakageRate {
        id: "lead_leakage_rate", name: "Lead leakage rate", owner: Shared, unit: Ratio,
        direction: LowerIsBetter, formula: "MQLs never followed up / MQLs",
        objectives: [CONVERSION, DEMAND], aliases: [],
        inputs: ["never_followed_up": Count, "mqls": Count],
        eval: |a| alignment::lead_leakage_rate(a.count(0)?, a.count(1)?).map(Value::Ratio),
    },
    MarketingSourcedPipelineShare {
        id: "marketing_sourced_pipeline_share", name: "Marketing-sourced pipeline share",
        owner: Shared, unit: Ratio, direction: HigherIsBetter,
        formula: "marketing-sourced pipeline / all pipeline",
        objectives: [DEMAND, TARGETS], aliases: [],
        inputs: ["marketing_sourced": Money, "total": Money],
        eval: |a| alignment::marketing_sourced_pipeline_share(a.money(0)?, a.money(1)?).map(Value::Ratio),
    },
    MarketingSourcedRevenueShare {
        id: "marketing_sourced_revenue_share", name: "Marketing-sourced revenue share",
        owner: Shared, unit: Ratio, direction: HigherIsBetter,
        formula: "marketing-sourced revenue / all revenue",
        objectives: [DEMAND, REVENUE], aliases: [],
        inputs: ["marketing_sourced": Money, "total": Money],
        eval: |a| alignment::marketing_sourced_revenue_share(a.money(0)?, a.money(1)?).map(Value::Ratio),
    },
    SalesCycleChange {
        id: "sales_cycle_change", name: "Sales cycle change", owner: Shared, unit: Change,
        direction: LowerIsBetter, formula: "(current cycle − baseline cycle) / baseline cycle",
        objectives: [CONVERSION, EXPERIENCE], aliases: ["reduced time to close"],
        inputs: ["baseline": Duration, "current": Duration],
        eval: |a| alignment::sales_cycle_change(a.duration(0)?, a.duration(1)?).map(Value::Change),
    },
    AverageDealSizeChange {
        id: "average_deal_size_change", name: "Average deal size change", owner: Shared, unit: Change,
        direction: HigherIsBetter, formula: "(current average deal − baseline) / baseline",
        objectives: [REVENUE], aliases: ["increased deal value"],
        inputs: ["baseline": Money, "current": Money],
        eval: |a| alignment::average_deal_size_change(a.money(0)?, a.money(1)?).map(Value::Change),
    },
}

impl Metric {
    /// Looks a metric up by its id or one of its aliases, ignoring case,
    /// surrounding blanks, and the difference between `_`, `-` and spaces.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an unknown name.
    ///
    /// ```
    /// use revops::metrics::Metric;
    /// assert_eq!(Metric::from_id("win_rate")?, Metric::WinRate);
    /// assert_eq!(Metric::from_id("CTR")?, Metric::ClickThroughRate);
    /// assert!(Metric::from_id("happiness").is_err());
    /// # Ok::<(), revops::Error>(())
    /// ```
    pub fn from_id(name: &str) -> Result<Metric> {
        let norm = |s: &str| s.trim().to_lowercase().replace(['-', ' '], "_");
        let key = norm(name);
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.id() == key || m.aliases().iter().any(|a| norm(a) == key))
            .ok_or_else(|| {
                Error::invalid("metric", format!("{name:?} is not a metric id or alias"))
            })
    }

    /// The catalogue entry as a plain record, for rendering or JSON.
    pub fn info(self) -> MetricInfo {
        MetricInfo {
            id: self.id(),
            name: self.name(),
            team: self.owner(),
            unit: self.unit(),
            direction: self.direction(),
            formula: self.formula(),
            objectives: self.objectives().iter().map(|o| o.id()).collect(),
            aliases: self.aliases(),
            inputs: self.inputs(),
        }
    }
}

impl TryFrom<String> for Metric {
    type Error = Error;
    fn try_from(s: String) -> Result<Metric> {
        Metric::from_id(&s)
    }
}

impl From<Metric> for &'static str {
    fn from(m: Metric) -> &'static str {
        m.id()
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

/// A catalogue entry as a plain record ([`Metric::info`]).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MetricInfo {
    /// The stable id.
    pub id: &'static str,
    /// The display name.
    pub name: &'static str,
    /// `marketing`, `sales` or `shared`.
    pub team: Ownership,
    /// The unit of the value.
    pub unit: Unit,
    /// Higher or lower is better.
    pub direction: Direction,
    /// The formula, as text.
    pub formula: &'static str,
    /// The ids of the objectives measured.
    pub objectives: Vec<&'static str>,
    /// Accepted aliases.
    pub aliases: &'static [&'static str],
    /// The inputs of [`Metric::evaluate`].
    pub inputs: &'static [Input],
}

impl Metric {
    /// Computes the metric from inputs given by name, in any order:
    /// `Metric::WinRate.evaluate_named([("won", Arg::Count(18)), ("lost", Arg::Count(27))])`.
    /// Names are those of [`Metric::inputs`].
    ///
    /// ```
    /// use revops::metrics::{Arg, Metric, Value};
    /// use revops::{Error, Ratio};
    /// let r = Metric::WinRate.evaluate_named([("lost", Arg::Count(27)), ("won", Arg::Count(18))])?;
    /// assert_eq!(r, Value::Ratio(Ratio::from_counts(18, 45)?));
    /// // Each kind of mistake is its own error:
    /// assert!(matches!(Metric::WinRate.evaluate_named([("won", Arg::Count(18))]),
    ///     Err(Error::MissingInput { .. })));
    /// assert!(matches!(Metric::WinRate.evaluate_named([("won", Arg::Count(1)), ("lots", Arg::Count(2))]),
    ///     Err(Error::UnknownInput { .. })));
    /// assert!(matches!(Metric::WinRate.evaluate_named([("won", Arg::Count(1)), ("lost", Arg::Counts(vec![2]))]),
    ///     Err(Error::WrongInputKind { .. })));
    /// # Ok::<(), revops::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::MissingInput`], [`Error::UnknownInput`] (also for a name
    /// given twice) and [`Error::WrongInputKind`] for arguments that do not
    /// fit the inputs; otherwise whatever the metric's function returns.
    pub fn evaluate_named<'a>(
        self,
        args: impl IntoIterator<Item = (&'a str, Arg)>,
    ) -> Result<Value> {
        let inputs = self.inputs();
        let mut slots: Vec<Option<Arg>> = vec![None; inputs.len()];
        for (name, arg) in args {
            let name = name.trim();
            match inputs.iter().position(|i| i.name == name) {
                Some(k) if slots[k].is_none() => slots[k] = Some(arg),
                _ => {
                    return Err(Error::UnknownInput {
                        metric: self.id().into(),
                        input: name.to_string(),
                        expected: inputs.iter().map(|i| i.name).collect::<Vec<_>>().join(", "),
                    })
                }
            }
        }
        let mut ordered = Vec::with_capacity(inputs.len());
        for (slot, input) in slots.into_iter().zip(inputs) {
            match slot {
                Some(a) => ordered.push(a),
                None => {
                    return Err(Error::MissingInput {
                        metric: self.id().into(),
                        input: input.name.into(),
                    })
                }
            }
        }
        self.evaluate(&ordered)
    }
}
