//! The process-wide panic hook: a panic is written to the log (tracing) and to stderr, and handed
//! to an optional callback (the desktop app shows it in a native dialog), before the process ends.
//!
//! Release builds use `panic = "abort"`: without a hook the app would vanish mid-update and leave
//! nothing behind. The hook never formats anything but the panic's own message and location, so
//! what it writes is what the code that panicked put there (no request, no token).

use std::sync::Arc;

/// What is known about a panic.
#[derive(Debug, Clone)]
pub struct PanicReport {
    /// The panic's message (`"called Option::unwrap() on a None value"`, ...).
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
    /// The thread's name (`main`, a tokio worker, ...).
    pub thread: String,
}

impl std::fmt::Display for PanicReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ASG FOTA stopped on an internal error in thread `{}`: {}",
            self.thread, self.message
        )?;
        if let Some(at) = &self.location {
            write!(f, " (at {at})")?;
        }
        f.write_str(
            ". Nothing more is changed in the tenant; the journal holds every change made before. \
             Please report this with the log file.",
        )
    }
}

/// Called with the report after it was logged (keep it short: the process ends after it).
pub type PanicCallback = Arc<dyn Fn(&PanicReport) + Send + Sync + 'static>;

/// Installs the hook, replacing any earlier one (the standard hook's stderr line is written by
/// this one instead). Safe to call more than once; the last call wins.
pub fn install_panic_hook(on_panic: Option<PanicCallback>) {
    std::panic::set_hook(Box::new(move |info| {
        let report = report_of(info);
        tracing::error!(
            thread = %report.thread,
            location = report.location.as_deref().unwrap_or("unknown"),
            "panic: {}",
            report.message
        );
        eprintln!("{report}");
        if let Some(callback) = &on_panic {
            callback(&report);
        }
    }));
}

fn report_of(info: &std::panic::PanicHookInfo<'_>) -> PanicReport {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    PanicReport {
        message,
        location: info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
        thread: std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn a_panic_reaches_the_callback_with_message_and_location() {
        let seen: Arc<Mutex<Option<PanicReport>>> = Arc::default();
        let sink = seen.clone();
        install_panic_hook(Some(Arc::new(move |r: &PanicReport| {
            // Tests run in parallel: only this test's thread is recorded.
            if r.thread == "doomed" {
                *sink.lock().unwrap() = Some(r.clone());
            }
        })));
        let joined = std::thread::Builder::new()
            .name("doomed".into())
            .spawn(|| panic!("boom {}", 42))
            .unwrap()
            .join();
        // Other tests' panics go to the standard hook again.
        let _ = std::panic::take_hook();
        assert!(joined.is_err());
        let report = seen.lock().unwrap().clone().expect("the hook ran");
        assert_eq!(report.message, "boom 42");
        assert_eq!(report.thread, "doomed");
        assert!(report.location.as_deref().unwrap().contains("crash.rs"));
        assert!(report.to_string().contains("Please report this"));
    }
}
