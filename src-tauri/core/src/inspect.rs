//! Inspects `.imagepackage` files on disk: reads a file (with a size cap), hands its bytes to
//! [`crate::imagepackage::read`] and turns the result into a [`PackageReport`] that the CLI prints
//! and the desktop app shows.
//!
//! This module owns the file IO around the pure reader and the user-facing wording of its errors;
//! the wire format itself lives in [`crate::imagepackage`].

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;
use time::format_description::well_known::Rfc3339;

use crate::imagepackage::{self, ImagePackage, ImagePackageError};

/// Largest file `inspect_file` reads. Real application packages are kilobytes to a few
/// megabytes; the cap keeps a wrongly chosen disk image from being read into memory.
pub const MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;

/// What ASG FOTA reports about one package: the CLI's `--json` output and the desktop app's view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageReport {
    pub file: String,
    pub image_id: String,
    pub component_id: String,
    pub image_type: u16,
    pub image_type_name: String,
    pub kind: String,
    pub name: String,
    /// RFC 3339, UTC; `null` when the package has no Debug section.
    pub built_at: Option<String>,
    pub signing_type: Option<String>,
    pub signing_thumbprint: Option<String>,
    pub development_test_certificate: bool,
    pub temporary_image: Option<TemporaryImageReport>,
    pub target_api_set: Option<String>,
    pub abi_depends: Vec<AbiVersionReport>,
    pub capabilities: serde_json::Value,
    pub sha256: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryImageReport {
    pub remove_at_boot: bool,
    pub under_development: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbiVersionReport {
    pub version: u32,
    pub identity_type: u32,
}

impl PackageReport {
    /// Builds the report for a package read from `file`.
    pub fn new(file: &Path, package: &ImagePackage) -> Self {
        PackageReport {
            file: file.display().to_string(),
            image_id: package.image_id.to_string(),
            component_id: package.component_id.to_string(),
            image_type: package.image_type.0,
            image_type_name: package.image_type.name().to_owned(),
            kind: package.kind.as_str().to_owned(),
            name: package.name.clone(),
            // Formatting a UTC time as RFC 3339 fails only for years outside 0..=9999; such a
            // time is as good as unknown.
            built_at: package.built_at.and_then(|t| t.format(&Rfc3339).ok()),
            signing_type: package.signing.as_ref().map(|s| s.signing_type.to_string()),
            signing_thumbprint: package.signing.as_ref().map(|s| s.thumbprint_hex()),
            development_test_certificate: package
                .signing
                .as_ref()
                .is_some_and(|s| s.is_development_test_certificate),
            temporary_image: package.temporary.map(|t| TemporaryImageReport {
                remove_at_boot: t.remove_at_boot,
                under_development: t.under_development,
            }),
            target_api_set: package.target_api_set.clone(),
            abi_depends: package
                .abi_depends
                .iter()
                .map(|a| AbiVersionReport {
                    version: a.version,
                    identity_type: a.identity_type,
                })
                .collect(),
            capabilities: package.capabilities.clone(),
            sha256: package.sha256_hex(),
            size_bytes: package.size_bytes,
        }
    }
}

/// Why a file could not be inspected.
#[derive(Debug, Error)]
pub enum InspectError {
    #[error("cannot read {}: {source}; check the path and that you may read the file", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{} is {size} bytes, larger than any image package ({limit} bytes at most); choose the .imagepackage file instead",
        path.display()
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error(
        "{} is not a valid Azure Sphere image package: {source} at byte {}; rebuild it or choose another file",
        path.display(),
        source.offset()
    )]
    Package {
        path: PathBuf,
        #[source]
        source: ImagePackageError,
    },
}

impl InspectError {
    /// A stable name for the kind of failure, for the UI and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            InspectError::Io { .. } => "io",
            InspectError::TooLarge { .. } => "too_large",
            InspectError::Package { .. } => "damaged_package",
        }
    }

    /// One sentence for a person: which file, what is wrong, what to do.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InspectError::Io { path, .. }
            | InspectError::TooLarge { path, .. }
            | InspectError::Package { path, .. } => path,
        }
    }
}

/// Reads the package at `path` and reports what it is.
pub fn inspect_file(path: &Path) -> Result<PackageReport, InspectError> {
    let bytes = read_capped(path, MAX_PACKAGE_BYTES)?;
    let package = imagepackage::read(&bytes).map_err(|source| InspectError::Package {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(PackageReport::new(path, &package))
}

/// Reads at most `limit` bytes. The length is checked both from the metadata (a quick refusal of
/// huge files) and while reading (the file may be growing, or be a device without a length).
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, InspectError> {
    let io_error = |source| InspectError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    let declared = file.metadata().map_err(io_error)?.len();
    let too_large = |size| InspectError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if declared > limit {
        return Err(too_large(declared));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_an_io_error_naming_the_file() {
        let err = inspect_file(Path::new("/nonexistent/asg-fota/x.imagepackage"))
            .expect_err("a missing file cannot be inspected");
        assert_eq!(err.kind(), "io");
        assert!(err
            .message()
            .contains("/nonexistent/asg-fota/x.imagepackage"));
    }

    #[test]
    fn cap_refuses_files_over_the_limit() {
        let dir = std::env::temp_dir().join(format!("asg-fota-inspect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.imagepackage");
        std::fs::write(&path, [0u8; 100]).unwrap();
        let err = read_capped(&path, 99).expect_err("100 bytes exceed a 99-byte cap");
        assert_eq!(err.kind(), "too_large");
        assert!(read_capped(&path, 100).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }
}
