//! Synthetic packages: every kind the reader tells apart, and a table of damaged inputs that must
//! each give a clear error of the right kind instead of a panic or a wrong answer.

use asg_fota_core::imagepackage::{self, ImagePackageError, PackageKind, SigningType};
use asg_fota_testkit::builder::{
    app_package, assemble, inode, manifest_json, AppFs, Built, PackageSpec, SigningKey,
    ID_ABI_DEPENDS, ID_COMPRESSION, ID_IDENTITY, ID_SIGNATURE,
};

fn read_ok(bytes: &[u8]) -> imagepackage::ImagePackage {
    imagepackage::read(bytes).unwrap_or_else(|e| panic!("{e} (kind {})", e.kind()))
}

#[test]
fn high_level_app_reads_with_manifest_fields() {
    let key = SigningKey::p256();
    let spec = PackageSpec::app("Blinky");
    let manifest = manifest_json(
        &spec,
        "Blinky with a name longer than thirty-two bytes",
        Some("Default"),
    );
    let built = app_package(&spec, &manifest, &key);
    let package = read_ok(&built.bytes);
    assert_eq!(package.kind, PackageKind::HLApp);
    assert_eq!(package.image_type.0, 10);
    assert_eq!(package.image_type.name(), "Applications");
    assert_eq!(package.component_id.0, spec.component_id);
    assert_eq!(package.image_id.0, spec.image_id);
    assert_eq!(
        package.name,
        "Blinky with a name longer than thirty-two bytes"
    );
    assert_eq!(package.debug_name, "Blinky");
    assert_eq!(
        package.built_at.map(|t| t.unix_timestamp()),
        Some(1_700_000_000)
    );
    assert_eq!(package.application_type.as_deref(), Some("Default"));
    assert_eq!(package.target_api_set.as_deref(), Some("16"));
    assert_eq!(package.capabilities["Gpio"][0], 8);
    assert_eq!(package.signature_len, 64);
    let signing = package.signing.expect("signed");
    assert_eq!(signing.signing_type, SigningType::EcDsa256);
    assert!(signing.is_development_test_certificate);
    let temporary = package.temporary.expect("temporary section present");
    assert!(temporary.under_development && !temporary.remove_at_boot);
    assert_eq!(package.abi_depends.len(), 1);
    assert_eq!(package.abi_depends[0].version, 12);
    assert_eq!(package.abi_depends[0].identity_type, 3);
    assert_eq!(package.size_bytes, built.bytes.len() as u64);
}

#[test]
fn absent_application_type_is_a_high_level_app() {
    let key = SigningKey::p256();
    let spec = PackageSpec::app("NoType");
    let built = app_package(&spec, &manifest_json(&spec, "NoType", None), &key);
    let package = read_ok(&built.bytes);
    assert_eq!(package.kind, PackageKind::HLApp);
    assert_eq!(package.application_type, None);
}

#[test]
fn real_time_capable_is_an_rt_app() {
    let key = SigningKey::p256();
    let mut spec = PackageSpec::app("RtCore");
    // Real RTApp packages carry an empty ABI-depends section.
    spec.abi_depends = Some(vec![]);
    let built = app_package(
        &spec,
        &manifest_json(&spec, "RtCore", Some("RealTimeCapable")),
        &key,
    );
    let package = read_ok(&built.bytes);
    assert_eq!(package.kind, PackageKind::RTApp);
    assert!(package.abi_depends.is_empty());
}

#[test]
fn board_config_has_a_raw_body_and_no_manifest() {
    let key = SigningKey::p256();
    let mut spec = PackageSpec::app("EthernetPreset");
    spec.image_type = 21;
    spec.abi_depends = None;
    spec.temporary_flags = None;
    let body = vec![0x5au8; 300];
    let built = assemble(&body, &spec.sections(1), &key);
    let package = read_ok(&built.bytes);
    assert_eq!(package.kind, PackageKind::BoardConfig);
    assert_eq!(package.image_type.name(), "CustomerBoardConfig");
    assert_eq!(package.name, "EthernetPreset");
    assert!(package.manifest.is_none());
    assert!(package.capabilities.is_null());
    assert!(package.temporary.is_none());
}

#[test]
fn other_image_types_are_other() {
    let key = SigningKey::p256();
    let mut spec = PackageSpec::app("Kernel");
    spec.image_type = 7;
    let built = assemble(&[0u8; 64], &spec.sections(1), &key);
    let package = read_ok(&built.bytes);
    assert_eq!(package.kind, PackageKind::Other);
    assert_eq!(package.image_type.name(), "NormalWorldKernel");
}

