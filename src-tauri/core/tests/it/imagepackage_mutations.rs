//! Property test over the four real fixtures: random truncations and byte mutations never make the
//! reader panic; every rejection is judged as the damage table judges one (a kind from the known
//! set, an offset inside the input, a non-empty message); a success with untouched Identity bytes
//! reads the untouched file's ids, and a success whose Identity bytes changed reads exactly the ids
//! and image type those mutated bytes spell (decoded here by hand, not by the reader). Mutations
//! that leave the bytes as they were are counted apart and must read exactly as the original.
//!
//! A seeded loop rather than proptest: the inputs are mutations of fixed files, shrinking would
//! not make a failure clearer than the printed seed and case, and the loop is cheap enough to run
//! 100,000 cases in a debug build. Mutations aim mostly at the metadata tail and at the ASXipFS
//! inodes and manifest, where the parsing happens; the rest of the body is opaque bytes.

use asg_fota_testkit::fixtures as support;

use std::collections::BTreeMap;
use std::time::Instant;

use asg_fota_core::imagepackage::{self, ImagePackage, ImagePackageError};
use asg_fota_testkit::builder::guid_bytes;

/// Every kind of rejection the reader may give (`ImagePackageError::kind`, the damage table's
/// vocabulary): a mutation that produced anything else would be a new, untested error path.
const KNOWN_KINDS: [&str; 21] = [
    "empty",
    "too_short",
    "truncated",
    "length_out_of_range",
    "bad_magic",
    "section_count",
    "section_overrun",
    "duplicate_section",
    "missing_identity",
    "truncated_identity",
    "truncated_section",
    "bad_name_utf8",
    "fs_bad_magic",
    "inode_out_of_bounds",
    "fs_cycle",
    "fs_too_large",
    "missing_manifest",
    "manifest_not_json",
    "manifest_shape",
    "unknown_application_type",
    "component_id_mismatch",
];

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

/// What a run of mutations produced.
#[derive(Default)]
struct Outcome {
    successes: usize,
    identity_changed_successes: usize,
    no_ops: usize,
    rejections: BTreeMap<&'static str, usize>,
}

/// Judges one rejection as the damage table does: a known kind, an offset inside the input, a
/// message. Returns the kind.
fn judge_rejection(error: &ImagePackageError, input_len: usize, what: &str) -> &'static str {
    let kind = error.kind();
    assert!(KNOWN_KINDS.contains(&kind), "{what}: unknown kind {kind}");
    assert!(
        error.offset() <= input_len,
        "{what}: {kind} at offset {} past the {input_len}-byte input",
        error.offset()
    );
    assert!(
        !error.to_string().trim().is_empty(),
        "{what}: {kind} without a message"
    );
    kind
}

/// The Identity section's fields as the bytes at `at` spell them (format document: u16 image
/// type, u16 reserved, component id, image id, GUIDs in .NET byte order).
fn identity_at(bytes: &[u8], at: usize) -> (u16, [u8; 16], [u8; 16]) {
    let field = |from: usize| -> [u8; 16] { bytes[from..from + 16].try_into().expect("16 bytes") };
    (
        u16::from_le_bytes([bytes[at], bytes[at + 1]]),
        field(at + 4),
        field(at + 20),
    )
}

fn identity_read(package: &ImagePackage) -> (u16, [u8; 16], [u8; 16]) {
    (
        package.image_type.0,
        guid_bytes(package.component_id.0),
        guid_bytes(package.image_id.0),
    )
}

