//! Holds and the direct-method call log: what a test needs to stop the simulated tenant at a
//! chosen point and to count what reached the gateways.
//!
//! - **Holds** ([`Hold`], `SimHandle::hold`, `PUT /_sim/holds`): a test parks one kind of work
//!   just before its last step (an asynchronous operation ending, a node update reaching 100 %, a
//!   restarted gateway checking in, a direct method's answer leaving the hub) and releases it when
//!   it has seen what it wanted to see while the work was still running. Tests then assert "still
//!   running" and "finished" without sleeping and without racing a timer on a loaded machine.
//!   `GET /_sim/holds` also says how many of each kind wait.
//! - **Method calls** (`GET /_sim/calls`, and `method_calls` in the snapshot): every direct
//!   method that reached a gateway, with the device, the method, the device's status and the
//!   time, so a test can count `RestartDevice` per gateway exactly (the request journal names
//!   only paths).
//!
//! Nothing is held unless a test asks; the demo tenant never holds anything.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::watch;

/// The work that can be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Asynchronous operations (uploads, deployments, moves) stay InProgress.
    Operations,
    /// Node firmware updates stay InProgress below 100 %.
    NodeUpdates,
    /// Restarted gateways stay offline (they do not check in).
    CheckIns,
    /// Direct methods take effect on the gateway, their answers wait: a restart delivered whose
    /// answer the client never saw.
    MethodAnswers,
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

/// `GET /_sim/holds`: what is held and how many wait for each kind.
#[derive(Debug, Clone, Serialize)]
pub struct HoldStatus {
    pub held: BTreeSet<Hold>,
    pub waiting: BTreeMap<Hold, usize>,
}

/// How many method calls are kept (oldest dropped first).
const CALLS_CAPACITY: usize = 100_000;

/// The held kinds, the waiters and the call log, shared by every clone.
#[derive(Clone)]
pub struct Holds {
    held: Arc<watch::Sender<BTreeSet<Hold>>>,
    waiting: Arc<Mutex<BTreeMap<Hold, usize>>>,
    calls: Arc<Mutex<Vec<MethodCall>>>,
}

impl Default for Holds {
    fn default() -> Self {
        Holds {
            held: Arc::new(watch::Sender::new(BTreeSet::new())),
            waiting: Arc::default(),
            calls: Arc::default(),
        }
    }
}

impl Holds {
    pub fn hold(&self, hold: Hold) {
        self.held.send_modify(|held| {
            held.insert(hold);
        });
    }

    pub fn release(&self, hold: Hold) {
        self.held.send_modify(|held| {
            held.remove(&hold);
        });
    }

    /// Replaces the whole set (`PUT /_sim/holds`); lifting a kind releases its waiters at once.
    pub fn set(&self, holds: BTreeSet<Hold>) {
        self.held.send_replace(holds);
    }

    pub fn held(&self) -> BTreeSet<Hold> {
        self.held.borrow().clone()
    }

    /// What is held and how many wait.
    pub fn status(&self) -> HoldStatus {
        HoldStatus {
            held: self.held(),
            waiting: self.lock_waiting().clone(),
        }
    }

    /// How many wait for `hold` to be released.
    pub fn waiting(&self, hold: Hold) -> usize {
        self.lock_waiting().get(&hold).copied().unwrap_or(0)
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, BTreeMap<Hold, usize>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns at once unless `hold` is held; then waits for its release.
    pub async fn pass(&self, hold: Hold) {
        let mut held = self.held.subscribe();
        if !held.borrow().contains(&hold) {
            return;
        }
        // Counted while this future lives: released, or dropped because its client went away
        // (a test kills the CLI while answers are held, and the server drops the request).
        // Without the guard a dropped waiter stayed counted, and a later "two answers wait"
        // could be true before anything new was held.
        let _waiter = Waiter::count(self, hold);
        // The sender lives as long as any clone of `Holds`, which the waiting task holds itself.
        let _ = held.wait_for(|held| !held.contains(&hold)).await;
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

/// One waiter of a held kind, counted in `waiting` from its creation to its drop.
struct Waiter<'a> {
    holds: &'a Holds,
    hold: Hold,
}

impl<'a> Waiter<'a> {
    fn count(holds: &'a Holds, hold: Hold) -> Self {
        *holds.lock_waiting().entry(hold).or_default() += 1;
        Waiter { holds, hold }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut waiting = self.holds.lock_waiting();
        if let Some(n) = waiting.get_mut(&self.hold) {
            *n -= 1;
            if *n == 0 {
                waiting.remove(&self.hold);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_held_kind_waits_for_its_release_and_others_pass() {
        let holds = Holds::default();
        holds.pass(Hold::Operations).await;
        holds.hold(Hold::NodeUpdates);
        holds.pass(Hold::Operations).await;
        let waiting = tokio::spawn({
            let holds = holds.clone();
            async move { holds.pass(Hold::NodeUpdates).await }
        });
        while holds.waiting(Hold::NodeUpdates) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        holds.release(Hold::NodeUpdates);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .expect("no panic");
        assert!(holds.held().is_empty());
        assert_eq!(holds.waiting(Hold::NodeUpdates), 0);
    }

    #[tokio::test]
    async fn a_waiter_dropped_before_its_release_is_no_longer_counted() {
        let holds = Holds::default();
        holds.hold(Hold::MethodAnswers);
        let waiting = tokio::spawn({
            let holds = holds.clone();
            async move { holds.pass(Hold::MethodAnswers).await }
        });
        while holds.waiting(Hold::MethodAnswers) == 0 {
            tokio::task::yield_now().await;
        }
        // What the server does with a request whose client was killed.
        waiting.abort();
        let _ = waiting.await;
        assert_eq!(holds.waiting(Hold::MethodAnswers), 0);
        assert!(holds.status().waiting.is_empty());
    }
}
