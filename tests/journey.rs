//! The journey model: stages, funnels, the lead lifecycle, journeys.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use revops::journey::*;
use revops::objective::TeamProfile;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn stage_order_is_consistent_with_ownership() {
    // The journey's order, written out (not derived from the type), and up
    // to the purchase every marketing-led stage comes before every
    // sales-led one.
    let journey = [
        Stage::Awareness,
        Stage::Interest,
        Stage::Decision,
        Stage::Purchase,
        Stage::Retention,
        Stage::Advocacy,
    ];
    assert_eq!(Stage::ALL, &journey[..]);
    let pos = |s: &Stage| journey.iter().position(|x| x == s).unwrap();
    for a in Stage::ALL {
        for b in Stage::ALL {
            assert_eq!(a.cmp(b), pos(a).cmp(&pos(b)), "{a} vs {b}");
            if a.is_acquisition()
                && b.is_acquisition()
                && a.owner() == Team::Marketing
                && b.owner() == Team::Sales
            {
                assert!(a < b, "{a} should come before {b}");
            }
        }
    }
    assert_eq!(Stage::Awareness.owner(), Team::Marketing);
    assert_eq!(Stage::Interest.owner(), Team::Marketing);
    assert_eq!(Stage::Decision.owner(), Team::Sales);
    assert_eq!(Stage::Purchase.owner(), Team::Sales);
    assert_eq!(Stage::Retention.owner(), Team::Marketing);
    assert_eq!(Stage::Advocacy.phase(), Phase::PostPurchase);
}

#[test]
fn every_activity_and_touch_belongs_to_one_team() {
    for a in Activity::ALL {
        let in_marketing = Team::Marketing.profile().activities.contains(a);
        let in_sales = Team::Sales.profile().activities.contains(a);
        assert!(
            in_marketing ^ in_sales,
            "{a} is in {in_marketing}/{in_sales}"
        );
        assert_eq!(a.team() == Team::Marketing, in_marketing);
        assert_eq!(
            a.interaction(),
            if in_marketing {
                InteractionMode::Indirect
            } else {
                InteractionMode::Direct
            }
        );
    }
    assert_eq!(
        TouchpointKind::Impression.interaction(),
        InteractionMode::Indirect
    );
    assert_eq!(TouchpointKind::Impression.team(), Team::Marketing);
    assert_eq!(TouchpointKind::Call.team(), Team::Sales);
    assert_eq!(
        TouchpointKind::Meeting.interaction(),
        InteractionMode::Direct
    );
    assert_eq!(TouchpointKind::Inquiry.stage(), Stage::Decision);
    // Ownership: a stage can never be shared, a metric or a goal can.
    assert!(Ownership::Shared.includes(Team::Marketing) && Ownership::Shared.includes(Team::Sales));
    assert_eq!(Ownership::Shared.team(), None);
}

#[test]
fn comparison_table_has_every_aspect() {
    let rows = TeamProfile::comparison();
    let aspects: Vec<_> = rows.iter().map(|r| r.aspect).collect();
    assert_eq!(
        aspects,
        [
            "focus",
            "scope",
            "activities",
            "interaction",
            "time goal",
            "metrics"
        ]
    );
    assert!(rows[1].marketing.contains("wide") && rows[1].marketing.contains("long-term"));
    assert!(rows[1].sales.contains("narrow") && rows[1].sales.contains("short-term"));
    assert!(rows[2].sales.contains("negotiation"));
}

