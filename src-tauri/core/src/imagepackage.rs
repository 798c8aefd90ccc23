//! Reads Azure Sphere `.imagepackage` files: the metadata block at the end of the file and, for
//! applications, the `app_manifest.json` inside the ASXipFS body.
//!
//! This module owns the wire format and nothing else: it takes bytes and returns an
//! [`ImagePackage`] or an [`ImagePackageError`] that names the byte offset where reading stopped
//! and what was expected there. It does no IO (see [`crate::inspect`] for reading files) and never
//! panics on input: every read goes through a bounds-checked [`Cursor`].
//!
//! The layout, read from the end of the file (see `shared/docs/imagepackage-format.md`):
//!
//! ```text
//! [ body (image data) ][ metadata block ][ signature (64 B for P-256, 96 B for P-384) ]
//! ```
//!
//! Each part is documented next to the code that reads it.

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;
use uuid::Uuid;

/// The metadata header magic, `"4X4M"` on disk.
const METADATA_MAGIC: u32 = 0x4D34_5834;
/// The ASXipFS superblock magic, shared with cramfs.
const FS_MAGIC: u32 = 0x28CD_3D45;
/// Signature lengths in the order the reference reader tries them: P-256, then P-384.
const SIGNATURE_LENGTHS: [usize; 2] = [64, 96];
/// Metadata header: u32 magic + u32 section count.
const METADATA_HEADER_LEN: usize = 8;
/// The u32 metadata length that closes the metadata block.
const METADATA_LENGTH_FIELD_LEN: usize = 4;
/// Section header: u16 id + u16 data length.
const SECTION_HEADER_LEN: usize = 4;
/// Identity section data: u16 type, u16 reserved, 16 B component id, 16 B image id.
const IDENTITY_LEN: usize = 36;
/// The smallest file that can hold a package: a metadata block with only an Identity section and
/// a P-256 signature. Anything shorter is rejected up front with a clear "too short" error.
pub const MIN_PACKAGE_LEN: usize = METADATA_HEADER_LEN
    + SECTION_HEADER_LEN
    + IDENTITY_LEN
    + METADATA_LENGTH_FIELD_LEN
    + SIGNATURE_LENGTHS[0];

/// Section ids, as the two ASCII letters read little-endian ("ID" on disk is 0x4449).
mod section_id {
    pub const IDENTITY: u16 = 0x4449;
    pub const SIGNATURE: u16 = 0x4753;
    pub const DEBUG: u16 = 0x4244;
    pub const TEMPORARY_IMAGE: u16 = 0x5054;
    pub const ABI_DEPENDS: u16 = 0x444E;
}

/// Bounds on the ASXipFS walk, so that a crafted body cannot make the reader loop or recurse
/// without end. Real application packages hold a handful of files two levels deep.
const FS_MAX_DEPTH: usize = 32;
const FS_MAX_ENTRIES: usize = 65_536;
/// The superblock is 64 bytes; the root inode follows it.
const FS_ROOT_INODE_OFFSET: usize = 64;
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;

/// The image id of one build of a component (Identity section), Display = lowercase hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub Uuid);

/// The component id shared by every build of one application (Identity section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId(pub Uuid);

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The Azure Sphere image type from the Identity section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageType(pub u16);

impl ImageType {
    pub const APPLICATIONS: ImageType = ImageType(10);
    pub const CUSTOMER_BOARD_CONFIG: ImageType = ImageType(21);

    /// The name Microsoft's tools print for this type; "Unknown" for values they do not define.
    pub fn name(&self) -> &'static str {
        match self.0 {
            0 => "Invalid",
            1 => "OneBL",
            2 => "PlutonRuntime",
            3 => "WifiFirmware",
            4 => "SecurityMonitor",
            5 => "NormalWorldLoader",
            6 => "NormalWorldDTB",
            7 => "NormalWorldKernel",
            8 => "RootFs",
            9 => "Services",
            10 => "Applications",
            13 => "FirmwareConfig",
            16 => "BootManifest",
            17 => "NormalWorldFileSystem",
            19 => "TrustedKeystore",
            20 => "Policy",
            21 => "CustomerBoardConfig",
            22 => "UpdateCertStore",
            23 => "BaseSystemUpdateManifest",
            24 => "FirmwareUpdateManifest",
            25 => "CustomerUpdateManifest",
            26 => "RecoveryManifest",
            27 => "ManifestSet",
            28 => "Other",
            _ => "Unknown",
        }
    }
}