#[test]
fn p384_signature_is_found_after_trying_64_bytes() {
    let key = SigningKey::p384();
    let spec = PackageSpec::app("P384App");
    let built = app_package(
        &spec,
        &manifest_json(&spec, "P384App", Some("Default")),
        &key,
    );
    assert_eq!(built.signature_len, 96);
    let package = read_ok(&built.bytes);
    assert_eq!(package.signature_len, 96);
    assert_eq!(
        package.signing.expect("signed").signing_type,
        SigningType::EcDsa384
    );
    assert_eq!(package.image_id.0, spec.image_id);
}

#[test]
fn unknown_sections_are_skipped_by_length() {
    let key = SigningKey::p256();
    let mut spec = PackageSpec::app("Extras");
    spec.extra_sections = vec![
        (0x5A5A, vec![1, 2, 3]), // odd length: no padding between sections
        (ID_COMPRESSION, vec![0; 8]),
        (0x4F52, vec![0; 4]),
    ];
    let built = app_package(&spec, &manifest_json(&spec, "Extras", None), &key);
    let package = read_ok(&built.bytes);
    assert_eq!(package.image_id.0, spec.image_id);
    assert_eq!(package.abi_depends.len(), 1);
}

#[test]
fn pretty_printed_and_compact_manifests_read_the_same() {
    let key = SigningKey::p256();
    let spec = PackageSpec::app("Pretty");
    let compact = manifest_json(&spec, "Pretty", Some("RealTimeCapable"));
    let value: serde_json::Value = serde_json::from_str(&compact).expect("builder writes JSON");
    let pretty = serde_json::to_string_pretty(&value).expect("serializable");
    assert!(pretty.contains('\n'));
    let a = read_ok(&app_package(&spec, &compact, &key).bytes);
    let b = read_ok(&app_package(&spec, &pretty, &key).bytes);
    assert_eq!(a.manifest, b.manifest);
    assert_eq!(b.kind, PackageKind::RTApp);
    assert_eq!(b.name, "Pretty");
}

#[test]
fn debug_name_nul_padding_is_trimmed_and_full_32_bytes_kept() {
    let key = SigningKey::p256();
    let mut spec = PackageSpec::app("");
    spec.image_type = 21;
    spec.debug_name = b"exactly-thirty-two-bytes-long-xy".to_vec();
    let built = assemble(&[0u8; 8], &spec.sections(1), &key);
    assert_eq!(
        read_ok(&built.bytes).debug_name,
        "exactly-thirty-two-bytes-long-xy"
    );
}

/// One damaged input and the error kind it must produce (`imagepackage_oracle` shows the same
/// inputs to Microsoft's reader).
pub(crate) struct Damage {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
    pub(crate) kind: &'static str,
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

/// A good application package, its spec and its file-system layout, for patching.
fn good_app(key: &SigningKey) -> (PackageSpec, AppFs, Built) {
    let spec = PackageSpec::app("Damaged");
    let manifest = manifest_json(&spec, "Damaged", Some("Default"));
    let fs = AppFs::new(manifest.as_bytes(), b"app");
    let built = assemble(&fs.bytes, &spec.sections(1), key);
    (spec, fs, built)
}

/// The good app with its body replaced by `patch(body)` (same metadata, re-signed).
fn with_body(key: &SigningKey, patch: impl FnOnce(&mut Vec<u8>, &AppFs)) -> Vec<u8> {
    let (spec, fs, _) = good_app(key);
    let mut body = fs.bytes.clone();
    patch(&mut body, &fs);
    assemble(&body, &spec.sections(1), key).bytes
}

/// An ASXipFS body whose root holds a chain of `levels` nested directories (and no manifest).
fn deep_tree(levels: usize) -> Vec<u8> {
    const DIR: u32 = 0o040_755;
    let mut body = AppFs::new(b"{}", b"").bytes;
    body.truncate(64); // keep the superblock only
    body.extend(inode(DIR, 16, "", 76));
    for level in 0..levels {
        let at = body.len();
        let size = if level + 1 == levels { 0 } else { 16 };
        body.extend(inode(DIR, size, "d", at + 16));
    }
    body
}

/// The good app with its manifest text replaced.
fn with_manifest(key: &SigningKey, manifest: &str) -> Vec<u8> {
    let spec = PackageSpec::app("Damaged");
    app_package(&spec, manifest, key).bytes
}

/// The good app with its section list edited.
fn with_sections(key: &SigningKey, edit: impl FnOnce(&mut Vec<(u16, Vec<u8>)>)) -> Vec<u8> {
    let (spec, fs, _) = good_app(key);
    let mut sections = spec.sections(1);
    edit(&mut sections);
    assemble(&fs.bytes, &sections, key).bytes
}

pub(crate) fn damage_table() -> Vec<Damage> {
    let key = SigningKey::p256();
    let (spec, _fs, good) = good_app(&key);
    let patched = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.bytes.clone();
        edit(&mut bytes);
        bytes
    };
    let meta = good.metadata_start;
    let len_at = good.length_field_at();
    let mut other = PackageSpec::app("Other");
    other.component_id = uuid::Uuid::new_v4();
    let foreign_manifest = manifest_json(&other, "Other", None);

