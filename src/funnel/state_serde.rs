//! The JSON form of a [`FunnelState`], read back with every check.

use chrono::NaiveDate;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::spec::{FunnelKind, FunnelSpec};
use super::state::FunnelState;
use super::stats::Acc;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRepr {
    channel: String,
    at_level: Vec<u64>,
    #[serde(default)]
    times: Vec<Vec<i64>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodRepr {
    period: NaiveDate,
    by_channel: Vec<ChannelRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRepr {
    spec: FunnelSpec,
    by_channel: Vec<ChannelRepr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    periods: Vec<PeriodRepr>,
    events: u64,
    users: u64,
    events_matching_no_step: u64,
    users_without_first_step: u64,
    conversion_excluded: u64,
}

/// The channels of `accs` (by slot) with their recorded names.
fn channels(accs: &[Option<Acc>], names: &[Option<String>]) -> Result<Vec<ChannelRepr>, String> {
    let mut out = Vec::new();
    for (i, acc) in accs.iter().enumerate() {
        let Some(acc) = acc else { continue };
        if acc.at_level.iter().all(|&c| c == 0) {
            continue;
        }
        let channel = names
            .get(i)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("channel slot {i} has no recorded name"))?;
        let (at_level, times) = acc.to_parts();
        let times = if times.iter().all(Vec::is_empty) {
            Vec::new()
        } else {
            times
        };
        out.push(ChannelRepr {
            channel,
            at_level,
            times,
        });
    }
    Ok(out)
}

impl Serialize for FunnelState {
    /// With a trend, the accumulators are written per period only (the
    /// whole ones are their sum), so that the two cannot disagree.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (by_channel, periods) = match self.entry {
            None => (
                channels(&self.by_channel, &self.names).map_err(S::Error::custom)?,
                Vec::new(),
            ),
            Some(entry) => {
                let mut periods = Vec::new();
                for (p, accs) in self.periods.sorted() {
                    // By name: the order does not depend on the slots.
                    let mut by_channel = channels(accs, &self.names).map_err(S::Error::custom)?;
                    by_channel.sort_by(|a, b| a.channel.cmp(&b.channel));
                    periods.push(PeriodRepr {
                        period: entry.first_day(*p),
                        by_channel,
                    });
                }
                (Vec::new(), periods)
            }
        };
        StateRepr {
            spec: self.spec.clone(),
            by_channel,
            periods,
            events: self.events,
            users: self.users,
            events_matching_no_step: self.no_step_events,
            users_without_first_step: self.without_first,
            conversion_excluded: self.excluded,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FunnelState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FunnelState, D::Error> {
        let r = StateRepr::deserialize(d)?;
        let bad = |m: String| D::Error::custom(format!("invalid funnel state: {m}"));
        let mut st = FunnelState::new(&r.spec);
        let n = r.spec.steps();
        let timed = r.spec.kind() == FunnelKind::Ordered;
        let mut counted = r.users_without_first_step;
        let mut read = |c: ChannelRepr, st: &mut FunnelState| -> Result<(usize, Acc), String> {
            crate::journey::Channel::new(&c.channel).map_err(|e| e.to_string())?;
            let acc = Acc::from_parts(n, c.at_level, c.times, timed, r.spec.window_ticks())
                .map_err(|m| format!("channel {:?}: {m}", c.channel))?;
            counted = acc
                .users()
                .and_then(|u| counted.checked_add(u))
                .ok_or_else(|| "the user counts overflow".to_string())?;
            let slot = match st
                .names
                .iter()
                .position(|x| x.as_deref() == Some(&c.channel))
            {
                Some(i) => i,
                None => {
                    st.names.push(Some(c.channel));
                    st.names.len() - 1
                }
            };
            if st.by_channel.len() <= slot {
                st.by_channel.resize(slot + 1, None);
            }
            Ok((slot, acc))
        };
        match st.entry {
            None => {
                if !r.periods.is_empty() {
                    return Err(bad("periods are given, but the spec has no trend".into()));
                }
                for c in r.by_channel {
                    let (slot, acc) = read(c, &mut st).map_err(bad)?;
                    if st.by_channel[slot].is_some() {
                        return Err(bad(format!("channel {:?} is listed twice", st.names[slot])));
                    }
                    st.by_channel[slot] = Some(acc);
                }
            }
            Some(entry) => {
                if !r.by_channel.is_empty() {
                    return Err(bad(
                        "with a trend, the channels are given per period only".into()
                    ));
                }
                let mut seen = std::collections::BTreeSet::new();
                for p in r.periods {
                    let number = entry.calendar.period.index(p.period);
                    if entry.first_day(number) != p.period || !seen.insert(number) {
                        return Err(bad(format!(
                            "period {} is not the first day of a {} or is listed twice",
                            p.period, entry.calendar.period
                        )));
                    }
                    let mut here = std::collections::BTreeSet::new();
                    for c in p.by_channel {
                        let (slot, acc) = read(c, &mut st).map_err(bad)?;
                        if !here.insert(slot) {
                            return Err(bad(format!(
                                "channel {:?} is listed twice in period {}",
                                st.names[slot], p.period
                            )));
                        }
                        // The whole accumulators hold level counts only.
                        st.by_channel[slot]
                            .get_or_insert_with(|| Acc::new(n))
                            .add_counts(&acc);
                        st.periods.acc(number, slot as u32, n).merge(&acc);
                    }
                }
            }
        }
        if counted != r.users {
            return Err(bad(format!(
                "{} users, but the channels and users_without_first_step count {counted}",
                r.users
            )));
        }
        // Far below u64::MAX, so that adding events to a state read
        // from outside never overflows a counter (merges are checked).
        if r.events > 1 << 62 {
            return Err(bad("more than 2^62 events".into()));
        }
        if r.conversion_excluded > r.users
            || r.users > r.events
            || r.events_matching_no_step > r.events
        {
            return Err(bad(
                "needs conversion_excluded <= users <= events and events_matching_no_step <= events"
                    .into(),
            ));
        }
        st.users = r.users;
        st.events = r.events;
        st.no_step_events = r.events_matching_no_step;
        st.without_first = r.users_without_first_step;
        st.excluded = r.conversion_excluded;
        Ok(st)
    }
}
