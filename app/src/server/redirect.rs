//! Redirects. Every redirect a server function answers goes through [`redirect`], which only
//! takes a [`LocalPath`], so no input can send a browser off the site or put a byte into a
//! `Location` header that cannot be there (leptos_axum panics on one). Clippy refuses
//! `leptos_axum::redirect` anywhere else (`clippy.toml`).

use crate::model::{CurrentUser, LocalPath};

/// Tells the browser to go to `path` once the server function has answered.
#[allow(clippy::disallowed_methods)]
pub fn redirect(path: &LocalPath) {
    leptos_axum::redirect(path.as_str());
}

/// Where to go after signing in: `next` when it names a page of this site (a path, or a URL
/// whose origin is `public_url`'s) that the user may open; otherwise the role's home.
pub fn landing_page(user: &CurrentUser, next: Option<&str>, public_url: &str) -> LocalPath {
    next.and_then(|raw| same_origin_path(raw, public_url))
        .filter(|path| user.is_admin() || !path.is_under("/admin"))
        .unwrap_or_else(|| user.role.home_path())
}

/// `raw` as a path of this site, or `None` when it is anything else. An absolute URL is
/// resolved against `public_url` and kept only when the origin is the same; it must pass the
/// same character rules as a path first, because URL parsers silently drop tabs and newlines
/// that an attacker relies on.
pub fn same_origin_path(raw: &str, public_url: &str) -> Option<LocalPath> {
    if raw.starts_with('/') {
        return LocalPath::parse(raw);
    }
    let base = url::Url::parse(public_url).ok()?;
    let has_scheme = raw.starts_with("https://") || raw.starts_with("http://");
    if !has_scheme || !raw.is_ascii() || raw.bytes().any(|b| b <= b' ' || b == b'\\' || b == 0x7f) {
        return None;
    }
    let resolved = base.join(raw).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    LocalPath::parse(&resolved[url::Position::BeforePath..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use proptest::prelude::*;

    const PUBLIC: &str = "https://billing.example.com";

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            id: uuid::Uuid::nil(),
            email: "a@b.co".into(),
            name: "A".into(),
            role,
            created_at: chrono::Utc::now(),
        }
    }

    fn landing(role: Role, next: &str) -> String {
        landing_page(&user(role), Some(next), PUBLIC).to_string()
    }

    #[test]
    fn landing_page_follows_pages_of_this_site_only() {
        assert_eq!(
            landing(Role::Member, "/billing/invoices"),
            "/billing/invoices"
        );
        assert_eq!(
            landing(
                Role::Member,
                "https://billing.example.com/billing/plans?x=1"
            ),
            "/billing/plans?x=1"
        );
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n",
            "/\r\n/evil.example",
            "https://billing.example.com.evil.example/",
            "https://billing.example.com@evil.example/",
            "http://billing.example.com/billing",
            "https:\t//evil.example",
            "javascript:alert(1)",
            "billing",
        ] {
            assert_eq!(landing(Role::Member, evil), "/billing", "{evil:?}");
        }
        assert_eq!(
            landing_page(&user(Role::Member), None, PUBLIC).to_string(),
            "/billing"
        );
    }

    #[test]
    fn members_are_not_sent_to_the_console() {
        assert_eq!(landing(Role::Member, "/admin"), "/billing");
        assert_eq!(landing(Role::Member, "/admin/members"), "/billing");
        assert_eq!(landing(Role::Admin, "/admin/members"), "/admin/members");
    }

    proptest! {
        /// Whatever `next` holds, the answer is a path of this site that makes a valid
        /// `Location` header and that a browser resolves to this site's origin.
        #[test]
        fn any_next_lands_on_this_site(next in any::<String>(), admin in any::<bool>()) {
            let role = if admin { Role::Admin } else { Role::Member };
            let path = landing_page(&user(role), Some(&next), PUBLIC);
            prop_assert!(http::HeaderValue::from_str(path.as_str()).is_ok());
            let base = url::Url::parse(PUBLIC).expect("base");
            let resolved = base.join(path.as_str()).expect("resolves");
            prop_assert_eq!(resolved.origin(), base.origin());
        }

        /// The same for strings built from the characters attacks are made of.
        #[test]
        fn crafted_next_lands_on_this_site(
            next in "[/\\\\\t\r\n %0-9a-fA-F.:@?#&=a-z]{0,24}",
        ) {
            let path = landing_page(&user(Role::Member), Some(&next), PUBLIC);
            prop_assert!(http::HeaderValue::from_str(path.as_str()).is_ok());
            let base = url::Url::parse(PUBLIC).expect("base");
            let resolved = base.join(path.as_str()).expect("resolves");
            prop_assert_eq!(resolved.origin(), base.origin());
            prop_assert!(!path.is_under("/admin"));
        }
    }
}
