//! A tour of revops: run with `cargo run --example tour`.
//!
//! Each section shows one capability on a small, made-up business.

use revops::dec;
use revops::journey::{Channel, Funnel, Lead, LeadSource, LifecycleStage, Ownership, Stage, Team};
use revops::metrics::{Arg, Metric};
use revops::objective::{
    Direction, Goal, GoalKind, MarketingObjective, Objective, SalesObjective, Scorecard, Target,
    TeamProfile,
};
use revops::playbook::{detect_mistakes, investment_focus, Competition, MarketSituation};
use revops::{Change, Currency, Money, Multiple, Period, Ratio};
use revops::{NaiveDate, TimeDelta, TimeZone, Utc};

fn main() -> Result<(), revops::Error> {
    println!("revops tour: marketing creates demand, sales turns it into revenue\n");
    quantities()?;
    teams()?;
    metrics()?;
    goals()?;
    analytics()?;
    pipeline()?;
    lifetime_value()?;
    your_own_data()?;
    Ok(())
}

/// A quarter's deals against quota.
fn pipeline() -> Result<(), revops::Error> {
    use revops::pipeline::{report, Deal, ForecastCategory as F, PipelineSpec};
    println!("== 6. The pipeline against quota");
    let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap();
    let usd = |a| Money::new(a, Currency::USD);
    let deal = |id: &str, m, d| Deal::builder(id).created(t(m, d)).source(Team::Marketing);
    let deals = [
        deal("A-1", 1, 5)
            .won_at(t(2, 10))
            .amount(usd(dec!(42000)))
            .stage("won")
            .probability(Ratio::ONE)
            .forecast(F::Closed)
            .build()?,
        deal("A-2", 1, 20)
            .lost_at(t(2, 28))
            .amount(usd(dec!(18000)))
            .stage("lost")
            .probability(Ratio::ZERO)
            .forecast(F::Omitted)
            .build()?,
        deal("A-3", 2, 2)
            .open()
            .amount(usd(dec!(30000)))
            .stage("proposal")
            .probability(Ratio::new(dec!(0.6))?)
            .forecast(F::Commit)
            .build()?,
        deal("A-4", 2, 15)
            .open()
            .amount(usd(dec!(25000)))
            .stage("demo")
            .probability(Ratio::new(dec!(0.3))?)
            .forecast(F::BestCase)
            .build()?,
    ];
    let q1 = Period::new(d(2026, 1, 1), d(2026, 4, 1))?;
    let mut spec = PipelineSpec::new(q1, d(2026, 3, 1), Currency::USD);
    spec.quota = Some(usd(dec!(120000)));
    let r = report(spec, &deals)?;
    let percent = |m: Option<Multiple>| {
        m.and_then(|m| m.as_percent().ok())
            .map_or("-".into(), |p| format!("{}%", p.round_dp(0)))
    };
    let money = |m: Option<Money>| m.map_or("-".into(), |m| m.to_string());
    println!(
        "  won {} of 2 closed; commit forecast {}, best case {}",
        r.won_count,
        money(r.forecast.commit),
        money(r.forecast.best_case)
    );
    if let Some(q) = &r.quota {
        println!(
            "  quota {}: {} attained, {}, coverage of the rest {}",
            q.quota,
            percent(r.quota_attainment),
            q.pace.map_or("-".into(), |p| p.to_string()),
            percent(q.coverage)
        );
    }
    println!();
    Ok(())
}

