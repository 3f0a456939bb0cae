//! Encryption at rest for the Stripe secrets Paydesk stores (secret keys, webhook secrets).
//!
//! AES-256-GCM under `PAYDESK_MASTER_KEY`, a fresh random nonce per value, stored as
//! `nonce || ciphertext`. The column name is bound in as associated data, so a ciphertext copied
//! into another column (a live key into the test slot, say) fails to open instead of being used.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use secrecy::{ExposeSecret, SecretString};

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretCipher {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error(
        "the stored secret could not be decrypted (wrong PAYDESK_MASTER_KEY, or tampered data)"
    )]
    Open,
    #[error("the secret could not be encrypted")]
    Seal,
}

impl SecretCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `secret` for the column `column`.
    pub fn seal(&self, column: &str, secret: &SecretString) -> Result<Vec<u8>, CipherError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, column: &str, stored: &[u8]) -> Result<SecretString, CipherError> {
        if stored.len() <= NONCE_LEN {
            return Err(CipherError::Open);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Open)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CipherError::Open)
    }
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCipher([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_key_and_column() {
        let cipher = SecretCipher::new(&[7; 32]);
        let sealed = cipher
            .seal("test_secret_key", &secret("sk_test_abc"))
            .expect("seal");
        assert!(!sealed.windows(11).any(|w| w == b"sk_test_abc"));
        let opened = cipher.open("test_secret_key", &sealed).expect("open");
        assert_eq!(opened.expose_secret(), "sk_test_abc");
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let cipher = SecretCipher::new(&[7; 32]);
        let a = cipher.seal("c", &secret("same")).expect("seal");
        let b = cipher.seal("c", &secret("same")).expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn another_key_another_column_or_a_flipped_bit_fails_to_open() {
        let cipher = SecretCipher::new(&[7; 32]);
        let sealed = cipher
            .seal("live_secret_key", &secret("sk_live_x"))
            .expect("seal");
        assert!(SecretCipher::new(&[8; 32])
            .open("live_secret_key", &sealed)
            .is_err());
        assert!(cipher.open("test_secret_key", &sealed).is_err());
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(cipher.open("live_secret_key", &tampered).is_err());
        assert!(cipher.open("live_secret_key", &[1, 2, 3]).is_err());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let cipher = SecretCipher::new(&[7; 32]);
        assert_eq!(format!("{cipher:?}"), "SecretCipher([REDACTED])");
    }
}
