//! [`RowGroupsExec`]: the row-keeping aggregates grouped by one integer
//! key in an operator of their own, instead of DataFusion's hash
//! aggregation.
//!
//! DataFusion's grouping looks each row's key up in one hash table per
//! partition (the key in a separate array, so two cache misses a row once
//! the groups outgrow the cache), then the accumulator files the row in
//! its arena and sorts the arena by group when emitting. Here each row is
//! first dealt, by a hash of its key, into one of 64 buckets (appends to
//! 64 places, which the cache and the prefetcher serve); at the end each
//! bucket is grouped on its own, with a table small enough to stay in the
//! cache, and its groups computed and emitted. Same groups, same results:
//! only where the work happens changes.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{FieldRef, SchemaRef};
use datafusion_common::tree_node::TreeNodeRecursion;
use datafusion_common::{internal_err, DataFusionError, Result};
use datafusion_execution::memory_pool::MemoryConsumer;
use datafusion_execution::TaskContext;
use datafusion_expr::function::AccumulatorArgs;
use datafusion_physical_expr::PhysicalExpr;
use datafusion_physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion_physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion_physical_plan::stream::RecordBatchStreamAdapter;
use datafusion_physical_plan::udaf::AggregateFunctionExpr;
use datafusion_physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan,
    InputDistributionRequirements, InputOrderMode, PlanProperties, ReplaceChildrenOptions,
    SendableRecordBatchStream,
};
use futures::StreamExt;

use crate::rows::{Kernel, RowArgs};
use crate::sequence::{SequenceCount, SequenceMatch};
use crate::window_funnel::WindowFunnel;

mod buckets;

use buckets::{Aggregate, Buckets, Emit};

/// The kernel of a row-keeping aggregate (`window_funnel`,
/// `sequence_match`, `sequence_count`), or `None` for any other function.
fn row_kernel(
    expr: &AggregateFunctionExpr,
    input: &SchemaRef,
) -> Option<Result<(RowArgs, Box<dyn Kernel>)>> {
    let exprs = expr.expressions();
    let fields: Result<Vec<FieldRef>> = exprs.iter().map(|e| e.return_field(input)).collect();
    let fields = match fields {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    let args = AccumulatorArgs {
        return_field: expr.field(),
        schema: input,
        expr_fields: &fields,
        ignore_nulls: expr.ignore_nulls(),
        order_bys: expr.order_bys(),
        is_distinct: expr.is_distinct(),
        name: expr.name(),
        is_reversed: expr.is_reversed(),
        exprs: &exprs,
    };
    let f = expr.fun().inner();
    if f.downcast_ref::<WindowFunnel>().is_some() {
        Some(WindowFunnel::row_kernel(&args))
    } else if f.downcast_ref::<SequenceMatch>().is_some() {
        Some(SequenceMatch::row_kernel(&args))
    } else if f.downcast_ref::<SequenceCount>().is_some() {
        Some(SequenceCount::row_kernel(&args))
    } else {
        None
    }
}

/// Runs an [`AggregateExec`] of `window_funnel`, `sequence_match` and
/// `sequence_count` grouped by one integer expression (a user id) in a
/// grouping of its own: rows dealt into buckets by a hash of their key,
/// each bucket grouped at the end with a table that stays in the cache.
/// The results are the aggregation's: the same groups (a NULL key is a
/// group), the same values, the same schema and partitioning, in another
/// order of groups (which SQL leaves open).
///
/// Made by [`OnePhaseRowAggregates::with_own_grouping`]; it holds the whole
/// input of its partition in memory (20 bytes a row for each aggregate
/// that counts it, 8 for a row none counts, reserved from the session's memory pool, with no
/// spilling), and a plan holding it cannot be sent to a distributed
/// engine's executors, which do not know it.
///
/// [`OnePhaseRowAggregates::with_own_grouping`]: crate::OnePhaseRowAggregates::with_own_grouping
#[derive(Debug)]
pub struct RowGroupsExec {
    /// The aggregation this runs: its input, groups, aggregates, schema
    /// and properties.
    aggregate: Arc<dyn ExecutionPlan>,
    metrics: ExecutionPlanMetricsSet,
}

impl RowGroupsExec {
    /// This operator for `aggregate`, when it can run it: a one-phase
    /// (`Single` or `SinglePartitioned`) aggregation grouped by one
    /// integer expression, of row-keeping functions only, each without
    /// `DISTINCT` or `ORDER BY`, with no limit or ordered input.
    pub fn try_new(aggregate: Arc<dyn ExecutionPlan>) -> Result<Option<RowGroupsExec>> {
        let Some(agg) = aggregate.downcast_ref::<AggregateExec>() else {
            return Ok(None);
        };
        let group = agg.group_expr();
        let input = agg.input_schema();
        if !matches!(
            agg.mode(),
            AggregateMode::Single | AggregateMode::SinglePartitioned
        ) || group.has_grouping_set()
            || group.expr().len() != 1
            || agg.aggr_expr().is_empty()
            || agg.limit_options().is_some()
            || !agg.dynamic_expressions_produced().is_empty()
            || *agg.input_order_mode() != InputOrderMode::Linear
        {
            return Ok(None);
        }
        // Integer keys only (the buckets keep a key in 64 bits).
        if !group.expr()[0].0.data_type(&input)?.is_integer() {
            return Ok(None);
        }
        for a in agg.aggr_expr() {
            if a.is_distinct() || !a.order_bys().is_empty() {
                return Ok(None);
            }
            match row_kernel(a, &input) {
                Some(k) => drop(k?),
                None => return Ok(None),
            }
        }
        Ok(Some(RowGroupsExec {
            aggregate,
            metrics: ExecutionPlanMetricsSet::new(),
        }))
    }

    fn agg(&self) -> Result<&AggregateExec> {
        match self.aggregate.downcast_ref::<AggregateExec>() {
            Some(a) => Ok(a),
            None => internal_err!("RowGroupsExec holds an AggregateExec"),
        }
    }
}

impl DisplayAs for RowGroupsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let Ok(agg) = self.agg() else {
            return write!(f, "RowGroupsExec");
        };
        let (expr, name) = &agg.group_expr().expr()[0];
        let aggregates: Vec<&str> = agg.aggr_expr().iter().map(|a| a.name()).collect();
        write!(
            f,
            "RowGroupsExec: gby=[{expr} as {name}], aggr=[{}]",
            aggregates.join(", ")
        )
    }
}