/// What a package is for ASG FOTA: which deployment slot it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageKind {
    /// A high-level application (image type 10, manifest ApplicationType "Default" or absent).
    HLApp,
    /// A real-time application (image type 10, manifest ApplicationType "RealTimeCapable").
    RTApp,
    /// A board configuration (image type 21), e.g. the Ethernet preset.
    BoardConfig,
    /// Any other image type: OS images that customers cannot deploy.
    Other,
}

impl PackageKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PackageKind::HLApp => "HLApp",
            PackageKind::RTApp => "RTApp",
            PackageKind::BoardConfig => "BoardConfig",
            PackageKind::Other => "Other",
        }
    }
}

impl fmt::Display for PackageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signing algorithm named in the Signature section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningType {
    EcDsa256,
    EcDsa384,
    Unknown(u32),
}

impl SigningType {
    fn from_wire(value: u32) -> Self {
        match value {
            1 => SigningType::EcDsa256,
            2 => SigningType::EcDsa384,
            other => SigningType::Unknown(other),
        }
    }

    /// The name Microsoft's tools print ("ECDsa256", "ECDsa384"), or "Unknown".
    pub fn name(&self) -> &'static str {
        match self {
            SigningType::EcDsa256 => "ECDsa256",
            SigningType::EcDsa384 => "ECDsa384",
            SigningType::Unknown(_) => "Unknown",
        }
    }
}

impl fmt::Display for SigningType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningType::Unknown(value) => write!(f, "Unknown({value})"),
            known => f.write_str(known.name()),
        }
    }
}

/// The Signature section: which certificate signed the package and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// SHA-1 thumbprint of the signing certificate.
    pub thumbprint: [u8; 20],
    pub signing_type: SigningType,
    /// True when signed with Microsoft's public development test certificate, as every SDK build
    /// is until the cloud re-signs it for production.
    pub is_development_test_certificate: bool,
}

/// Thumbprint of Microsoft's development test certificate that the SDK signs every build with.
pub const DEVELOPMENT_TEST_CERTIFICATE_THUMBPRINT: [u8; 20] = [
    0xa8, 0xd5, 0xcc, 0x69, 0x58, 0xf4, 0x87, 0x10, 0x14, 0x0d, 0x7a, 0x26, 0x16, 0x0f, 0xc1, 0xcf,
    0xc3, 0x1f, 0x5d, 0xf0,
];

impl Signing {
    pub fn thumbprint_hex(&self) -> String {
        hex::encode(self.thumbprint)
    }
}

/// The Temporary image section: the package is a development build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemporaryImage {
    pub remove_at_boot: bool,
    pub under_development: bool,
}

/// One entry of the ABI depends section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiVersion {
    pub version: u32,
    /// 3 = ApplicationRuntime.
    pub identity_type: u32,
}

/// Everything ASG FOTA needs to know about one `.imagepackage` file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePackage {
    pub image_id: ImageId,
    pub component_id: ComponentId,
    pub image_type: ImageType,
    pub kind: PackageKind,
    /// The manifest's `Name` when present (the full name), else the Debug name.
    pub name: String,
    /// The Debug section's name, NULs trimmed; the SDK cuts it at 32 bytes.
    pub debug_name: String,
    /// Build time from the Debug section (UTC).
    pub built_at: Option<OffsetDateTime>,
    pub signing: Option<Signing>,
    /// 64 (P-256) or 96 (P-384).
    pub signature_len: usize,
    pub temporary: Option<TemporaryImage>,
    pub abi_depends: Vec<AbiVersion>,
    pub target_api_set: Option<String>,
    /// The manifest's `ApplicationType` exactly as written.
    pub application_type: Option<String>,
    /// The manifest's `Capabilities` object, or `Null`.
    pub capabilities: Value,
    pub manifest: Option<Value>,
    /// SHA-256 of the whole file.
    pub sha256: [u8; 32],
    pub size_bytes: u64,
}

