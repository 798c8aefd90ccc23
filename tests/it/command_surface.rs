//! The web view may call exactly the commands the app registers, each allowed once by the
//! capability: a command registered but not allowed fails at run time with no compile error, and
//! one allowed but not registered widens the surface for nothing. This test keeps the three lists
//! — `build.rs`'s app manifest, `lib.rs`'s handler, the capability — in step.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect(path)
}

#[test]
fn manifest_handler_and_capability_name_the_same_commands() {
    let build = read("src-tauri/build.rs");
    let list = build
        .split("const COMMANDS")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .expect("COMMANDS");
    let manifest: BTreeSet<String> = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();

    let lib = read("src-tauri/src/lib.rs");
    let handler = lib
        .split("generate_handler![")
        .nth(1)
        .and_then(|rest| rest.split("])").next())
        .expect("handler");
    let registered: BTreeSet<String> = handler
        .split(',')
        .filter_map(|path| path.trim().rsplit("::").next().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect();

    let capability: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/default.json")).expect("json");
    let allowed: BTreeSet<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();

    assert!(!manifest.is_empty());
    assert_eq!(
        manifest, registered,
        "build.rs COMMANDS vs generate_handler!"
    );
    assert_eq!(
        manifest, allowed,
        "build.rs COMMANDS vs capabilities/default.json"
    );
}