impl ExecutionPlan for RowGroupsExec {
    fn name(&self) -> &str {
        "RowGroupsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.aggregate.properties()
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.aggregate.input_distribution_requirements()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.aggregate.children()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.aggregate.apply_expressions(f)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let aggregate = Arc::clone(&self.aggregate).replace_children(children, options)?;
        match RowGroupsExec::try_new(Arc::clone(&aggregate))? {
            Some(exec) => Ok(Arc::new(exec)),
            None => Ok(aggregate),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let agg = self.agg()?;
        let schema = agg.input_schema();
        let mut aggregates = Vec::with_capacity(agg.aggr_expr().len());
        for (a, filter) in agg.aggr_expr().iter().zip(agg.filter_expr()) {
            let Some(kernel) = row_kernel(a, &schema) else {
                return internal_err!("RowGroupsExec: {} keeps no rows", a.name());
            };
            let (rows, kernel) = kernel?;
            aggregates.push(Aggregate {
                args: a.expressions(),
                filter: filter.clone(),
                rows,
                kernel,
            });
        }
        let reservation = MemoryConsumer::new(format!("RowGroupsExec[{partition}]"))
            .register(context.memory_pool());
        let key = Arc::clone(&agg.group_expr().expr()[0].0);
        let mut buckets = Buckets::new(key, aggregates, reservation);
        let out = agg.schema();
        let batch_size = context.session_config().batch_size();
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let mut input = self.aggregate.children()[0].execute(partition, context)?;
        let time = baseline.elapsed_compute().clone();
        let stream = futures::stream::once(async move {
            while let Some(batch) = input.next().await {
                let batch = batch?;
                let _timer = time.timer();
                buckets.add(&batch)?;
            }
            Ok::<Buckets, DataFusionError>(buckets)
        })
        .flat_map(move |gathered| match gathered {
            Ok(buckets) => {
                let emit = Emit::new(buckets, Arc::clone(&out), batch_size, baseline.clone());
                futures::stream::iter(emit).left_stream()
            }
            Err(e) => futures::stream::once(async { Err(e) }).right_stream(),
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.aggregate.schema(),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}
