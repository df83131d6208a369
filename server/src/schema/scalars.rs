//! Scalars of the API besides the built-in ones: `Date` (a UTC calendar day, `YYYY-MM-DD`).
//! `DateTime` (RFC 3339) and `JSON` come from async-graphql.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

/// A UTC calendar day, `YYYY-MM-DD`, from 1970 to 9999 (arithmetic on days far outside the
/// registry's data would overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A UTC calendar day in ISO 8601 form, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    InputValueError::custom(format!(
                        "invalid date {s:?}: expected YYYY-MM-DD, a day from 1970 to 9999"
                    ))
                })?;
                if !(1970..=9999).contains(&d.year()) {
                    return Err(InputValueError::custom(format!(
                        "date {s:?} is out of range: expected a day from 1970 to 9999"
                    )));
                }
                Ok(Date(d))
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
