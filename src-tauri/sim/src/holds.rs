//! Test holds and the direct-method call log: what a test needs to stop the simulated fleet at a
//! chosen point and to count what reached the gateways.
//!
//! - **Holds** ([`HoldSettings`], `PUT /_sim/holds`): `check_ins` keeps every gateway that reboots
//!   offline after its reboot until the hold is lifted (then it comes back and checks in);
//!   `method_answers` lets a direct method take effect on the gateway but keeps its answer from
//!   the caller until the hold is lifted — a restart delivered whose answer the client never
//!   saw. `GET /_sim/holds` also says how many check-ins and answers are waiting.
//! - **Method calls** (`GET /_sim/calls`, and `method_calls` in the snapshot): every direct
//!   method that reached a gateway, with the device, the method, the device's status and the
//!   time, so a test can count `RestartDevice` per gateway exactly (the request journal names
//!   only paths).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;

/// What is held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HoldSettings {
    /// Rebooting gateways stay offline until lifted.
    pub check_ins: bool,
    /// Direct methods take effect, their answers wait until lifted.
    pub method_answers: bool,
}

/// One direct method that reached a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodCall {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Lower-case device id.
    pub device: String,
    pub method: String,
    /// The device's answer status (200, 202, 404, 409), or the hub's (404 offline, 504).
    pub status: u16,
}

/// How many method calls are kept (oldest dropped first).
const CALLS_CAPACITY: usize = 100_000;

/// The holds in force, the waiters and the call log. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Holds {
    settings: Arc<watch::Sender<HoldSettings>>,
    waiting_check_ins: Arc<AtomicUsize>,
    waiting_answers: Arc<AtomicUsize>,
    calls: Arc<Mutex<Vec<MethodCall>>>,
}

impl Default for Holds {
    fn default() -> Self {
        Holds {
            settings: Arc::new(watch::Sender::new(HoldSettings::default())),
            waiting_check_ins: Arc::default(),
            waiting_answers: Arc::default(),
            calls: Arc::default(),
        }
    }
}

/// `GET /_sim/holds`: the settings and what waits.
#[derive(Debug, Clone, Serialize)]
pub struct HoldStatus {
    #[serde(flatten)]
    pub settings: HoldSettings,
    pub waiting_check_ins: usize,
    pub waiting_answers: usize,
}

impl Holds {
    /// Replaces the holds; lifting one releases its waiters at once.
    pub fn set(&self, settings: HoldSettings) {
        self.settings.send_replace(settings);
    }

    pub fn status(&self) -> HoldStatus {
        HoldStatus {
            settings: *self.settings.borrow(),
            waiting_check_ins: self.waiting_check_ins.load(Ordering::SeqCst),
            waiting_answers: self.waiting_answers.load(Ordering::SeqCst),
        }
    }

    async fn wait_while(&self, held: fn(&HoldSettings) -> bool, count: &AtomicUsize) {
        let mut rx = self.settings.subscribe();
        if !held(&rx.borrow()) {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        let _ = rx.wait_for(|s| !held(s)).await;
        count.fetch_sub(1, Ordering::SeqCst);
    }

    /// Returns when rebooting gateways may come back.
    pub async fn until_check_ins(&self) {
        self.wait_while(|s| s.check_ins, &self.waiting_check_ins)
            .await
    }

    /// Returns when method answers may leave.
    pub async fn until_answers(&self) {
        self.wait_while(|s| s.method_answers, &self.waiting_answers)
            .await
    }

    /// Logs a method that reached a gateway.
    pub fn record_call(&self, device: &str, method: &str, status: u16) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if calls.len() >= CALLS_CAPACITY {
            calls.remove(0);
        }
        calls.push(MethodCall {
            at: OffsetDateTime::now_utc(),
            device: device.to_ascii_lowercase(),
            method: method.to_owned(),
            status,
        });
    }

    /// Every logged call, oldest first.
    pub fn calls(&self) -> Vec<MethodCall> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