impl ImagePackage {
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// Why a byte string is not a readable image package. Every variant carries the byte offset (from
/// the start of the file) where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImagePackageError {
    #[error("the file is empty")]
    Empty { offset: usize },
    #[error("the file is {len} bytes, shorter than the smallest possible package ({min} bytes)")]
    TooShort {
        offset: usize,
        len: usize,
        min: usize,
    },
    #[error("{what} needs {needed} bytes but only {available} remain")]
    Truncated {
        offset: usize,
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("the metadata length field says {length} bytes; expected {min} to {max}")]
    LengthOutOfRange {
        offset: usize,
        length: u32,
        min: usize,
        max: usize,
    },
    #[error(
        "the metadata block starts with {found:#010x}; expected the magic 0x4d345834 (\"4X4M\")"
    )]
    BadMagic { offset: usize, found: u32 },
    #[error("the metadata header announces {count} sections; the block can hold at most {max}")]
    SectionCount {
        offset: usize,
        count: u32,
        max: usize,
    },
    #[error("section {id:#06x} claims {length} bytes of data; only {available} remain in the metadata block")]
    SectionOverrun {
        offset: usize,
        id: u16,
        length: usize,
        available: usize,
    },
    #[error("the {section} section appears more than once")]
    DuplicateSection {
        offset: usize,
        section: &'static str,
    },
    #[error(
        "the metadata has no Identity section (expected one with the image and component ids)"
    )]
    MissingIdentity { offset: usize },
    #[error("the Identity section is {length} bytes; expected {expected}")]
    TruncatedIdentity {
        offset: usize,
        length: usize,
        expected: usize,
    },
    #[error("the {section} section is {length} bytes; expected at least {expected}")]
    TruncatedSection {
        offset: usize,
        section: &'static str,
        length: usize,
        expected: usize,
    },
    #[error("the image name in the Debug section is not UTF-8")]
    BadNameUtf8 { offset: usize },
    #[error(
        "the application body starts with {found:#010x}; expected the ASXipFS magic 0x28cd3d45"
    )]
    FsBadMagic { offset: usize, found: u32 },
    #[error("an ASXipFS {what} points to byte {target} (+{len}); expected it inside the {body_len}-byte body")]
    InodeOutOfBounds {
        offset: usize,
        what: &'static str,
        target: usize,
        len: usize,
        body_len: usize,
    },
    #[error("an ASXipFS directory refers back to a directory above it (a cycle)")]
    FsCycle { offset: usize },
    #[error("the ASXipFS tree exceeds {limit} {what}; expected a small application")]
    FsTooLarge {
        offset: usize,
        what: &'static str,
        limit: usize,
    },
    #[error("the application has no /app_manifest.json (expected a regular file at the root)")]
    MissingManifest { offset: usize },
    #[error("app_manifest.json is not JSON: {reason}")]
    ManifestNotJson { offset: usize, reason: String },
    #[error("app_manifest.json is JSON but not an object with string fields: {reason}")]
    ManifestShape { offset: usize, reason: String },
    #[error("app_manifest.json has ApplicationType {found:?}; expected \"Default\" or \"RealTimeCapable\"")]
    UnknownApplicationType { offset: usize, found: String },
    #[error(
        "app_manifest.json ComponentId {manifest} differs from the Identity section's {identity}"
    )]
    ComponentIdMismatch {
        offset: usize,
        manifest: String,
        identity: String,
    },
}

impl ImagePackageError {
    /// A stable snake_case name for the kind of damage, for tests and the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            ImagePackageError::Empty { .. } => "empty",
            ImagePackageError::TooShort { .. } => "too_short",
            ImagePackageError::Truncated { .. } => "truncated",
            ImagePackageError::LengthOutOfRange { .. } => "length_out_of_range",
            ImagePackageError::BadMagic { .. } => "bad_magic",
            ImagePackageError::SectionCount { .. } => "section_count",
            ImagePackageError::SectionOverrun { .. } => "section_overrun",
            ImagePackageError::DuplicateSection { .. } => "duplicate_section",
            ImagePackageError::MissingIdentity { .. } => "missing_identity",
            ImagePackageError::TruncatedIdentity { .. } => "truncated_identity",
            ImagePackageError::TruncatedSection { .. } => "truncated_section",
            ImagePackageError::BadNameUtf8 { .. } => "bad_name_utf8",
            ImagePackageError::FsBadMagic { .. } => "fs_bad_magic",
            ImagePackageError::InodeOutOfBounds { .. } => "inode_out_of_bounds",
            ImagePackageError::FsCycle { .. } => "fs_cycle",
            ImagePackageError::FsTooLarge { .. } => "fs_too_large",
            ImagePackageError::MissingManifest { .. } => "missing_manifest",
            ImagePackageError::ManifestNotJson { .. } => "manifest_not_json",
            ImagePackageError::ManifestShape { .. } => "manifest_shape",
            ImagePackageError::UnknownApplicationType { .. } => "unknown_application_type",
            ImagePackageError::ComponentIdMismatch { .. } => "component_id_mismatch",
        }
    }

    /// The byte offset from the start of the file where reading stopped.
    pub fn offset(&self) -> usize {
        match self {
            ImagePackageError::Empty { offset }
            | ImagePackageError::TooShort { offset, .. }
            | ImagePackageError::Truncated { offset, .. }
            | ImagePackageError::LengthOutOfRange { offset, .. }
            | ImagePackageError::BadMagic { offset, .. }
            | ImagePackageError::SectionCount { offset, .. }
            | ImagePackageError::SectionOverrun { offset, .. }
            | ImagePackageError::DuplicateSection { offset, .. }
            | ImagePackageError::MissingIdentity { offset }
            | ImagePackageError::TruncatedIdentity { offset, .. }
            | ImagePackageError::TruncatedSection { offset, .. }
            | ImagePackageError::BadNameUtf8 { offset }
            | ImagePackageError::FsBadMagic { offset, .. }
            | ImagePackageError::InodeOutOfBounds { offset, .. }
            | ImagePackageError::FsCycle { offset }
            | ImagePackageError::FsTooLarge { offset, .. }
            | ImagePackageError::MissingManifest { offset }
            | ImagePackageError::ManifestNotJson { offset, .. }
            | ImagePackageError::ManifestShape { offset, .. }
            | ImagePackageError::UnknownApplicationType { offset, .. }
            | ImagePackageError::ComponentIdMismatch { offset, .. } => *offset,
        }
    }
}

