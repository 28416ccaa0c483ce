//! A small software company's board slide for its first quarter of 2026,
//! told through four analyses: the MRR bridge (where revenue came from and
//! went), cohort net revenue retention (do customers grow or shrink after
//! they sign?), weekly product retention (do new users come back?) and the
//! trial funnel's weekly trend (did last week's visitors convert better?).
//!
//! Run with `cargo run --example saas_board`.

use revops::funnel::{analyze, FunnelEvent, FunnelSpec, Options};
use revops::journey::Channels;
use revops::quantity::{BillingInterval, Calendar, Month, PeriodLength, TimeBins};
use revops::recurring::{MrrSpec, MrrState, Subscription};
use revops::retention::{self, Definition, RetentionEvent, RetentionSpec, RETURN, START};
use revops::{Currency, Money, NaiveDate, RoundingStrategy, TimeDelta, TimeZone, Utc};

fn main() -> Result<(), revops::Error> {
    let usd = |a: &str| Money::parse(a, "USD");
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let cents = |m: Money| m.round(RoundingStrategy::MidpointNearestEven);
    println!("Pipewise (CRM for small agencies): Q1 2026 board slide\n");

    // Billing: subscriptions as the billing system exports them.
    let mut mrr = MrrState::new(MrrSpec::new(Currency::USD).through("2026-03".parse::<Month>()?));
    let plans: [(&str, NaiveDate, Option<NaiveDate>, &str, BillingInterval); 9] = [
        (
            "north-studio",
            day(1, 1),
            None,
            "490",
            BillingInterval::Month,
        ),
        (
            "north-studio",
            day(2, 10),
            None,
            "190",
            BillingInterval::Month,
        ), // add-on seats
        (
            "blue-owl",
            day(1, 1),
            Some(day(3, 1)),
            "290",
            BillingInterval::Month,
        ), // cancels
        (
            "kite-agency",
            day(1, 1),
            None,
            "5000",
            BillingInterval::Year,
        ), // annual prepay
        (
            "lumen",
            day(1, 1),
            Some(day(2, 1)),
            "190",
            BillingInterval::Month,
        ), // pauses...
        ("lumen", day(3, 1), None, "190", BillingInterval::Month), // ...and returns
        (
            "oak-and-iron",
            day(2, 1),
            Some(day(3, 15)),
            "990",
            BillingInterval::Month,
        ),
        (
            "oak-and-iron",
            day(3, 15),
            None,
            "690",
            BillingInterval::Month,
        ), // downgrade
        ("rivet", day(3, 5), None, "1470", BillingInterval::Quarter),
    ];
    for (customer, start, end, amount, interval) in plans {
        mrr.add_subscription(&Subscription::new(
            customer,
            start,
            end,
            usd(amount)?,
            interval,
        )?)?;
    }
    let board = mrr.finish()?;
    println!("MRR bridge (USD)");
    println!("  month     opening      new  expansion  reactiv.  contraction  churned   closing       ARR");
    for b in &board.months {
        println!(
            "  {}  {:>9.2}  {:>7.2}  {:>9.2}  {:>8.2}  {:>11.2}  {:>7.2}  {:>8.2}  {:>8.2}",
            b.month,
            cents(b.opening_mrr)?.amount(),
            cents(b.new)?.amount(),
            cents(b.expansion)?.amount(),
            cents(b.reactivation)?.amount(),
            cents(b.contraction)?.amount(),
            cents(b.churned)?.amount(),
            cents(b.mrr)?.amount(),
            cents(b.arr)?.amount(),
        );
    }
    let march = &board.months[2];
    println!(
        "  March: quick ratio {}, net revenue churn {}, logo churn {} ({} of {} customers)",
        march
            .quick_ratio
            .map_or_else(|| "n/a".to_string(), |q| q.to_string()),
        march
            .net_revenue_churn
            .map_or_else(|| "n/a".to_string(), |c| c.to_string()),
        march
            .logo_churn
            .map_or_else(|| "n/a".to_string(), |c| c.to_string()),
        march.customers.churned,
        march.customers.opening,
    );
    println!(
        "  The annual 5,000 plan counts 416.67 a month and 5,000 of ARR: ARR {:.2}, not 12 x MRR {:.2}",
        cents(march.arr)?.amount(),
        cents(march.mrr.checked_mul(revops::dec!(12))?)?.amount()
    );

    println!("\nNet revenue retention by signing cohort");
    for c in &board.cohorts {
        let nrr: Vec<String> = c
            .nrr
            .iter()
            .map(|x| format!("{:.0}%", x.value() * revops::dec!(100)))
            .collect();
        println!(
            "  {} ({} customers): {}",
            c.cohort,
            c.customers,
            nrr.join(" -> ")
        );
    }

    // The product: sign-ups and weekly logins of the trial's users.
    let mut channels = Channels::new();
    let web = channels.intern_str("web")?;
    let monday = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let at = |week: i64, d: i64| (monday + TimeDelta::days(7 * week + d)).timestamp();
    let mut events = Vec::new();
    for user in 0..60u64 {
        let signup_week = (user % 6) as i64;
        let signed = at(signup_week, (user % 5) as i64);
        events.push(RetentionEvent {
            user,
            ts: signed,
            kind: START,
            by: web,
        });
        // The first session counts as activity in the sign-up week.
        events.push(RetentionEvent {
            user,
            ts: signed,
            kind: RETURN,
            by: web,
        });
        // Earlier cohorts keep about half; the onboarding change in week 3
        // keeps more of the later ones.
        let keep = if signup_week >= 3 { 7 } else { 5 };
        for w in 1..4 {
            if (user * 7 + w as u64) % 10 < keep - w as u64 {
                events.push(RetentionEvent {
                    user,
                    ts: at(signup_week + w, 2),
                    kind: RETURN,
                    by: web,
                });
            }
        }
    }
    let spec = RetentionSpec::new(Calendar::utc(PeriodLength::Week), 4, Definition::On)?;
    let table = retention::analyze(&spec, &events, &channels)?;
    println!("\nWeekly product retention (share of each sign-up week active n weeks later)");
    for c in &table.cohorts {
        let rates: Vec<String> = c.rates.iter().map(|r| r.to_string()).collect();
        println!(
            "  week of {} ({} users): {}",
            c.cohort,
            c.users,
            rates.join("  ")
        );
    }

    // The trial funnel: visit, sign-up, paid, by week of entry.
    let spec = FunnelSpec::new(3, TimeDelta::days(14))?
        .with_trend(Calendar::utc(PeriodLength::Week))
        .with_time_to_convert(TimeBins::bounds(vec![
            TimeDelta::days(1),
            TimeDelta::days(7),
        ])?);
    let mut funnel = Vec::new();
    for user in 0..300u64 {
        let week = (user % 6) as i64;
        let t0 = at(week, (user % 4) as i64);
        funnel.push(FunnelEvent::new(user, t0, 0, web));
        if (user / 6) % 3 != 0 {
            funnel.push(FunnelEvent::new(user, t0 + 3_600, 1, web));
            // Paid conversion improves after the new pricing page in week 3.
            let pays = if week >= 3 {
                (user / 6) % 4 == 1
            } else {
                (user / 6) % 7 == 1
            };
            if pays {
                funnel.push(FunnelEvent::new(
                    user,
                    t0 + 86_400 * (1 + (user % 9) as i64),
                    2,
                    web,
                ));
            }
        }
    }
    let report = analyze(&spec, &funnel, &channels, Options::default())?;
    println!("\nTrial funnel by week of the first visit (visit -> sign-up -> paid)");
    for p in &report.trend {
        let users: Vec<u64> = p.steps.iter().map(|s| s.users).collect();
        let paid = p.steps[2]
            .conversion_from_first
            .map_or_else(|| "n/a".into(), |r| r.to_string());
        println!(
            "  week of {}: {:?}, visit to paid {}",
            p.period, users, paid
        );
    }
    if let Some(h) = report
        .time_to_convert
        .iter()
        .find(|h| (h.from, h.to) == (1, 2))
    {
        let bins: Vec<String> = h.bins.iter().map(|b| b.users.to_string()).collect();
        println!(
            "  sign-up to paid: under a day / a day to a week / a week or more: {}",
            bins.join(" / ")
        );
    }
    Ok(())
}
