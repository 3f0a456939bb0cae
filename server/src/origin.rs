//! Refuses state-changing requests that a browser sent from another site. Sessions are
//! cookies, so without this any page a member visits could post to us in their name.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The origins mutations may come from besides the request's own host.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    pub public_origin: String,
}

pub async fn refuse_cross_origin(
    State(policy): State<Arc<OriginPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_origin(request.headers(), &policy) {
        next.run(request).await
    } else {
        tracing::warn!(
            path = request.uri().path(),
            "refused a cross-origin request"
        );
        (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response()
    }
}

/// Trusts `Sec-Fetch-Site` where the browser sends it, then `Origin`. A request with neither
/// comes from no browser (curl, a server), which carries no one's cookies by accident.
fn is_same_origin(headers: &HeaderMap, policy: &OriginPolicy) -> bool {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value(header::ORIGIN.as_str()) else {
        return true;
    };
    if origin == policy.public_origin {
        return true;
    }
    let Some(host) = value(header::HOST.as_str()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|origin_host| origin_host == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&'static str, &'static str)]) -> bool {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.insert(*k, v.parse().expect("header value"));
        }
        let policy = OriginPolicy {
            public_origin: "https://billing.example.com".into(),
        };
        is_same_origin(&headers, &policy)
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(check(&[("sec-fetch-site", "same-origin")]));
        assert!(check(&[("sec-fetch-site", "none")]));
        assert!(!check(&[("sec-fetch-site", "cross-site")]));
        assert!(!check(&[("sec-fetch-site", "same-site")]));
        assert!(!check(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://billing.example.com")
        ]));
    }

    #[test]
    fn origin_must_match_the_host_or_the_public_url() {
        assert!(check(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(check(&[
            ("origin", "https://billing.example.com"),
            ("host", "10.0.0.5")
        ]));
        assert!(!check(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ]));
        assert!(!check(&[("origin", "null"), ("host", "127.0.0.1:3000")]));
    }

    #[test]
    fn requests_from_no_browser_pass() {
        assert!(check(&[]));
    }
}