    vec![
        Damage {
            name: "empty file",
            bytes: vec![],
            kind: "empty",
        },
        Damage {
            name: "shorter than the smallest package",
            bytes: vec![0; 100],
            kind: "too_short",
        },
        Damage {
            name: "bad metadata magic",
            bytes: patched(&|b| b[meta] = b'5'),
            kind: "bad_magic",
        },
        Damage {
            name: "length field past the start of the file",
            bytes: patched(&|b| {
                let len = b.len() as u32;
                put_u32(b, len_at, len)
            }),
            kind: "length_out_of_range",
        },
        Damage {
            name: "length field smaller than a header",
            bytes: patched(&|b| put_u32(b, len_at, 4)),
            kind: "length_out_of_range",
        },
        Damage {
            name: "section running past the block",
            bytes: patched(&|b| put_u16(b, meta + 10, 0x0400)),
            kind: "section_overrun",
        },
        Damage {
            name: "last section one byte too long",
            bytes: with_sections(&key, |s| s.push((0x1111, vec![0; 3]))),
            kind: "section_overrun",
        }
        .with_patch(|b, built_len| {
            // The extra section is the last one: its length sits 4 + 3 bytes before the length
            // field. Claiming 4 bytes runs one byte into the length field.
            let at = built_len - 64 - 4 - 3 - 2;
            put_u16(b, at, 4);
        }),
        Damage {
            name: "section count larger than the block holds",
            bytes: patched(&|b| put_u32(b, meta + 4, 10_000)),
            kind: "section_count",
        },
        Damage {
            name: "section count one more than present",
            bytes: patched(&|b| {
                let count =
                    u32::from_le_bytes([b[meta + 4], b[meta + 5], b[meta + 6], b[meta + 7]]);
                put_u32(b, meta + 4, count + 1)
            }),
            kind: "section_count",
        },
        Damage {
            name: "truncated Identity",
            bytes: with_sections(&key, |s| s[0].1.truncate(20)),
            kind: "truncated_identity",
        },
        Damage {
            name: "missing Identity",
            bytes: with_sections(&key, |s| s.retain(|(id, _)| *id != ID_IDENTITY)),
            kind: "missing_identity",
        },
        Damage {
            name: "no sections at all",
            bytes: with_sections(&key, |s| s.clear()),
            kind: "missing_identity",
        },
        Damage {
            name: "duplicate Identity",
            bytes: with_sections(&key, |s| {
                let identity = s[0].clone();
                s.push(identity)
            }),
            kind: "duplicate_section",
        },
        Damage {
            name: "truncated Signature section",
            bytes: with_sections(&key, |s| {
                if let Some(sig) = s.iter_mut().find(|(id, _)| *id == ID_SIGNATURE) {
                    sig.1.truncate(10)
                }
            }),
            kind: "truncated_section",
        },
        Damage {
            name: "ABI count larger than its entries",
            bytes: with_sections(&key, |s| {
                if let Some(abi) = s.iter_mut().find(|(id, _)| *id == ID_ABI_DEPENDS) {
                    abi.1[0] = 200
                }
            }),
            kind: "truncated_section",
        },
        Damage {
            name: "non-UTF-8 debug name",
            bytes: patched(&|b| {
                let at = good.debug_name_at();
                b[at] = 0xff;
                b[at + 1] = 0xfe;
            }),
            kind: "bad_name_utf8",
        },
        Damage {
            name: "manifest that is not JSON",
            bytes: with_manifest(&key, "{\"Name\": \"half"),
            kind: "manifest_not_json",
        },
        Damage {
            name: "manifest that is a JSON array",
            bytes: with_manifest(&key, "[1, 2, 3]"),
            kind: "manifest_shape",
        },
        Damage {
            name: "manifest with a numeric ApplicationType",
            bytes: with_manifest(&key, "{\"ApplicationType\": 3}"),
            kind: "manifest_shape",
        },
        Damage {
            name: "manifest with an unknown ApplicationType",
            bytes: with_manifest(&key, "{\"ApplicationType\": \"Quantum\"}"),
            kind: "unknown_application_type",
        },
        Damage {
            name: "manifest naming another component",
            bytes: assemble(
                &AppFs::new(foreign_manifest.as_bytes(), b"app").bytes,
                &spec.sections(1),
                &key,
            )
            .bytes,
            kind: "component_id_mismatch",
        },
        Damage {
            name: "manifest inode offset outside the body",
            bytes: with_body(&key, |body, fs| {
                let w2 = 5u32 | (0x03ff_ffff << 6);
                put_u32(body, fs.manifest_inode_at + 8, w2);
            }),
            kind: "inode_out_of_bounds",
        },
        Damage {
            name: "manifest size running past the body",
            bytes: with_body(&key, |body, fs| {
                put_u32(body, fs.manifest_inode_at + 4, 0x00ff_ffff);
            }),
            kind: "inode_out_of_bounds",
        },
        Damage {
            name: "app binary offset outside the body",
            bytes: with_body(&key, |body, fs| {
                put_u32(body, fs.app_inode_at + 8, 1 | (0x0100_0000 << 6));
            }),
            kind: "inode_out_of_bounds",
        },
        Damage {
            name: "directory children outside the body",
            bytes: with_body(&key, |body, fs| {
                put_u32(body, fs.bin_inode_at + 8, 1 | (0x0100_0000 << 6));
            }),
            kind: "inode_out_of_bounds",
        },
        Damage {
            name: "root inode cut off",
            bytes: with_body(&key, |body, _| body.truncate(70)),
            kind: "truncated",
        },
        Damage {
            name: "directory cycle (bin points back at the root's children)",
            bytes: with_body(&key, |body, fs| {
                put_u32(body, fs.bin_inode_at + 4, 48);
                put_u32(body, fs.bin_inode_at + 8, 1 | ((76 / 4) << 6));
            }),
            kind: "fs_cycle",
        },
        Damage {
            name: "directory chain deeper than the walk allows",
            bytes: assemble(&deep_tree(40), &spec.sections(1), &key).bytes,
            kind: "fs_too_large",
        },
        Damage {
            name: "bad ASXipFS magic",
            bytes: with_body(&key, |body, _| body[0] = 0),
            kind: "fs_bad_magic",
        },
        Damage {
            name: "application with a raw body (not an ASXipFS)",
            bytes: assemble(&[0x11u8; 256], &spec.sections(1), &key).bytes,
            kind: "fs_bad_magic",
        },
        Damage {
            name: "application with an empty body",
            bytes: assemble(&[], &spec.sections(1), &key).bytes,
            kind: "truncated",
        },
        Damage {
            name: "application without app_manifest.json",
            bytes: with_body(&key, |body, fs| body[fs.manifest_inode_at + 12] = b'x'),
            kind: "missing_manifest",
        },
        Damage {
            name: "root inode is a file",
            bytes: with_body(&key, |body, _| put_u32(body, 64, 0o100_644)),
            kind: "missing_manifest",
        },
    ]
    .into_iter()
    .chain(std::iter::once(Damage {
        name: "unchanged good package (control)",
        bytes: good.bytes.clone(),
        kind: "ok",
    }))
    .chain(std::iter::once(Damage {
        name: "body untouched but manifest inode in place (control)",
        bytes: with_body(&key, |_, _| {}),
        kind: "ok",
    }))
    .collect()
}