fn spec() -> impl Strategy<Value = Vec<(String, Team)>> {
    // Valid specs: 2..8 unique names, owners marketing* then sales*.
    (2usize..8, 0usize..8).prop_map(|(n, split)| {
        (0..n)
            .map(|i| {
                let team = if i < split.min(n) {
                    Team::Marketing
                } else {
                    Team::Sales
                };
                (format!("stage {i}"), team)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn valid_funnels_round_trip_through_serde(spec in spec()) {
        let stages: Vec<FunnelStage> = spec.iter().map(|(n, t)| FunnelStage::new(n, *t)).collect();
        let f = Funnel::new(stages).unwrap();
        let json = serde_json::to_string(&f).unwrap();
        let back: Funnel = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &f);
        let first_sales = spec.iter().position(|(_, t)| *t == Team::Sales);
        let expected = if spec[0].1 == Team::Sales { None } else { first_sales };
        prop_assert_eq!(f.handoff(), expected);
        for (i, (name, _)) in spec.iter().enumerate() {
            prop_assert_eq!(f.index_of(&name.to_uppercase()), Some(i));
        }
    }

    #[test]
    fn invalid_funnels_are_rejected(spec in spec(), swap in 0usize..8) {
        // Put a marketing stage after a sales stage, when there is one.
        let mut stages: Vec<FunnelStage> = spec.iter().map(|(n, t)| FunnelStage::new(n, *t)).collect();
        if let Some(s) = spec.iter().position(|(_, t)| *t == Team::Sales) {
            let i = (s + 1 + swap % 3).min(stages.len());
            stages.insert(i, FunnelStage::new("late marketing", Team::Marketing));
            prop_assert!(Funnel::new(stages.clone()).is_err());
            let json = serde_json::json!({"stages": stages});
            prop_assert!(serde_json::from_value::<Funnel>(json).is_err());
        }
        // A duplicated name (case-insensitively) is refused.
        let mut dup: Vec<FunnelStage> = spec.iter().map(|(n, t)| FunnelStage::new(n, *t)).collect();
        let first = dup[0].clone();
        dup.insert(1, FunnelStage::new(first.name().to_uppercase(), first.owner()));
        prop_assert!(Funnel::new(dup).is_err());
    }

    /// Whatever sequence of moves is attempted, recorded transitions never
    /// move time backwards and the stage always equals the last one entered.
    #[test]
    fn lifecycle_never_goes_back_in_time(moves in prop::collection::vec((0usize..8, -5i64..50), 1..30)) {
        let source = LeadSource { channel: Channel::new("ads").unwrap(), sourced_by: Team::Marketing };
        let mut lead = Lead::new("p", t0(), LifecycleStage::Subscriber, source);
        let mut now = t0();
        for (to, dt) in moves {
            let at = now + TimeDelta::minutes(dt);
            let to = LifecycleStage::ALL[to];
            let before = lead.clone();
            match lead.advance(to, at) {
                Ok(_) => {
                    prop_assert!(at >= now);
                    now = at;
                }
                Err(_) => prop_assert_eq!(&lead, &before),
            }
        }
        let ts: Vec<_> = lead.transitions().iter().map(|t| t.at).collect();
        prop_assert!(ts.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(lead.validate().is_ok());
        let back: Lead = serde_json::from_str(&serde_json::to_string(&lead).unwrap()).unwrap();
        prop_assert_eq!(back, lead);
    }

    /// Journeys sort stably and report every removed duplicate.
    #[test]
    fn journeys_sort_and_count_duplicates(touches in prop::collection::vec((0i64..20, 0usize..3, 0usize..4), 0..40)) {
        let channels = ["email", "ads", "store"];
        let kinds = [TouchpointKind::Impression, TouchpointKind::Click, TouchpointKind::Call, TouchpointKind::Purchase];
        let input: Vec<Touchpoint> = touches.iter().map(|&(h, c, k)| {
            Touchpoint::new(t0() + TimeDelta::hours(h), Channel::new(channels[c]).unwrap(), kinds[k])
        }).collect();
        let j = Journey::new(input.clone());
        prop_assert!(j.touches().windows(2).all(|w| w[0].at <= w[1].at));
        prop_assert_eq!(j.touches().len() as u64 + j.duplicates_removed(), input.len() as u64);
        let mut distinct = input.clone();
        distinct.sort_by_key(|t| (t.at, t.channel.clone(), t.kind));
        distinct.dedup();
        prop_assert_eq!(j.touches().len(), distinct.len());
    }
}

#[test]
fn lifecycle_rules() {
    use LifecycleStage as L;
    assert_eq!(L::Subscriber.check_move(L::Customer).unwrap().len(), 4);
    assert!(L::SalesQualifiedLead
        .check_move(L::MarketingQualifiedLead)
        .is_err());
    assert!(L::Lead.check_move(L::Lead).is_err());
    assert!(L::Customer.check_move(L::Recycled).is_err());
    assert!(L::Recycled.check_move(L::MarketingQualifiedLead).is_ok());
    assert!(L::Recycled.check_move(L::Lead).is_err());
    assert_eq!(L::MarketingQualifiedLead.owner(), Team::Marketing);
    assert_eq!(L::SalesQualifiedLead.owner(), Team::Sales);
}

#[test]
fn handoff_protocol() {
    let h = |n| t0() + TimeDelta::hours(n);
    let source = LeadSource {
        channel: Channel::new("webinar").unwrap(),
        sourced_by: Team::Marketing,
    };
    let mut lead = Lead::new("a", h(0), LifecycleStage::Lead, source.clone());
    assert!(lead.hand_off(h(1)).is_err()); // not an MQL yet
    lead.advance(LifecycleStage::MarketingQualifiedLead, h(1))
        .unwrap();
    assert!(lead.accept(h(2)).is_err()); // not handed off
    lead.hand_off(h(2)).unwrap();
    lead.reject(h(5), "no budget").unwrap();
    assert_eq!(lead.stage(), LifecycleStage::Recycled);
    assert!(lead.accept(h(6)).is_err()); // decided already
    assert_eq!(lead.entered(LifecycleStage::Recycled), Some(h(5)));
    assert_eq!(lead.entered(LifecycleStage::Lead), Some(h(0)));

    // A corrupted history is refused on deserialization.
    let mut json = serde_json::to_value(&lead).unwrap();
    json["stage"] = serde_json::json!("customer");
    assert!(serde_json::from_value::<Lead>(json).is_err());
}

#[test]
fn channels_intern_densely() {
    let mut reg = Channels::new();
    let ids: Vec<_> = ["a", "b", "a", " b ", "c"]
        .iter()
        .map(|n| reg.intern_str(n).unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            ChannelId(0),
            ChannelId(1),
            ChannelId(0),
            ChannelId(1),
            ChannelId(2)
        ]
    );
    assert_eq!(reg.get("c"), Some(ChannelId(2)));
    assert!(Channel::new("a > b").is_err());
    assert!(Channel::new("x".repeat(201)).is_err());
}

#[test]
fn journey_conversion_and_milestones() {
    let h = |n| t0() + TimeDelta::hours(n);
    let ch = |n| Channel::new(n).unwrap();
    let j = Journey::new(vec![
        Touchpoint::new(h(0), ch("ads"), TouchpointKind::Impression)
            .with_milestone(Milestone::FirstTouch),
        Touchpoint::new(h(3), ch("site"), TouchpointKind::Visit)
            .with_milestone(Milestone::LeadCreated),
    ]);
    assert_eq!(j.milestone(Milestone::LeadCreated), Some(1));
    let value = revops::Money::parse("99.00", "USD").unwrap();
    assert!(j
        .clone()
        .with_conversion(Conversion { at: h(-1), value })
        .is_err());
    let j = j.with_conversion(Conversion { at: h(10), value }).unwrap();
    assert!(j.converted());
    assert_eq!(j.duration(), Some(TimeDelta::hours(10)));
    let back: Journey = serde_json::from_str(&serde_json::to_string(&j).unwrap()).unwrap();
    assert_eq!(back, j);
}