/// A bounds-checked little-endian reader over a slice of the file. `base` is the slice's offset in
/// the file, so that every error names an absolute file offset.
struct Cursor<'a> {
    bytes: &'a [u8],
    base: usize,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Cursor {
            bytes,
            base,
            pos: 0,
        }
    }

    /// Absolute file offset of the next byte.
    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ImagePackageError> {
        let available = self.remaining();
        if n > available {
            return Err(ImagePackageError::Truncated {
                offset: self.offset(),
                what,
                needed: n,
                available,
            });
        }
        let start = self.pos;
        self.pos += n;
        // The bound was checked just above; `get` keeps this free of slice-index panics anyway.
        self.bytes
            .get(start..start + n)
            .ok_or(ImagePackageError::Truncated {
                offset: self.base + start,
                what,
                needed: n,
                available,
            })
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ImagePackageError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ImagePackageError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ImagePackageError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, ImagePackageError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
}

/// Reads one package from the bytes of a whole `.imagepackage` file.
pub fn read(bytes: &[u8]) -> Result<ImagePackage, ImagePackageError> {
    if bytes.is_empty() {
        return Err(ImagePackageError::Empty { offset: 0 });
    }
    if bytes.len() < MIN_PACKAGE_LEN {
        return Err(ImagePackageError::TooShort {
            offset: 0,
            len: bytes.len(),
            min: MIN_PACKAGE_LEN,
        });
    }

    let block = locate_metadata(bytes)?;
    let metadata = read_sections(bytes, &block)?;
    let body = bytes.get(..block.start).unwrap_or_default();

    let identity = metadata
        .identity
        .ok_or(ImagePackageError::MissingIdentity {
            offset: block.start,
        })?;

    let manifest = if identity.image_type == ImageType::APPLICATIONS {
        let located = find_manifest(body)?;
        Some(parse_manifest(located, identity.component_id)?)
    } else {
        // Board configurations have a raw body and OS images are not ours to look into.
        None
    };

    let kind = match (identity.image_type, &manifest) {
        (ImageType::CUSTOMER_BOARD_CONFIG, _) => PackageKind::BoardConfig,
        (ImageType::APPLICATIONS, Some(manifest)) => manifest.kind,
        _ => PackageKind::Other,
    };

    let debug_name = metadata
        .debug
        .as_ref()
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let name = manifest
        .as_ref()
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| debug_name.clone());

    Ok(ImagePackage {
        image_id: identity.image_id,
        component_id: identity.component_id,
        image_type: identity.image_type,
        kind,
        name,
        debug_name,
        built_at: metadata.debug.and_then(|d| d.built_at),
        signing: metadata.signing,
        signature_len: block.signature_len,
        temporary: metadata.temporary,
        abi_depends: metadata.abi_depends,
        target_api_set: manifest.as_ref().and_then(|m| m.target_api_set.clone()),
        application_type: manifest.as_ref().and_then(|m| m.application_type.clone()),
        capabilities: manifest
            .as_ref()
            .and_then(|m| m.json.get("Capabilities").cloned())
            .unwrap_or(Value::Null),
        manifest: manifest.map(|m| m.json),
        sha256: Sha256::digest(bytes).into(),
        size_bytes: bytes.len() as u64,
    })
}

/// Where the metadata block sits in the file.
struct MetadataBlock {
    /// Offset of the metadata header (= length of the body).
    start: usize,
    /// Offset of the u32 length field that closes the block (= end of the sections).
    sections_end: usize,
    section_count: u32,
    signature_len: usize,
}

