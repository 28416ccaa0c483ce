//! The JSON form of [`FlowState`]: its rows, checked on the way in as
//! [`FlowState::add`] checks them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::state::{date, FlowState};
use super::SnapshotRow;
use crate::pipeline::{DealStatus, ForecastCategory};
use crate::quantity::Money;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RowRepr {
    snapshot_date: NaiveDate,
    deal_id: String,
    amount: Money,
    stage: String,
    close_date: NaiveDate,
    status: DealStatus,
    forecast_category: ForecastCategory,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    rows: Vec<RowRepr>,
}

impl Serialize for FlowState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rows = self
            .sorted_rows()
            .into_iter()
            .map(
                |(snap, id, amount, currency, stage, close, status, category)| RowRepr {
                    snapshot_date: date(snap),
                    deal_id: String::from_utf8_lossy(id).into_owned(),
                    amount: Money::new(amount, currency),
                    stage: stage.to_string(),
                    close_date: date(close),
                    status,
                    forecast_category: category,
                },
            )
            .collect();
        StateRepr { rows }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for FlowState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FlowState, D::Error> {
        let repr = StateRepr::deserialize(d)?;
        let mut st = FlowState::new();
        for r in &repr.rows {
            st.add(&SnapshotRow {
                snapshot_date: r.snapshot_date,
                deal_id: &r.deal_id,
                amount: r.amount,
                stage: &r.stage,
                close_date: r.close_date,
                status: r.status,
                forecast_category: r.forecast_category,
            })
            .map_err(serde::de::Error::custom)?;
        }
        Ok(st)
    }
}
