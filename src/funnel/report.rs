//! The funnel's report types and their JSON form.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::quantity::Ratio;

/// One step of a [`FunnelReport`].
///
/// # JSON form
///
/// Flat, the funnel tool's stable keys: `{"step": 1, "name": "signup",
/// "users": 2, "conversion_from_previous": "1", "conversion_from_first":
/// "1", "drop_off": 1, "mean_seconds_from_previous": "80",
/// "median_seconds_from_previous": "80", "p90_seconds_from_previous": "96",
/// "mean_seconds_from_first": "80", "median_seconds_from_first": "80",
/// "p90_seconds_from_first": "96"}` (`name` only for a named funnel; the
/// times are `null` where there are none). The time statistics are over
/// the step's `users`, so their count is not repeated; reading back checks
/// that a step's three times are all there or all `null`, and that times
/// are given only for a step with users.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(into = "StepReportRepr", try_from = "StepReportRepr")
)]
pub struct StepReport {
    /// The 0-based step index.
    pub step: usize,
    /// The step's name, for a [named](super::FunnelSpec::named) funnel.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub name: Option<String>,
    /// Users who reached this step (level `>= step + 1`).
    pub users: u64,
    /// `users / users of the previous step`; `None` for the first step or
    /// when the previous step has no users.
    pub conversion_from_previous: Option<Ratio>,
    /// `users / users of the first step`; `None` when the funnel is empty.
    pub conversion_from_first: Option<Ratio>,
    /// Users who reached this step but not the next (0 for the last step).
    pub drop_off: u64,
    /// Time from the previous step, over users who reached this step.
    pub time_from_previous: Option<TimeStats>,
    /// Time from the first step, over users who reached this step.
    pub time_from_first: Option<TimeStats>,
}

/// The result of a funnel analysis.
///
/// # JSON form
///
/// `{"steps": [...], "by_channel": {"ads": {"steps": [...]}}, "ignored":
/// {...}, "events": 10, "users_seen": 4}`, each step in
/// [`StepReport`]'s flat form: the funnel tool prints this document inside
/// its envelope.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FunnelReport {
    /// One entry per step.
    pub steps: Vec<StepReport>,
    /// The same per entry channel (the channel of the counted chain's
    /// step-1 event), keyed by channel name (JSON: `{"name": {"steps":
    /// [...]}}`).
    #[cfg_attr(feature = "serde", serde(with = "by_channel_serde"))]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "BTreeMap<String, ChannelSteps>")
    )]
    pub by_channel: BTreeMap<String, Vec<StepReport>>,
    /// What was not counted, and why ([`Ignored`]; every reason listed,
    /// 0 included).
    pub ignored: BTreeMap<Ignored, u64>,
    /// Events read.
    pub events: u64,
    /// Distinct users seen (in the funnel or not).
    pub users_seen: u64,
    /// With a [trend](super::FunnelSpec::with_trend): the funnel per
    /// calendar period of entry, every period from the first to the last
    /// with an entry (periods between without one are listed with zeros);
    /// otherwise empty (and absent from JSON).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub trend: Vec<TrendPeriod>,
    /// With [histograms](super::FunnelSpec::with_time_to_convert): per
    /// pair of steps, the users by time to convert; otherwise empty (and
    /// absent from JSON).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub time_to_convert: Vec<TimeHistogram>,
}

/// The funnel of the users who entered in one calendar period (see
/// [`FunnelSpec::with_trend`](super::FunnelSpec::with_trend)).
///
/// # JSON form
///
/// `{"period": "2026-03-02", "steps": [...], "by_channel": {...},
/// "time_to_convert": [...]}`: the period's first day, and the rest as in
/// [`FunnelReport`] (`time_to_convert` only with histograms).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TrendPeriod {
    /// The period's first day (at the calendar's offset).
    pub period: chrono::NaiveDate,
    /// One entry per step, over the users who entered in the period.
    pub steps: Vec<StepReport>,
    /// The same per entry channel.
    #[cfg_attr(feature = "serde", serde(with = "by_channel_serde"))]
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "BTreeMap<String, ChannelSteps>")
    )]
    pub by_channel: BTreeMap<String, Vec<StepReport>>,
    /// The period's histograms, on the whole report's bins.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty")
    )]
    pub time_to_convert: Vec<TimeHistogram>,
}

/// The users who reached step `to`, by the time from their step `from`
/// (of the counted chain) to it.
///
/// # JSON form
///
/// `{"from": 0, "to": 1, "bins": [{"from_seconds": "0", "to_seconds":
/// "60", "users": 3}, ...]}`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TimeHistogram {
    /// The step the times are measured from (0-based).
    pub from: usize,
    /// The step reached (0-based).
    pub to: usize,
    /// The bins, in rising order; their users add up to the users with a
    /// time for this pair.
    pub bins: Vec<HistogramBin>,
}

/// One bin of a [`TimeHistogram`]: `[from_seconds, to_seconds)`, the last
/// bin of log-spaced bins also holding `to_seconds`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct HistogramBin {
    /// The lower edge, in seconds (inclusive).
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub from_seconds: Decimal,
    /// The upper edge, in seconds; `None` (JSON `null`) for an open end.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::option::deserialize")
    )]
    pub to_seconds: Option<Decimal>,
    /// Users whose time is in the bin.
    pub users: u64,
}

