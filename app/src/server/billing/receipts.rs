//! Receipt emails. The event worker queues one per paid invoice (in the transaction that
//! applies `invoice.paid`, so a redelivered event queues nothing new); the mailer claims due
//! receipts, renders the invoice PDF, and sends it over SMTP with the PDF attached.

use super::invoices::{currency_of, render};
use crate::model::Money;
use crate::server::db;
use crate::server::db::receipts::DueReceipt;
use crate::server::AppState;
use anyhow::{anyhow, Context};
use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// How many times a receipt is tried before it is given up (and shown as failed).
const MAX_ATTEMPTS: i32 = 6;

/// Where receipts go out from. The URL may hold SMTP credentials, so it stays secret.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or `smtps://...`.
    pub url: SecretString,
    pub from: Mailbox,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.url.expose_secret())
            // Never echo the URL: it may carry a password.
            .map_err(|e| {
                anyhow!(
                    "the SMTP URL is not valid: {}",
                    e.to_string().replace(config.url.expose_secret(), "<url>")
                )
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Self {
            transport,
            from: config.from.clone(),
        })
    }

    /// Sends what is due until the process stops; wakes every few seconds.
    pub async fn run(self, state: AppState) {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        loop {
            tick.tick().await;
            if let Err(e) = self.send_due(&state).await {
                tracing::warn!(error = format!("{e:#}"), "receipt mailer pass failed");
            }
        }
    }

    /// One pass: claims and sends the receipts that are due. Returns how many were sent.
    pub async fn send_due(&self, state: &AppState) -> anyhow::Result<usize> {
        let due = {
            let mut db = state.pool.acquire().await.context("acquire connection")?;
            db::receipts::claim_due(&mut db, 20)
                .await
                .context("claim receipts")?
        };
        let mut sent = 0;
        for receipt in due {
            let outcome = self.send_one(state, &receipt).await;
            let mut db = state.pool.acquire().await.context("acquire connection")?;
            match outcome {
                Ok(()) => {
                    db::receipts::mark_sent(&mut db, &receipt.mode, &receipt.invoice_id)
                        .await
                        .context("mark receipt sent")?;
                    sent += 1;
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::warn!(invoice = %receipt.invoice_id, error, "receipt not sent");
                    let retry_at = (receipt.attempts < MAX_ATTEMPTS).then(|| {
                        Utc::now()
                            + chrono::Duration::minutes(
                                2_i64.pow(receipt.attempts.clamp(0, 10) as u32),
                            )
                    });
                    db::receipts::mark_failed(
                        &mut db,
                        &receipt.mode,
                        &receipt.invoice_id,
                        &error,
                        retry_at,
                    )
                    .await
                    .context("mark receipt failed")?;
                }
            }
        }
        Ok(sent)
    }

    async fn send_one(&self, state: &AppState, receipt: &DueReceipt) -> anyhow::Result<()> {
        let row = db::invoices::document(&state.pool, &receipt.mode, &receipt.invoice_id)
            .await
            .context("load invoice")?
            .ok_or_else(|| anyhow!("the invoice is not stored"))?;
        let to = row
            .customer_email
            .clone()
            .or(row.member_email.clone())
            .ok_or_else(|| anyhow!("the invoice has no email address"))?;
        let to: Mailbox = to.parse().context("the invoice's email address")?;
        let number = row.number.clone().unwrap_or_else(|| row.id.clone());
        let paid = Money::new(row.amount_paid, currency_of(&row.currency));
        let pdf = render(&state.pool, &receipt.mode, row)
            .await
            .map_err(|e| anyhow!("render the invoice: {e}"))?;
        let body = format!(
            "Thank you for your payment of {paid}.\n\n\
             Your invoice {number} is attached as a PDF. You can also download it any time \
             from Billing > Invoices in your account.\n"
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("Receipt for invoice {number}"))
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(
                        Attachment::new(format!("invoice-{number}.pdf"))
                            .body(pdf, ContentType::parse("application/pdf")?),
                    ),
            )
            .context("build the receipt email")?;
        self.transport
            .send(message)
            .await
            .context("send over SMTP")?;
        Ok(())
    }
}
