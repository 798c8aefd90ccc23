//! Builds synthetic `.imagepackage` files following `shared/docs/imagepackage-format.md`, for the
//! cases no real fixture covers: board configurations, P-384 signatures, unknown sections,
//! pretty-printed manifests and every kind of damage.
//!
//! The builder writes the layout independently of the reader (it shares no code with
//! `asg_fota_core::imagepackage`), and the differential test checks its output against
//! Microsoft's reference reader, so a byte-order mistake cannot hide in both.

use p256::ecdsa::signature::Signer as _;
use uuid::Uuid;

pub const ID_IDENTITY: u16 = 0x4449;
pub const ID_SIGNATURE: u16 = 0x4753;
pub const ID_DEBUG: u16 = 0x4244;
pub const ID_TEMPORARY: u16 = 0x5054;
pub const ID_ABI_DEPENDS: u16 = 0x444E;
pub const ID_COMPRESSION: u16 = 0x4D43;

/// Microsoft's development test certificate thumbprint, which SDK builds carry.
pub const DEV_THUMBPRINT: [u8; 20] = [
    0xa8, 0xd5, 0xcc, 0x69, 0x58, 0xf4, 0x87, 0x10, 0x14, 0x0d, 0x7a, 0x26, 0x16, 0x0f, 0xc1, 0xcf,
    0xc3, 0x1f, 0x5d, 0xf0,
];

/// A freshly generated signing key; never anyone's real key.
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl SigningKey {
    pub fn p256() -> Self {
        SigningKey::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    pub fn p384() -> Self {
        SigningKey::P384(p384::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// The Signature section's signing type: 1 ECDsa256, 2 ECDsa384.
    pub fn signing_type(&self) -> u32 {
        match self {
            SigningKey::P256(_) => 1,
            SigningKey::P384(_) => 2,
        }
    }

    /// Raw big-endian r‖s over SHA-256 / SHA-384 of `data`.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(data);
                signature.to_bytes().to_vec()
            }
            SigningKey::P384(key) => {
                let signature: p384::ecdsa::Signature = key.sign(data);
                signature.to_bytes().to_vec()
            }
        }
    }
}

/// .NET `Guid.ToByteArray()` order, written out by hand (not via `Uuid::to_bytes_le`) so the
/// builder does not share the reader's assumption.
pub fn guid_bytes(id: Uuid) -> [u8; 16] {
    let b = id.as_bytes();
    [
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15],
    ]
}

/// An ASXipFS body with `/app_manifest.json` and `/bin/app`, plus where its parts landed.
pub struct AppFs {
    pub bytes: Vec<u8>,
    /// Offset of the root directory's first child inode (the manifest's inode).
    pub manifest_inode_at: usize,
    /// Offset of the `bin` directory inode.
    pub bin_inode_at: usize,
    /// Offset of the `/bin/app` inode.
    pub app_inode_at: usize,
    pub manifest_at: usize,
    pub manifest_len: usize,
}

/// One ASXipFS inode followed by its NUL-padded name.
pub fn inode(mode: u32, size: usize, name: &str, offset: usize) -> Vec<u8> {
    let padded = name.len().div_ceil(4) * 4;
    assert!(offset.is_multiple_of(4) && size < 1 << 24 && padded / 4 < 64);
    let mut out = Vec::new();
    out.extend_from_slice(&mode.to_le_bytes());
    out.extend_from_slice(&(size as u32).to_le_bytes());
    let w2 = (padded / 4) as u32 | ((offset / 4) as u32) << 6;
    out.extend_from_slice(&w2.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.resize(out.len() + padded - name.len(), 0);
    out
}

fn pad4(bytes: &mut Vec<u8>) {
    while !bytes.len().is_multiple_of(4) {
        bytes.push(0);
    }
}

impl AppFs {
    /// Lays out: superblock (64 B), root inode, root's children (manifest file, `bin` dir),
    /// `bin`'s child (`app`), then the file contents, each 4-byte aligned.
    pub fn new(manifest: &[u8], app: &[u8]) -> Self {
        const DIR: u32 = 0o040_755;
        const FILE: u32 = 0o100_644;
        const EXEC: u32 = 0o100_755;
        let root_children_at = 64 + 12;
        let manifest_entry_len = 12 + 20; // "app_manifest.json" is 17 bytes, padded to 20
        let bin_entry_len = 12 + 4;
        let bin_children_at = root_children_at + manifest_entry_len + bin_entry_len;
        let app_entry_len = 12 + 4;
        let manifest_at = bin_children_at + app_entry_len;
        let app_at = (manifest_at + manifest.len()).div_ceil(4) * 4;

        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0x28CD_3D45u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes()); // size, patched below
        bytes.extend_from_slice(&3u32.to_le_bytes()); // flags
        bytes.extend_from_slice(&0u32.to_le_bytes()); // future
        bytes.extend_from_slice(b"Compressed ROMFS");
        bytes.extend_from_slice(&[0u8; 12]); // fsid crc, edition, blocks
        bytes.extend_from_slice(&4u32.to_le_bytes()); // fsid files
        bytes.extend_from_slice(b"Compressed\0\0\0\0\0\0");
        assert_eq!(bytes.len(), 64);
        bytes.extend(inode(
            DIR,
            manifest_entry_len + bin_entry_len,
            "",
            root_children_at,
        ));
        let manifest_inode_at = bytes.len();
        bytes.extend(inode(
            FILE,
            manifest.len(),
            "app_manifest.json",
            manifest_at,
        ));
        let bin_inode_at = bytes.len();
        bytes.extend(inode(DIR, app_entry_len, "bin", bin_children_at));
        let app_inode_at = bytes.len();
        bytes.extend(inode(EXEC, app.len(), "app", app_at));
        assert_eq!(bytes.len(), manifest_at);
        bytes.extend_from_slice(manifest);
        pad4(&mut bytes);
        bytes.extend_from_slice(app);
        pad4(&mut bytes);
        let size = bytes.len() as u32;
        bytes[4..8].copy_from_slice(&size.to_le_bytes());
        AppFs {
            bytes,
            manifest_inode_at,
            bin_inode_at,
            app_inode_at,
            manifest_at,
            manifest_len: manifest.len(),
        }
    }
}

