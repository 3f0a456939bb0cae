//! `paydesk demo seed`: a realistic billing history at the admin console's design size (a
//! million members, ten million invoices) in minutes, for benchmarks and demos.
//!
//! Postgres makes the rows itself (`INSERT ... SELECT ... FROM generate_series`), one batch
//! per statement; Rust only chooses the batches and prints progress. Every value is a hash of
//! the row's number (`hashint8extended(n, key)`, one key per attribute), so the same sizes
//! always give the same data, and a later statement can find an earlier one's rows by number
//! instead of by lookup tables.
//!
//! During the load the rollup triggers are off (the rollups are rebuilt once at the end) and
//! the secondary indexes are dropped and built again afterwards: together that halves the
//! time (23 min -> 11.5 min at full size, docs/benchmarks.md).
//!
//! The load is one transaction, so those changes are too: an interrupted run leaves nothing
//! behind (triggers and indexes included) and can simply be started again. A database that
//! already holds seeded members is left as it is, so a second run changes nothing.

use anyhow::{Context, Result};
use app::model::{Currency, Money, Password};
use chrono::{DateTime, Datelike, Utc};
use serde_json::{json, Map, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgConnection, PgPool};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// At most ten digits: seeded ids are zero-padded to ten so their text order is their number
/// order, which keeps every primary key append-only during the load.
pub const MAX_ROWS: u64 = 9_999_999_999;

/// Invoices generated per statement (about); members per statement is derived from it.
const INVOICES_PER_BATCH: i64 = 100_000;
/// Members (users, customers, cards) per statement.
const MEMBERS_PER_BATCH: i64 = 100_000;
/// Invoices read back per payments statement.
const PAYMENTS_PER_BATCH: i64 = 200_000;

/// A pool whose statements are not logged: the seed's statements run for seconds by design,
/// and sqlx's slow-statement warnings (each with the whole SQL) would bury the progress.
pub async fn connect(database_url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)
        .context("read DATABASE_URL")?
        .disable_statement_logging();
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .context("connect to Postgres")
}

#[derive(Debug, Clone)]
pub struct SeedSize {
    pub members: i64,
    pub invoices: i64,
}

/// Loads `size` seeded members with their customers, cards, subscriptions, invoices and
/// payments into `mode`, after `demo::seed` made the plans they subscribe to.
pub async fn run(pool: &PgPool, mode: &str, size: &SeedSize) -> Result<()> {
    let started = Instant::now();
    let password =
        Password::parse(crate::demo::MEMBER_PASSWORD.to_owned()).map_err(anyhow::Error::msg)?;
    // One hash for everyone: argon2 is slow on purpose, and any seeded member can sign in.
    let password_hash = app::server::passwords::hash(&password)
        .await
        .map_err(anyhow::Error::msg)
        .context("hash the seeded members' password")?;
    let mut tx = pool.begin().await.context("begin the seed transaction")?;
    // The ALTERs lock the tables first, so a second seed started alongside waits here and
    // then finds the first one's members.
    pause_rollup_triggers(&mut tx).await?;
    let seeded = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users
            WHERE id BETWEEN '5eed0000-0000-4000-8000-000000000000'
                         AND '5eed0000-0000-4000-8000-ffffffffffff'"#
    )
    .fetch_one(&mut *tx)
    .await
    .context("count seeded members")?;
    if seeded > 0 {
        println!(
            "This database already holds {seeded} seeded members; nothing to do. \
             Seed a fresh database for other sizes."
        );
        return Ok(());
    }
    let offers = plan_offers(&mut tx, mode).await?;
    tune_session(&mut tx).await?;
    let deferred = drop_secondary_indexes(&mut tx).await?;
    insert_tax_rates(&mut tx, mode).await?;
    let now = Utc::now();
    let mut steps = Vec::new();
    steps.push(seed_users(&mut tx, size, &password_hash, now).await?);
    steps.push(seed_customers(&mut tx, mode, size).await?);
    steps.push(seed_payment_methods(&mut tx, mode, size, now).await?);
    steps.push(seed_subscriptions(&mut tx, mode, size, now, &offers).await?);
    steps.push(seed_invoices(&mut tx, mode, size, now, &offers).await?);
    steps.push(seed_payments(&mut tx, mode, size, now).await?);
    steps.push(rebuild_indexes(&mut tx, &deferred).await?);
    let step = Instant::now();
    resume_rollup_triggers(&mut tx).await?;
    sqlx::query_scalar!(r#"SELECT count(*) AS "rebuilt!" FROM rebuild_admin_rollups()"#)
        .fetch_one(&mut *tx)
        .await
        .context("rebuild the admin rollups")?;
    steps.push(Timing::done("rollups", None, step));
    let step = Instant::now();
    tx.commit().await.context("commit the seed")?;
    steps.push(Timing::done("commit", None, step));
    let step = Instant::now();
    vacuum(pool).await?;
    steps.push(Timing::done("vacuum analyze", None, step));
    println!("\nSeeded in {:.0} s:", started.elapsed().as_secs_f64());
    for step in &steps {
        match step.rows {
            Some(rows) => println!(
                "  {:<16} {:>8.1} s {:>12} rows {:>10.0} rows/s",
                step.name,
                step.seconds,
                rows,
                rows as f64 / step.seconds.max(0.001)
            ),
            None => println!("  {:<16} {:>8.1} s", step.name, step.seconds),
        }
    }
    Ok(())
}

