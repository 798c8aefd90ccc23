//! The last group list seen for each profile, kept so that step 1 can be drawn at start-up
//! before the tenant answers (the Demo tenant's start, a sign-in and a dozen reads take a while),
//! marked with the time it was read and refreshed in place when the real listing arrives.
//!
//! This module owns that file: `<data dir>/group-cache/<profile key>.json`, one per profile. It
//! holds only what a person sees of a group before choosing it — ids, names, product and device
//! count — never a secret, a token, an endpoint or a deployment. The file also names its profile
//! and a fingerprint of the tenant the profile points at (plane, API, directory, tenant or
//! catalog; no secret), so a profile edited to point elsewhere does not show the old tenant's
//! groups. A file that is damaged, of another version, of another profile or tenant is ignored
//! with a log line: the cache can make start-up faster, never make it fail.
//!
//! Nothing read from here may be acted on: a front end shows it as "as of <time>" until the
//! listing arrives and replaces it ([`GroupCache::save`] is called with every listing).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::groups::GroupView;
use crate::profiles::Profile;

/// The file format's version; a file of another version is ignored.
pub const VERSION: u32 = 1;

/// One group as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedGroup {
    pub id: String,
    pub name: String,
    pub product_id: String,
    pub product_name: Option<String>,
    pub device_count: Option<u64>,
}

/// The last listing of one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedGroups {
    pub version: u32,
    pub profile: String,
    /// [`tenant_fingerprint`] of the profile when the list was read.
    pub tenant: String,
    /// When the listing was read from the tenant.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub groups: Vec<CachedGroup>,
}

/// Writing the cache failed (reading never fails: an unreadable file is no cache).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the group list cache {path}: {source}")]
pub struct GroupCacheError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// What identifies the tenant a profile reads, without any secret: a hash of its plane and the
/// non-secret ids and addresses that choose the tenant.
pub fn tenant_fingerprint(profile: &Profile) -> String {
    let parts = [
        format!("{:?}", profile.backend),
        profile.api_base(),
        profile.authority_host.clone(),
        profile.tenant_id.clone().unwrap_or_default(),
        profile.sphere_tenant_id.clone().unwrap_or_default(),
        profile.subscription_id.clone().unwrap_or_default(),
        profile.resource_group.clone().unwrap_or_default(),
        profile.catalog.clone().unwrap_or_default(),
    ];
    hex::encode(Sha256::digest(parts.join("\n").as_bytes()))
}

/// The cache directory of one data directory.
#[derive(Debug, Clone)]
pub struct GroupCache {
    dir: PathBuf,
}

