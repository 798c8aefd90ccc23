//! Long work in flight (uploads, update-now runs, node updates) and what the shell remembers
//! between commands: each run's cancel token, and the kinds of the packages read locally (the
//! tenant cannot tell a high-level app from a real-time one; the package file can).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use asg_fota_core::cloud::model::ImageId;
use asg_fota_core::imagepackage::PackageKind;
use asg_fota_core::workflow::groups::LocalKinds;

#[derive(Default)]
pub(crate) struct WorkInFlight {
    next_run: AtomicU64,
    runs: Mutex<HashMap<String, CancellationToken>>,
    upload: Mutex<Option<CancellationToken>>,
    /// Uploads not finished yet (an app update must not replace the app under them).
    uploads_in_flight: Arc<AtomicUsize>,
    local_kinds: Mutex<LocalKinds>,
}

impl WorkInFlight {
    /// Registers a new run and returns its id and cancel token.
    pub(crate) fn start_run(&self, prefix: &str) -> (String, CancellationToken) {
        let id = format!(
            "{prefix}-{}",
            self.next_run.fetch_add(1, Ordering::Relaxed) + 1
        );
        let token = CancellationToken::new();
        if let Ok(mut runs) = self.runs.lock() {
            runs.insert(id.clone(), token.clone());
        }
        (id, token)
    }

    pub(crate) fn finish_run(&self, id: &str) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.remove(id);
        }
    }

    /// Cancels a run; an unknown or finished run is not an error (it has nothing left to stop).
    pub(crate) fn cancel_run(&self, id: &str) {
        if let Some(token) = self.runs.lock().ok().and_then(|runs| runs.get(id).cloned()) {
            token.cancel();
        }
    }

    /// Registers an upload; it counts as in flight until the returned guard is dropped.
    pub(crate) fn start_upload(&self) -> UploadInFlight {
        let token = CancellationToken::new();
        if let Ok(mut upload) = self.upload.lock() {
            if let Some(previous) = upload.replace(token.clone()) {
                previous.cancel();
            }
        }
        self.uploads_in_flight.fetch_add(1, Ordering::SeqCst);
        UploadInFlight {
            token,
            count: self.uploads_in_flight.clone(),
        }
    }

    /// Whether any upload or update-now / node-update run is in flight.
    pub(crate) fn busy(&self) -> bool {
        let runs = self.runs.lock().map(|r| !r.is_empty()).unwrap_or(true);
        runs || self.uploads_in_flight.load(Ordering::SeqCst) > 0
    }

    pub(crate) fn cancel_upload(&self) {
        if let Some(token) = self.upload.lock().ok().and_then(|u| u.clone()) {
            token.cancel();
        }
    }

    pub(crate) fn remember_kind(&self, image: ImageId, kind: PackageKind) {
        if let Ok(mut kinds) = self.local_kinds.lock() {
            kinds.insert(image, kind);
        }
    }

    pub(crate) fn local_kinds(&self) -> LocalKinds {
        self.local_kinds
            .lock()
            .map(|k| k.clone())
            .unwrap_or_default()
    }
}

/// An upload in flight: its cancel token (what the upload code sees, through `Deref`), counted in
/// [`WorkInFlight::busy`] until dropped.
pub(crate) struct UploadInFlight {
    token: CancellationToken,
    count: Arc<AtomicUsize>,
}

impl std::ops::Deref for UploadInFlight {
    type Target = CancellationToken;
    fn deref(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for UploadInFlight {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_an_upload_or_a_run_is_in_flight() {
        let work = WorkInFlight::default();
        assert!(!work.busy());
        let upload = work.start_upload();
        assert!(work.busy());
        drop(upload);
        assert!(!work.busy());
        let (run, _token) = work.start_run("update");
        assert!(work.busy());
        work.finish_run(&run);
        assert!(!work.busy());
    }
}
