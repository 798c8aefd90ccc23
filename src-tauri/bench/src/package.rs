//! Valid synthetic image packages of a chosen size: an application package whose `/bin/app` is
//! padded with pseudo-random bytes, signed with a fresh key. Built with the test kit's builder,
//! which writes the format independently of the reader (and is checked against Microsoft's
//! reference reader), so the simulator's reader accepts it as it would a real SDK build.

use asg_fota_core::cloud::model::ImageId;
use asg_fota_testkit::builder::{assemble, manifest_json, AppFs, PackageSpec, SigningKey};

/// A signed application package of exactly `size` bytes (≥ 4 KiB) named `name`.
pub fn sized(name: &str, size: usize) -> (ImageId, Vec<u8>) {
    let spec = PackageSpec::app(&name[..name.len().min(32)]);
    let manifest = manifest_json(&spec, name, Some("Default"));
    let key = SigningKey::p256();
    let build = |app_len: usize| {
        let app = filler(app_len);
        let fs = AppFs::new(manifest.as_bytes(), &app);
        assemble(&fs.bytes, &spec.sections(key.signing_type()), &key).bytes
    };
    // The file system pads the binary to 4 bytes; the signature is fixed-size: measure the
    // overhead once, then size the binary so the whole package lands on `size`.
    let overhead = build(4).len() - 4;
    let app_len = size.saturating_sub(overhead) / 4 * 4;
    let bytes = build(app_len);
    (ImageId::new(spec.image_id.to_string()), bytes)
}

/// Incompressible filler (xorshift), so no layer can shrink the transfer.
fn filler(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}