/// Finds the metadata block by reading its length from just before the signature.
///
/// ```text
/// ... [ u32 magic 0x4D345834 ][ u32 section_count ][ sections ... ][ u32 metadata_len ][ signature ]
///     ^ start = file_len - sig_len - metadata_len                  (metadata_len counts all of this)
/// ```
///
/// The signature length is not recorded anywhere before it, so, like Microsoft's reader, we try
/// 64 bytes (P-256) and then 96 (P-384), and keep the first reading whose length fits and whose
/// header carries the magic. When neither does, the error comes from the attempt that got further,
/// so that a P-384 package with a damaged magic reports the magic, not a nonsense length.
fn locate_metadata(bytes: &[u8]) -> Result<MetadataBlock, ImagePackageError> {
    let mut best: Option<ImagePackageError> = None;
    for signature_len in SIGNATURE_LENGTHS {
        match locate_metadata_with(bytes, signature_len) {
            Ok(block) => return Ok(block),
            Err(err) => {
                let better = match &best {
                    None => true,
                    Some(previous) => progress(&err) > progress(previous),
                };
                if better {
                    best = Some(err);
                }
            }
        }
    }
    Err(best.unwrap_or(ImagePackageError::TooShort {
        offset: 0,
        len: bytes.len(),
        min: MIN_PACKAGE_LEN,
    }))
}

/// How far an attempt at locating the metadata got, to choose which failure to report.
fn progress(err: &ImagePackageError) -> u8 {
    match err {
        ImagePackageError::BadMagic { .. } => 2,
        ImagePackageError::LengthOutOfRange { .. } => 1,
        _ => 0,
    }
}

fn locate_metadata_with(
    bytes: &[u8],
    signature_len: usize,
) -> Result<MetadataBlock, ImagePackageError> {
    let min_block = METADATA_HEADER_LEN + METADATA_LENGTH_FIELD_LEN;
    let Some(length_at) = bytes
        .len()
        .checked_sub(signature_len + METADATA_LENGTH_FIELD_LEN)
    else {
        return Err(ImagePackageError::TooShort {
            offset: 0,
            len: bytes.len(),
            min: signature_len + min_block,
        });
    };
    let length = Cursor::new(bytes.get(length_at..).unwrap_or_default(), length_at)
        .u32("the metadata length field")?;
    // The block may take the whole file before the signature (an empty body), no more.
    let max = bytes.len() - signature_len;
    let length_usize = length as usize;
    if length_usize < min_block || length_usize > max {
        return Err(ImagePackageError::LengthOutOfRange {
            offset: length_at,
            length,
            min: min_block,
            max,
        });
    }
    let start = max - length_usize;
    let mut header = Cursor::new(bytes.get(start..length_at).unwrap_or_default(), start);
    let magic = header.u32("the metadata magic")?;
    if magic != METADATA_MAGIC {
        return Err(ImagePackageError::BadMagic {
            offset: start,
            found: magic,
        });
    }
    let section_count = header.u32("the metadata section count")?;
    Ok(MetadataBlock {
        start,
        sections_end: length_at,
        section_count,
        signature_len,
    })
}

struct Identity {
    image_type: ImageType,
    component_id: ComponentId,
    image_id: ImageId,
}

struct DebugInfo {
    name: String,
    built_at: Option<OffsetDateTime>,
}

#[derive(Default)]
struct Metadata {
    identity: Option<Identity>,
    signing: Option<Signing>,
    debug: Option<DebugInfo>,
    temporary: Option<TemporaryImage>,
    abi_depends: Vec<AbiVersion>,
}

