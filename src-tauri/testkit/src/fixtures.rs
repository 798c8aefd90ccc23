//! Shared test support: paths to the real fixtures and a builder of synthetic packages.
#![allow(dead_code)]

pub mod builder;

use std::path::PathBuf;

/// `shared/fixtures/imagepackages`, beside the repository (resolved from the workspace root so
/// that CI's clone in another folder finds it too).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/imagepackages"
    ))
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// The fixture file names with their expected values, sorted by name.
pub fn expected_fixtures() -> Vec<(String, serde_json::Value)> {
    let path = fixtures_dir().join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let mut out: Vec<_> = json
        .as_object()
        .expect("expected.json is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
