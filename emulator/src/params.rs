//! Stripe's form encoding: flat `key=value` pairs whose keys nest with brackets
//! (`line_items[0][price]`, `metadata[plan]`, `expand[]`). Query strings use the same scheme,
//! so one parser serves both.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// One parsed parameter value: a leaf string or a nested map. Lists arrive either as
/// `a[]=x&a[]=y` or `a[0]=x&a[1]=y`; both become maps keyed by position, read back with [`Param::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Str(String),
    Map(BTreeMap<String, Param>),
}

/// The parameters of one request, with a canonical form used to compare idempotent requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    root: BTreeMap<String, Param>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a body or a query string).
    pub fn parse(encoded: &str) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(encoded)
            .map_err(|e| ApiError::invalid_request(format!("Invalid request body: {e}"), None))?;
        let mut params = Params::default();
        for (key, value) in pairs {
            params.insert(&key, value)?;
        }
        Ok(params)
    }

    fn insert(&mut self, key: &str, value: String) -> Result<(), ApiError> {
        let path = split_key(key).ok_or_else(|| {
            ApiError::invalid_request(format!("Invalid parameter name: {key}"), Some(key))
        })?;
        let mut node = &mut self.root;
        for (i, seg) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let seg = if seg.is_empty() {
                format!("{:010}", node.len())
            } else {
                seg.clone()
            };
            if last {
                node.insert(seg, Param::Str(value));
                return Ok(());
            }
            let entry = node
                .entry(seg)
                .or_insert_with(|| Param::Map(BTreeMap::new()));
            node = match entry {
                Param::Map(m) => m,
                Param::Str(_) => {
                    return Err(ApiError::invalid_request(
                        format!(
                        "Invalid value for {key}: a parameter cannot be both a value and a hash."
                    ),
                        Some(key),
                    ))
                }
            };
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&Param> {
        self.root.get(key)
    }

    /// The top-level parameter names, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.root.keys().map(String::as_str)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Param::as_str)
    }

    /// A hash parameter (`subscription_details[...]`) as parameters of its own; empty if absent.
    pub fn nested(&self, key: &str) -> Params {
        Params {
            root: self
                .get(key)
                .and_then(Param::as_map)
                .cloned()
                .unwrap_or_default(),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Param> {
        self.root.remove(key)
    }

    pub fn required_str(&self, key: &str) -> Result<&str, ApiError> {
        match self.str(key) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing_param(key)),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        parse_int(self.str(key), key)
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        parse_bool(self.str(key), key)
    }

    /// The strings of a list parameter such as `expand[]`.
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Param::Str(s)) => vec![s.clone()],
            Some(p @ Param::Map(_)) => p
                .list()
                .iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect(),
            None => Vec::new(),
        }
    }

    /// A canonical rendering, so two requests with the same parameters in another order compare equal.
    pub fn fingerprint(&self) -> String {
        format!("{:?}", self.root)
    }
}

impl Param {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Param::Str(s) => Some(s),
            Param::Map(_) => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Param>> {
        match self {
            Param::Map(m) => Some(m),
            Param::Str(_) => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Param> {
        self.as_map().and_then(|m| m.get(key))
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Param::as_str)
    }

    /// The elements of a list, in index order (`0`, `1`, ..., `10` sort numerically).
    pub fn list(&self) -> Vec<&Param> {
        match self {
            Param::Str(_) => vec![self],
            Param::Map(m) => {
                let mut items: Vec<(&String, &Param)> = m.iter().collect();
                items.sort_by(
                    |(a, _), (b, _)| match (a.parse::<u64>(), b.parse::<u64>()) {
                        (Ok(x), Ok(y)) => x.cmp(&y),
                        _ => a.cmp(b),
                    },
                );
                items.into_iter().map(|(_, v)| v).collect()
            }
        }
    }
}

pub fn parse_int(raw: Option<&str>, key: &str) -> Result<Option<i64>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::invalid_request(format!("Invalid integer: {s}"), Some(key))),
    }
}

pub fn parse_bool(raw: Option<&str>, key: &str) -> Result<Option<bool>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(s) => Err(ApiError::invalid_request(
            format!("Invalid boolean: {s}"),
            Some(key),
        )),
    }
}

/// `a[b][]` -> `["a", "b", ""]`; `None` for unbalanced brackets.
fn split_key(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut path = vec![head.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        path.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_brackets_and_lists_are_parsed() {
        let p = Params::parse(
            "line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2&metadata[plan]=pro&expand[]=a&expand[]=b",
        )
        .expect("parses");
        let items = p.get("line_items").expect("items").list();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].str("price"), Some("price_1"));
        assert_eq!(items[1].str("price"), Some("price_2"));
        assert_eq!(p.get("metadata").and_then(|m| m.str("plan")), Some("pro"));
        assert_eq!(p.strings("expand"), vec!["a", "b"]);
    }

    #[test]
    fn list_indices_sort_numerically() {
        let q: String = (0..12).map(|i| format!("a[{i}]=v{i}&")).collect();
        let p = Params::parse(&q).expect("parses");
        let values: Vec<_> = p
            .get("a")
            .expect("a")
            .list()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(values[10], "v10");
    }

    #[test]
    fn same_params_in_another_order_have_the_same_fingerprint() {
        let a = Params::parse("x=1&y[z]=2").expect("parses");
        let b = Params::parse("y[z]=2&x=1").expect("parses");
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn unbalanced_brackets_are_rejected() {
        assert!(Params::parse("a[b=1").is_err());
    }
}