/// Runs `cases` mutations of `original`.
fn mutate(file: &str, original: &[u8], seed: u64, cases: usize) -> Outcome {
    let expected = imagepackage::read(original).expect("the untouched input reads");
    let regions = regions(original, expected.signature_len);
    assert_eq!(
        identity_at(original, regions.identity.start),
        identity_read(&expected),
        "{file}: the Identity bytes are not where the test aims"
    );
    let tail = regions.metadata_start.saturating_sub(16)..original.len();
    let mut rng = SplitMix(seed);
    let mut work = original.to_vec();
    let mut outcome = Outcome::default();

    for case in 0..cases {
        let what = format!("{file}: seed {seed} case {case}");
        // Truncation: mostly cutting into the signature and metadata, sometimes anywhere.
        if rng.below(8) == 0 {
            let cut = if rng.below(2) == 0 {
                original.len() - 1 - rng.below(tail.len().min(original.len()))
            } else {
                rng.below(original.len())
            };
            match imagepackage::read(&original[..cut]) {
                Ok(package) => {
                    // Cutting the signature off moves every structure: success would be a misread
                    // unless the remaining bytes happen to form a package with the same identity.
                    assert_eq!(
                        (package.image_id, package.component_id),
                        (expected.image_id, expected.component_id),
                        "{what}: truncation to {cut} read other ids"
                    );
                    outcome.successes += 1;
                }
                Err(e) => {
                    let kind = judge_rejection(&e, cut, &format!("{what} (cut to {cut})"));
                    *outcome.rejections.entry(kind).or_default() += 1;
                }
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

        if touched.iter().all(|at| work[*at] == original[*at]) {
            // A no-op (the byte already held the value, or two edits cancelled): not a mutation.
            outcome.no_ops += 1;
            assert_eq!(
                imagepackage::read(&work).as_ref(),
                Ok(&expected),
                "{what}: unchanged bytes read differently"
            );
            continue;
        }

        match imagepackage::read(&work) {
            Ok(package) => {
                outcome.successes += 1;
                let identity_touched = touched
                    .iter()
                    .any(|at| regions.identity.contains(at) && work[*at] != original[*at]);
                if identity_touched {
                    outcome.identity_changed_successes += 1;
                    assert_eq!(
                        identity_read(&package),
                        identity_at(&work, regions.identity.start),
                        "{what}: Identity bytes {touched:?} changed and were misread"
                    );
                } else {
                    assert_eq!(
                        identity_read(&package),
                        identity_read(&expected),
                        "{what}: bytes {touched:?} changed, ids misread"
                    );
                }
            }
            Err(e) => {
                let kind = judge_rejection(&e, work.len(), &format!("{what} (bytes {touched:?})"));
                *outcome.rejections.entry(kind).or_default() += 1;
            }
        }
        for at in touched {
            work[at] = original[at];
        }
    }
    outcome
}

fn run_on(file: &str, original: &[u8], seed: u64, cases: usize) {
    let started = Instant::now();
    let outcome = mutate(file, original, seed, cases);
    let rejected: usize = outcome.rejections.values().sum();
    eprintln!(
        "{file}: {cases} cases in {:.2?}: {} no-ops, {} still read ({} with changed Identity \
         bytes), {rejected} rejected {:?}",
        started.elapsed(),
        outcome.no_ops,
        outcome.successes,
        outcome.identity_changed_successes,
        outcome.rejections
    );
    assert_eq!(outcome.no_ops + outcome.successes + rejected, cases);
    // A mutation run where nothing ever reads back would mean the mutations never exercise the
    // success path; one where everything reads would mean they miss the parsed structures; one
    // that meets a single kind of rejection would mean they reach one check only.
    assert!(
        outcome.successes > 0 && rejected > 0,
        "{file}: {} successes, {rejected} rejections",
        outcome.successes
    );
    assert!(
        outcome.rejections.len() >= 4,
        "{file}: only {:?} met",
        outcome.rejections
    );
    // The checks on changed Identity bytes must have run; no-ops stay rare (about one case in
    // 40 writes bytes with the values they held: 0, 0xff or a random byte over a byte equal to it).
    assert!(
        outcome.identity_changed_successes > 0,
        "{file}: no Identity change read back"
    );
    assert!(
        outcome.no_ops * 20 < cases,
        "{file}: {} no-ops",
        outcome.no_ops
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
