//! Ids shaped like Stripe's: a type prefix and a random base62 tail, so code that checks prefixes
//! (`cus_`, `price_`...) behaves as it does against Stripe.

use rand::Rng;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub fn random_tail(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

pub fn new_id(prefix: &str) -> String {
    let len = match prefix {
        "cs_test" => 58,
        "whsec" => 32,
        _ => 24,
    };
    format!("{prefix}_{}", random_tail(len))
}