/// A purchase model fitted on customers' histories, and one customer's
/// value.
fn lifetime_value() -> Result<(), revops::Error> {
    use revops::clv::{discounted_clv, BgNbd, Discounting, FitOptions, History, PurchaseModel};
    println!("== 7. Lifetime value");
    // Customers' repeat purchases, last purchase and age, in weeks (the
    // sample's few broken rows are refused by `History::new`).
    let rows = include_str!("../tests/data/clv.csv").lines().skip(1);
    let histories: Vec<History> = rows
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f.get(i)?.parse::<f64>().ok();
            let x = f.get(1)?.parse::<u64>().ok()?;
            History::new(x, num(2)?, num(3)?).ok()
        })
        .collect();
    let fit = BgNbd::fit(&histories, &FitOptions::default())?;
    let model = fit.params;
    let named: Vec<String> = model
        .named_params()
        .iter()
        .map(|(n, v)| format!("{n} {v:.3}"))
        .collect();
    println!(
        "  BG/NBD on {} customers: {}",
        histories.len(),
        named.join(", ")
    );
    let regular = History::new(6, 30.0, 36.0)?;
    let year = Discounting {
        periods: 12,
        units_per_period: 52.0 / 12.0,
        discount_rate: 0.01,
        margin: Ratio::new(dec!(0.3))?,
    };
    let value = discounted_clv(&model, &regular, Money::new(dec!(35), Currency::USD), &year)?;
    println!(
        "  a customer with 6 repeat purchases, the last 6 weeks ago: alive {:.0}%, \
         worth {} over a year (30% margin, 1% a month)\n",
        model.probability_alive(&regular)? * 100.0,
        value.clv
    );
    Ok(())
}

/// A service's own records: string ids, step names, and partial states
/// computed apart and merged.
fn your_own_data() -> Result<(), revops::Error> {
    use revops::funnel::{FunnelInput, FunnelSpec};
    println!("== 8. Your own data, in parts");
    let spec = FunnelSpec::named(["visit", "signup", "paid"], TimeDelta::days(7))?;
    let t = |h| Utc.with_ymd_and_hms(2026, 5, 1, h, 0, 0).unwrap();
    let events = [
        ("user-7f3a", 9, "visit", "search"),
        ("user-7f3a", 10, "signup", "search"),
        ("user-7f3a", 15, "paid", "search"),
        ("user-c21d", 11, "visit", "social"),
        ("user-c21d", 12, "signup", "social"),
        ("user-90be", 13, "visit", "social"),
    ];
    // Two shards (two servers, say), each with its users' events: each
    // keeps a state; the states merge into the report of the whole.
    let (mut left, mut right) = (FunnelInput::new(&spec), FunnelInput::new(&spec));
    for &(user, h, event, channel) in &events {
        let shard = if user < "user-9" {
            &mut left
        } else {
            &mut right
        };
        shard.push(user, t(h), event, channel)?;
    }
    let mut state = left.state()?;
    state.merge(&right.state()?)?;
    let merged = state.finish(left.compact().1);
    let users: Vec<String> = merged.steps.iter().map(|s| s.users.to_string()).collect();
    println!(
        "  users at visit, signup, paid: {} (two shards merged)",
        users.join(", ")
    );
    // The compact layout from a CSV export (the `csv` feature streams any
    // reader; bad rows are counted with their line and reason).
    let export = "user_id,ts,step,channel\n7,0,0,ads\n7,60,1,ads\nx,5,0,ads\n";
    let read = revops::csv::read_events(export.as_bytes(), &Default::default())?;
    println!(
        "  from a CSV: {} events, {} rejected (line {}: {})",
        read.events.len(),
        read.rejects.total,
        read.rejects.listed[0].line,
        read.rejects.listed[0].reason
    );
    Ok(())
}

