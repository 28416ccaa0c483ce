//! The JSON form of [`PipelineState`] and the checks that a state read
//! from outside is one some deals could give.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::{Ignored, PipelineState, SourceAgg, StageAgg, Sum};
use crate::error::{Error, Result};
use crate::pipeline::spec::PipelineSpec;
use crate::quantity::Currency;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PipelineStateRepr {
    spec: PipelineSpec,
    won: u64,
    lost: u64,
    open: u64,
    created_in_period: u64,
    won_of_created: u64,
    won_amount: Sum,
    lost_amount: Sum,
    open_amount: Sum,
    weighted: Sum,
    forecast: [Sum; 3],
    won_sizes: Vec<crate::serde_util::StrictDecimal>,
    cycles: Vec<i64>,
    by_stage: Vec<(String, StageAgg)>,
    by_source: [SourceAgg; 2],
    history_stages: Vec<String>,
    /// `(from, to, count)`, sorted.
    transitions: Vec<(usize, usize, u64)>,
    entered: Vec<u64>,
    stays: Vec<Vec<i64>>,
    ignored: BTreeMap<Ignored, u64>,
    rates_used: BTreeMap<Currency, crate::serde_util::StrictDecimal>,
}

impl From<PipelineState> for PipelineStateRepr {
    fn from(s: PipelineState) -> PipelineStateRepr {
        let mut transitions: Vec<(usize, usize, u64)> = s
            .transitions
            .into_iter()
            .map(|((a, b), n)| (a, b, n))
            .collect();
        transitions.sort_unstable();
        PipelineStateRepr {
            spec: s.spec,
            won: s.won,
            lost: s.lost,
            open: s.open,
            created_in_period: s.created_in_period,
            won_of_created: s.won_of_created,
            won_amount: s.won_amount,
            lost_amount: s.lost_amount,
            open_amount: s.open_amount,
            weighted: s.weighted,
            forecast: s.forecast,
            won_sizes: s
                .won_sizes
                .into_iter()
                .map(crate::serde_util::StrictDecimal)
                .collect(),
            cycles: s.cycles,
            by_stage: s.by_stage,
            by_source: s.by_source,
            history_stages: s.history_stages,
            transitions,
            entered: s.entered,
            stays: s.stays,
            ignored: s.ignored,
            rates_used: s
                .rates_used
                .into_iter()
                .map(|(c, r)| (c, crate::serde_util::StrictDecimal(r)))
                .collect(),
        }
    }
}

/// The largest count a state read from outside may hold (see
/// `TryFrom<PipelineStateRepr>`).
const MAX_COUNT: u64 = 1 << 62;