/// Reads the sections, back to back without padding: `u16 id, u16 data_length, data`.
///
/// Unknown ids (flash offset, revocation, image policy, compression, ABI provides, legacy, and
/// whatever comes next) are skipped by their length, as Microsoft's reader does.
fn read_sections(bytes: &[u8], block: &MetadataBlock) -> Result<Metadata, ImagePackageError> {
    let sections_start = block.start + METADATA_HEADER_LEN;
    let area = bytes
        .get(sections_start..block.sections_end)
        .unwrap_or_default();
    // Every section takes at least its 4-byte header, which bounds the count before we loop.
    let max = area.len() / SECTION_HEADER_LEN;
    if block.section_count as usize > max {
        return Err(ImagePackageError::SectionCount {
            offset: block.start + 4,
            count: block.section_count,
            max,
        });
    }

    let mut metadata = Metadata::default();
    let mut cursor = Cursor::new(area, sections_start);
    for index in 0..block.section_count {
        if cursor.remaining() < SECTION_HEADER_LEN {
            // The header announced more sections than the block holds.
            return Err(ImagePackageError::SectionCount {
                offset: block.start + 4,
                count: block.section_count,
                max: index as usize,
            });
        }
        let header_at = cursor.offset();
        let id = cursor.u16("a section id")?;
        let length = cursor.u16("a section length")? as usize;
        if length > cursor.remaining() {
            return Err(ImagePackageError::SectionOverrun {
                offset: header_at,
                id,
                length,
                available: cursor.remaining(),
            });
        }
        let data_at = cursor.offset();
        let data = cursor.take(length, "section data")?;
        match id {
            section_id::IDENTITY => {
                set_once(&mut metadata.identity, header_at, "Identity", || {
                    read_identity(data, data_at)
                })?
            }
            section_id::SIGNATURE => {
                set_once(&mut metadata.signing, header_at, "Signature", || {
                    read_signing(data, data_at)
                })?
            }
            section_id::DEBUG => set_once(&mut metadata.debug, header_at, "Debug", || {
                read_debug(data, data_at)
            })?,
            section_id::TEMPORARY_IMAGE => set_once(
                &mut metadata.temporary,
                header_at,
                "Temporary image",
                || read_temporary(data, data_at),
            )?,
            section_id::ABI_DEPENDS => {
                metadata.abi_depends.extend(read_abi(data, data_at)?);
            }
            _ => {}
        }
    }
    Ok(metadata)
}

/// Stores a section read by `read` in `slot`, refusing a second one: Microsoft's reader refuses
/// a second Identity, Signature, Debug or Temporary image section, and a second Identity would
/// make the ids ambiguous.
fn set_once<T>(
    slot: &mut Option<T>,
    offset: usize,
    section: &'static str,
    read: impl FnOnce() -> Result<T, ImagePackageError>,
) -> Result<(), ImagePackageError> {
    if slot.is_some() {
        return Err(ImagePackageError::DuplicateSection { offset, section });
    }
    *slot = Some(read()?);
    Ok(())
}

fn require_len(
    data: &[u8],
    offset: usize,
    section: &'static str,
    expected: usize,
) -> Result<(), ImagePackageError> {
    if data.len() < expected {
        Err(ImagePackageError::TruncatedSection {
            offset,
            section,
            length: data.len(),
            expected,
        })
    } else {
        Ok(())
    }
}

/// Identity: `u16 image_type, u16 reserved, 16 B component id, 16 B image id` (component first).
/// GUIDs are stored as .NET's `Guid.ToByteArray()`: the first three fields little-endian.
fn read_identity(data: &[u8], offset: usize) -> Result<Identity, ImagePackageError> {
    if data.len() < IDENTITY_LEN {
        return Err(ImagePackageError::TruncatedIdentity {
            offset,
            length: data.len(),
            expected: IDENTITY_LEN,
        });
    }
    let mut cursor = Cursor::new(data, offset);
    let image_type = ImageType(cursor.u16("the image type")?);
    let _reserved = cursor.u16("the reserved field")?;
    let component_id = ComponentId(Uuid::from_bytes_le(cursor.array("the component id")?));
    let image_id = ImageId(Uuid::from_bytes_le(cursor.array("the image id")?));
    Ok(Identity {
        image_type,
        component_id,
        image_id,
    })
}

/// Signature: `20 B certificate thumbprint (SHA-1), u32 signing type (1 ECDsa256, 2 ECDsa384)`.
fn read_signing(data: &[u8], offset: usize) -> Result<Signing, ImagePackageError> {
    require_len(data, offset, "Signature", 24)?;
    let mut cursor = Cursor::new(data, offset);
    let thumbprint: [u8; 20] = cursor.array("the certificate thumbprint")?;
    let signing_type = SigningType::from_wire(cursor.u32("the signing type")?);
    Ok(Signing {
        thumbprint,
        signing_type,
        is_development_test_certificate: thumbprint == DEVELOPMENT_TEST_CERTIFICATE_THUMBPRINT,
    })
}