/// A date (every date here is valid).
fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// Funnels, attribution and the pipeline, on a handful of records.
fn analytics() -> Result<(), revops::Error> {
    use revops::attribution::{attribute, Model, PathRow, Records};
    use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
    use revops::journey::Channels;
    println!("== 5. Analytics over records");
    let mut ch = Channels::new();
    let (ads, email) = (ch.intern_str("ads")?, ch.intern_str("email")?);
    // Funnel: visit -> signup -> purchase within a day, ClickHouse semantics.
    let spec = FunnelSpec::new(3, TimeDelta::days(1))?;
    let events = [
        FunnelEvent::new(1, 0, 0, ads),
        FunnelEvent::new(1, 600, 1, ads),
        FunnelEvent::new(1, 7200, 2, ads),
        FunnelEvent::new(2, 0, 0, email),
        FunnelEvent::new(2, 90_000, 1, email),
    ];
    let f = analyze(&spec, &events, &ch, Options::default())?;
    let users: Vec<String> = f.steps.iter().map(|s| s.users.to_string()).collect();
    println!(
        "  funnel users per step {}; visit->signup {}",
        users.join(", "),
        f.steps[1].conversion_from_previous.unwrap_or(Ratio::ZERO)
    );
    // Attribution: the same revenue, credited by two models.
    let usd = |a| Money::new(a, Currency::USD);
    let rows = [
        PathRow::new(vec![ads, email], 3, usd(dec!(900.00)), 5),
        PathRow::new(vec![email], 1, usd(dec!(100.00)), 9),
        PathRow::new(vec![ads], 0, usd(dec!(0)), 12),
    ];
    let input = Records::Paths {
        rows: &rows,
        channels: &ch,
    };
    let last = attribute(input, &Model::LastTouch, Currency::USD)?;
    let mk = attribute(input, &Model::Markov { order: 1 }, Currency::USD)?;
    for name in ["ads", "email"] {
        let v = |a: &revops::attribution::Report| {
            a.credit(name)
                .map(|c| c.value.to_string())
                .unwrap_or_default()
        };
        println!(
            "  {name:<6} last touch {:>12}   Markov {:>12}",
            v(&last),
            v(&mk)
        );
    }
    println!();
    Ok(())
}

/// The two teams, their comparison as data, the journey and the hand-off.
fn teams() -> Result<(), revops::Error> {
    println!("== 2. Two teams, one journey");
    for row in TeamProfile::comparison() {
        println!(
            "  {:<12} | {:<45} | {}",
            row.aspect, row.marketing, row.sales
        );
    }
    let journey: Vec<String> = Stage::ALL
        .iter()
        .map(|s| format!("{s} ({})", s.owner()))
        .collect();
    println!("  journey: {}", journey.join(" > "));
    let funnel = Funnel::standard();
    println!(
        "  the article's funnel: {funnel}; sales takes over at stage {}",
        funnel.handoff().map_or(0, |i| i + 1)
    );

    let t = |h: i64| {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
            .single()
            .unwrap_or_default()
            + TimeDelta::hours(h)
    };
    let source = LeadSource {
        channel: Channel::new("webinar")?,
        sourced_by: Team::Marketing,
    };
    let mut lead = Lead::new("lead-42", t(0), LifecycleStage::Lead, source);
    lead.add_interest("wants a demo of the reporting module");
    lead.advance(LifecycleStage::MarketingQualifiedLead, t(2))?;
    lead.hand_off(t(3))?;
    lead.record_first_contact(t(5))?;
    lead.accept(t(5))?;
    println!(
        "  lead-42 handed from {} to {}: first contact after {} h, now {}\n",
        LifecycleStage::MarketingQualifiedLead.owner(),
        lead.stage().owner(),
        lead.speed_to_lead().map_or(0, |d| d.num_hours()),
        lead.stage()
    );
    Ok(())
}

/// A few entries of the metric catalogue, evaluated.
fn metrics() -> Result<(), revops::Error> {
    println!("== 3. The metric catalogue ({} metrics)", Metric::ALL.len());
    let usd = |a| Arg::Money(Money::new(a, Currency::USD));
    for (metric, args) in [
        (Metric::CostPerLead, vec![usd(dec!(4800)), Arg::Count(300)]),
        (Metric::WinRate, vec![Arg::Count(42), Arg::Count(78)]),
        (
            Metric::LeadToCustomerRate,
            vec![Arg::Count(42), Arg::Count(300)],
        ),
        (
            Metric::MqlAcceptanceRate,
            vec![Arg::Count(96), Arg::Count(120)],
        ),
        (
            Metric::NetPromoterScore,
            vec![Arg::Answers(vec![10, 9, 9, 8, 7, 6, 10, 3])],
        ),
    ] {
        println!(
            "  {:<24} {:<10} {:<10} = {:<8} ({})",
            metric.id(),
            metric.owner(),
            metric.unit().id(),
            metric.evaluate(&args)?.to_string(),
            metric.formula()
        );
    }
    println!();
    Ok(())
}