impl TryFrom<PipelineStateRepr> for PipelineState {
    type Error = Error;
    fn try_from(r: PipelineStateRepr) -> Result<PipelineState> {
        let bad = |why: &str| Err(Error::invalid("pipeline state", why.to_string()));
        let n = r.history_stages.len();
        if r.entered.len() != n || r.stays.len() != n {
            return bad("the history tables have different lengths");
        }
        let mut history_ids = HashMap::with_capacity(n);
        for (i, name) in r.history_stages.iter().enumerate() {
            if history_ids.insert(name.clone(), i).is_some() {
                return bad("a history stage is listed twice");
            }
        }
        // Counts stay far below u64::MAX, so that adding deals to a state
        // read from outside can never overflow a counter (merges are
        // checked).
        let counts = [r.won, r.lost, r.open, r.created_in_period, r.won_of_created];
        if counts.iter().chain(&r.entered).any(|&c| c > MAX_COUNT) {
            return bad("a count is above 2^62");
        }
        let mut transitions = HashMap::with_capacity(r.transitions.len());
        let mut out_of = vec![0u64; n];
        for (a, b, c) in r.transitions {
            if a >= n || b >= n || c == 0 || transitions.insert((a, b), c).is_some() {
                return bad("a stage transition is out of range, empty or listed twice");
            }
            out_of[a] = out_of[a].saturating_add(c);
        }
        if out_of.iter().zip(&r.entered).any(|(o, e)| o > e) {
            return bad("more deals left a stage than entered it");
        }
        let mut stage_ids = HashMap::with_capacity(r.by_stage.len());
        for (i, (name, _)) in r.by_stage.iter().enumerate() {
            if stage_ids.insert(name.clone(), i).is_some() {
                return bad("a stage is listed twice");
            }
        }
        fn sum(it: impl Iterator<Item = u64>) -> Option<u64> {
            let mut it = it;
            it.try_fold(0u64, |a, x| a.checked_add(x))
        }
        let totals = (Some(r.won), Some(r.lost), Some(r.open));
        let by_stage = (
            sum(r.by_stage.iter().map(|(_, a)| a.won)),
            sum(r.by_stage.iter().map(|(_, a)| a.lost)),
            sum(r.by_stage.iter().map(|(_, a)| a.open)),
        );
        let by_source = (
            sum(r.by_source.iter().map(|a| a.won)),
            sum(r.by_source.iter().map(|a| a.lost)),
            sum(r.by_source.iter().map(|a| a.open)),
        );
        if by_stage != totals || by_source != totals {
            return bad("the breakdowns do not add up to the totals");
        }
        if r.won_sizes.len() as u64 != r.won
            || r.cycles.len() as u64 > r.won
            || r.won_of_created > r.won
        {
            return bad("the won deals' sizes and cycles do not match the count");
        }
        // Amounts: deals and exchange rates are never negative, so no sum
        // is; each sum equals the sum of its breakdown's parts exactly;
        // the weighted and forecast amounts are parts of the open amount.
        let sums = [
            &r.won_amount,
            &r.lost_amount,
            &r.open_amount,
            &r.weighted,
            &r.forecast[0],
            &r.forecast[1],
            &r.forecast[2],
        ];
        let parts = r
            .by_stage
            .iter()
            .flat_map(|(_, a)| [&a.open_amount, &a.won_amount, &a.lost_amount]);
        let sources = r
            .by_source
            .iter()
            .flat_map(|a| [&a.open_amount, &a.won_amount]);
        if sums
            .into_iter()
            .chain(parts)
            .chain(sources)
            .any(|s| s.0.is_negative())
            || r.won_sizes
                .iter()
                .any(|d| d.0.is_sign_negative() && !d.0.is_zero())
        {
            return bad("an amount is negative");
        }
        let mut sizes = Sum::default();
        for d in &r.won_sizes {
            sizes.add(d.0);
        }
        let stage_sum = |f: fn(&StageAgg) -> &Sum| Sum::of(r.by_stage.iter().map(|(_, a)| f(a)));
        let source_sum = |f: fn(&SourceAgg) -> &Sum| Sum::of(r.by_source.iter().map(f));
        if sizes != r.won_amount
            || stage_sum(|a| &a.won_amount) != r.won_amount
            || stage_sum(|a| &a.lost_amount) != r.lost_amount
            || stage_sum(|a| &a.open_amount) != r.open_amount
            || source_sum(|a| &a.won_amount) != r.won_amount
            || source_sum(|a| &a.open_amount) != r.open_amount
        {
            return bad("an amount is not the sum of its parts");
        }
        if r.weighted.0.exceeds(&r.open_amount.0)
            || Sum::of(&r.forecast).0.exceeds(&r.open_amount.0)
        {
            return bad("the weighted or forecast amount is above the open amount");
        }
        if r.cycles.iter().any(|&c| c < 0) {
            return bad("a sales cycle is negative");
        }
        if r.stays.iter().flatten().any(|&c| c < 0) {
            return bad("a stage stay is negative");
        }
        if r.stays
            .iter()
            .zip(&r.entered)
            .any(|(s, &e)| s.len() as u64 > e)
        {
            return bad("a stage has more stays than entries");
        }
        if r.rates_used.values().any(|d| d.0 <= Decimal::ZERO) {
            return bad("an exchange rate is not above 0");
        }
        if r.ignored.values().any(|&c| c > MAX_COUNT) {
            return bad("a count is above 2^62");
        }
        Ok(PipelineState {
            spec: r.spec,
            won: r.won,
            lost: r.lost,
            open: r.open,
            created_in_period: r.created_in_period,
            won_of_created: r.won_of_created,
            won_amount: r.won_amount,
            lost_amount: r.lost_amount,
            open_amount: r.open_amount,
            weighted: r.weighted,
            forecast: r.forecast,
            won_sizes: r.won_sizes.into_iter().map(|d| d.0).collect(),
            cycles: r.cycles,
            by_stage: r.by_stage,
            by_source: r.by_source,
            history_stages: r.history_stages,
            history_ids,
            transitions,
            stage_ids,
            entered: r.entered,
            stays: r.stays,
            ignored: r.ignored,
            rates_used: r.rates_used.into_iter().map(|(c, d)| (c, d.0)).collect(),
        })
    }
}
