use super::{AppError, LocalPath};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    /// Where a signed-in user of this role lands.
    pub fn home(self) -> &'static str {
        match self {
            Self::Admin => "/admin",
            Self::Member => "/billing",
        }
    }

    pub fn home_path(self) -> LocalPath {
        LocalPath::fixed(self.home())
    }
}

/// What the browser knows about whoever is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A syntactically plausible email address, trimmed and lowercased so that one person has one
/// account whatever case they type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim().to_lowercase();
        let invalid = || AppError::validation("email", "Enter a valid email address.");
        if email.is_empty() {
            return Err(AppError::validation("email", "Enter your email address."));
        }
        if email.len() > 254 || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the length policy. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: String) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(AppError::validation(
                "password",
                format!("Use at least {} characters.", Self::MIN_LEN),
            ));
        }
        if len > Self::MAX_LEN {
            return Err(AppError::validation(
                "password",
                format!("Use at most {} characters.", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::validation("name", "Enter your name."));
        }
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::validation(
                "name",
                "Use at most 100 characters, without control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated sign-up form.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub name: DisplayName,
    pub email: EmailAddress,
    pub password: Password,
}

impl SignUp {
    pub fn parse(name: &str, email: &str, password: String) -> Result<Self, AppError> {
        Ok(Self {
            name: DisplayName::parse(name)?,
            email: EmailAddress::parse(email)?,
            password: Password::parse(password)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let email = EmailAddress::parse("  Ada@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_a_field_error() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@c.de",
            "ada@.com",
            "a@b..com",
        ] {
            let err = EmailAddress::parse(bad).expect_err(bad);
            assert!(err.field_message("email").is_some(), "{bad}");
        }
    }

    #[test]
    fn short_passwords_are_refused_and_never_printed() {
        assert!(Password::parse("short".into()).is_err());
        let ok = Password::parse("correct horse".into()).expect("long enough");
        assert_eq!(format!("{ok:?}"), "Password(***)");
    }

    #[test]
    fn blank_names_are_refused() {
        assert!(DisplayName::parse("   ").is_err());
        assert_eq!(DisplayName::parse(" Ada ").expect("valid").as_str(), "Ada");
    }
}
