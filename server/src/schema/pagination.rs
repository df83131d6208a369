//! Relay connections: argument checks, opaque keyset cursors and page assembly.
//!
//! A cursor is `base64url("v1|<ordering>|<pk>|<sort value>")`. It names the ordering it was
//! issued for, so a cursor from another ordering is refused with a clear message rather than
//! silently returning a wrong page. Clients must treat cursors as opaque.

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Error;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Relay's page information.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page.
    pub end_cursor: Option<String>,
}

/// Validated paging arguments.
#[derive(Debug, Clone)]
pub struct Paging {
    /// Items to show.
    pub size: usize,
    /// Travel against the ordering (`last`/`before`).
    pub backward: bool,
    /// The decoded cursor to start from: `(pk, sort value)`.
    pub cursor: Option<(i64, String)>,
}

/// Complexity of a connection field: its page size times the cost of one item.
pub fn cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first
        .or(last)
        .map(|n| n.max(0) as usize)
        .unwrap_or(DEFAULT_PAGE_SIZE);
    size.max(1).saturating_mul(child).saturating_add(1)
}

/// Complexity of a list of at most `n` items: `n` times the cost of one, plus the field.
pub fn list_cost(n: usize, child: usize) -> usize {
    n.max(1).saturating_mul(child.max(1)).saturating_add(1)
}

/// Complexity of a per-day series over the range `days`/`from`/`to` name: one item per day.
/// A range that does not resolve counts as the longest (it is refused when resolved).
pub fn days_cost(
    days: i32,
    from: Option<super::scalars::Date>,
    to: Option<super::scalars::Date>,
    child: usize,
) -> usize {
    let span = super::contracts::stats_range(days, from, to)
        .map(|r| (r.to - r.from).num_days() as usize + 1)
        .unwrap_or(366);
    list_cost(span, child)
}

/// Extra cost of a field that reads and decodes a contract spec (up to megabytes of JSON).
pub const SPEC_COST: usize = 50;

/// Extra cost of a field that returns a whole spec as JSON.
pub const RAW_SPEC_COST: usize = 200;

/// Functions a contract's usage is counted for, as a complexity estimate.
pub const FUNCTIONS_ESTIMATE: usize = 50;

impl Paging {
    /// Checks `first/after/last/before` against each other and the page-size cap, and decodes
    /// the cursor for `ordering`.
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        max: usize,
        ordering: &str,
    ) -> Result<Paging, Error> {
        if first.is_some() && last.is_some() {
            return Err(Error::BadInput("pass `first` or `last`, not both".into()));
        }
        if after.is_some() && before.is_some() {
            return Err(Error::BadInput("pass `after` or `before`, not both".into()));
        }
        if after.is_some() && last.is_some() {
            return Err(Error::BadInput(
                "`after` pages forward: use it with `first`".into(),
            ));
        }
        if before.is_some() && first.is_some() {
            return Err(Error::BadInput(
                "`before` pages backward: use it with `last`".into(),
            ));
        }
        let backward = last.is_some() || before.is_some();
        let size = match first.or(last) {
            Some(n) if n < 0 || n as usize > max => {
                let arg = if first.is_some() { "first" } else { "last" };
                return Err(Error::BadInput(format!(
                    "`{arg}` must be between 0 and {max}, got {n}"
                )));
            }
            Some(n) => n as usize,
            None => DEFAULT_PAGE_SIZE.min(max),
        };
        let cursor = match after.or(before) {
            Some(c) => Some(decode_cursor(&c, ordering)?),
            None => None,
        };
        Ok(Paging {
            size,
            backward,
            cursor,
        })
    }
}

/// Encodes a cursor for a row.
pub fn encode_cursor(ordering: &str, pk: i64, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1|{ordering}|{pk}|{value}"))
}

/// Decodes a cursor issued for `ordering` into `(pk, sort value)`.
pub fn decode_cursor(cursor: &str, ordering: &str) -> Result<(i64, String), Error> {
    let bad = || {
        Error::BadInput(format!(
            "malformed cursor {:?}: pass a cursor returned by this list",
            truncate(cursor)
        ))
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.splitn(4, '|');
    let (Some("v1"), Some(ord), Some(pk), Some(value)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if ord != ordering {
        return Err(Error::BadInput(format!(
            "cursor was issued for ordering {}, not {}: start again without a cursor after changing the ordering",
            ord.to_uppercase(),
            ordering.to_uppercase()
        )));
    }
    let pk = pk.parse::<i64>().map_err(|_| bad())?;
    Ok((pk, value.to_owned()))
}

fn truncate(s: &str) -> String {
    registry_core::text::escape_untrusted(&s.chars().take(60).collect::<String>())
}

/// Turns `size + 1` fetched rows (in travel order) into a page in list order, with its page
/// info. `cursor_of` gives a row's cursor; only the first's and the last's are made here (an
/// edge's own is made when asked for).
pub fn assemble<T>(
    mut rows: Vec<T>,
    paging: &Paging,
    cursor_of: impl Fn(&T) -> String,
) -> (Vec<T>, PageInfo) {
    let more = rows.len() > paging.size;
    rows.truncate(paging.size);
    if paging.backward {
        rows.reverse();
    }
    let info = PageInfo {
        has_next_page: if paging.backward {
            paging.cursor.is_some()
        } else {
            more
        },
        has_previous_page: if paging.backward {
            more
        } else {
            paging.cursor.is_some()
        },
        start_cursor: rows.first().map(&cursor_of),
        end_cursor: rows.last().map(&cursor_of),
    };
    (rows, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_keeps_separators_in_values() {
        let c = encode_cursor("name", 42, "a|b");
        assert_eq!(decode_cursor(&c, "name").unwrap(), (42, "a|b".to_owned()));
    }

    #[test]
    fn cursor_from_another_ordering_is_refused() {
        let c = encode_cursor("newest", 1, "0");
        let e = decode_cursor(&c, "name").unwrap_err();
        assert!(
            e.to_string()
                .contains("issued for ordering NEWEST, not NAME"),
            "{e}"
        );
    }

    #[test]
    fn garbage_cursor_is_refused() {
        assert!(
            decode_cursor("!!!", "newest")
                .unwrap_err()
                .to_string()
                .starts_with("malformed cursor")
        );
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("v2|x"), "newest").is_err());
    }

    #[test]
    fn page_size_is_capped() {
        let e = Paging::parse(Some(101), None, None, None, 100, "newest").unwrap_err();
        assert_eq!(e.to_string(), "`first` must be between 0 and 100, got 101");
        assert!(Paging::parse(Some(1), None, Some(1), None, 100, "newest").is_err());
    }

    #[test]
    fn backward_pages_come_back_in_list_order() {
        let paging = Paging {
            size: 2,
            backward: true,
            cursor: Some((9, String::new())),
        };
        let (rows, info) = assemble(vec![5, 4, 3], &paging, |n| n.to_string());
        assert_eq!(rows, vec![4, 5]);
        assert!(info.has_previous_page && info.has_next_page);
        assert_eq!(
            (info.start_cursor.as_deref(), info.end_cursor.as_deref()),
            (Some("4"), Some("5"))
        );
    }
}
