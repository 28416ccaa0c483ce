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
#[derive(Debug, Default, Clone, Copy)]
pub struct OnePhaseRowAggregates;

impl OnePhaseRowAggregates {
    /// The rule.
    pub fn new() -> OnePhaseRowAggregates {
        OnePhaseRowAggregates
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
        || first.filter_expr().iter().any(Option::is_some)
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

impl PhysicalOptimizerRule for OnePhaseRowAggregates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|plan| {
            Ok(match one_phase(&plan)? {
                Some(p) => Transformed::yes(p),
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
