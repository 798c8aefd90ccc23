//! The cloud layer's name for a secret string: the crate-wide [`crate::secrets::Sensitive`].
//!
//! `Debug` and `Display` print `<redacted>`, there is no `Serialize`, the value is reached only
//! through `expose()`, and it is zeroed on drop. Token answers deserialize into it.

/// A string that must never be logged or serialized (tokens, keys, client secrets).
pub type Secret = crate::secrets::Sensitive<String>;

#[cfg(test)]
mod tests {
    #[test]
    fn debug_and_display_hide_the_value() {
        let s = super::Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }
}
