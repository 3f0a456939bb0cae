//! Admins invite admins. An invitation is a link with a secret, shown once to the inviting
//! admin, valid for a week and once. Whoever opens it becomes an admin: with a new account,
//! or, when the email already has one, by proving it with that account's password.

use crate::model::{
    AdminsPage, AppError, CreatedInvite, CurrentUser, DisplayName, EmailAddress, InviteForm,
    Password, Role,
};
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::error::OrInternal;
use crate::server::{passwords, AppState};
use chrono::{Duration, Utc};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const VALID_FOR_DAYS: i64 = 7;

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub async fn page(state: &AppState) -> Result<AdminsPage, AppError> {
    let admins = db::users::admins(&state.pool)
        .await
        .or_internal("list admins")?;
    let invites = db::invites::list(&state.pool, 50)
        .await
        .or_internal("list invites")?;
    Ok(AdminsPage { admins, invites })
}

pub async fn invite(
    state: &AppState,
    admin: &CurrentUser,
    form: &InviteForm,
) -> Result<CreatedInvite, AppError> {
    let email = form.email()?;
    if db::users::find_by_email(&state.pool, email.as_str())
        .await
        .or_internal("look up invitee")?
        .is_some_and(|u| u.role == Role::Admin)
    {
        return Err(AppError::validation(
            "email",
            "This person is already an admin.",
        ));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let expires_at = Utc::now() + Duration::days(VALID_FOR_DAYS);
    let mut tx = state.pool.begin().await.or_internal("begin invite")?;
    db::invites::insert(
        &mut *tx,
        id,
        email.as_str(),
        &hash(&secret),
        admin.id,
        expires_at,
    )
    .await
    .or_internal("insert invite")?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "admin.invited",
        email.as_str(),
        json!({ "invite": id, "expires_at": expires_at }),
    )
    .await
    .or_internal("audit invite")?;
    tx.commit().await.or_internal("commit invite")?;
    Ok(CreatedInvite {
        email: email.as_str().to_owned(),
        link: format!("{}/invite/{secret}", state.public_url.trim_end_matches('/')),
        expires_at,
    })
}

pub async fn revoke(state: &AppState, admin: &CurrentUser, id: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await.or_internal("begin revoke")?;
    let email = db::invites::revoke(&mut *tx, id)
        .await
        .or_internal("revoke invite")?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "admin.invite_revoked",
        &email,
        json!({ "invite": id }),
    )
    .await
    .or_internal("audit revoke")?;
    tx.commit().await.or_internal("commit revoke")
}

/// Takes the console away from another admin: they become a member and every session they
/// have ends at once. The last admin cannot be removed, and nobody removes themselves (so a
/// stolen session cannot lock the real admin out by removing them either way round alone).
pub async fn remove_admin(
    state: &AppState,
    admin: &CurrentUser,
    email: &str,
) -> Result<(), AppError> {
    let email = EmailAddress::parse(email).map_err(|_| AppError::NotFound)?;
    if email.as_str() == admin.email {
        return Err(AppError::Conflict(
            "You cannot remove yourself; another admin can.".into(),
        ));
    }
    let mut tx = state
        .pool
        .begin()
        .await
        .or_internal("begin admin removal")?;
    // Locks every admin row, so two admins removing each other cannot leave none.
    let admins = db::users::lock_admins(&mut *tx)
        .await
        .or_internal("lock admins")?;
    if !admins.iter().any(|a| a == email.as_str()) {
        return Err(AppError::NotFound);
    }
    if admins.len() < 2 {
        return Err(AppError::Conflict(
            "The last admin cannot be removed.".into(),
        ));
    }
    db::users::demote_admin(&mut *tx, email.as_str())
        .await
        .or_internal("demote admin")?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "admin.removed",
        email.as_str(),
        json!({ "role": { "before": "admin", "after": "member" }, "sessions": "ended" }),
    )
    .await
    .or_internal("audit admin removal")?;
    tx.commit().await.or_internal("commit admin removal")
}

/// Who an open invitation is for, for the page that accepts it.
pub async fn invitee(state: &AppState, secret: &str) -> Result<(String, bool), AppError> {
    let mut tx = state
        .pool
        .begin()
        .await
        .or_internal("begin invite lookup")?;
    let invite = db::invites::open_for_update(&mut tx, &hash(secret))
        .await
        .or_internal("find invite")?
        .ok_or_else(gone)?;
    let has_account = db::invites::account(&mut tx, &invite.email)
        .await
        .or_internal("look up invitee")?
        .is_some();
    Ok((invite.email, has_account))
}

fn gone() -> AppError {
    AppError::NotFound
}

/// Accepts an invitation: a new admin account, or an existing account (its password given)
/// made admin. The invitation is used up either way.
pub async fn accept(
    state: &AppState,
    secret: &str,
    name: &str,
    password: String,
) -> Result<CurrentUser, AppError> {
    let mut tx = state.pool.begin().await.or_internal("begin accept")?;
    let invite = db::invites::open_for_update(&mut tx, &hash(secret))
        .await
        .or_internal("find invite")?
        .ok_or_else(gone)?;
    let user_id = match db::invites::account(&mut tx, &invite.email)
        .await
        .or_internal("look up invitee")?
    {
        Some((id, _, stored)) => {
            if !passwords::verify(password, Some(stored)).await? {
                return Err(AppError::validation(
                    "password",
                    "That is not this account's password.",
                ));
            }
            db::invites::promote(&mut tx, id)
                .await
                .or_internal("promote to admin")?;
            id
        }
        None => {
            let name = DisplayName::parse(name)?;
            let password = Password::parse(password)?;
            let hashed = passwords::hash(&password).await?;
            db::invites::insert_admin(&mut tx, &invite.email, name.as_str(), &hashed)
                .await
                .or_internal("insert admin")?
        }
    };
    db::invites::mark_accepted(&mut tx, invite.id)
        .await
        .or_internal("use invite")?;
    audit::record(
        &mut *tx,
        &Actor {
            id: Some(user_id),
            email: &invite.email,
        },
        "admin.joined",
        &invite.email,
        json!({ "invite": invite.id }),
    )
    .await
    .or_internal("audit join")?;
    tx.commit().await.or_internal("commit accept")?;
    db::users::find(&state.pool, user_id)
        .await
        .or_internal("load new admin")?
        .ok_or(AppError::NotFound)
}
