//! Typed quantities: money, currencies, ratios, multiples, changes, periods,
//! scores, and the crate's quantile rule.
//!
//! Every type here validates on construction (and on deserialization), so a
//! value that exists is a value that makes sense: a [`Ratio`] is in [0, 1],
//! a [`Period`] ends after it starts, a [`Money`] has a real ISO currency.
//!
//! | type | range | examples |
//! |---|---|---|
//! | [`Ratio`] | [0, 1] | conversion rate, win rate, churn, CTR |
//! | [`Multiple`] | [0, ∞) | ROAS, LTV:CAC, quota attainment, coverage |
//! | [`Change`] | any sign | ROI, growth, change in cycle length |
//! | [`Money`] | any amount, one currency | revenue, spend, deal size |
//! | [`Nps`] | [-100, 100] | net promoter score |
//! | [`Period`] | `[start, end)` days | a month, a quarter, a campaign |
//! | [`Month`] | `YYYY-MM`, years 1 to 9999 | a month of recurring revenue |
//! | [`Distribution`] | integer observations | cycle lengths, time to convert |
//! | [`TimeUnit`] | s, ms, µs, ns | the integer clock of event data |
//! | [`BinEdges`] | rising integer edges | a histogram of times to convert |
//! | [`Value`] | any of the above, tagged by [`Unit`] | a metric's result, a goal's target |

mod calendar;
mod currency;
mod fx;
mod histogram;
mod money;
mod month;
mod period;
mod quantile;
mod ratio;
mod score;
#[cfg(feature = "serde")]
pub(crate) mod serde_forms;
mod split;
pub(crate) mod text;
mod time;
mod value;

pub(crate) mod exact;
pub use calendar::{parse_utc_offset, Calendar, PeriodLength};
pub use currency::Currency;
pub use fx::FxRates;
pub(crate) use histogram::BinIndex;
pub use histogram::{BinEdges, TimeBins, MAX_BINS};
pub use money::Money;
pub use month::{BillingInterval, Month};
pub use period::Period;
pub use quantile::Distribution;
pub(crate) use quantile::{
    mean_from_sum, median_of_sorted, quantile_by_rank, sort_i64, sorted_stats,
};
pub use ratio::{Change, Multiple, Ratio};
pub use score::Nps;
pub use split::split_integer;
pub(crate) use split::split_signed;
pub use text::{duration_text, fixed_text, parse_duration, parse_instant};
#[cfg(feature = "csv")]
pub(crate) use text::{instant_ticks, TicksError};
pub use time::TimeUnit;
pub(crate) use time::{days_of_seconds, seconds_of, seconds_of_days, to_time_delta};
pub use value::{Unit, Value};
