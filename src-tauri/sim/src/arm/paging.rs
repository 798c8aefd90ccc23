//! ARM list paging: `{"value":[...], "nextLink": "<absolute URL>"}` with `$top`, `$skip` and
//! `$maxpagesize` where the spec declares them.
//!
//! The next page's URL repeats the request's path and paging parameters and adds `$skipToken`,
//! an opaque token (the shared [`crate::paging`] format) holding the absolute offset of the next
//! item. `$skip` and `$top` keep their first-page meaning on every page: the list is the items
//! `[$skip, $skip + $top)`, cut into pages of `$maxpagesize`.

use serde_json::{json, Value};

use super::error::ArmError;

/// The page size when the client gives none.
// UNSURE: the real provider's default page size is not documented; 50 keeps multi-page lists
// common in the demo fleet so that clients' nextLink loops get exercised.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page the simulator serves, whatever `$maxpagesize` asks for.
// UNSURE: ARM commonly caps pages at 1000 items.
pub const MAX_PAGE_SIZE: usize = 1000;

/// The paging parameters of one list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    skip: usize,
    top: Option<usize>,
    size: usize,
    /// Offset carried by `$skipToken` (later pages).
    offset: Option<usize>,
}

/// Query parameters that are part of a list's identity and travel on in `nextLink`.
const CARRIED: [&str; 4] = ["$top", "$skip", "$maxpagesize", "$filter"];

impl PageRequest {
    /// Reads the paging parameters from the query. `declared` says whether the operation declares
    /// `$top`/`$skip`/`$maxpagesize`; when it does not, they are ignored, as ARM ignores unknown
    /// query parameters. `list_key` names the list so a token of another list is refused.
    pub fn parse(
        query: &[(String, String)],
        declared: bool,
        list_key: &str,
    ) -> Result<Self, ArmError> {
        let number = |name: &str| -> Result<Option<usize>, ArmError> {
            match query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                Some((_, v)) if declared => v.trim().parse::<usize>().map(Some).map_err(|_| {
                    ArmError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "InvalidQueryParameterValue",
                        format!("The value '{v}' of query parameter '{name}' is not a non-negative integer."),
                    )
                    .with_target(name)
                }),
                _ => Ok(None),
            }
        };
        let skip = number("$skip")?.unwrap_or(0);
        let top = number("$top")?;
        let size = number("$maxpagesize")?
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        let offset = match query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("$skipToken"))
        {
            Some((_, token)) => Some(crate::paging::decode(list_key, token).map_err(|_| {
                ArmError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "InvalidSkipToken",
                    "The $skipToken is not valid for this list.",
                )
                .with_target("$skipToken")
            })?),
            None => None,
        };
        Ok(PageRequest {
            skip,
            top,
            size,
            offset,
        })
    }

    /// Cuts the page out of all `items`, renders only that page, and builds the list body.
    /// `self_url` is the absolute URL of the list without a query; `query` the request's query
    /// (its paging parameters travel on in `nextLink`).
    pub fn page<T>(
        &self,
        items: &[T],
        render: impl Fn(&T) -> Value,
        list_key: &str,
        self_url: &str,
        query: &[(String, String)],
    ) -> Value {
        let end = match self.top {
            Some(top) => self.skip.saturating_add(top).min(items.len()),
            None => items.len(),
        };
        let start = self.offset.unwrap_or(self.skip).min(end);
        let stop = start.saturating_add(self.size).min(end);
        let value: Vec<Value> = items[start..stop].iter().map(render).collect();
        let mut body = json!({ "value": value });
        if stop < end {
            let mut link = url::form_urlencoded::Serializer::new(String::new());
            link.append_pair("api-version", super::error::API_VERSION);
            for (key, val) in query {
                if CARRIED.iter().any(|c| c.eq_ignore_ascii_case(key)) {
                    link.append_pair(key, val);
                }
            }
            link.append_pair("$skipToken", &crate::paging::encode(list_key, stop));
            body["nextLink"] = json!(format!("{self_url}?{}", link.finish()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Follows nextLinks the way a client does and returns every item seen.
    fn walk(total: usize, first: &[(&str, &str)], declared: bool) -> (Vec<Value>, usize) {
        let items: Vec<Value> = (0..total).map(|i| json!(i)).collect();
        let mut query = q(first);
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let request = PageRequest::parse(&query, declared, "k").expect("valid query");
            let body = request.page(&items, Value::clone, "k", "http://x/list", &query);
            pages += 1;
            seen.extend(body["value"].as_array().cloned().unwrap_or_default());
            let Some(next) = body["nextLink"].as_str() else {
                break;
            };
            let parsed = url::Url::parse(next).expect("absolute");
            query = parsed.query_pairs().into_owned().collect();
        }
        (seen, pages)
    }

    #[test]
    fn next_links_walk_the_whole_list_once() {
        let (seen, pages) = walk(125, &[], true);
        assert_eq!(seen.len(), 125);
        assert_eq!(pages, 3);
        let (seen, pages) = walk(20, &[("$maxpagesize", "7")], true);
        assert_eq!(seen, (0..20).map(|i| json!(i)).collect::<Vec<_>>());
        assert_eq!(pages, 3);
    }

    #[test]
    fn skip_and_top_bound_the_list_across_pages() {
        let (seen, _) = walk(
            100,
            &[("$skip", "10"), ("$top", "15"), ("$maxpagesize", "4")],
            true,
        );
        assert_eq!(seen, (10..25).map(|i| json!(i)).collect::<Vec<_>>());
        // Undeclared parameters are ignored.
        let (seen, _) = walk(10, &[("$top", "2")], false);
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn bad_paging_values_are_refused() {
        for query in [
            q(&[("$top", "-1")]),
            q(&[("$maxpagesize", "x")]),
            q(&[("$skipToken", "nope")]),
        ] {
            let error = PageRequest::parse(&query, true, "k").expect_err("refused");
            assert_eq!(
                error.status,
                axum::http::StatusCode::BAD_REQUEST,
                "{query:?}"
            );
        }
    }
}
