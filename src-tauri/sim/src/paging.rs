//! Opaque continuation tokens shared by the paged lists of every API.
//!
//! A token is base64url of `sim1:<list key>:<offset>`. The list key names what is being listed
//! (e.g. `devices:<group id>`), so a token handed to another list is refused instead of silently
//! skipping items. Clients must treat tokens as opaque, as they must with the real services.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Why a continuation token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the continuation token is not valid for this list")]
pub struct BadToken;

/// The token for `offset` in the list named `key`.
pub fn encode(key: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim1:{key}:{offset}"))
}

/// The offset a token carries, checking it was made for the list `key`.
pub fn decode(key: &str, token: &str) -> Result<usize, BadToken> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| BadToken)?;
    let text = String::from_utf8(bytes).map_err(|_| BadToken)?;
    let rest = text.strip_prefix("sim1:").ok_or(BadToken)?;
    let (token_key, offset) = rest.rsplit_once(':').ok_or(BadToken)?;
    if token_key != key {
        return Err(BadToken);
    }
    offset.parse().map_err(|_| BadToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_are_refused() {
        let token = encode("devices:abc", 300);
        assert_eq!(decode("devices:abc", &token), Ok(300));
        assert_eq!(decode("images", &token), Err(BadToken));
        for bad in [
            "",
            "!!!",
            &URL_SAFE_NO_PAD.encode("sim1:devices:abc:x"),
            &URL_SAFE_NO_PAD.encode("other"),
        ] {
            assert_eq!(decode("devices:abc", bad), Err(BadToken), "{bad}");
        }
    }
}
