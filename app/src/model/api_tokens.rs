//! REST API tokens as the console shows and creates them.

use super::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: Uuid,
    pub name: String,
    /// The secret's first characters, enough to tell tokens apart.
    pub prefix: String,
    /// "Admin" or the member's email.
    pub acts_as: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an admin types to make a token: a name, and either the admin role or a member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenForm {
    pub name: String,
    /// "admin" or "member".
    pub scope: String,
    /// The member's email, for a member token.
    pub member_email: String,
}

impl ApiTokenForm {
    pub fn validate(&self) -> Result<(), AppError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AppError::validation("name", "Give the token a name."));
        }
        if name.chars().count() > 80 {
            return Err(AppError::validation(
                "name",
                "Keep the name under 80 characters.",
            ));
        }
        match self.scope.as_str() {
            "admin" => Ok(()),
            "member" if self.member_email.trim().is_empty() => Err(AppError::validation(
                "member_email",
                "Name the member this token acts for.",
            )),
            "member" => Ok(()),
            _ => Err(AppError::validation("scope", "Choose admin or member.")),
        }
    }
}

/// A new token: the secret is shown this once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}
