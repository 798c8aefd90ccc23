//! The read-only reference material beside the repository (`shared/`: the real SDK-built image
//! packages with Microsoft's reader's `expected.json`, and the ARM OpenAPI spec).

use std::path::{Path, PathBuf};

/// The `shared/` folder: `ASG_FOTA_SHARED` if set, else the nearest `shared/` beside the
/// repository or one of its parents (CI's clean clone has it beside the repository; a git
/// worktree one folder deeper finds the same folder).
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ASG_FOTA_SHARED") {
        return PathBuf::from(dir);
    }
    // This crate is `<repo>/src-tauri/testkit`: its fourth ancestor is the repository's parent.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .skip(3)
        .map(|dir| dir.join("shared"))
        .find(|dir| dir.join("fixtures").is_dir())
        .unwrap_or_else(|| here.join("../../../shared"))
}

/// `shared/fixtures/imagepackages`.
pub fn fixtures_dir() -> PathBuf {
    shared_dir().join("fixtures/imagepackages")
}

/// The path of one real fixture package.
pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// The bytes of one real fixture package.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
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