impl GroupCache {
    /// The cache kept under `data_dir` (the OS data directory of the app).
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("group-cache"),
        }
    }

    /// The file of `profile`: its name hashed, since a profile name may hold any character.
    pub fn file(&self, profile: &str) -> PathBuf {
        let key = hex::encode(&Sha256::digest(profile.as_bytes())[..8]);
        self.dir.join(format!("{key}.json"))
    }

    /// The last listing of `profile` read from the tenant `tenant` ([`tenant_fingerprint`]), or
    /// `None` — when there is none, or the file is damaged, of another version, profile or
    /// tenant (each logged).
    pub fn load(&self, profile: &str, tenant: &str) -> Option<CachedGroups> {
        let path = self.file(profile);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::info!(path = %path.display(), %error, "group list cache not read");
                return None;
            }
        };
        // The version is read first, so a future format is told apart from a damaged file.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let ignored = |why: &str| {
            tracing::info!(path = %path.display(), why, "group list cache ignored");
            None
        };
        match serde_json::from_slice::<Versioned>(&bytes) {
            Ok(v) if v.version == VERSION => {}
            Ok(_) => return ignored("another version"),
            Err(_) => return ignored("damaged"),
        }
        let cached: CachedGroups = match serde_json::from_slice(&bytes) {
            Ok(cached) => cached,
            Err(_) => return ignored("damaged"),
        };
        if cached.profile != profile {
            return ignored("another profile");
        }
        if cached.tenant != tenant {
            return ignored("another tenant");
        }
        Some(cached)
    }

    /// Replaces `profile`'s cache with `groups`, read from `tenant` at `as_of`. Written to a
    /// temporary file and renamed, so a crash leaves the old file or the new one.
    pub fn save(
        &self,
        profile: &str,
        tenant: &str,
        as_of: OffsetDateTime,
        groups: &[GroupView],
    ) -> Result<(), GroupCacheError> {
        let cached = CachedGroups {
            version: VERSION,
            profile: profile.to_owned(),
            tenant: tenant.to_owned(),
            as_of,
            groups: groups
                .iter()
                .map(|g| CachedGroup {
                    id: g.id.to_string(),
                    name: g.name.clone(),
                    product_id: g.product_id.to_string(),
                    product_name: g.product_name.clone(),
                    device_count: g.device_count,
                })
                .collect(),
        };
        let path = self.file(profile);
        let failed = |source| GroupCacheError {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let bytes = serde_json::to_vec_pretty(&cached).map_err(|e| failed(e.into()))?;
        let temp = path.with_extension("json.tmp");
        std::fs::write(&temp, bytes).map_err(failed)?;
        std::fs::rename(&temp, &path).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::model::{DeviceGroupId, ProductId};
    use crate::profiles::Backend;

    fn group(id: &str, name: &str, count: Option<u64>) -> GroupView {
        GroupView {
            id: DeviceGroupId::new(id),
            name: name.to_owned(),
            product_id: ProductId::new("p1"),
            product_name: Some("ASG210".to_owned()),
            description: Some("not kept".to_owned()),
            device_count: count,
            os_feed: None,
            update_policy: None,
            policy_blocks_apps: false,
            current_deployment: None,
            as_of: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).expect("time")
    }

    #[test]
    fn round_trip_keeps_ids_names_counts_and_time_only() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = GroupCache::in_data_dir(dir.path());
        let tenant = tenant_fingerprint(&Profile::demo());
        let groups = [group("g1", "Field", Some(12)), group("g2", "Lab", None)];
        cache
            .save("Demo tenant", &tenant, at(1_800_000_000), &groups)
            .expect("save");
        let loaded = cache.load("Demo tenant", &tenant).expect("cached");
        assert_eq!(loaded.as_of, at(1_800_000_000));
        assert_eq!(loaded.profile, "Demo tenant");
        assert_eq!(
            loaded.groups,
            vec![
                CachedGroup {
                    id: "g1".into(),
                    name: "Field".into(),
                    product_id: "p1".into(),
                    product_name: Some("ASG210".into()),
                    device_count: Some(12),
                },
                CachedGroup {
                    id: "g2".into(),
                    name: "Lab".into(),
                    product_id: "p1".into(),
                    product_name: Some("ASG210".into()),
                    device_count: None,
                },
            ]
        );
        let text = std::fs::read_to_string(cache.file("Demo tenant")).expect("file");
        assert!(!text.contains("not kept"), "descriptions are not cached");
        // A newer listing replaces the older one: a group gone from the tenant is gone here.
        cache
            .save("Demo tenant", &tenant, at(1_800_000_100), &groups[1..])
            .expect("save again");
        let loaded = cache.load("Demo tenant", &tenant).expect("cached");
        assert_eq!(loaded.groups.len(), 1);
        assert_eq!(loaded.groups[0].id, "g2");
        assert_eq!(loaded.as_of, at(1_800_000_100));
    }

    #[test]
    fn nothing_cached_is_none() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = GroupCache::in_data_dir(dir.path());
        assert_eq!(cache.load("Demo tenant", "t"), None);
    }

    #[test]
    fn damaged_or_foreign_version_files_are_ignored() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = GroupCache::in_data_dir(dir.path());
        cache
            .save("A", "t", at(0), &[group("g1", "Field", Some(1))])
            .expect("save");
        let file = cache.file("A");
        let good = std::fs::read_to_string(&file).expect("read");
        for damaged in [
            String::new(),
            "{".to_owned(),
            "[]".to_owned(),
            good[..good.len() / 2].to_owned(),
            good.replace("\"version\": 1", "\"version\": 2"),
            good.replace("\"groups\": [", "\"groups\": 7, \"x\": ["),
            "\u{0}\u{1}garbage".to_owned(),
        ] {
            std::fs::write(&file, &damaged).expect("write");
            assert_eq!(cache.load("A", "t"), None, "{damaged:?} was used");
        }
        // A good file again is read again (nothing was "remembered" as broken).
        std::fs::write(&file, &good).expect("write");
        assert!(cache.load("A", "t").is_some());
    }

    #[test]
    fn another_profile_or_tenant_sees_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let cache = GroupCache::in_data_dir(dir.path());
        cache
            .save("A", "tenant-1", at(0), &[group("g1", "Field", Some(1))])
            .expect("save");
        assert_eq!(cache.load("B", "tenant-1"), None);
        assert_eq!(cache.load("A", "tenant-2"), None);
        // A file copied over another profile's name is not taken for it.
        std::fs::copy(cache.file("A"), cache.file("B")).expect("copy");
        assert_eq!(cache.load("B", "tenant-1"), None);
        assert!(cache.load("A", "tenant-1").is_some());
    }

    #[test]
    fn a_profile_pointed_elsewhere_has_another_fingerprint() {
        let demo = Profile::demo();
        let mut arm = Profile::new(Backend::Arm);
        arm.catalog = Some("one".into());
        let mut other = arm.clone();
        other.catalog = Some("two".into());
        assert_ne!(tenant_fingerprint(&demo), tenant_fingerprint(&arm));
        assert_ne!(tenant_fingerprint(&arm), tenant_fingerprint(&other));
        assert_eq!(tenant_fingerprint(&arm), tenant_fingerprint(&arm.clone()));
    }

    #[test]
    fn an_unwritable_cache_is_a_typed_error() {
        let dir = tempfile::tempdir().expect("dir");
        // The cache directory's place is taken by a file.
        std::fs::write(dir.path().join("group-cache"), "").expect("file");
        let cache = GroupCache::in_data_dir(dir.path());
        let error = cache
            .save("A", "t", at(0), &[group("g1", "Field", Some(1))])
            .expect_err("cannot write");
        assert!(error.to_string().contains("group-cache"), "{error}");
    }
}
