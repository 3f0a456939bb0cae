//! Stripe request paths built only from Paydesk's own literals and validated IDs.
//!
//! `StripePath::new("/customers").id(&customer).seg("tax_ids").id(&tax_id)` is the only way
//! to name a Stripe resource, so no string from a member, a token or Stripe itself can add a
//! segment, a `..`, a query or a fragment to a request. Query parameters go through the query
//! map of `get_with`/`list_objects`, never into the path.

use crate::model::StripeId;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripePath(String);

impl StripePath {
    /// A path from a literal such as `/customers` or `/checkout/sessions`.
    ///
    /// # Panics
    /// When the literal is not lower-case words joined by single slashes: a typo in Paydesk's
    /// source, never anything a request can cause (the argument is `'static`).
    pub fn new(root: &'static str) -> Self {
        let root = root.trim_start_matches('/');
        assert!(is_static_path(root), "not a Stripe path literal: {root}");
        Self(format!("/{root}"))
    }

    /// Appends a literal segment (`tax_ids`, `attach`).
    ///
    /// # Panics
    /// As [`StripePath::new`], on a literal that is not a lower-case word.
    #[must_use]
    pub fn seg(mut self, segment: &'static str) -> Self {
        assert!(
            is_static_path(segment) && !segment.contains('/'),
            "not a Stripe path segment: {segment}"
        );
        self.0.push('/');
        self.0.push_str(segment);
        self
    }

    /// Appends an object ID as one segment.
    #[must_use]
    pub fn id(mut self, id: &StripeId) -> Self {
        self.0.push('/');
        self.0.push_str(id.as_str());
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What to call the object in an error (`customers/cus_123`).
    pub(super) fn what(&self) -> &str {
        self.0.trim_start_matches('/')
    }
}

impl fmt::Display for StripePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lower-case words (`a-z`, `_`) joined by single slashes, with no empty segment.
fn is_static_path(s: &str) -> bool {
    !s.is_empty()
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> StripeId {
        StripeId::parse(s).expect("a valid id")
    }

    #[test]
    fn paths_read_as_stripe_documents_them() {
        let path = StripePath::new("/customers")
            .id(&id("cus_123"))
            .seg("tax_ids")
            .id(&id("txi_456"));
        assert_eq!(path.as_str(), "/customers/cus_123/tax_ids/txi_456");
        assert_eq!(
            StripePath::new("checkout/sessions").as_str(),
            "/checkout/sessions"
        );
    }

    #[test]
    fn literals_with_url_syntax_are_refused() {
        for bad in [
            "", "/", "a//b", "a/../b", "a?b", "a#b", "a%2f", "A", "a b", "a/",
        ] {
            assert!(!is_static_path(bad.trim_start_matches('/')), "{bad:?}");
        }
        assert!(is_static_path("invoices/create_preview"));
    }

    #[test]
    #[should_panic(expected = "not a Stripe path segment")]
    fn a_segment_cannot_smuggle_a_slash() {
        let _ = StripePath::new("/customers").seg("a/b");
    }

    fn clean(path: &str) -> bool {
        !path.contains("..")
            && !path.contains("//")
            && !path
                .chars()
                .any(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control())
    }

    proptest! {
        /// Whatever IDs (from any input that parses) a path is built from, it names objects
        /// and nothing else: no dot segments, query, fragment, escapes, spaces or controls,
        /// and exactly one segment per ID.
        #[test]
        fn a_built_path_is_always_clean(
            inputs in prop::collection::vec(
                prop_oneof![any::<String>(), "[a-z]{1,5}_[A-Za-z0-9_./?#% ]{1,20}"],
                1..5,
            ),
            segments in prop::collection::vec(
                prop::sample::select(vec!["tax_ids", "attach", "detach", "confirm", "expire", "finalize", "pay"]),
                0..5,
            ),
        ) {
            let ids: Vec<StripeId> = inputs.iter().filter_map(|s| StripeId::parse(s).ok()).collect();
            let mut path = StripePath::new("/customers");
            let mut expected_segments = 1;
            for (i, id) in ids.iter().enumerate() {
                path = path.id(id);
                expected_segments += 1;
                if let Some(seg) = segments.get(i) {
                    path = path.seg(seg);
                    expected_segments += 1;
                }
            }
            let text = path.as_str();
            prop_assert!(clean(text), "{:?}", text);
            prop_assert_eq!(text.split('/').skip(1).count(), expected_segments);
            for seg in text.split('/').skip(1) {
                prop_assert!(seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{:?}", seg);
            }
        }

        /// The literal check refuses every string that would not be clean.
        #[test]
        fn an_accepted_literal_is_clean(s in any::<String>()) {
            if is_static_path(&s) {
                let path = format!("/{s}");
                prop_assert!(clean(&path), "{:?}", path);
            }
        }
    }
}
