#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, Receiver};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;

/// Verifies a `Stripe-Signature` header from first principles, not with the emulator's code.
fn signature_is_valid(header: &str, payload: &str, secret: &str) -> bool {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v.to_owned()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{payload}").as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    (chrono::Utc::now().timestamp() - t).abs() < 300 && candidates.contains(&expected)
}

#[tokio::test]
async fn checkout_events_arrive_signed_at_a_local_endpoint() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    let endpoint = emu
        .ok_post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert!(endpoint["id"].as_str().unwrap().starts_with("we_"));

    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;

    let completed = receiver.wait_for("checkout.session.completed").await;
    receiver.wait_for("customer.subscription.created").await;
    receiver.wait_for("invoice.paid").await;
    assert_eq!(completed["object"], "event");
    assert_eq!(completed["api_version"], stripe_emulator::API_VERSION);
    assert_eq!(completed["livemode"], false);
    assert_eq!(completed["data"]["object"]["id"], session["id"]);
    assert!(completed["id"].as_str().unwrap().starts_with("evt_"));

    for received in receiver.all() {
        assert!(
            signature_is_valid(&received.signature, &received.body, &secret),
            "bad signature: {}",
            received.signature
        );
        // async-stripe's verifier also parses each object into its Stripe type.
        let event =
            stripe_webhook::Webhook::construct_event(&received.body, &received.signature, &secret);
        assert!(
            event.is_ok(),
            "async-stripe rejected {}: {:?}",
            &received.body[..200.min(received.body.len())],
            event.err()
        );
    }
    assert!(!signature_is_valid(
        &receiver.all()[0].signature,
        &receiver.all()[0].body,
        "whsec_wrong"
    ));
}

#[tokio::test]
async fn endpoint_only_gets_the_events_it_enabled() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    emu.ok_post(
        "/v1/webhook_endpoints",
        &[
            ("url", &receiver.url),
            ("enabled_events[0]", "product.created"),
        ],
    )
    .await;
    emu.ok_post("/v1/customers", &[("email", "x@example.com")])
        .await;
    emu.ok_post("/v1/products", &[("name", "Pro")]).await;
    receiver.wait_for("product.created").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(receiver
        .events()
        .iter()
        .all(|e| e["type"] == "product.created"));
}

#[tokio::test]
async fn failed_delivery_is_retried_until_acknowledged_and_logged() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(2).await;
    emu.ok_post(
        "/v1/webhook_endpoints",
        &[
            ("url", &receiver.url),
            ("enabled_events[]", "customer.created"),
        ],
    )
    .await;
    emu.ok_post("/v1/customers", &[("email", "retry@example.com")])
        .await;
    for _ in 0..100 {
        if receiver.all().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.all().len(), 3, "two failures, then success");
    let log: serde_json::Value = emu
        .http
        .get(emu.url("/_emulator/webhook_deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delivery = &log["data"][0];
    assert_eq!(delivery["event_type"], "customer.created");
    assert_eq!(delivery["delivered"], true);
    let statuses: Vec<_> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![500, 500, 200]);
}

#[tokio::test]
async fn webhook_endpoints_are_listed_without_secret_and_deleted() {
    let emu = spawn_emulator().await;
    let created = emu
        .ok_post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://paydesk.test/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await;
    let id = created["id"].as_str().unwrap();
    let listed = emu.ok_get("/v1/webhook_endpoints").await;
    assert_eq!(listed["data"][0]["id"], id);
    assert!(listed["data"][0].get("secret").is_none());
    let (status, deleted) = emu.delete(&format!("/v1/webhook_endpoints/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    let (status, _) = emu.get(&format!("/v1/webhook_endpoints/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn events_are_listed_by_type_and_created_and_retrieved() {
    let emu = spawn_emulator().await;
    emu.ok_post("/v1/products", &[("name", "A")]).await;
    emu.ok_post("/v1/customers", &[("email", "e@example.com")])
        .await;
    let customers = emu.ok_get("/v1/events?type=customer.created").await;
    assert_eq!(customers["data"].as_array().unwrap().len(), 1);
    let event = &customers["data"][0];
    let id = event["id"].as_str().unwrap();
    assert_eq!(&emu.ok_get(&format!("/v1/events/{id}")).await, event);
    let created = event["created"].as_i64().unwrap();
    let later = emu
        .ok_get(&format!("/v1/events?created[gt]={created}"))
        .await;
    assert!(later["data"].as_array().unwrap().is_empty());
    let all = emu
        .ok_get(&format!("/v1/events?created[gte]={created}"))
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn during_a_secret_roll_each_delivery_carries_one_signature_per_live_secret() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    let endpoint = emu
        .ok_post(
            "/v1/webhook_endpoints",
            &[
                ("url", &receiver.url),
                ("enabled_events[]", "customer.created"),
            ],
        )
        .await;
    let old_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let rolled = emu
        .control(
            &format!(
                "/webhook_endpoints/{}/roll_secret",
                endpoint["id"].as_str().unwrap()
            ),
            serde_json::json!({"expires_in_seconds": 3600}),
        )
        .await;
    let new_secret = rolled["secret"].as_str().unwrap().to_owned();
    assert_ne!(old_secret, new_secret);
    emu.ok_post("/v1/customers", &[("email", "roll@example.com")])
        .await;
    receiver.wait_for("customer.created").await;
    let received = &receiver.all()[0];
    assert_eq!(received.signature.matches(",v1=").count(), 2);
    assert!(signature_is_valid(
        &received.signature,
        &received.body,
        &old_secret
    ));
    assert!(signature_is_valid(
        &received.signature,
        &received.body,
        &new_secret
    ));
    stripe_webhook::Webhook::construct_event(&received.body, &received.signature, &new_secret)
        .unwrap();
}

#[tokio::test]
async fn duplicate_and_shuffled_delivery_faults_send_each_event_k_times() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    emu.ok_post(
        "/v1/webhook_endpoints",
        &[
            ("url", &receiver.url),
            ("enabled_events[]", "product.created"),
        ],
    )
    .await;
    emu.control(
        "/webhook_faults",
        serde_json::json!({"duplicates": 3, "shuffle": true}),
    )
    .await;
    emu.ok_post("/v1/products", &[("name", "A")]).await;
    emu.ok_post("/v1/products", &[("name", "B")]).await;
    for _ in 0..100 {
        if receiver.all().len() >= 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let events = receiver.events();
    assert_eq!(events.len(), 6);
    let mut ids: Vec<String> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "three copies of each of two events");
}