/// Goals with pacing, a scorecard, and the playbook.
fn goals() -> Result<(), revops::Error> {
    println!("== 4. Goals, pacing and the playbook");
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default();
    let month = Period::month_of(d(1));
    let leads = Goal::new(
        Objective::Marketing(MarketingObjective::Demand),
        Metric::LeadCount,
        Ownership::Marketing,
        Target::Count(400),
        month,
        Direction::HigherIsBetter,
        GoalKind::Cumulative,
    )?;
    let win = Goal::new(
        Objective::Sales(SalesObjective::Conversion),
        Metric::WinRate,
        Ownership::Sales,
        Target::Ratio(Ratio::new(dec!(0.3))?),
        month,
        Direction::HigherIsBetter,
        GoalKind::Level,
    )?;
    let a = leads.assess(Target::Count(310), d(20))?;
    println!(
        "  310 leads by Nov 20 against 400 for the month: {}, projected {}",
        a.pace.unwrap_or(revops::objective::Pace::NotStarted),
        a.projected.unwrap_or_default().round_dp(0)
    );
    let card = Scorecard::new(vec![leads, win]);
    println!("  marketing judged on volume, sales on win rate, nothing shared:");
    for m in detect_mistakes(&card) {
        println!("    - {m}");
    }
    let plan = investment_focus(MarketSituation {
        new_to_market: true,
        launching_product: false,
        competition: Competition::Moderate,
    });
    println!("  a new company should weight toward {plan}\n");
    Ok(())
}

/// Typed quantities: money that never mixes currencies, rates that stay in range.
fn quantities() -> Result<(), revops::Error> {
    println!("== 1. Typed quantities");
    let usd = Currency::USD;
    let spend = Money::new(dec!(4800), usd);
    let revenue = Money::new(dec!(19250), usd);

    let visitors = 12_000;
    let leads = 300;
    let customers = 42;
    let visit_to_lead = Ratio::from_counts(leads, visitors)?;
    let lead_to_customer = Ratio::from_counts(customers, leads)?;
    println!("  marketing: {visitors} visitors -> {leads} leads ({visit_to_lead})");
    println!("  sales:     {leads} leads -> {customers} customers ({lead_to_customer})");
    println!(
        "  end to end: {} of visitors bought",
        visit_to_lead.times(lead_to_customer)
    );

    let roas = Multiple::new(revenue.ratio_to(spend)?)?;
    let roi = Change::between(spend.amount(), revenue.amount())?;
    println!("  spend {spend}, revenue {revenue}: ROAS {roas}, ROI {roi}");

    match Ratio::from_counts_named(12, 10, "conversion rate", "conversions", "visitors") {
        Ok(_) => println!("  (unexpected)"),
        Err(e) => println!("  a rate above 100% is refused: {e}"),
    }
    match spend.checked_add(Money::new(dec!(100), Currency::EUR)) {
        Ok(_) => println!("  (unexpected)"),
        Err(e) => println!("  currencies never mix silently: {e}"),
    }

    // Credit one sale across three touches, 40/20/40, exactly to the cent.
    let sale = Money::new(dec!(999.99), usd);
    let credit = sale.allocate(&[dec!(0.4), dec!(0.2), dec!(0.4)])?;
    let shown: Vec<String> = credit.iter().map(ToString::to_string).collect();
    println!(
        "  {sale} split 40/20/40: {} (sum {})",
        shown.join(" + "),
        Money::checked_sum(credit, usd)?
    );

    // Pacing: how much of the month has passed.
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
    let november = Period::month_of(d(11, 1));
    println!(
        "  on {} the month {november} is {} elapsed ({} days left)\n",
        d(11, 26),
        november.elapsed_fraction(d(11, 26)),
        november.remaining_days(d(11, 26))
    );
    Ok(())
}
