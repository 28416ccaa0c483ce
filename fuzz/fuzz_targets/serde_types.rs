//! Every public type's serde form: any JSON is either refused or gives a
//! value that serializes and reads back to itself. Never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use revops::attribution::{Model, PathRow, Report};
use revops::funnel::{FunnelSpec, Modes};
use revops::journey::Channels;
use revops::pipeline::{HandoffState, PipelineSpec, PipelineState};
use revops::journey::{Channel, Funnel, Journey, Lead, Touchpoint};
use revops::objective::{Goal, Scorecard};
use revops::pipeline::{Deal, PipelineReport};
use revops::quantity::{Distribution, FxRates};
use revops::{Change, Currency, Money, Multiple, Nps, Period, Ratio};

macro_rules! round_trip {
    ($text:expr, $($t:ty),+ $(,)?) => {$(
        if let Ok(v) = serde_json::from_str::<$t>($text) {
            let json = serde_json::to_string(&v).expect("a value serializes");
            let back: $t = serde_json::from_str(&json).expect("a serialized value reads back");
            assert!(back == v, "{} does not round-trip: {json}", stringify!($t));
        }
    )+};
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip!(
        text,
        Money,
        Currency,
        Ratio,
        Multiple,
        Change,
        Nps,
        Period,
        Distribution,
        FxRates,
        Channel,
        Touchpoint,
        Journey,
        Lead,
        Funnel,
        Deal,
        Goal,
        Scorecard,
        PathRow,
        Report,
        PipelineReport,
        Modes,
        FunnelSpec,
        Channels,
        Model,
        PipelineSpec,
        HandoffState,
        PipelineState,
        Vec<Money>,
        Vec<PathRow>,
    );
});