/// The rollups are rebuilt once at the end: counting ten million rows one trigger call at a
/// time, all on the same few rollup rows, would take hours. `ALTER TABLE` is transactional,
/// so an interrupted seed leaves the triggers on.
async fn pause_rollup_triggers(tx: &mut PgConnection) -> Result<()> {
    sqlx::query!(
        "ALTER TABLE subscriptions DISABLE TRIGGER subscriptions_count_insert_delete,
                                   DISABLE TRIGGER subscriptions_count_update"
    )
    .execute(&mut *tx)
    .await
    .context("disable the subscription rollup triggers")?;
    sqlx::query!(
        "ALTER TABLE payments DISABLE TRIGGER payments_count_insert_delete,
                              DISABLE TRIGGER payments_count_update"
    )
    .execute(&mut *tx)
    .await
    .context("disable the revenue rollup triggers")?;
    Ok(())
}

async fn resume_rollup_triggers(tx: &mut PgConnection) -> Result<()> {
    sqlx::query!(
        "ALTER TABLE subscriptions ENABLE TRIGGER subscriptions_count_insert_delete,
                                   ENABLE TRIGGER subscriptions_count_update"
    )
    .execute(&mut *tx)
    .await
    .context("enable the subscription rollup triggers")?;
    sqlx::query!(
        "ALTER TABLE payments ENABLE TRIGGER payments_count_insert_delete,
                              ENABLE TRIGGER payments_count_update"
    )
    .execute(&mut *tx)
    .await
    .context("enable the revenue rollup triggers")?;
    Ok(())
}

/// Sorts for the per-batch windows stay in memory, and JIT (seconds of compiling per
/// statement, for plans whose row estimates are large) stays off.
async fn tune_session(tx: &mut PgConnection) -> Result<()> {
    sqlx::query!("SET LOCAL work_mem = '256MB'")
        .execute(&mut *tx)
        .await
        .context("set work_mem")?;
    sqlx::query!("SET LOCAL jit = off")
        .execute(&mut *tx)
        .await
        .context("turn JIT off")?;
    Ok(())
}

/// Hint bits and the visibility map written once now, so the first benchmark query does not
/// pay for them, and fresh statistics for the planner.
async fn vacuum(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await.context("connect for VACUUM")?;
    sqlx::query!(
        "VACUUM (ANALYZE) users, customers, payment_methods, subscriptions, invoices, payments,
                          refunds"
    )
    .execute(&mut *conn)
    .await
    .context("vacuum the seeded tables")?;
    Ok(())
}

/// The tables the seed fills. Their secondary indexes are dropped for the load and built
/// again at the end, from the definitions Postgres reports, so the migrations stay the one
/// place that says what they are.
const SEEDED_TABLES: [&str; 7] = [
    "users",
    "customers",
    "payment_methods",
    "subscriptions",
    "invoices",
    "payments",
    "refunds",
];

struct DeferredIndex {
    name: String,
    definition: String,
}

/// Drops the seeded tables' non-unique indexes: building them once from the loaded rows is
/// faster than keeping them up to date through millions of scattered inserts. Unique
/// indexes and primary keys stay, so a duplicate still fails the load.
async fn drop_secondary_indexes(tx: &mut PgConnection) -> Result<Vec<DeferredIndex>> {
    let tables: Vec<String> = SEEDED_TABLES.iter().map(|t| t.to_string()).collect();
    let indexes = sqlx::query!(
        r#"SELECT i.indexrelid::regclass::text AS "name!",
                  pg_get_indexdef(i.indexrelid) AS "definition!"
             FROM pg_index i
            WHERE i.indrelid = ANY (ARRAY(SELECT to_regclass(t) FROM unnest($1::text[]) AS t))
              AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1"#,
        &tables
    )
    .fetch_all(&mut *tx)
    .await
    .context("list the seeded tables' secondary indexes")?;
    let mut dropped = Vec::new();
    for index in indexes {
        // A name Postgres printed as a regclass, quoted where it needs to be; DDL takes no
        // bind parameters.
        sqlx::query(&format!("DROP INDEX {}", index.name))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("drop index {}", index.name))?;
        dropped.push(DeferredIndex {
            name: index.name,
            definition: index.definition,
        });
    }
    Ok(dropped)
}

async fn rebuild_indexes(tx: &mut PgConnection, indexes: &[DeferredIndex]) -> Result<Timing> {
    sqlx::query!("SET LOCAL maintenance_work_mem = '1GB'")
        .execute(&mut *tx)
        .await
        .context("set maintenance_work_mem")?;
    let started = Instant::now();
    for index in indexes {
        let step = Instant::now();
        sqlx::query(&index.definition)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("build index {}", index.name))?;
        println!(
            "  index {:<40} {:>6.1} s",
            index.name,
            step.elapsed().as_secs_f64()
        );
    }
    let timing = Timing::done("indexes", None, started);
    println!(
        "{:<18} {} built in {:.1} s",
        "indexes",
        indexes.len(),
        timing.seconds
    );
    Ok(timing)
}

struct Timing {
    name: &'static str,
    rows: Option<i64>,
    seconds: f64,
}