/// What goes into a synthetic package's metadata.
#[derive(Clone)]
pub struct PackageSpec {
    pub image_type: u16,
    pub component_id: Uuid,
    pub image_id: Uuid,
    pub debug_name: Vec<u8>,
    pub built_unix: u64,
    pub thumbprint: [u8; 20],
    /// Temporary image flags; `None` leaves the section out.
    pub temporary_flags: Option<u32>,
    /// `(version, identity_type)` pairs; `None` leaves the section out.
    pub abi_depends: Option<Vec<(u32, u32)>>,
    /// Sections appended after the known ones, e.g. unknown ids that readers must skip.
    pub extra_sections: Vec<(u16, Vec<u8>)>,
}

impl PackageSpec {
    pub fn app(name: &str) -> Self {
        PackageSpec {
            image_type: 10,
            component_id: Uuid::new_v4(),
            image_id: Uuid::new_v4(),
            debug_name: name.as_bytes().to_vec(),
            built_unix: 1_700_000_000,
            thumbprint: DEV_THUMBPRINT,
            temporary_flags: Some(2),
            abi_depends: Some(vec![(12, 3)]),
            extra_sections: Vec::new(),
        }
    }

    /// The sections in SDK order: Identity, Signature, Debug, Temporary image, ABI depends.
    pub fn sections(&self, signing_type: u32) -> Vec<(u16, Vec<u8>)> {
        let mut identity = Vec::new();
        identity.extend_from_slice(&self.image_type.to_le_bytes());
        identity.extend_from_slice(&0u16.to_le_bytes());
        identity.extend_from_slice(&guid_bytes(self.component_id));
        identity.extend_from_slice(&guid_bytes(self.image_id));

        let mut signature = self.thumbprint.to_vec();
        signature.extend_from_slice(&signing_type.to_le_bytes());

        let mut debug = self.built_unix.to_le_bytes().to_vec();
        let mut name = self.debug_name.clone();
        name.truncate(32);
        name.resize(32, 0);
        debug.extend_from_slice(&name);

        let mut sections = vec![
            (ID_IDENTITY, identity),
            (ID_SIGNATURE, signature),
            (ID_DEBUG, debug),
        ];
        if let Some(flags) = self.temporary_flags {
            sections.push((ID_TEMPORARY, flags.to_le_bytes().to_vec()));
        }
        if let Some(abi) = &self.abi_depends {
            let mut data = (abi.len() as u32).to_le_bytes().to_vec();
            for (version, identity_type) in abi {
                data.extend_from_slice(&version.to_le_bytes());
                data.extend_from_slice(&identity_type.to_le_bytes());
            }
            sections.push((ID_ABI_DEPENDS, data));
        }
        sections.extend(self.extra_sections.iter().cloned());
        sections
    }
}

/// The metadata block: header, sections, and the closing u32 length (which counts itself).
pub fn metadata_block(sections: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"4X4M");
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (id, data) in sections {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
    let len = out.len() as u32 + 4;
    out.extend_from_slice(&len.to_le_bytes());
    out
}

/// A finished package and where its metadata starts.
pub struct Built {
    pub bytes: Vec<u8>,
    pub metadata_start: usize,
    pub signature_len: usize,
}

impl Built {
    /// Offset of the u32 metadata length field.
    pub fn length_field_at(&self) -> usize {
        self.bytes.len() - self.signature_len - 4
    }

    /// Offset of the Identity section's data (the builder always writes Identity first).
    pub fn identity_at(&self) -> usize {
        self.metadata_start + 8 + 4
    }

    /// Offset of the Debug name (Identity 36 B, then Signature 24 B, then Debug: 8 B time).
    pub fn debug_name_at(&self) -> usize {
        self.identity_at() + 36 + 4 + 24 + 4 + 8
    }
}

/// Assembles `body ‖ metadata ‖ signature`, signing everything before the signature.
pub fn assemble(body: &[u8], sections: &[(u16, Vec<u8>)], key: &SigningKey) -> Built {
    let mut bytes = body.to_vec();
    let metadata_start = bytes.len();
    bytes.extend(metadata_block(sections));
    let signature = key.sign(&bytes);
    let signature_len = signature.len();
    bytes.extend(signature);
    Built {
        bytes,
        metadata_start,
        signature_len,
    }
}

/// An application package with the given manifest text.
pub fn app_package(spec: &PackageSpec, manifest: &str, key: &SigningKey) -> Built {
    let fs = AppFs::new(manifest.as_bytes(), b"\x7fELF synthetic app binary");
    assemble(&fs.bytes, &spec.sections(key.signing_type()), key)
}

/// A compact manifest as the SDK writes it.
pub fn manifest_json(spec: &PackageSpec, name: &str, application_type: Option<&str>) -> String {
    let mut manifest = serde_json::json!({
        "SchemaVersion": 1,
        "Name": name,
        "ComponentId": spec.component_id.to_string(),
        "EntryPoint": "/bin/app",
        "CmdArgs": [],
        "Capabilities": { "Gpio": [8], "AllowedApplicationConnections": [] },
        "TargetApiSet": "16",
    });
    if let Some(application_type) = application_type {
        manifest["ApplicationType"] = application_type.into();
    }
    manifest.to_string()
}
