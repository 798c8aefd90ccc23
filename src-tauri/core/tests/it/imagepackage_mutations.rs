//! Property test over the four real fixtures: random truncations and byte mutations never make the
//! reader panic, and never make it report success with ids that differ from the untouched file's
//! unless the Identity bytes themselves were changed.
//!
//! A seeded loop rather than proptest: the inputs are mutations of fixed files, shrinking would
//! not make a failure clearer than the printed seed and case, and the loop is cheap enough to run
//! 100,000 cases in a debug build. Mutations aim mostly at the metadata tail and at the ASXipFS
//! inodes and manifest, where the parsing happens; the rest of the body is opaque bytes.

use asg_fota_testkit::fixtures as support;

use std::time::Instant;

use asg_fota_core::imagepackage;

/// Cases per fixture; four fixtures make 100,000 in total.
const CASES_PER_FIXTURE: usize = 25_000;

/// SplitMix64: a tiny, well-mixed generator so each failure is reproducible from its seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where mutations are aimed in one fixture.
struct Regions {
    metadata_start: usize,
    identity: std::ops::Range<usize>,
    manifest: std::ops::Range<usize>,
}

fn regions(bytes: &[u8], signature_len: usize) -> Regions {
    // Every input here puts Identity first, as the SDK does.
    let len_at = bytes.len() - signature_len - 4;
    let metadata_len = u32::from_le_bytes(bytes[len_at..len_at + 4].try_into().unwrap()) as usize;
    let metadata_start = bytes.len() - signature_len - metadata_len;
    let identity_at = metadata_start + 8 + 4;
    // Board configurations have no manifest: aim at the start of the body instead.
    let manifest_at = bytes
        .windows(b"\"SchemaVersion\"".len())
        .position(|w| w == b"\"SchemaVersion\"")
        .unwrap_or(0)
        .saturating_sub(8);
    Regions {
        metadata_start,
        identity: identity_at..identity_at + 36,
        manifest: manifest_at..(manifest_at + 600).min(metadata_start),
    }
}

/// Runs `cases` mutations of `original` and returns how many still read, and how many of those
/// had their Identity bytes changed.
fn mutate(file: &str, original: &[u8], seed: u64, cases: usize) -> (usize, usize) {
    let expected = imagepackage::read(original).expect("the untouched input reads");
    let regions = regions(original, expected.signature_len);
    let tail = regions.metadata_start.saturating_sub(16)..original.len();
    let mut rng = SplitMix(seed);
    let mut work = original.to_vec();
    let mut successes = 0;
    let mut identity_changed_successes = 0;

    for case in 0..cases {
        // Truncation: mostly cutting into the signature and metadata, sometimes anywhere.
        if rng.below(8) == 0 {
            let cut = if rng.below(2) == 0 {
                original.len() - 1 - rng.below(tail.len().min(original.len()))
            } else {
                rng.below(original.len())
            };
            let result = imagepackage::read(&original[..cut]);
            if let Ok(package) = result {
                // Cutting the signature off moves every structure: success would be a misread
                // unless the remaining bytes happen to form a package with the same identity.
                assert_eq!(
                    (package.image_id, package.component_id),
                    (expected.image_id, expected.component_id),
                    "{file}: seed {seed} case {case}: truncation to {cut} read other ids"
                );
                successes += 1;
            }
            continue;
        }

        let mut touched: Vec<usize> = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let at = match rng.below(10) {
                0..=5 => tail.start + rng.below(tail.len()),
                6..=7 => regions.manifest.start + rng.below(regions.manifest.len()),
                8 => 64 + rng.below(128),
                _ => rng.below(original.len()),
            };
            let value = match rng.below(4) {
                0 => 0,
                1 => 0xff,
                2 => work[at] ^ (1 << rng.below(8)),
                _ => rng.next() as u8,
            };
            work[at] = value;
            touched.push(at);
        }

        let result = imagepackage::read(&work);
        if let Ok(package) = &result {
            successes += 1;
            let identity_touched = touched
                .iter()
                .any(|at| regions.identity.contains(at) && work[*at] != original[*at]);
            if identity_touched {
                identity_changed_successes += 1;
            } else {
                assert_eq!(
                    (package.image_id, package.component_id),
                    (expected.image_id, expected.component_id),
                    "{file}: seed {seed} case {case}: bytes {touched:?} changed, ids misread"
                );
            }
        }
        for at in touched {
            work[at] = original[at];
        }
    }
    (successes, identity_changed_successes)
}

fn run_on(file: &str, original: &[u8], seed: u64, cases: usize) {
    let started = Instant::now();
    let (successes, identity_changed) = mutate(file, original, seed, cases);
    eprintln!(
        "{file}: {cases} cases in {:.2?} ({successes} still read, {identity_changed} with changed Identity bytes)",
        started.elapsed()
    );
    // A mutation run where nothing ever reads back would mean the mutations never exercise the
    // success path; one where everything reads would mean they miss the parsed structures.
    assert!(
        successes > 0 && successes < cases,
        "{file}: {successes} successes"
    );
}

fn run(file: &str, seed: u64) {
    run_on(file, &support::fixture_bytes(file), seed, CASES_PER_FIXTURE);
}

#[test]
fn mutations_of_hl_anvil_test_app() {
    run("hl_anvil_test_app.imagepackage", 0xA5_F07A_0001);
}

#[test]
fn mutations_of_hl_azure_sphere_blink() {
    run("hl_azure_sphere_blink.imagepackage", 0xA5_F07A_0002);
}

#[test]
fn mutations_of_rt_avnet_grove_gps() {
    run("rt_avnet_grove_gps.imagepackage", 0xA5_F07A_0003);
}

#[test]
fn mutations_of_rt_avnet_reference_design() {
    run("rt_avnet_reference_design.imagepackage", 0xA5_F07A_0004);
}

/// The real fixtures are all P-256 applications: also shake a P-384 app and a board configuration,
/// whose metadata is found by the second signature-length attempt or has no file system.
#[test]
fn mutations_of_synthetic_p384_app_and_board_config() {
    use asg_fota_testkit::builder::{
        app_package, assemble, manifest_json, PackageSpec, SigningKey,
    };
    let key = SigningKey::p384();
    let spec = PackageSpec::app("P384Mutations");
    let app = app_package(&spec, &manifest_json(&spec, "P384Mutations", None), &key);
    run_on("synthetic P-384 app", &app.bytes, 0xA5_F07A_0005, 10_000);

    let mut board = PackageSpec::app("BoardMutations");
    board.image_type = 21;
    let board = assemble(&[0x42; 512], &board.sections(2), &key);
    run_on(
        "synthetic board config",
        &board.bytes,
        0xA5_F07A_0006,
        10_000,
    );
}