impl Damage {
    /// Applies a patch that needs the finished length (for edits near the end of the file).
    fn with_patch(mut self, patch: impl FnOnce(&mut Vec<u8>, usize)) -> Self {
        let len = self.bytes.len();
        patch(&mut self.bytes, len);
        self
    }
}

#[test]
fn damaged_inputs_give_the_expected_error_kind() {
    let mut failures = Vec::new();
    for damage in damage_table() {
        let got = match imagepackage::read(&damage.bytes) {
            Ok(_) => "ok".to_owned(),
            Err(e) => {
                // Every error must say where it stopped, inside the file.
                assert!(
                    e.offset() <= damage.bytes.len(),
                    "{}: offset {} past the file",
                    damage.name,
                    e.offset()
                );
                assert!(!e.to_string().is_empty());
                e.kind().to_owned()
            }
        };
        if got != damage.kind {
            let detail = imagepackage::read(&damage.bytes)
                .err()
                .map(|e: ImagePackageError| format!("{e} at {}", e.offset()))
                .unwrap_or_default();
            failures.push(format!(
                "{}: expected {}, got {got} {detail}",
                damage.name, damage.kind
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "damage table mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn bad_magic_error_names_the_offset_of_the_metadata() {
    let key = SigningKey::p256();
    let (_, _, good) = good_app(&key);
    let mut bytes = good.bytes.clone();
    bytes[good.metadata_start] = 0;
    let err = imagepackage::read(&bytes).expect_err("bad magic");
    assert_eq!(err.kind(), "bad_magic");
    assert_eq!(err.offset(), good.metadata_start);
}

#[test]
fn p384_package_with_bad_magic_reports_the_magic() {
    let key = SigningKey::p384();
    let spec = PackageSpec::app("P384");
    let built = app_package(&spec, &manifest_json(&spec, "P384", None), &key);
    let mut bytes = built.bytes.clone();
    bytes[built.metadata_start] ^= 0xff;
    let err = imagepackage::read(&bytes).expect_err("bad magic");
    assert_eq!(err.kind(), "bad_magic");
}
