//! JSON Schemas of the reports (feature `schemars`).
//!
//! Every report type implements [`schemars::JsonSchema`]; the schema
//! describes the serialized form, so a dashboard or a service in another
//! language can validate and read what revops sends:
//!
//! ```
//! let schema = schemars::schema_for!(revops::funnel::FunnelReport);
//! let json = serde_json::to_value(&schema).unwrap();
//! assert!(json["properties"]["steps"].is_object());
//! ```
//!
//! The quantities, which serialize as strings, are described here: a
//! decimal is a string of digits (`"0.25"`), a [`Ratio`](crate::Ratio) one
//! between 0 and 1, a currency its ISO 4217 code, a channel its name.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::quantity::serde_forms::DECIMAL_PATTERN as DECIMAL;

macro_rules! string_schema {
    ($t:ty, $name:literal, $description:literal, $pattern:expr) => {
        impl JsonSchema for $t {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": $description,
                    "pattern": $pattern,
                })
            }
        }
    };
}

string_schema!(
    crate::quantity::Ratio,
    "Ratio",
    "A ratio in [0, 1], as a decimal string (\"0.25\" is 25%).",
    r"^(0(\.\d+)?|1(\.0+)?)$"
);
string_schema!(
    crate::quantity::Multiple,
    "Multiple",
    "A multiple in [0, ∞), as a decimal string (\"2.5\" is 2.5x).",
    r"^\d+(\.\d+)?$"
);
string_schema!(
    crate::quantity::Change,
    "Change",
    "A signed change, as a decimal string (\"-0.1\" is -10%).",
    DECIMAL
);
string_schema!(
    crate::quantity::Nps,
    "Nps",
    "A net promoter score in [-100, 100], as a decimal string.",
    DECIMAL
);
string_schema!(
    crate::quantity::Currency,
    "Currency",
    "An ISO 4217 currency code.",
    r"^[A-Z]{3}$"
);
string_schema!(
    crate::journey::Channel,
    "Channel",
    "A channel name: 1 to 200 bytes, no control characters.",
    r"^[^\x00-\x1f\x7f]{1,200}$"
);
string_schema!(
    crate::attribution::Model,
    "Model",
    "An attribution model: first_touch, last_touch, linear, position_based, time_decay[:SECONDS], markov[:ORDER], shapley, shapley_conversion_rate, ...",
    r"^[a-z_]+(:\d+)?$"
);

impl JsonSchema for crate::quantity::Period {
    fn schema_name() -> Cow<'static, str> {
        "Period".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Whole days [start, end): end is the first day after the period.",
            "properties": {
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
            },
            "required": ["start", "end"],
            "additionalProperties": false,
        })
    }
}
