//! The real OS keychain, through `KeychainStore`.
//!
//! These tests talk to a real Secret Service (GNOME Keyring) — not a mock — so they need a D-Bus
//! session with an unlocked keyring. CI runs them with
//! `.ci/with-keyring cargo test -p asg-fota-core --test it secrets_keychain -- --include-ignored`.
//! Each test uses its own profile name so tests running in parallel never share a key.
//!
//! A value written by one process must be readable by another (that is the point of a keychain),
//! so one test re-runs this test binary as a child process that reads the key back.

use asg_fota_core::secrets::{
    KeychainSettings, KeychainStore, SecretError, SecretKey, SecretKind, SecretStore, Sensitive,
};

const NEEDS_KEYRING: &str = "needs a Secret Service: run by .ci/test under dbus-run-session";

/// Environment variables that turn the child test below into a probe.
const PROBE_PROFILE_ENV: &str = "ASG_FOTA_TEST_PROBE_PROFILE";
const PROBE_EXPECT_ENV: &str = "ASG_FOTA_TEST_PROBE_EXPECT";

/// Re-runs this test binary as a child that runs exactly the test `name` of this module, and
/// checks that it ran that one test: a stale name would run none and still exit 0.
fn run_child(name: &str, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let exact = format!(
        "{}::{name}",
        module_path!().split_once("::").map_or("", |(_, m)| m)
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", exact.as_str()])
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("running 1 test\n"),
        "the child must run exactly `{exact}`:\n{stdout}"
    );
    out
}

fn store() -> KeychainStore {
    match KeychainStore::open() {
        Ok(store) => store,
        Err(err) => panic!("{NEEDS_KEYRING}: {err}"),
    }
}

