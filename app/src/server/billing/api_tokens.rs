//! REST API tokens: made and revoked by admins, shown once, stored as a SHA-256 of the secret.
//! A token acts either as the admin role or as one member.

use crate::model::{ApiTokenForm, ApiTokenView, AppError, CreatedApiToken, CurrentUser, Role};
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::error::OrInternal;
use crate::server::AppState;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// Every secret starts with this, so a leaked one is recognisable in logs and scanners.
const SECRET_PREFIX: &str = "pdk_";

/// Who a request's token acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    Admin,
    Member(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenIdentity {
    pub token_id: Uuid,
    pub scope: TokenScope,
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The identity behind `Authorization: Bearer <secret>`, or `None` for an unknown or revoked
/// token. Secrets are compared by their hash in the database (an indexed equality).
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<TokenIdentity>, AppError> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let found = db::api_tokens::authenticate(pool, &hash(secret))
        .await
        .or_internal("check API token")?;
    Ok(found.and_then(|(token_id, scope, member)| {
        let scope = match (scope.as_str(), member) {
            ("admin", _) => TokenScope::Admin,
            ("member", Some(member)) => TokenScope::Member(member),
            _ => return None,
        };
        Some(TokenIdentity { token_id, scope })
    }))
}

pub async fn list(state: &AppState) -> Result<Vec<ApiTokenView>, AppError> {
    let rows = db::api_tokens::list(&state.pool)
        .await
        .or_internal("list API tokens")?;
    Ok(rows
        .into_iter()
        .map(|t| ApiTokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            acts_as: match t.member_email {
                Some(email) if t.scope == "member" => email,
                _ => "Admin".to_owned(),
            },
            created_by: t.created_by_email,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        })
        .collect())
}

pub async fn create(
    state: &AppState,
    admin: &CurrentUser,
    form: &ApiTokenForm,
) -> Result<CreatedApiToken, AppError> {
    form.validate()?;
    let member = if form.scope == "member" {
        let email = form.member_email.trim().to_lowercase();
        let user = db::users::find_by_email(&state.pool, &email)
            .await
            .or_internal("find token member")?
            .filter(|u| u.role == Role::Member)
            .ok_or_else(|| AppError::validation("member_email", "No member has that email."))?;
        Some(user)
    } else {
        None
    };
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(bytes));
    let prefix: String = secret.chars().take(SECRET_PREFIX.len() + 6).collect();
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let name = form.name.trim();
    let mut tx = state.pool.begin().await.or_internal("begin token")?;
    db::api_tokens::insert(
        &mut *tx,
        &db::api_tokens::NewToken {
            id,
            name,
            prefix: &prefix,
            secret_hash: &hash(&secret),
            scope: &form.scope,
            member_id: member.as_ref().map(|m| m.id),
            created_by: admin.id,
        },
    )
    .await
    .or_internal("store token")?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "api_token.created",
        &id.to_string(),
        json!({
            "name": name,
            "scope": form.scope,
            "member": member.as_ref().map(|m| m.email.clone()),
            "prefix": prefix,
        }),
    )
    .await
    .or_internal("audit token")?;
    tx.commit().await.or_internal("commit token")?;
    let token = list(state)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::Internal)?;
    Ok(CreatedApiToken { token, secret })
}

pub async fn revoke(state: &AppState, admin: &CurrentUser, id: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await.or_internal("begin revoke")?;
    let name = db::api_tokens::revoke(&mut *tx, id)
        .await
        .or_internal("revoke token")?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "api_token.revoked",
        &id.to_string(),
        json!({ "name": name }),
    )
    .await
    .or_internal("audit revoke")?;
    tx.commit().await.or_internal("commit revoke")
}
