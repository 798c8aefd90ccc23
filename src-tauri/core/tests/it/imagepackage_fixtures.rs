//! The four real SDK-built packages in `shared/fixtures/imagepackages/` read exactly as
//! `expected.json` (produced with Microsoft's reference reader) says.

use asg_fota_core::imagepackage::{self, PackageKind, SigningType};

use asg_fota_testkit::fixtures as support;

#[test]
fn real_fixtures_match_expected_json() {
    let expected = support::expected_fixtures();
    assert_eq!(
        expected.len(),
        4,
        "expected.json should list the four fixtures"
    );
    for (file, want) in expected {
        let bytes = support::fixture_bytes(&file);
        let package = imagepackage::read(&bytes)
            .unwrap_or_else(|e| panic!("{file}: {e} (kind {}, offset {})", e.kind(), e.offset()));
        assert_eq!(
            package.image_type.0 as u64,
            want["image_type"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(package.image_type.name(), "Applications", "{file}");
        assert_eq!(
            package.component_id.to_string(),
            want["component_id"],
            "{file}"
        );
        assert_eq!(package.image_id.to_string(), want["image_id"], "{file}");
        let signing = package.signing.as_ref().expect("fixtures are signed");
        assert_eq!(
            signing.thumbprint_hex(),
            want["signing_cert_thumbprint"],
            "{file}"
        );
        assert_eq!(signing.signing_type, SigningType::EcDsa256, "{file}");
        assert!(signing.is_development_test_certificate, "{file}");
        assert_eq!(package.signature_len, 64, "{file}");
        assert_eq!(package.debug_name, want["name"], "{file}");
        let built = package.built_at.expect("fixtures carry a build time");
        assert_eq!(
            built.unix_timestamp() as u64,
            want["built_unix"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            package.application_type.as_deref(),
            want["application_type"].as_str(),
            "{file}"
        );
        assert_eq!(package.kind.as_str(), want["kind"], "{file}");
        assert!(matches!(
            package.kind,
            PackageKind::HLApp | PackageKind::RTApp
        ));
        assert_eq!(package.size_bytes, bytes.len() as u64);
        assert!(package.manifest.is_some(), "{file}: manifest read");
        eprintln!(
            "{file}: name={:?} capabilities={} target_api_set={:?} abi={:?} temp={:?}",
            package.name,
            package.capabilities,
            package.target_api_set,
            package.abi_depends,
            package.temporary
        );
    }
}

#[test]
fn anvil_component_id_follows_dotnet_guid_byte_order() {
    // The doc's check: Identity bytes b2 d8 89 16 35 c8 27 2e ... are 1689d8b2-c835-2e27-....
    let bytes = support::fixture_bytes("hl_anvil_test_app.imagepackage");
    let package = imagepackage::read(&bytes).expect("the anvil fixture reads");
    assert_eq!(
        package.component_id.to_string(),
        "1689d8b2-c835-2e27-27ad-e894d6d15fa9"
    );
}