/// The JSON form of a [`StepReport`]: flat, with the time statistics
/// spelled out per kind.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct StepReportRepr {
    step: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    users: u64,
    conversion_from_previous: Option<Ratio>,
    conversion_from_first: Option<Ratio>,
    drop_off: u64,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    mean_seconds_from_previous: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    median_seconds_from_previous: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    p90_seconds_from_previous: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    mean_seconds_from_first: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    median_seconds_from_first: Option<Decimal>,
    #[serde(
        default,
        deserialize_with = "crate::serde_util::decimal::option::deserialize"
    )]
    p90_seconds_from_first: Option<Decimal>,
}

#[cfg(feature = "serde")]
impl From<StepReport> for StepReportRepr {
    fn from(s: StepReport) -> StepReportRepr {
        let part = |t: &Option<TimeStats>, f: fn(&TimeStats) -> Decimal| t.as_ref().map(f);
        StepReportRepr {
            step: s.step,
            name: s.name,
            users: s.users,
            conversion_from_previous: s.conversion_from_previous,
            conversion_from_first: s.conversion_from_first,
            drop_off: s.drop_off,
            mean_seconds_from_previous: part(&s.time_from_previous, |t| t.mean_seconds),
            median_seconds_from_previous: part(&s.time_from_previous, |t| t.median_seconds),
            p90_seconds_from_previous: part(&s.time_from_previous, |t| t.p90_seconds),
            mean_seconds_from_first: part(&s.time_from_first, |t| t.mean_seconds),
            median_seconds_from_first: part(&s.time_from_first, |t| t.median_seconds),
            p90_seconds_from_first: part(&s.time_from_first, |t| t.p90_seconds),
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<StepReportRepr> for StepReport {
    type Error = crate::error::Error;
    fn try_from(r: StepReportRepr) -> crate::error::Result<StepReport> {
        let users = r.users;
        let stats = |kind: &str,
                     mean: Option<Decimal>,
                     median: Option<Decimal>,
                     p90: Option<Decimal>|
         -> crate::error::Result<Option<TimeStats>> {
            match (mean, median, p90) {
                (None, None, None) => Ok(None),
                (Some(mean_seconds), Some(median_seconds), Some(p90_seconds)) if users > 0 => {
                    Ok(Some(TimeStats {
                        count: users,
                        mean_seconds,
                        median_seconds,
                        p90_seconds,
                    }))
                }
                _ => Err(crate::error::Error::invalid(
                    "funnel step",
                    format!(
                        "the times from the {kind} step are given in part, or for a step \
                         without users"
                    ),
                )),
            }
        };
        Ok(StepReport {
            step: r.step,
            name: r.name,
            users,
            conversion_from_previous: r.conversion_from_previous,
            conversion_from_first: r.conversion_from_first,
            drop_off: r.drop_off,
            time_from_previous: stats(
                "previous",
                r.mean_seconds_from_previous,
                r.median_seconds_from_previous,
                r.p90_seconds_from_previous,
            )?,
            time_from_first: stats(
                "first",
                r.mean_seconds_from_first,
                r.median_seconds_from_first,
                r.p90_seconds_from_first,
            )?,
        })
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for StepReport {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepReport".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        StepReportRepr::json_schema(g)
    }
}

/// One channel's steps in JSON: `{"steps": [...]}`.
#[cfg(feature = "schemars")]
#[derive(schemars::JsonSchema)]
#[allow(dead_code)] // describes the JSON form only
struct ChannelSteps {
    steps: Vec<StepReport>,
}

/// `by_channel` as `{"name": {"steps": [...]}}`.
#[cfg(feature = "serde")]
mod by_channel_serde {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::StepReport;

    #[derive(Serialize)]
    struct Out<'a> {
        steps: &'a [StepReport],
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct In {
        steps: Vec<StepReport>,
    }

    pub(super) fn serialize<S: Serializer>(
        m: &BTreeMap<String, Vec<StepReport>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (k, Out { steps: v })))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<StepReport>>, D::Error> {
        Ok(BTreeMap::<String, In>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| (k, v.steps))
            .collect())
    }
}

/// Why an event or a user was not counted in a funnel.
///
/// Serialized as its `snake_case` code (the keys of `ignored` in JSON);
/// displayed in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Ignored {
    /// A user whose chain an exclusion cut short.
    ConversionExcluded,
    /// An event with a step index at or past the spec's steps (only `strict_order` and exclusions look at it).
    EventsMatchingNoStep,
    /// A user with events but never the first step: not in the funnel.
    UsersWithoutFirstStep,
}

impl Ignored {
    /// The `snake_case` code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Ignored::ConversionExcluded => "conversion_excluded",
            Ignored::EventsMatchingNoStep => "events_matching_no_step",
            Ignored::UsersWithoutFirstStep => "users_without_first_step",
        }
    }
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ignored::ConversionExcluded => "users whose chain an exclusion cut short",
            Ignored::EventsMatchingNoStep => "events matching no step",
            Ignored::UsersWithoutFirstStep => "users who never reached the first step",
        })
    }
}

/// Exact time-to-convert statistics, in seconds, by the crate's quantile
/// rule.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TimeStats {
    /// How many users the figures cover.
    pub count: u64,
    /// The mean, in seconds.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub mean_seconds: Decimal,
    /// The median, in seconds.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub median_seconds: Decimal,
    /// The 90th percentile, in seconds.
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "crate::serde_util::decimal::deserialize")
    )]
    pub p90_seconds: Decimal,
}