impl Timing {
    fn done(name: &'static str, rows: Option<i64>, started: Instant) -> Self {
        Self {
            name,
            rows,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// Rows so far and the rate, at most every few seconds, then the table's total.
struct Progress {
    table: &'static str,
    total: i64,
    done: i64,
    started: Instant,
    printed: Instant,
}

impl Progress {
    fn start(table: &'static str, total: i64) -> Self {
        let now = Instant::now();
        Self {
            table,
            total,
            done: 0,
            started: now,
            printed: now,
        }
    }

    fn add(&mut self, rows: i64) {
        self.done += rows;
        if self.printed.elapsed() >= Duration::from_secs(5) {
            self.printed = Instant::now();
            println!(
                "  {:<16} {:>12} / ~{} ({:.0} rows/s)",
                self.table,
                self.done,
                self.total,
                self.rate()
            );
        }
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(0.001)
    }

    fn finish(self) -> Timing {
        let timing = Timing::done(self.table, Some(self.done), self.started);
        println!(
            "{:<18} {:>12} rows in {:.1} s ({:.0} rows/s)",
            self.table,
            self.done,
            timing.seconds,
            self.rate()
        );
        timing
    }
}

/// `[first, last]` ranges of at most `size` numbers covering `1..=total`.
fn batches(total: i64, size: i64) -> impl Iterator<Item = (i64, i64)> {
    (0..)
        .map(move |i| (1 + i * size, ((i + 1) * size).min(total)))
        .take_while(move |(first, _)| *first <= total)
}

/// Members per subscription/invoice statement: about `INVOICES_PER_BATCH` invoices each.
fn members_per_invoice_batch(size: &SeedSize) -> i64 {
    let per_member = (size.invoices / size.members.max(1)).max(1);
    (INVOICES_PER_BATCH / per_member).clamp(1_000, MEMBERS_PER_BATCH)
}

/// The first invoice number of the members `first..=last` and how many invoices they share:
/// invoices are spread over member batches in proportion, so the shares add up to exactly
/// `size.invoices` and the batches' numbers follow each other.
fn invoice_share(size: &SeedSize, first: i64, last: i64) -> (i64, i64) {
    let before = i128::from(size.invoices) * i128::from(first - 1) / i128::from(size.members);
    let through = i128::from(size.invoices) * i128::from(last) / i128::from(size.members);
    // Both are at most `size.invoices`, an i64.
    let before = i64::try_from(before).unwrap_or(i64::MAX);
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    (before + 1, through - before)
}

async fn seed_users(
    tx: &mut PgConnection,
    size: &SeedSize,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Timing> {
    let first_names: Vec<String> = FIRST_NAMES.iter().map(|s| s.to_string()).collect();
    let last_names: Vec<String> = LAST_NAMES.iter().map(|s| s.to_string()).collect();
    let tlds: Vec<String> = EMAIL_TLDS.iter().map(|s| s.to_string()).collect();
    let mut progress = Progress::start("users", size.members);
    for (first, last) in batches(size.members, MEMBERS_PER_BATCH) {
        // Join dates: sqrt of a uniform number, so sign-ups grow towards today.
        let done = sqlx::query!(
            "INSERT INTO users (id, email, name, password_hash, role, created_at)
             SELECT ('5eed0000-0000-4000-8000-' || lpad(to_hex(g.n), 12, '0'))::uuid,
                    lower(r.first || '.' || r.last || '.' || g.n || '@example.' || r.tld),
                    r.first || ' ' || r.last || ' ' || g.n,
                    $3, 'member',
                    $4::timestamptz - interval '3 years' * (1 - sqrt(r.joined))
               FROM generate_series($1::bigint, $2::bigint) AS g (n)
              CROSS JOIN LATERAL (
                    SELECT ($5::text[])[1 + (hashint8extended(g.n, 1) & 2147483647) % cardinality($5)],
                           ($6::text[])[1 + (hashint8extended(g.n, 2) & 2147483647) % cardinality($6)],
                           ($7::text[])[1 + (hashint8extended(g.n, 3) & 2147483647) % cardinality($7)],
                           ((hashint8extended(g.n, 4) & 1048575) + 0.5) / 1048576.0
                    ) AS r (first, last, tld, joined)",
            first,
            last,
            password_hash,
            now as _,
            &first_names,
            &last_names,
            &tlds,
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert seeded users {first}..={last}"))?;
        progress.add(rows(done.rows_affected()));
    }
    // Mid-transaction statistics (ANALYZE counts the transaction's own rows), so the next
    // statements plan against the loaded table, not an empty one.
    sqlx::query!("ANALYZE users")
        .execute(&mut *tx)
        .await
        .context("analyze users")?;
    Ok(progress.finish())
}

async fn seed_customers(tx: &mut PgConnection, mode: &str, size: &SeedSize) -> Result<Timing> {
    let places = places_json();
    let mut progress = Progress::start("customers", size.members);
    for (first, last) in batches(size.members, MEMBERS_PER_BATCH) {
        let done = sqlx::query!(
            "INSERT INTO customers (mode, id, user_id, email, name, address, tax_location,
                                    default_payment_method)
             SELECT $1, 'cus_seed' || lpad(g.n::text, 10, '0'), u.id, u.email, u.name,
                    jsonb_build_object(
                        'line1', replace(p.place ->> 'street', '#',
                                         (1 + (hashint8extended(g.n, 6) & 2147483647) % 180)::text),
                        'line2', NULL, 'city', p.place -> 'city',
                        'postal_code', p.place -> 'postal_code', 'state', p.place -> 'state',
                        'country', p.place -> 'country'),
                    CASE WHEN (hashint8extended(g.n, 7) & 2147483647) % 100 = 0
                         THEN 'unrecognized_location' ELSE 'supported' END,
                    'pm_seed' || lpad(g.n::text, 10, '0')
               FROM generate_series($2::bigint, $3::bigint) AS g (n)
               JOIN users u
                 ON u.id = ('5eed0000-0000-4000-8000-' || lpad(to_hex(g.n), 12, '0'))::uuid
              CROSS JOIN LATERAL (
                    SELECT $4::jsonb -> ((hashint8extended(g.n, 5) & 2147483647)
                                         % jsonb_array_length($4))::int
                    ) AS p (place)
              WHERE u.id BETWEEN ('5eed0000-0000-4000-8000-' || lpad(to_hex($2), 12, '0'))::uuid
                             AND ('5eed0000-0000-4000-8000-' || lpad(to_hex($3), 12, '0'))::uuid",
            mode,
            first,
            last,
            places,
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert seeded customers {first}..={last}"))?;
        progress.add(rows(done.rows_affected()));
    }
    sqlx::query!("ANALYZE customers")
        .execute(&mut *tx)
        .await
        .context("analyze customers")?;
    Ok(progress.finish())
}

async fn seed_payment_methods(
    tx: &mut PgConnection,
    mode: &str,
    size: &SeedSize,
    now: DateTime<Utc>,
) -> Result<Timing> {
    let mut progress = Progress::start("payment_methods", size.members);
    for (first, last) in batches(size.members, MEMBERS_PER_BATCH) {
        let done = sqlx::query!(
            "INSERT INTO payment_methods (mode, id, customer_id, brand, last4, exp_month, exp_year)
             SELECT $1, 'pm_seed' || lpad(g.n::text, 10, '0'),
                    'cus_seed' || lpad(g.n::text, 10, '0'),
                    CASE WHEN r.h % 10 < 6 THEN 'visa' WHEN r.h % 10 < 9 THEN 'mastercard'
                         ELSE 'amex' END,
                    lpad((r.h / 10 % 10000)::text, 4, '0'), 1 + (r.h / 100000 % 12)::int,
                    $4 + (r.h / 1200000 % 5)::int
               FROM generate_series($2::bigint, $3::bigint) AS g (n)
              CROSS JOIN LATERAL (SELECT hashint8extended(g.n, 8) & 9223372036854775807) AS r (h)",
            mode,
            first,
            last,
            now.year(),
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert seeded cards {first}..={last}"))?;
        progress.add(rows(done.rows_affected()));
    }
    sqlx::query!("ANALYZE payment_methods")
        .execute(&mut *tx)
        .await
        .context("analyze payment_methods")?;
    Ok(progress.finish())
}

/// About 80% of members subscribe: active 62%, trialing 5%, past_due 3%, canceled 9%,
/// unpaid 1%. Each subscription is given its share of the batch's invoices now (in
/// proportion to the billing periods it has lived through), and `latest_invoice` names the
/// last of them; the invoice statement reads the shares back from it.
async fn seed_subscriptions(
    tx: &mut PgConnection,
    mode: &str,
    size: &SeedSize,
    now: DateTime<Utc>,
    offers: &Offers,
) -> Result<Timing> {
    let mut progress = Progress::start("subscriptions", size.members * 8 / 10);
    for (first, last) in batches(size.members, members_per_invoice_batch(size)) {
        let (first_invoice, invoices) = invoice_share(size, first, last);
        let done = sqlx::query_scalar!(
            r#"WITH member AS (
                   SELECT g.n, u.created_at AS joined, c.id AS customer_id,
                          (hashint8extended(g.n, 20) & 2147483647) % 1000 AS roll,
                          (hashint8extended(g.n, 21) & 2147483647) AS pick,
                          ((hashint8extended(g.n, 22) & 1048575) + 0.5) / 1048576.0 AS u1,
                          ((hashint8extended(g.n, 23) & 1048575) + 0.5) / 1048576.0 AS u2,
                          COALESCE(($6::jsonb -> (c.address ->> 'country') ->> 'slot')::int, 0)
                              AS slot
                     FROM generate_series($2::bigint, $3::bigint) AS g (n)
                     JOIN users u
                       ON u.id = ('5eed0000-0000-4000-8000-' || lpad(to_hex(g.n), 12, '0'))::uuid
                     JOIN customers c
                       ON c.mode = $1 AND c.id = 'cus_seed' || lpad(g.n::text, 10, '0')
                    WHERE u.id BETWEEN ('5eed0000-0000-4000-8000-' || lpad(to_hex($2), 12, '0'))::uuid
                                   AND ('5eed0000-0000-4000-8000-' || lpad(to_hex($3), 12, '0'))::uuid
                      AND c.id BETWEEN 'cus_seed' || lpad($2::text, 10, '0')
                                   AND 'cus_seed' || lpad($3::text, 10, '0')
               ), chosen AS (
                   SELECT m.*,
                          CASE WHEN roll < 620 THEN 'active' WHEN roll < 670 THEN 'trialing'
                               WHEN roll < 700 THEN 'past_due' WHEN roll < 790 THEN 'canceled'
                               ELSE 'unpaid' END AS status,
                          $5::jsonb -> ((pick % (jsonb_array_length($5) / 4)) * 4 + slot)::int
                              AS offer
                     FROM member m
                    WHERE roll < 800
               ), started AS (
                   SELECT c.*, (offer ->> 'months')::int AS months,
                          CASE WHEN status = 'trialing'
                               THEN GREATEST(joined, $4::timestamptz - interval '13 days' * u1
                                                     - interval '1 hour')
                               ELSE joined + ($4 - joined) * (u1 * 0.05) END AS created
                     FROM chosen c
               ), lived AS (
                   SELECT s.*,
                          CASE WHEN status = 'canceled'
                               THEN LEAST(created + GREATEST(($4 - created) * u2, interval '1 day'), $4)
                               ELSE $4 END AS until
                     FROM started s
               ), periods AS (
                   SELECT l.*,
                          CASE WHEN status = 'trialing' THEN 0
                               ELSE (extract(year FROM age(until, created)) * 12
                                     + extract(month FROM age(until, created)))::int / months
                          END AS k
                     FROM lived l
               ), shares AS (
                   SELECT p.*, k + 1 AS w, sum(k + 1) OVER (ORDER BY n) AS cw,
                          sum(k + 1) OVER () AS tw
                     FROM periods p
               ), planned AS (
                   SELECT s.*,
                          created + make_interval(months => k * months) AS cps,
                          CASE WHEN status = 'trialing' THEN created + interval '14 days'
                               ELSE created + make_interval(months => (k + 1) * months) END AS cpe,
                          $7::bigint + $8::bigint * (cw - w) / tw AS i0,
                          $7::bigint + $8::bigint * cw / tw AS i1,
                          status = 'active' AND u2 < 0.05 AS ending
                     FROM shares s
               ), inserted AS (
                   INSERT INTO subscriptions (mode, id, customer_id, status, price_id, quantity,
                       current_period_start, current_period_end, cancel_at_period_end, cancel_at,
                       canceled_at, ended_at, trial_end, latest_invoice, created, currency,
                       annual_amount, product_id)
                   SELECT $1, 'sub_seed' || lpad(n::text, 10, '0'), customer_id, status,
                          offer ->> 'price_id', 1, cps, cpe, ending,
                          CASE WHEN ending THEN cpe END,
                          CASE WHEN ending THEN cps + ($4 - cps) * (u2 * 20)
                               WHEN status = 'canceled' THEN until - (until - cps) * u1 END,
                          CASE WHEN status = 'canceled' THEN until END,
                          CASE WHEN status = 'trialing' THEN cpe END,
                          CASE WHEN i1 > i0 THEN 'in_seed' || lpad((i1 - 1)::text, 10, '0') END,
                          created, offer ->> 'currency',
                          (offer ->> 'amount')::bigint * 12 / months,
                          (offer ->> 'product_id')::uuid
                     FROM planned
                   RETURNING 1
               )
               SELECT count(*) AS "count!" FROM inserted"#,
            mode,
            first,
            last,
            now as _,
            &offers.by_slot,
            &offers.countries,
            first_invoice,
            invoices,
        )
        .fetch_one(&mut *tx)
        .await
        .with_context(|| format!("insert seeded subscriptions {first}..={last}"))?;
        progress.add(done);
    }
    sqlx::query!("ANALYZE subscriptions")
        .execute(&mut *tx)
        .await
        .context("analyze subscriptions")?;
    Ok(progress.finish())
}

/// Each subscription's invoices, evenly spaced from its start to its current period: the
/// last one is open for past_due subscriptions and uncollectible for unpaid ones; about 1.5%
/// of the others are void or uncollectible. A trial's one invoice is for zero.
async fn seed_invoices(
    tx: &mut PgConnection,
    mode: &str,
    size: &SeedSize,
    now: DateTime<Utc>,
    offers: &Offers,
) -> Result<Timing> {
    let mut progress = Progress::start("invoices", size.invoices);
    for (first, last) in batches(size.members, members_per_invoice_batch(size)) {
        let (first_invoice, _) = invoice_share(size, first, last);
        let done = sqlx::query!(
            "WITH sub AS (
                 SELECT s.id, s.customer_id, s.status, s.currency, s.created,
                        s.current_period_start AS cps, s.current_period_end AS cpe,
                        substr(s.latest_invoice, 8)::bigint AS last_no,
                        c.name, c.email, c.address,
                        $5::jsonb -> (s.price_id || ' ' || s.currency) AS offer,
                        CASE WHEN c.tax_location = 'supported'
                             THEN $6::jsonb -> (c.address ->> 'country') END AS tax
                   FROM subscriptions s
                   JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
                  WHERE s.mode = $1
                    AND s.id BETWEEN 'sub_seed' || lpad($2::bigint::text, 10, '0')
                                 AND 'sub_seed' || lpad($3::bigint::text, 10, '0')
                    AND c.id BETWEEN 'cus_seed' || lpad($2::text, 10, '0')
                                 AND 'cus_seed' || lpad($3::text, 10, '0')
                    AND s.latest_invoice IS NOT NULL
             ), ranged AS (
                 SELECT sub.*, COALESCE(lag(last_no) OVER (ORDER BY id), $7::bigint - 1) + 1 AS i0,
                        (offer ->> 'months')::int AS months,
                        CASE WHEN status = 'trialing' THEN 0
                             ELSE (offer ->> 'amount')::bigint END AS subtotal,
                        COALESCE((tax ->> 'tax_bp')::bigint, 0) AS tax_bp
                   FROM sub
             ), invoice AS (
                 SELECT r.*, g.i, g.i = r.last_no AS is_last,
                        CASE WHEN r.last_no = r.i0 THEN r.cps
                             ELSE r.created + (r.cps - r.created)
                                              * ((g.i - r.i0)::float8 / (r.last_no - r.i0))
                        END AS issued,
                        (hashint8extended(g.i, 30) & 2147483647) % 1000 AS roll,
                        (r.subtotal * r.tax_bp + 5000) / 10000 AS tax_amount
                   FROM ranged r
                  CROSS JOIN LATERAL generate_series(r.i0, r.last_no) AS g (i)
             ), settled AS (
                 SELECT v.*,
                        CASE WHEN is_last AND status = 'past_due' THEN 'open'
                             WHEN is_last AND status = 'unpaid' THEN 'uncollectible'
                             WHEN is_last AND status = 'canceled' AND roll < 200 THEN 'void'
                             WHEN is_last AND status = 'canceled' AND roll < 300
                                 THEN 'uncollectible'
                             WHEN is_last THEN 'paid'
                             WHEN roll < 10 THEN 'void'
                             WHEN roll < 15 THEN 'uncollectible'
                             ELSE 'paid' END AS invoice_status,
                        subtotal + tax_amount AS total,
                        CASE WHEN is_last THEN cpe
                             ELSE issued + make_interval(months => months) END AS period_end
                   FROM invoice v
             )
             INSERT INTO invoices (mode, id, customer_id, subscription_id, status, number,
                 currency, subtotal, tax, total, amount_due, amount_paid, attention, created,
                 paid_at, lines, tax_lines, period_start, period_end, payment_intent,
                 customer_name, customer_email, customer_address, attempt_count,
                 next_payment_attempt)
             SELECT $1, 'in_seed' || lpad(i::text, 10, '0'), customer_id, id, invoice_status,
                    'SEED-' || lpad(i::text, 10, '0'), currency, subtotal, tax_amount, total,
                    total, CASE WHEN invoice_status = 'paid' THEN total ELSE 0 END,
                    CASE WHEN invoice_status = 'open' THEN 'fix_payment' END,
                    issued,
                    CASE WHEN invoice_status = 'paid'
                         THEN LEAST(issued + interval '1 hour' + interval '3 seconds' * roll, $4::timestamptz)
                    END,
                    jsonb_build_array(jsonb_build_object(
                        'description', CASE WHEN status = 'trialing'
                                            THEN 'Trial period for ' || (offer ->> 'product')
                                            ELSE offer ->> 'line' END,
                        'quantity', 1, 'unit_amount', subtotal, 'amount', subtotal,
                        'period_start', extract(epoch FROM issued)::bigint,
                        'period_end', extract(epoch FROM period_end)::bigint)),
                    CASE WHEN tax_amount > 0
                         THEN jsonb_build_array(jsonb_build_object(
                                  'tax_rate', tax -> 'tax_rate', 'inclusive', false,
                                  'amount', tax_amount))
                         ELSE '[]' END,
                    issued, period_end,
                    CASE WHEN total > 0 AND invoice_status IN ('paid', 'open', 'uncollectible')
                         THEN 'pi_seed' || lpad(i::text, 10, '0') END,
                    name, email, address,
                    CASE WHEN total = 0 OR invoice_status = 'void' THEN 0
                         WHEN invoice_status = 'open' THEN 1 + roll % 3
                         WHEN invoice_status = 'uncollectible' THEN 4
                         ELSE 1 END,
                    CASE WHEN invoice_status = 'open'
                         THEN $4 + interval '1 day' + interval '5 minutes' * roll END
               FROM settled",
            mode,
            first,
            last,
            now as _,
            &offers.by_key,
            &offers.countries,
            first_invoice,
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert the invoices of seeded members {first}..={last}"))?;
        progress.add(rows(done.rows_affected()));
    }
    sqlx::query!("ANALYZE invoices")
        .execute(&mut *tx)
        .await
        .context("analyze invoices")?;
    Ok(progress.finish())
}

/// One payment per invoice that was charged: succeeded for paid ones (1% refunded in part or
/// whole, with their refund rows), requires_payment_method for the rest.
async fn seed_payments(
    tx: &mut PgConnection,
    mode: &str,
    size: &SeedSize,
    now: DateTime<Utc>,
) -> Result<Timing> {
    let mut progress = Progress::start("payments", size.invoices);
    for (first, last) in batches(size.invoices, PAYMENTS_PER_BATCH) {
        let done = sqlx::query!(
            "WITH charged AS (
                 SELECT i.mode, i.payment_intent AS id, i.customer_id, i.id AS invoice_id,
                        i.currency, i.total AS amount, i.status = 'paid' AS succeeded,
                        COALESCE(i.paid_at, LEAST(i.created + interval '1 hour', $4::timestamptz))
                            AS created,
                        substr(i.id, 8) AS n,
                        (hashint8extended(substr(i.id, 8)::bigint, 40) & 2147483647) % 1000
                            AS roll
                   FROM invoices i
                  WHERE i.mode = $1
                    AND i.id BETWEEN 'in_seed' || lpad($2::bigint::text, 10, '0')
                                 AND 'in_seed' || lpad($3::bigint::text, 10, '0')
                    AND i.payment_intent IS NOT NULL
             ), refunded AS (
                 SELECT c.*, CASE WHEN NOT succeeded THEN 0 WHEN roll < 4 THEN amount
                                  WHEN roll < 10 THEN amount / 2 ELSE 0 END AS refund
                   FROM charged c
             ), refunds AS (
                 INSERT INTO refunds (mode, id, payment_id, charge_id, status, currency, amount,
                                      reason, created)
                 SELECT mode, 're_seed' || n, id, 'ch_seed' || n, 'succeeded', currency, refund,
                        'requested_by_customer', LEAST(created + interval '1 day' * (1 + roll), $4)
                   FROM refunded
                  WHERE refund > 0
             )
             INSERT INTO payments (mode, id, customer_id, invoice_id, status, currency, amount,
                 amount_received, amount_refunded, latest_charge, failure_message, created,
                 payment_method)
             SELECT mode, id, customer_id, invoice_id,
                    CASE WHEN succeeded THEN 'succeeded' ELSE 'requires_payment_method' END,
                    currency, amount, CASE WHEN succeeded THEN amount ELSE 0 END, refund,
                    'ch_seed' || n,
                    CASE WHEN succeeded THEN NULL
                         WHEN roll % 2 = 0 THEN 'Your card was declined.'
                         ELSE 'Your card has insufficient funds.' END,
                    created, 'pm_seed' || substr(customer_id, 9)
               FROM refunded",
            mode,
            first,
            last,
            now as _,
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert the payments of invoices {first}..={last}"))?;
        progress.add(rows(done.rows_affected()));
    }
    sqlx::query!("ANALYZE payments")
        .execute(&mut *tx)
        .await
        .context("analyze payments")?;
    Ok(progress.finish())
}

fn rows(affected: u64) -> i64 {
    i64::try_from(affected).unwrap_or(i64::MAX)
}

/// The catalog's plan prices as subscriptions pick them, each in four currencies.
struct Offers {
    /// Weighted slots (monthly prices three times as often as yearly ones), four entries per
    /// slot in `CURRENCIES` order.
    by_slot: Value,
    /// The same offers keyed by "price_id currency", for the invoices.
    by_key: Value,
    /// Per country: its currency's slot, and its tax rate when Paydesk collects one there.
    countries: Value,
}

/// The currencies subscriptions are billed in; a USD price is offered in each at a rounded
/// rate (Stripe's multi-currency prices). Prices in other currencies stay as they are.
const CURRENCIES: [&str; 4] = ["usd", "eur", "gbp", "jpy"];

async fn plan_offers(tx: &mut PgConnection, mode: &str) -> Result<Offers> {
    let prices = sqlx::query!(
        r#"SELECT COALESCE(p.stripe_price_id, 'price_seed_' || p.id) AS "price_id!",
                  p.product_id, pr.name AS product, p.currency, p.unit_amount,
                  p.recurring_interval AS "interval!", p.interval_count
             FROM prices p
             JOIN products pr ON pr.id = p.product_id
            WHERE p.mode = $1 AND pr.kind = 'plan' AND p.active AND pr.active
              AND p.recurring_interval IS NOT NULL
            ORDER BY pr.name, p.unit_amount, p.id"#,
        mode
    )
    .fetch_all(&mut *tx)
    .await
    .context("read the plan prices")?;
    anyhow::ensure!(
        !prices.is_empty(),
        "the catalog has no active plan prices in {mode} mode to subscribe seeded members to"
    );
    let mut by_slot = Vec::new();
    let mut by_key = Map::new();
    for price in &prices {
        let months = price.interval_count * if price.interval == "year" { 12 } else { 1 };
        let weight = if months == 1 { 3 } else { 1 };
        let mut offers = Vec::new();
        for target in CURRENCIES {
            let (currency, amount) = if price.currency == "usd" {
                (target, converted(price.unit_amount, target))
            } else {
                (price.currency.as_str(), price.unit_amount)
            };
            let money = Money::new(
                amount,
                Currency::parse(currency).map_err(anyhow::Error::msg)?,
            );
            let per = match months {
                1 => "month".to_owned(),
                12 => "year".to_owned(),
                n => format!("{n} months"),
            };
            let offer = json!({
                "price_id": price.price_id,
                "product_id": price.product_id,
                "product": price.product,
                "currency": currency,
                "amount": amount,
                "months": months,
                "line": format!("1 × {} (at {money} / {per})", price.product),
            });
            by_key.insert(format!("{} {currency}", price.price_id), offer.clone());
            offers.push(offer);
        }
        for _ in 0..weight {
            by_slot.extend(offers.iter().cloned());
        }
    }
    let mut countries = Map::new();
    for place in PLACES {
        let slot = CURRENCIES
            .iter()
            .position(|c| *c == place.currency)
            .unwrap_or(0);
        let mut country = json!({ "slot": slot });
        if let Some(tax) = TAX_RATES.iter().find(|t| t.country == place.country) {
            country["tax_rate"] = json!(tax.id(mode));
            country["tax_bp"] = json!(tax.basis_points);
        }
        countries.insert(place.country.to_owned(), country);
    }
    Ok(Offers {
        by_slot: Value::Array(by_slot),
        by_key: Value::Object(by_key),
        countries: Value::Object(countries),
    })
}

/// USD minor units to `currency` at a rough, fixed rate, rounded as a price list would be.
fn converted(usd: i64, currency: &str) -> i64 {
    let round = |amount: i64| match (amount + 50) / 100 * 100 {
        0 => amount,
        rounded => rounded,
    };
    match currency {
        "gbp" => round(usd * 4 / 5),
        // Zero-decimal: 150 yen to the dollar, so 1.5 yen per cent.
        "jpy" => round(usd * 3 / 2),
        _ => usd,
    }
}

struct TaxRate {
    country: &'static str,
    name: &'static str,
    percentage: &'static str,
    basis_points: i64,
}

impl TaxRate {
    fn id(&self, mode: &str) -> String {
        format!("txr_seed_{mode}_{}", self.country.to_ascii_lowercase())
    }
}

const TAX_RATES: [TaxRate; 8] = [
    TaxRate {
        country: "DE",
        name: "USt.",
        percentage: "19",
        basis_points: 1900,
    },
    TaxRate {
        country: "FR",
        name: "TVA",
        percentage: "20",
        basis_points: 2000,
    },
    TaxRate {
        country: "NL",
        name: "BTW",
        percentage: "21",
        basis_points: 2100,
    },
    TaxRate {
        country: "ES",
        name: "IVA",
        percentage: "21",
        basis_points: 2100,
    },
    TaxRate {
        country: "IT",
        name: "IVA",
        percentage: "22",
        basis_points: 2200,
    },
    TaxRate {
        country: "GB",
        name: "VAT",
        percentage: "20",
        basis_points: 2000,
    },
    TaxRate {
        country: "JP",
        name: "JCT",
        percentage: "10",
        basis_points: 1000,
    },
    TaxRate {
        country: "AU",
        name: "GST",
        percentage: "10",
        basis_points: 1000,
    },
];

/// The rates the seeded invoices' tax lines point at, so an invoice PDF can name them.
async fn insert_tax_rates(tx: &mut PgConnection, mode: &str) -> Result<()> {
    for rate in &TAX_RATES {
        sqlx::query!(
            "INSERT INTO tax_rates (mode, id, display_name, percentage, inclusive, jurisdiction,
                                    country)
             VALUES ($1, $2, $3, $4, false, $5, $5)
             ON CONFLICT (mode, id) DO NOTHING",
            mode,
            rate.id(mode),
            rate.name,
            rate.percentage,
            rate.country,
        )
        .execute(&mut *tx)
        .await
        .with_context(|| format!("insert tax rate {}", rate.id(mode)))?;
    }
    Ok(())
}

struct Place {
    country: &'static str,
    city: &'static str,
    postal_code: &'static str,
    state: Option<&'static str>,
    /// `#` is the house number.
    street: &'static str,
    currency: &'static str,
    /// Members per hundred.
    weight: usize,
}

const fn place(
    country: &'static str,
    city: &'static str,
    postal_code: &'static str,
    state: Option<&'static str>,
    street: &'static str,
    currency: &'static str,
    weight: usize,
) -> Place {
    Place {
        country,
        city,
        postal_code,
        state,
        street,
        currency,
        weight,
    }
}

/// Where members live, weighted to a hundred: USD about 57%, EUR 28%, GBP 10%, JPY 5%.
const PLACES: [Place; 20] = [
    place(
        "US",
        "New York",
        "10001",
        Some("NY"),
        "# Broadway",
        "usd",
        14,
    ),
    place(
        "US",
        "San Francisco",
        "94103",
        Some("CA"),
        "# Market Street",
        "usd",
        10,
    ),
    place(
        "US",
        "Austin",
        "78701",
        Some("TX"),
        "# Congress Avenue",
        "usd",
        8,
    ),
    place(
        "US",
        "Chicago",
        "60601",
        Some("IL"),
        "# N Michigan Avenue",
        "usd",
        8,
    ),
    place(
        "US",
        "Seattle",
        "98101",
        Some("WA"),
        "# Pine Street",
        "usd",
        6,
    ),
    place(
        "US",
        "Boston",
        "02108",
        Some("MA"),
        "# Beacon Street",
        "usd",
        4,
    ),
    place(
        "CA",
        "Toronto",
        "M5V 2T6",
        Some("ON"),
        "# King Street West",
        "usd",
        4,
    ),
    place(
        "AU",
        "Sydney",
        "2000",
        Some("NSW"),
        "# George Street",
        "usd",
        3,
    ),
    place("GB", "London", "EC1A 1BB", None, "# King Street", "gbp", 7),
    place("GB", "Manchester", "M1 1AE", None, "# Deansgate", "gbp", 3),
    place("DE", "Berlin", "10115", None, "Invalidenstraße #", "eur", 6),
    place(
        "DE",
        "München",
        "80331",
        None,
        "Kaufingerstraße #",
        "eur",
        3,
    ),
    place(
        "DE",
        "Hamburg",
        "20095",
        None,
        "Mönckebergstraße #",
        "eur",
        3,
    ),
    place("FR", "Paris", "75001", None, "# rue de Rivoli", "eur", 6),
    place(
        "FR",
        "Lyon",
        "69002",
        None,
        "# rue de la République",
        "eur",
        2,
    ),
    place("NL", "Amsterdam", "1012 JS", None, "Damrak #", "eur", 3),
    place("ES", "Madrid", "28013", None, "Calle Gran Vía #", "eur", 3),
    place("IT", "Milano", "20121", None, "Via Dante #", "eur", 2),
    place(
        "JP",
        "Tokyo",
        "100-0005",
        Some("Tokyo"),
        "1-#-1 Marunouchi",
        "jpy",
        4,
    ),
    place(
        "JP",
        "Osaka",
        "530-0001",
        Some("Osaka"),
        "1-#-3 Umeda",
        "jpy",
        1,
    ),
];

/// Each place repeated by its weight, so a uniform pick is a weighted one.
fn places_json() -> Value {
    PLACES
        .iter()
        .flat_map(|p| {
            let place = json!({
                "country": p.country,
                "city": p.city,
                "postal_code": p.postal_code,
                "state": p.state,
                "street": p.street,
            });
            std::iter::repeat_n(place, p.weight)
        })
        .collect()
}

const FIRST_NAMES: [&str; 40] = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Dorothy",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Margaret",
    "Tim",
    "Radia",
    "Ken",
    "Dennis",
    "Hedy",
    "Claude",
    "Sophie",
    "Mary",
    "Jean",
    "Kristen",
    "Ole",
    "Niklaus",
    "Guido",
    "Yukihiro",
    "Bjarne",
    "Anders",
    "Linus",
    "James",
    "Rasmus",
    "Larry",
    "Brendan",
    "Ward",
    "Fran",
    "Shafi",
    "Silvio",
    "Leslie",
    "Ivan",
    "Marissa",
    "Susan",
];

const LAST_NAMES: [&str; 40] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Vaughan",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Hamilton",
    "Berners-Lee",
    "Perlman",
    "Thompson",
    "Ritchie",
    "Lamarr",
    "Shannon",
    "Wilson",
    "Kenyon",
    "Sammet",
    "Nygaard",
    "Dahl",
    "Wirth",
    "Rossum",
    "Matsumoto",
    "Stroustrup",
    "Hejlsberg",
    "Torvalds",
    "Gosling",
    "Lerdorf",
    "Wall",
    "Eich",
    "Cunningham",
    "Goldwasser",
    "Micali",
    "Lamport",
    "Sutherland",
    "Mayer",
    "Kare",
    "Clarke",
];

/// `.com` four times as often as the others.
const EMAIL_TLDS: [&str; 10] = [
    "com", "com", "com", "com", "org", "net", "io", "de", "co.uk", "fr",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_number_once() {
        let all: Vec<_> = batches(25, 10).collect();
        assert_eq!(all, vec![(1, 10), (11, 20), (21, 25)]);
        assert_eq!(batches(0, 10).count(), 0);
    }

    #[test]
    fn invoice_shares_add_up_to_the_requested_total() {
        let size = SeedSize {
            members: 1_000_003,
            invoices: 10_000_019,
        };
        let mut next = 1;
        let mut total = 0;
        for (first, last) in batches(size.members, members_per_invoice_batch(&size)) {
            let (first_invoice, count) = invoice_share(&size, first, last);
            assert_eq!(first_invoice, next);
            next += count;
            total += count;
        }
        assert_eq!(total, size.invoices);
    }

    #[test]
    fn conversions_round_like_a_price_list() {
        assert_eq!(converted(2900, "usd"), 2900);
        assert_eq!(converted(2900, "eur"), 2900);
        assert_eq!(converted(2900, "gbp"), 2300);
        assert_eq!(converted(2900, "jpy"), 4400);
        assert_eq!(converted(50, "gbp"), 40);
    }

    #[test]
    fn places_weigh_a_hundred() {
        assert_eq!(PLACES.iter().map(|p| p.weight).sum::<usize>(), 100);
        assert!(PLACES
            .iter()
            .all(|p| CURRENCIES.contains(&p.currency) && p.street.contains('#')));
    }

    #[test]
    fn names_make_valid_lowercase_emails() {
        for name in FIRST_NAMES.iter().chain(LAST_NAMES.iter()) {
            assert!(name.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
        }
    }
}