/// A profile name unique to this test run, so reruns against one keyring never collide.
fn profile(test: &str) -> String {
    format!("test-{test}-{}", std::process::id())
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn round_trip_overwrite_and_delete() {
    let store = store();
    let key = SecretKey::new(profile("roundtrip"), SecretKind::ClientSecret);
    store
        .persist(&key, &Sensitive::from("first-secret"))
        .unwrap();
    assert_eq!(
        store.retrieve(&key).unwrap().unwrap().expose(),
        "first-secret"
    );
    store
        .persist(&key, &Sensitive::from("second-secret"))
        .unwrap();
    assert_eq!(
        store.retrieve(&key).unwrap().unwrap().expose(),
        "second-secret"
    );
    store.delete(&key).unwrap();
    assert!(store.retrieve(&key).unwrap().is_none());
    // Deleting what is not there is not an error.
    store.delete(&key).unwrap();
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn a_missing_key_is_none_not_an_error() {
    let store = store();
    for kind in SecretKind::ALL {
        let key = SecretKey::new(profile("missing"), kind);
        assert!(matches!(store.retrieve(&key), Ok(None)), "{key}");
    }
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn kinds_and_profiles_are_separate_entries() {
    let store = store();
    let a = profile("sep-a");
    let b = profile("sep-b");
    let keys = [
        SecretKey::new(&a, SecretKind::ClientSecret),
        SecretKey::new(&a, SecretKind::RefreshToken),
        SecretKey::new(&a, SecretKind::IotHubConnectionString),
        SecretKey::new(&b, SecretKind::ClientSecret),
    ];
    for (i, key) in keys.iter().enumerate() {
        store
            .persist(key, &Sensitive::new(format!("value-{i}")))
            .unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            store.retrieve(key).unwrap().unwrap().expose(),
            &format!("value-{i}")
        );
    }
    store.delete(&keys[0]).unwrap();
    assert!(store.retrieve(&keys[0]).unwrap().is_none());
    assert!(store.retrieve(&keys[3]).unwrap().is_some());
    for key in &keys {
        store.delete(key).unwrap();
    }
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn unicode_and_long_values_survive() {
    let store = store();
    let key = SecretKey::new(
        format!("운영-테넌트-{}", std::process::id()),
        SecretKind::IotHubConnectionString,
    );
    let value = format!(
        "HostName=허브.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey={}=;note=ünïcødé🔑",
        "A".repeat(4000)
    );
    store.persist(&key, &Sensitive::new(value.clone())).unwrap();
    assert_eq!(store.retrieve(&key).unwrap().unwrap().expose(), &value);
    store.delete(&key).unwrap();
}

/// Whether the raw keychain entry for a further part of a long value exists.
fn part_exists(key: &SecretKey, part: usize) -> bool {
    let entry = keyring::Entry::new(&format!("{key}#{part}"), key.kind().as_str()).unwrap();
    match entry.get_secret() {
        Ok(_) => true,
        Err(keyring::Error::NoEntry) => false,
        Err(other) => panic!("{other}"),
    }
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn long_values_are_split_and_stale_parts_removed() {
    // Windows Credential Manager holds 2,560 bytes per entry; the split is platform-independent,
    // so it is exercised here with small parts.
    let store = KeychainStore::open_with(KeychainSettings { chunk_bytes: 16 }).unwrap();
    let key = SecretKey::new(profile("chunks"), SecretKind::RefreshToken);
    // Multi-byte characters straddle part boundaries on purpose.
    let long = "0.AXoA-토큰-ünïcødé-".repeat(5);
    store.persist(&key, &Sensitive::new(long.clone())).unwrap();
    assert_eq!(store.retrieve(&key).unwrap().unwrap().expose(), &long);
    assert!(part_exists(&key, 1));
    let parts = long.len().div_ceil(16);
    assert!(part_exists(&key, parts) && !part_exists(&key, parts + 1));

    // A second store with the default layout reads what the first wrote.
    let default = KeychainStore::open().unwrap();
    assert_eq!(default.retrieve(&key).unwrap().unwrap().expose(), &long);

    // Shorter values replace longer ones without leaving parts behind.
    store
        .persist(&key, &Sensitive::from("0123456789abcdef0123"))
        .unwrap();
    assert!(part_exists(&key, 2) && !part_exists(&key, 3));
    store.persist(&key, &Sensitive::from("short")).unwrap();
    assert!(!part_exists(&key, 1));
    assert_eq!(store.retrieve(&key).unwrap().unwrap().expose(), "short");

    // A value that happens to look like the marker is still kept verbatim.
    store
        .persist(&key, &Sensitive::from("asg-fota-chunks:2"))
        .unwrap();
    assert_eq!(
        store.retrieve(&key).unwrap().unwrap().expose(),
        "asg-fota-chunks:2"
    );

    store.persist(&key, &Sensitive::new(long)).unwrap();
    store.delete(&key).unwrap();
    assert!(store.retrieve(&key).unwrap().is_none());
    assert!(!part_exists(&key, 1));
}

#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn another_process_sees_the_stored_secret() {
    let store = store();
    let name = profile("crossprocess");
    let key = SecretKey::new(&name, SecretKind::RefreshToken);
    let value = "refresh-token-seen-by-a-second-process";
    store.persist(&key, &Sensitive::from(value)).unwrap();

    let run_probe = |expect: &str| {
        run_child(
            "probe_child_reads_the_key",
            &["--include-ignored", "--test-threads=1"],
            &[(PROBE_PROFILE_ENV, &name), (PROBE_EXPECT_ENV, expect)],
        )
    };
    let seen = run_probe(value);
    assert!(
        seen.status.success(),
        "child did not read the secret: {}",
        String::from_utf8_lossy(&seen.stdout)
    );

    store.delete(&key).unwrap();
    let gone = run_probe("");
    assert!(
        gone.status.success(),
        "child still saw the deleted secret: {}",
        String::from_utf8_lossy(&gone.stdout)
    );
}

/// The child half of `another_process_sees_the_stored_secret`. Run directly it has nothing to
/// check: `.ci/test` leaves it out by name, and anywhere else under CI=true running it alone is a
/// failure rather than a pass that proved nothing.
#[test]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
fn probe_child_reads_the_key() {
    let Ok(name) = std::env::var(PROBE_PROFILE_ENV) else {
        asg_fota_testkit::skip(
            "probe_child_reads_the_key is the child of another_process_sees_the_stored_secret",
        );
        return;
    };
    let expect = std::env::var(PROBE_EXPECT_ENV).unwrap_or_default();
    let key = SecretKey::new(name, SecretKind::RefreshToken);
    let found = store().retrieve(&key).unwrap();
    match found {
        Some(value) => assert_eq!(value.expose(), &expect),
        None => assert!(expect.is_empty(), "expected a value, found none"),
    }
}

/// Without a session bus the store must say plainly that no keychain is reachable. This runs in a
/// child process because the platform store is opened once per process.
#[cfg(target_os = "linux")]
#[test]
fn without_a_session_bus_the_error_says_no_keychain_is_reachable() {
    if std::env::var_os("ASG_FOTA_TEST_NO_BUS_CHILD").is_some() {
        match KeychainStore::open() {
            Err(err @ SecretError::Unavailable { .. }) => {
                let text = err.to_string();
                assert!(text.contains("no OS keychain is reachable"), "{text}");
                assert!(text.contains("ASG_FOTA_CLIENT_SECRET"), "{text}");
            }
            Err(other) => panic!("wrong error kind: {other:?}"),
            Ok(_) => panic!("a keychain was reachable without a session bus"),
        }
        return;
    }
    let out = run_child(
        "without_a_session_bus_the_error_says_no_keychain_is_reachable",
        &[],
        &[
            ("ASG_FOTA_TEST_NO_BUS_CHILD", "1"),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/asg-fota-no-bus",
            ),
            ("XDG_RUNTIME_DIR", "/nonexistent/asg-fota-no-runtime"),
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
