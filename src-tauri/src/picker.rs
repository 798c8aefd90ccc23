//! The seam around the native file picker.
//!
//! Users get the OS dialog (rfd). The WebDriver end-to-end test cannot drive a native dialog
//! reliably, so when `ASG_FOTA_PICKER_SCRIPT` names a file, the picker instead returns the paths
//! listed in it (one per line, read at each pick). Everything after the pick — inspection, the
//! list in step 2 — is the same code either way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tauri::AppHandle;

use crate::wire::CommandError;

/// A request to pick image packages.
pub(crate) struct PackagePick {
    pub(crate) start_folder: Option<PathBuf>,
}

pub(crate) trait FilePicker: Send + Sync {
    /// Returns the chosen files; an empty list when the user cancelled.
    fn pick_packages(
        &self,
        app: &AppHandle,
        request: PackagePick,
    ) -> Result<Vec<PathBuf>, CommandError>;
}

pub(crate) fn from_environment() -> Arc<dyn FilePicker> {
    match std::env::var_os("ASG_FOTA_PICKER_SCRIPT") {
        Some(script) => Arc::new(ScriptedPicker {
            script: PathBuf::from(script),
        }),
        None => Arc::new(NativePicker),
    }
}

/// The OS file dialog: multi-select, filtered to `*.imagepackage`.
struct NativePicker;

impl FilePicker for NativePicker {
    fn pick_packages(
        &self,
        app: &AppHandle,
        request: PackagePick,
    ) -> Result<Vec<PathBuf>, CommandError> {
        let (sender, receiver) = std::sync::mpsc::channel();
        // GTK (and AppKit) dialogs must run on the UI thread; the command itself runs elsewhere.
        app.run_on_main_thread(move || {
            let mut dialog = rfd::FileDialog::new()
                .set_title("Add image packages")
                .add_filter("Azure Sphere image package", &["imagepackage"]);
            if let Some(folder) = request.start_folder.filter(|f| f.is_dir()) {
                dialog = dialog.set_directory(folder);
            }
            let _ = sender.send(dialog.pick_files().unwrap_or_default());
        })?;
        receiver.recv().map_err(|_| {
            CommandError::new(
                "picker_failed",
                "The file dialog closed unexpectedly. Try again, or drop the files on the window.",
            )
        })
    }
}

/// The test seam: paths come from a file the test writes.
struct ScriptedPicker {
    script: PathBuf,
}

impl FilePicker for ScriptedPicker {
    fn pick_packages(
        &self,
        _app: &AppHandle,
        _request: PackagePick,
    ) -> Result<Vec<PathBuf>, CommandError> {
        let text = std::fs::read_to_string(&self.script).map_err(|error| {
            CommandError::new(
                "picker_failed",
                format!(
                    "Cannot read the picker script {}: {error}",
                    self.script.display()
                ),
            )
        })?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(PathBuf::from)
            .collect())
    }
}

/// The folder to remember after a pick: that of the first file.
pub(crate) fn folder_of(paths: &[PathBuf]) -> Option<&Path> {
    paths.first().and_then(|path| path.parent())
}
