//! A stop-gap secret type for the cloud layer until it is merged with `crate::secrets::Sensitive`.
//!
//! Same promise as the real one: `Debug` and `Display` print `<redacted>`, there is no `Serialize`,
//! and the value is reached only through [`Secret::expose`]. When `secrets.rs` is wired into the
//! crate this file becomes `pub type Secret = crate::secrets::Sensitive<String>;`.

use std::fmt;

/// A string that must never be logged or serialized (tokens, keys, client secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: call only where it leaves for the wire or the keychain.
    pub fn expose(&self) -> &String {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    /// Secrets arrive in token answers, so they can be read; they can never be written back out.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_and_display_hide_the_value() {
        let s = super::Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
