//! Differential test against Microsoft's reference reader (PyPI `azuresphere-imagemetadata`
//! 0.2.2, driven by `tests/reference/oracle.py`): ~50 varied synthetic packages must read the same
//! in both. This catches byte-order and offset mistakes that the builder and the reader could
//! share, since both were written from the same document.
//!
//! Without Python or the package the test fails and says what to install; set
//! `ASG_FOTA_SKIP_ORACLE=1` to skip it on a machine that cannot have them (with `CI=true` a skip fails).

use std::path::{Path, PathBuf};
use std::process::Command;

use asg_fota_core::imagepackage;
use asg_fota_testkit::builder::{
    app_package, assemble, manifest_json, PackageSpec, SigningKey, ID_COMPRESSION,
};
use uuid::Uuid;

/// Section ids the reference reader knows but ours skips.
const ID_LEGACY: u16 = 0x474C;
const ID_ABI_PROVIDES: u16 = 0x504E;

const INSTALL_HINT: &str = "run `pip install azuresphere-imagemetadata==0.2.2`";

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/oracle.py")
}

/// Deterministic variety (ids stay random through `Uuid::new_v4`, keys are fresh).
struct Variety(u64);

impl Variety {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: [&str; 8] = [
    "Blink",
    "AvnetGroveGPSV1",
    "exactly-thirty-two-bytes-long-xy",
    "Ünïcödé Säfe",
    "게이트웨이앱",
    "a",
    "name with spaces",
    "RTApp_MT3620_BareMetal",
];

/// Writes `count` varied packages into `dir` and returns their paths.
fn write_packages(dir: &Path, count: usize) -> Vec<PathBuf> {
    let p256 = SigningKey::p256();
    let p384 = SigningKey::p384();
    let mut variety = Variety(0x0A5F_07A0);
    (0..count)
        .map(|i| {
            let key = if i % 5 == 4 { &p384 } else { &p256 };
            let name = NAMES[variety.below(NAMES.len() as u64) as usize];
            let mut spec = PackageSpec::app(name);
            spec.built_unix = 1_500_000_000 + variety.below(300_000_000);
            spec.image_type = match variety.below(6) {
                0 => 21,
                1 => [1u16, 7, 9, 28, 99][variety.below(5) as usize],
                _ => 10,
            };
            if variety.below(3) == 0 {
                let mut thumbprint = [0u8; 20];
                for byte in &mut thumbprint {
                    *byte = variety.next() as u8;
                }
                spec.thumbprint = thumbprint;
            }
            spec.temporary_flags = match variety.below(3) {
                0 => None,
                _ => Some(variety.below(4) as u32),
            };
            spec.abi_depends = match variety.below(3) {
                0 => None,
                1 => Some(vec![]),
                _ => Some(vec![(variety.below(20) as u32, 3), (1, 2)]),
            };
            // Sections our reader skips by length. The reference reader refuses ids it does not
            // know, so only ids it knows (Legacy, ABI provides) go here; lengths are odd and
            // non-zero (it stops advancing at a zero-length section).
            if variety.below(2) == 0 {
                spec.extra_sections
                    .push((ID_LEGACY, vec![7; 1 + 2 * variety.below(9) as usize]));
            }
            if variety.below(3) == 0 {
                let provides = [1u32, 5, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
                spec.extra_sections.push((ID_ABI_PROVIDES, provides));
            }
            if variety.below(4) == 0 {
                spec.extra_sections.push((ID_COMPRESSION, vec![0; 8]));
            }
            let bytes = if spec.image_type == 10 {
                let application_type = ["Default", "RealTimeCapable"][variety.below(2) as usize];
                app_package(
                    &spec,
                    &manifest_json(&spec, name, Some(application_type)),
                    key,
                )
                .bytes
            } else {
                let body = vec![variety.next() as u8; 4 * variety.below(200) as usize];
                assemble(&body, &spec.sections(key.signing_type()), key).bytes
            };
            let path = dir.join(format!("synthetic-{i:02}.imagepackage"));
            std::fs::write(&path, bytes).expect("temp dir is writable");
            path
        })
        .collect()
}

#[test]
fn synthetic_packages_read_the_same_as_microsofts_reader() {
    if std::env::var("ASG_FOTA_SKIP_ORACLE").as_deref() == Ok("1") {
        asg_fota_testkit::skip("ASG_FOTA_SKIP_ORACLE=1: the differential test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = write_packages(dir.path(), 50);
    let output = Command::new("python3")
        .arg(oracle_script())
        .args(&paths)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); install Python 3 and {INSTALL_HINT}")
        });
    assert!(
        output.status.success(),
        "the reference oracle failed ({}): {}\n{INSTALL_HINT}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("the oracle prints a JSON array");
    assert_eq!(answers.len(), paths.len());

    for (path, oracle) in paths.iter().zip(&answers) {
        let file = path.display();
        assert!(
            oracle.get("error").is_none(),
            "{file}: reference reader failed: {oracle}"
        );
        let bytes = std::fs::read(path).expect("written above");
        let ours = imagepackage::read(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let signing = ours.signing.as_ref().expect("builder always signs");
        let signing_type = match signing.signing_type {
            imagepackage::SigningType::EcDsa256 => 1,
            imagepackage::SigningType::EcDsa384 => 2,
            imagepackage::SigningType::Unknown(v) => v as u64,
        };
        let mine = serde_json::json!({
            "file": oracle["file"],
            "image_type": ours.image_type.0,
            "component_id": ours.component_id.to_string(),
            "image_id": ours.image_id.to_string(),
            "thumbprint": signing.thumbprint_hex(),
            "signing_type": signing_type,
            "debug_name": ours.debug_name,
            "built_unix": ours.built_at.map(|t| t.unix_timestamp()),
            "signature_size": ours.signature_len,
        });
        assert_eq!(
            &mine, oracle,
            "{file}: ours (left) differs from the reference reader (right)"
        );
        // The ids must also be the ones the builder put in, not only the same as the oracle's.
        assert_ne!(ours.component_id.0, Uuid::nil());
    }
}
