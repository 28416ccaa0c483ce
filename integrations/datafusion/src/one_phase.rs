//! [`OnePhaseRowAggregates`]: a physical optimizer rule that runs the
//! aggregates keeping each group's rows in one phase.

use std::sync::Arc;

use datafusion_common::config::ConfigOptions;
use datafusion_common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion_common::Result;
use datafusion_physical_expr::physical_exprs_equal;
use datafusion_physical_optimizer::PhysicalOptimizerRule;
use datafusion_physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion_physical_plan::repartition::RepartitionExec;
use datafusion_physical_plan::{ExecutionPlan, Partitioning};

use crate::RowGroupsExec;

/// The functions whose partial state is the group's rows: a partial
/// aggregation of them moves every row anyway, so it only costs.
const ROW_KEEPING: [&str; 3] = ["window_funnel", "sequence_match", "sequence_count"];

/// Rewrites `AggregateExec(FinalPartitioned)` over a hash
/// `RepartitionExec` over `AggregateExec(Partial)` into one
/// `AggregateExec(SinglePartitioned)` over the input hash-repartitioned by
/// the group keys, when every aggregate of the node keeps its groups' rows
/// (`window_funnel`, `sequence_match`, `sequence_count`).
///
/// Such a partial aggregation never makes the data smaller (a group's
/// state is its rows), yet hashes every row and packs and unpacks the
/// states; in one phase, the raw rows are repartitioned and each row is
/// hashed once. The results are the same (the functions do not depend on
/// the order of rows). Add it after DataFusion's own rules:
///
/// ```
/// use std::sync::Arc;
/// use datafusion::execution::SessionStateBuilder;
/// use datafusion::prelude::SessionContext;
/// use revops_datafusion::OnePhaseRowAggregates;
///
/// let state = SessionStateBuilder::new()
///     .with_default_features()
///     .with_physical_optimizer_rule(Arc::new(OnePhaseRowAggregates::new()))
///     .build();
/// let mut ctx = SessionContext::new_with_state(state);
/// revops_datafusion::register_all(&mut ctx)?;
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
///
/// With [`with_own_grouping`](Self::with_own_grouping), a one-phase
/// aggregation of these functions grouped by one integer expression runs
/// in [`RowGroupsExec`], faster; for one process only.
#[derive(Debug, Default, Clone, Copy)]
pub struct OnePhaseRowAggregates {
    own_grouping: bool,
}

impl OnePhaseRowAggregates {
    /// The rule, planning DataFusion's own `AggregateExec` (which any
    /// engine running DataFusion plans, Ballista included, can ship).
    pub fn new() -> OnePhaseRowAggregates {
        OnePhaseRowAggregates {
            own_grouping: false,
        }
    }

    /// The rule, also running each one-phase aggregation of row-keeping
    /// functions grouped by one integer expression (a user id) in
    /// [`RowGroupsExec`] when `own_grouping`: the same results, in about
    /// half the time of DataFusion's hash aggregation on millions of
    /// users. For a single process: a distributed engine's executors
    /// cannot deserialize a plan holding it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use datafusion::execution::SessionStateBuilder;
    /// use revops_datafusion::OnePhaseRowAggregates;
    ///
    /// let rule = OnePhaseRowAggregates::new().with_own_grouping(true);
    /// let state = SessionStateBuilder::new()
    ///     .with_default_features()
    ///     .with_physical_optimizer_rule(Arc::new(rule))
    ///     .build();
    /// ```
    pub fn with_own_grouping(self, own_grouping: bool) -> OnePhaseRowAggregates {
        OnePhaseRowAggregates { own_grouping }
    }
}

/// The one-phase plan of `plan`, if it is a final aggregation of
/// row-keeping functions over a hash repartition of their partial one.
fn one_phase(plan: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(last) = plan.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *last.mode() != AggregateMode::FinalPartitioned
        || last.aggr_expr().is_empty()
        || !last
            .aggr_expr()
            .iter()
            .all(|a| ROW_KEEPING.contains(&a.fun().name()))
    {
        return Ok(None);
    }
    let Some(repartition) = last.input().downcast_ref::<RepartitionExec>() else {
        return Ok(None);
    };
    let Partitioning::Hash(_, partitions) = repartition.partitioning() else {
        return Ok(None);
    };
    let Some(first) = repartition.input().downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    let (fg, lg) = (first.group_expr(), last.group_expr());
    if *first.mode() != AggregateMode::Partial
        || fg.has_grouping_set()
        || lg.has_grouping_set()
        || fg.expr().is_empty()
        || !physical_exprs_equal(&fg.output_exprs(), &lg.input_exprs())
        || first.aggr_expr().len() != last.aggr_expr().len()
    {
        return Ok(None);
    }
    let by_keys = RepartitionExec::try_new(
        Arc::clone(first.input()),
        Partitioning::Hash(fg.input_exprs(), *partitions),
    )?;
    let single = AggregateExec::try_new(
        AggregateMode::SinglePartitioned,
        fg.clone(),
        first.aggr_expr().to_vec(),
        first.filter_expr().to_vec(),
        Arc::new(by_keys),
        first.input_schema(),
    )?
    .with_limit_options(last.limit_options());
    if single.schema() != last.schema() {
        return Ok(None);
    }
    Ok(Some(Arc::new(single)))
}

impl OnePhaseRowAggregates {
    /// `plan` (or its one-phase form) in `RowGroupsExec`, if it can run
    /// there and the rule asks for it.
    fn own(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if !self.own_grouping {
            return Ok(None);
        }
        Ok(RowGroupsExec::try_new(plan)?.map(|e| Arc::new(e) as Arc<dyn ExecutionPlan>))
    }
}

impl PhysicalOptimizerRule for OnePhaseRowAggregates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|plan| {
            let single = one_phase(&plan)?;
            let changed = single.is_some();
            let plan = single.unwrap_or(plan);
            Ok(match self.own(Arc::clone(&plan))? {
                Some(p) => Transformed::yes(p),
                None if changed => Transformed::yes(plan),
                None => Transformed::no(plan),
            })
        })
        .data()
    }

    fn name(&self) -> &str {
        "OnePhaseRowAggregates"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
