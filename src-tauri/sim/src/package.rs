//! The one place where the simulator reads an uploaded `.imagepackage`: it hands the bytes to
//! the project's own reader (`asg_fota_core::imagepackage::read`) and keeps the facts the tenant
//! needs, so that the ids, name and type an upload reports come from the file exactly as the
//! real service reads them.

use asg_fota_core::imagepackage::{self, PackageKind};
use sha2::{Digest, Sha256};

use crate::state::{ImageKind, PackageFacts, TenantError};

/// Reads `bytes` as an image package. A damaged package is a `BadRequest` carrying the reader's
/// explanation (the byte offset and what was expected there).
// UNSURE: the real service's wording and error code for a damaged package; it answers 400.
pub fn facts(bytes: &[u8]) -> Result<PackageFacts, TenantError> {
    let package = imagepackage::read(bytes)
        .map_err(|e| TenantError::BadRequest(format!("the image package cannot be read: {e}")))?;
    let kind = match package.kind {
        PackageKind::HLApp => ImageKind::HighLevelApp,
        PackageKind::RTApp => ImageKind::RealTimeApp,
        PackageKind::BoardConfig => ImageKind::BoardConfig,
        PackageKind::Other => ImageKind::Other,
    };
    Ok(PackageFacts {
        image_id: package.image_id.0,
        component_id: package.component_id.0,
        name: package.name,
        image_type: package.image_type.0,
        kind,
        length: bytes.len() as u64,
        // Hashed here, over the bytes the tenant received, so that a benchmark or test can tell
        // a byte-exact upload from one of the right length.
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}
