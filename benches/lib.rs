//! The package holds revops' criterion benches (see `README.md`); each
//! bench is its own target. The library part is what the benches share
//! with the tools' comparison scripts: the event log generator
//! ([`events_csv`]), used in memory by the `funnel_file` bench and written
//! to a file by `examples/gen_events.rs` for `compare/funnel_clickhouse.py`.

#![forbid(unsafe_code)]

use std::io::{self, Write};

/// The users of the end-to-end issue's file (about 10.4 million rows).
pub const USERS: u64 = 2_000_000;

/// The seed of that file.
pub const SEED: u64 = 0x5EED_0F11_E000_0016;

/// The twelve channels; each event draws its own.
pub const CHANNELS: [&str; 12] = [
    "search",
    "social",
    "email",
    "display",
    "referral",
    "direct",
    "affiliate",
    "video",
    "podcast",
    "events",
    "partner",
    "sms",
];

/// xorshift64*: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One generated row: `(file position key, user, ts, step, channel)`.
type Row = (i64, u64, i64, u8, u8);

/// The event log of the end-to-end issue, as the funnel tool reads it
/// (`user_id,ts,step,channel`, Unix seconds), seeded:
///
/// - `users` users with distinct 15-digit ids (in no order);
/// - a funnel of steps 0 to 4 per user, first events spread over 90 days
///   (reach 100%, 60%, 45%, 35%, 28%; gaps of up to two days, 5% of them
///   zero: same-second ties between steps);
/// - 0 to 5 extra events per user (2.5 on average): a later repeat of one
///   of the user's steps (40%), an exact duplicate row (20%), another step
///   at the same second (15%), a random step within a week of the first
///   event (25%); about 5.2 events per user in all;
/// - every event with its own channel of [`CHANNELS`];
/// - rows in time order, 3% of them late (written up to 6 hours after
///   their time).
///
/// For 2,000,000 users ([`USERS`], [`SEED`]): about 10.4 million rows and
/// 370 MB.
pub fn write_events_csv<W: Write>(users: u64, seed: u64, out: &mut W) -> io::Result<u64> {
    let rows = events(users, seed);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(b"user_id,ts,step,channel\n")?;
    let mut line = Vec::with_capacity(64);
    for &(_, user, ts, step, ch) in &rows {
        line.clear();
        push_digits(&mut line, user);
        line.push(b',');
        if ts < 0 {
            line.push(b'-');
        }
        push_digits(&mut line, ts.unsigned_abs());
        line.push(b',');
        push_digits(&mut line, u64::from(step));
        line.push(b',');
        line.extend_from_slice(CHANNELS[ch as usize].as_bytes());
        line.push(b'\n');
        w.write_all(&line)?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

/// [`write_events_csv`] into memory.
pub fn events_csv(users: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(users as usize * 190);
    write_events_csv(users, seed, &mut out).expect("writing to memory");
    out
}

fn push_digits(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn events(users: u64, seed: u64) -> Vec<Row> {
    let mut r = Rng(seed | 1);
    let start = 1_767_225_600i64; // 2026-01-01
    let day = 86_400u64;
    // Conditional reach of steps 1 to 4, in percent.
    let next = [60u64, 75, 78, 80];
    let mut rows: Vec<Row> = Vec::with_capacity(users as usize * 21 / 4);
    for u in 0..users {
        // Distinct 15-digit ids: u times a unit modulo 9·10¹⁴, shifted.
        let user = 100_000_000_000_000 + (u * 1_000_000_007) % 900_000_000_000_000;
        let first = start + r.below(90 * day) as i64;
        let mut t = first;
        let from = rows.len();
        let push = |rows: &mut Vec<Row>, r: &mut Rng, ts: i64, step: u8| {
            let channel = r.below(12) as u8;
            rows.push((ts, user, ts, step, channel));
        };
        push(&mut rows, &mut r, t, 0);
        for (k, &p) in next.iter().enumerate() {
            if r.below(100) >= p {
                break;
            }
            if r.below(100) >= 5 {
                t += 1 + r.below(2 * day) as i64;
            }
            push(&mut rows, &mut r, t, k as u8 + 1);
        }
        for _ in 0..r.below(6) {
            let own = from + r.below((rows.len() - from) as u64) as usize;
            let (_, _, ts, step, _) = rows[own];
            let (kind, a, b) = (r.below(100), r.below(7 * day), r.below(5));
            match kind {
                0..40 => push(&mut rows, &mut r, ts + 1 + (a % day) as i64, step),
                40..60 => rows.push(rows[own]),
                60..75 => push(&mut rows, &mut r, ts, (step + 1 + (b % 4) as u8) % 5),
                _ => push(&mut rows, &mut r, first + a as i64, b as u8),
            }
        }
    }
    // Time order, 3% late.
    for row in &mut rows {
        if r.below(100) < 3 {
            row.0 += 1 + r.below(6 * 3_600) as i64;
        }
    }
    rows.sort_by_key(|row| row.0);
    rows
}

/// A year of an app's events, as analysts export them
/// (`user_id,ts,event,country`: UUID-like ids, ISO 8601 times), seeded,
/// in time order: `users` users signing up over 52 weeks from Monday
/// 2026-01-05 (`signup`), each then logging in (`login`) in later weeks
/// with a chance that halves every four weeks (40% in the first week after
/// sign-up), one to three times in a week it comes back; about 5 events
/// per user (2,000,000 users: about 10 million rows).
pub fn write_year_events_csv<W: Write>(users: u64, seed: u64, out: &mut W) -> io::Result<u64> {
    let rows = year_events(users, seed);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(b"user_id,ts,event,country\n")?;
    for &(ts, user, kind) in &rows {
        let id = user.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
        let secs = ts;
        let days = secs.div_euclid(86_400);
        let (y, m, d) = civil(days);
        let t = secs.rem_euclid(86_400);
        writeln!(
            w,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x},{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z,{},{}",
            id >> 32,
            (id >> 16) & 0xffff,
            id & 0xffff,
            user & 0xffff,
            user,
            t / 3600,
            t / 60 % 60,
            t % 60,
            if kind == 0 { "signup" } else { "login" },
            COUNTRIES[(user % 5) as usize],
        )?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

/// The countries of [`write_year_events_csv`] (a user's own).
pub const COUNTRIES: [&str; 5] = ["DE", "FR", "US", "BR", "JP"];

/// [`write_year_events_csv`]'s events: `(Unix seconds, user, kind)`, kind
/// 0 a sign-up and 1 a login, in time order.
pub fn year_events(users: u64, seed: u64) -> Vec<(i64, u64, u8)> {
    const START: i64 = 1_767_571_200; // Monday 2026-01-05, 00:00 UTC
    const WEEK: i64 = 7 * 86_400;
    let mut rng = Rng(seed | 1);
    let mut rows = Vec::with_capacity(users as usize * 5);
    for user in 0..users {
        let signup = START + rng.below(52 * WEEK as u64) as i64;
        rows.push((signup, user, 0));
        let weeks_left = (START + 52 * WEEK - signup) / WEEK;
        for w in 1..=weeks_left {
            // 40% in the first week after, halving every four weeks.
            let chance = (400.0 * 0.5f64.powf((w - 1) as f64 / 4.0)) as u64;
            if rng.below(1000) < chance {
                for _ in 0..=rng.below(3) {
                    let at = signup + w * WEEK - rng.below(WEEK as u64) as i64;
                    rows.push((at.max(signup), user, 1));
                }
            }
        }
    }
    rows.sort_unstable();
    rows
}

/// Year, month, day of a day counted from 1970-01-01.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A billing export of a subscription business, as `revops mrr` reads it
/// (`customer_id,month,mrr,currency`, USD), seeded: `customers` customers
/// (ids `cus_` and 10 hex digits) starting over 24 months from 2025-01,
/// each a plan of 19 to 499 dollars that each month stays (86%), expands
/// (5%, by 10 to 60%), contracts (4%, by 10 to 40%), pauses for a month or
/// two (2%; then back) or ends (5%), with one row per month with MRR (and
/// 1% of rows split in two: duplicate customer-months that add up), in
/// customer order. 1,000,000 customers: about 10 million rows.
pub fn mrr_rows(customers: u64, seed: u64) -> Vec<(u64, i32, i64)> {
    const MONTHS: i32 = 24;
    let mut rng = Rng(seed | 1);
    let mut rows = Vec::with_capacity(customers as usize * 10);
    for c in 0..customers {
        // Starts weighted to the later months (a growing business).
        let start = MONTHS - 1 - (rng.below(MONTHS as u64 * MONTHS as u64) as f64).sqrt() as i32;
        let mut cents = (19 + rng.below(481) as i64) * 100;
        let mut m = start.max(0);
        while m < MONTHS {
            if rng.below(100) == 0 {
                let part = cents / 3;
                rows.push((c, m, part));
                rows.push((c, m, cents - part));
            } else {
                rows.push((c, m, cents));
            }
            let r = rng.below(100);
            if r < 5 {
                cents += cents * (10 + rng.below(51) as i64) / 100;
            } else if r < 9 {
                cents -= cents * (10 + rng.below(31) as i64) / 100;
            } else if r < 11 {
                m += 1 + rng.below(2) as i32;
            } else if r < 16 {
                break;
            }
            m += 1;
        }
    }
    rows
}

/// The id text of customer `c` of [`mrr_rows`].
pub fn customer_id(c: u64, seed: u64) -> String {
    format!(
        "cus_{:010x}",
        (c.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed) & 0xff_ffff_ffff
    )
}

/// [`mrr_rows`] as CSV (`customer_id,month,mrr,currency`).
pub fn write_mrr_csv<W: Write>(customers: u64, seed: u64, out: &mut W) -> io::Result<u64> {
    let rows = mrr_rows(customers, seed);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(b"customer_id,month,mrr,currency\n")?;
    for &(c, m, cents) in &rows {
        let (y, mo) = (2025 + m / 12, m % 12 + 1);
        writeln!(
            w,
            "{},{y:04}-{mo:02},{}.{:02},USD",
            customer_id(c, seed),
            cents / 100,
            cents % 100
        )?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

/// One deal at one snapshot of [`snapshot_rows`]: deal, snapshot (0 or
/// 1), amount in cents, stage (0 to 4), close date (days after
/// 2025-12-01), status (0 open, 1 won, 2 lost), forecast category (0 to
/// 4, as `ForecastCategory`'s variants in order).
pub type SnapshotRow = (u64, u8, i64, u8, i32, u8, u8);

/// The stage names of [`snapshot_rows`].
pub const STAGES: [&str; 5] = [
    "discovery",
    "qualification",
    "proposal",
    "negotiation",
    "closing",
];

/// Two weekly CRM exports four weeks apart, seeded: `deals` deals, each
/// at the first snapshot (95%; the others are created between them) and
/// at the second (94% of those at the first; the others were removed).
/// At the first, 85% open, 8% won, 7% lost; amounts of 1,000 to 100,000
/// dollars in cents; close dates over December 2025 to June 2026. Between
/// the snapshots an open deal is won (10%), lost (8%), has its close date
/// pushed by 7 to 60 days (15%) or pulled by up to 30 (5%), its amount
/// changed by −30% to +40% (20%), its stage advanced (25%). Rows in
/// snapshot order, deals in order within a snapshot.
pub fn snapshot_rows(deals: u64, seed: u64) -> Vec<SnapshotRow> {
    let mut rng = Rng(seed | 1);
    let mut a = Vec::with_capacity(deals as usize);
    let mut b = Vec::with_capacity(deals as usize);
    for d in 0..deals {
        let mut cents = (1_000 + rng.below(99_001) as i64) * 100;
        let mut close = rng.below(212) as i32;
        let mut stage = rng.below(5) as u8;
        let r = rng.below(100);
        let mut status = if r < 85 {
            0
        } else if r < 93 {
            1
        } else {
            2
        };
        let category = |status: u8, stage: u8| match status {
            0 => [0, 0, 1, 1, 2][stage as usize],
            1 => 3,
            _ => 4,
        };
        let at_a = rng.below(100) < 95;
        if at_a {
            a.push((d, 0, cents, stage, close, status, category(status, stage)));
            if rng.below(100) >= 94 {
                continue;
            }
        }
        if status == 0 {
            let r = rng.below(100);
            if r < 10 {
                status = 1;
            } else if r < 18 {
                status = 2;
            }
            let r = rng.below(100);
            if r < 15 {
                close += 7 + rng.below(54) as i32;
            } else if r < 20 {
                close -= rng.below(31) as i32;
            }
            if rng.below(100) < 20 {
                cents += cents * (rng.below(71) as i64 - 30) / 100;
            }
            if rng.below(100) < 25 && stage < 4 {
                stage += 1;
            }
        }
        b.push((
            d,
            1,
            cents,
            stage,
            close.max(0),
            status,
            category(status, stage),
        ));
    }
    a.extend(b);
    a
}

/// The id text of deal `d` of [`snapshot_rows`]: 18 characters, as a
/// CRM's (`006` and 15 hex digits).
pub fn deal_id(d: u64, seed: u64) -> String {
    format!(
        "006{:015x}",
        (d.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed) & 0xfff_ffff_ffff_ffff
    )
}

/// [`snapshot_rows`] as CSV, as `revops pipeline-flow` reads it
/// (snapshots 2026-01-05 and 2026-02-02, USD).
pub fn write_snapshots_csv<W: Write>(deals: u64, seed: u64, out: &mut W) -> io::Result<u64> {
    const CATEGORIES: [&str; 5] = ["pipeline", "best_case", "commit", "closed", "omitted"];
    const STATUS: [&str; 3] = ["open", "won", "lost"];
    let rows = snapshot_rows(deals, seed);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(
        b"snapshot_date,deal_id,amount,currency,stage,close_date,status,forecast_category\n",
    )?;
    let base = revops::NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date");
    for &(d, snap, cents, stage, close, status, cat) in &rows {
        let day = base + revops::TimeDelta::days(i64::from(close));
        writeln!(
            w,
            "{},{},{}.{:02},USD,{},{},{},{}",
            ["2026-01-05", "2026-02-02"][snap as usize],
            deal_id(d, seed),
            cents / 100,
            cents % 100,
            STAGES[stage as usize],
            day.format("%Y-%m-%d"),
            STATUS[status as usize],
            CATEGORIES[cat as usize],
        )?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}
