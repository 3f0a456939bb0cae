//! Paths on this site that a redirect may send a browser to.

use std::borrow::Cow;

/// The longest path a redirect carries; a longer `next` falls back to the role's home.
pub const MAX_LOCAL_PATH: usize = 2048;

/// A path on this site: one leading `/`, then only the characters a URL's path, query and
/// fragment may carry unescaped (RFC 3986) and well-formed `%XX` escapes.
///
/// That rules out every way a browser reads a "path" as another origin (`//host`, `/\host`,
/// `/<TAB>/host` once the tab is dropped) and every byte that cannot sit in a `Location` header,
/// so a redirect built from one can neither leave the site nor fail to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(Cow<'static, str>);

impl LocalPath {
    /// A path known when the code is written (`/login`). Checked at compile time when used in
    /// a `const`; `parse` is for anything else.
    pub const fn fixed(path: &'static str) -> Self {
        assert!(is_local_path(path.as_bytes()), "not a local path");
        Self(Cow::Borrowed(path))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        is_local_path(raw.as_bytes()).then(|| Self(Cow::Owned(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the path is `area` itself or lies under it (`/admin`, `/admin/...`,
    /// `/admin?...`), so `/administrator` is not under `/admin`.
    pub fn is_under(&self, area: &str) -> bool {
        match self.0.strip_prefix(area) {
            Some(rest) => rest.is_empty() || rest.starts_with(['/', '?', '#']),
            None => false,
        }
    }
}

impl std::fmt::Display for LocalPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const fn is_local_path(bytes: &[u8]) -> bool {
    if bytes.is_empty() || bytes.len() > MAX_LOCAL_PATH || bytes[0] != b'/' {
        return false;
    }
    if bytes.len() > 1 && (bytes[1] == b'/' || bytes[1] == b'\\') {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if i + 2 >= bytes.len() {
                return false;
            }
            if !bytes[i + 1].is_ascii_hexdigit() || !bytes[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
            continue;
        }
        if !is_url_char(b) {
            return false;
        }
        i += 1;
    }
    true
}

/// RFC 3986's unreserved and sub-delims, plus the path, query and fragment separators.
const fn is_url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'?'
                | b'#'
        )
}

/// Percent-encodes `value` for a query parameter, so any path (even one with `&`, `#` or a
/// newline) survives the round trip through `/login?next=...`.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_with_queries_and_escapes_are_kept() {
        for path in [
            "/",
            "/billing",
            "/billing/invoices?cursor=2026-01-01&dir=next",
            "/admin/members/0f1e?q=ada%40example.com#top",
        ] {
            assert_eq!(
                LocalPath::parse(path).map(|p| p.to_string()),
                Some(path.into())
            );
        }
    }

    #[test]
    fn anything_a_browser_could_read_as_another_origin_is_refused() {
        for raw in [
            "",
            "billing",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n",
            "/\r\n/evil.example",
            "https://evil.example",
            "/ok\u{7f}",
            "/é",
            "/a b",
            "/%",
            "/%0",
            "/%zz",
            "/<script>",
        ] {
            assert_eq!(LocalPath::parse(raw), None, "{raw:?}");
        }
        assert_eq!(
            LocalPath::parse(&format!("/{}", "a".repeat(MAX_LOCAL_PATH))),
            None
        );
    }

    #[test]
    fn areas_match_whole_segments() {
        let admin = LocalPath::fixed("/admin/members?q=x");
        assert!(admin.is_under("/admin"));
        assert!(LocalPath::fixed("/admin").is_under("/admin"));
        assert!(!LocalPath::fixed("/administrator").is_under("/admin"));
    }

    #[test]
    fn encoded_query_values_are_local_paths_themselves() {
        let encoded = encode_query_value("/billing?a=1&b=2#x\n");
        assert_eq!(encoded, "/billing%3Fa%3D1%26b%3D2%23x%0A");
        assert!(LocalPath::parse(&encoded).is_some());
    }
}