/// Debug: `u64 build time (Unix seconds, UTC), 32 B name (UTF-8, NUL padded)`.
fn read_debug(data: &[u8], offset: usize) -> Result<DebugInfo, ImagePackageError> {
    require_len(data, offset, "Debug", 40)?;
    let mut cursor = Cursor::new(data, offset);
    let seconds = cursor.u64("the build time")?;
    let name_at = cursor.offset();
    let raw = cursor.take(32, "the image name")?;
    let name = std::str::from_utf8(raw)
        .map_err(|_| ImagePackageError::BadNameUtf8 { offset: name_at })?
        .trim_matches('\0')
        .to_owned();
    // The build time is informational (nothing on the device checks it), so a value outside the
    // calendar makes it unknown rather than making the whole package unreadable.
    let built_at = i64::try_from(seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    Ok(DebugInfo { name, built_at })
}

/// Temporary image: `u32 flags` (bit 0 remove at boot, bit 1 under development).
fn read_temporary(data: &[u8], offset: usize) -> Result<TemporaryImage, ImagePackageError> {
    require_len(data, offset, "Temporary image", 4)?;
    let flags = Cursor::new(data, offset).u32("the temporary image flags")?;
    Ok(TemporaryImage {
        remove_at_boot: flags & 1 != 0,
        under_development: flags & 2 != 0,
    })
}

/// ABI depends: `u32 count`, then `count × (u32 version, u32 identity type)`.
fn read_abi(data: &[u8], offset: usize) -> Result<Vec<AbiVersion>, ImagePackageError> {
    require_len(data, offset, "ABI depends", 4)?;
    let mut cursor = Cursor::new(data, offset);
    let count = cursor.u32("the ABI count")? as usize;
    // Bound the count by the bytes present before allocating anything.
    let fits = cursor.remaining() / 8;
    if count > fits {
        return Err(ImagePackageError::TruncatedSection {
            offset,
            section: "ABI depends",
            length: data.len(),
            expected: count.saturating_mul(8).saturating_add(4),
        });
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(AbiVersion {
            version: cursor.u32("an ABI version")?,
            identity_type: cursor.u32("an ABI identity type")?,
        });
    }
    Ok(out)
}

/// The raw bytes of `/app_manifest.json` and where they start in the file.
struct ManifestBytes<'a> {
    bytes: &'a [u8],
    offset: usize,
}

/// One decoded ASXipFS inode: three little-endian u32 words.
///
/// ```text
/// w0 = mode (16 bits) | uid << 16
/// w1 = size (24 bits) | gid << 24
/// w2 = name length / 4 (6 bits) | offset / 4 << 6
/// ```
/// followed by the name, NUL padded to a multiple of 4 bytes. For a directory, `offset` is where
/// its children's inodes start and `size` how many bytes they take; for a file, `offset` is the
/// absolute position of the raw file bytes (unlike cramfs: no block pointers, no compression).
struct Inode<'a> {
    mode: u32,
    size: usize,
    offset: usize,
    name: &'a [u8],
}

fn read_inode<'a>(cursor: &mut Cursor<'a>) -> Result<Inode<'a>, ImagePackageError> {
    let w0 = cursor.u32("an ASXipFS inode")?;
    let w1 = cursor.u32("an ASXipFS inode")?;
    let w2 = cursor.u32("an ASXipFS inode")?;
    let name_len = ((w2 & 0x3f) as usize) * 4;
    let raw_name = cursor.take(name_len, "an ASXipFS file name")?;
    let name_end = raw_name
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(raw_name.len());
    Ok(Inode {
        mode: w0 & 0xffff,
        size: (w1 & 0x00ff_ffff) as usize,
        offset: ((w2 >> 6) as usize) * 4,
        name: raw_name.get(..name_end).unwrap_or_default(),
    })
}

/// Checks that `[target, target + len)` lies inside the body.
fn check_inside(
    body: &[u8],
    at: usize,
    what: &'static str,
    target: usize,
    len: usize,
) -> Result<(), ImagePackageError> {
    match target.checked_add(len) {
        Some(end) if end <= body.len() => Ok(()),
        _ => Err(ImagePackageError::InodeOutOfBounds {
            offset: at,
            what,
            target,
            len,
            body_len: body.len(),
        }),
    }
}

/// Walks the whole ASXipFS tree of an application body, validating every inode's offsets against
/// the body, and returns `/app_manifest.json`.
///
/// Superblock at offset 0: `u32 magic 0x28CD3D45, u32 size, u32 flags, u32 future,
/// 16 B "Compressed ROMFS", fsid {u32 crc, u32 edition, u32 blocks, u32 files}, 16 B name`, then
/// the root inode at offset 64.
///
/// The walk is iterative with an explicit stack, bounded in depth and entry count, and refuses a
/// directory whose children were already visited, so a crafted tree cannot loop or blow the stack.
fn find_manifest(body: &[u8]) -> Result<ManifestBytes<'_>, ImagePackageError> {
    let mut superblock = Cursor::new(body, 0);
    let magic = superblock.u32("the ASXipFS magic")?;
    if magic != FS_MAGIC {
        return Err(ImagePackageError::FsBadMagic {
            offset: 0,
            found: magic,
        });
    }
    let mut root_cursor = Cursor::new(
        body.get(FS_ROOT_INODE_OFFSET..).unwrap_or_default(),
        FS_ROOT_INODE_OFFSET,
    );
    let root = read_inode(&mut root_cursor)?;
    if root.mode & S_IFMT != S_IFDIR {
        // Without a root directory there is nowhere the manifest could be.
        return Err(ImagePackageError::MissingManifest {
            offset: FS_ROOT_INODE_OFFSET,
        });
    }

    let mut manifest = None;
    // A set, not a list: a crafted tree may hold tens of thousands of directories.
    let mut visited: HashSet<usize> = HashSet::new();
    let mut entries = 0usize;
    // (children offset, children size, depth, inode offset that pointed there)
    let mut pending = vec![(root.offset, root.size, 0usize, FS_ROOT_INODE_OFFSET)];
    while let Some((start, size, depth, from)) = pending.pop() {
        if size == 0 {
            continue;
        }
        check_inside(body, from, "directory", start, size)?;
        if !visited.insert(start) {
            return Err(ImagePackageError::FsCycle { offset: from });
        }
        if depth >= FS_MAX_DEPTH {
            return Err(ImagePackageError::FsTooLarge {
                offset: from,
                what: "directory levels",
                limit: FS_MAX_DEPTH,
            });
        }
        let children = body.get(start..start + size).unwrap_or_default();
        let mut cursor = Cursor::new(children, start);
        while cursor.remaining() > 0 {
            entries += 1;
            if entries > FS_MAX_ENTRIES {
                return Err(ImagePackageError::FsTooLarge {
                    offset: cursor.offset(),
                    what: "entries",
                    limit: FS_MAX_ENTRIES,
                });
            }
            let inode_at = cursor.offset();
            let inode = read_inode(&mut cursor)?;
            match inode.mode & S_IFMT {
                S_IFDIR => pending.push((inode.offset, inode.size, depth + 1, inode_at)),
                _ => {
                    // Regular files, symlinks and the rest all keep their bytes at `offset`.
                    if inode.size > 0 {
                        check_inside(body, inode_at, "file", inode.offset, inode.size)?;
                    }
                    let is_manifest = depth == 0
                        && inode.mode & S_IFMT == S_IFREG
                        && inode.name == b"app_manifest.json";
                    if is_manifest && manifest.is_none() {
                        manifest = Some(ManifestBytes {
                            bytes: body
                                .get(inode.offset..inode.offset + inode.size)
                                .unwrap_or_default(),
                            offset: inode.offset,
                        });
                    }
                }
            }
        }
    }
    manifest.ok_or(ImagePackageError::MissingManifest {
        offset: FS_ROOT_INODE_OFFSET,
    })
}

/// What the reader takes from `app_manifest.json`.
struct Manifest {
    json: Value,
    kind: PackageKind,
    name: Option<String>,
    target_api_set: Option<String>,
    application_type: Option<String>,
}

fn parse_manifest(
    located: ManifestBytes<'_>,
    component_id: ComponentId,
) -> Result<Manifest, ImagePackageError> {
    let offset = located.offset;
    // Tools on Windows may write a byte-order mark, which serde_json does not accept.
    let text = located
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(located.bytes);
    let json: Value =
        serde_json::from_slice(text).map_err(|e| ImagePackageError::ManifestNotJson {
            offset,
            reason: e.to_string(),
        })?;
    let Some(object) = json.as_object() else {
        return Err(ImagePackageError::ManifestShape {
            offset,
            reason: "the top level is not an object".into(),
        });
    };
    let string_field = |key: &str| -> Result<Option<String>, ImagePackageError> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ImagePackageError::ManifestShape {
                offset,
                reason: format!("{key} is not a string"),
            }),
        }
    };
    let name = string_field("Name")?;
    let target_api_set = string_field("TargetApiSet")?;
    let application_type = string_field("ApplicationType")?;
    if let Some(manifest_id) = string_field("ComponentId")? {
        // A manifest that names another component means the body and the metadata were
        // assembled from different builds; deploying it would update the wrong application.
        if Uuid::parse_str(&manifest_id).ok() != Some(component_id.0) {
            return Err(ImagePackageError::ComponentIdMismatch {
                offset,
                manifest: manifest_id,
                identity: component_id.to_string(),
            });
        }
    }
    let kind = match application_type.as_deref() {
        None | Some("Default") => PackageKind::HLApp,
        Some("RealTimeCapable") => PackageKind::RTApp,
        // UNSURE: the SDK documents only these two values; an unknown one is refused rather than
        // guessed, because a wrong guess sends the package to the wrong core.
        Some(other) => {
            return Err(ImagePackageError::UnknownApplicationType {
                offset,
                found: other.to_owned(),
            })
        }
    };
    Ok(Manifest {
        json,
        kind,
        name,
        target_api_set,
        application_type,
    })
}
