//! Holds: a test parks one kind of background work just before its last step (an asynchronous
//! operation ending, a node update reaching 100 %, a restarted gateway checking in) and releases
//! it when it has seen what it wanted to see while the work was still running. Tests then assert
//! "still running" and "finished" without sleeping and without racing a timer on a loaded machine.
//!
//! Nothing is held unless a test asks (`SimHandle::hold`, or `PUT /_sim/holds`); the demo tenant
//! never holds anything.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// The background work that can be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Asynchronous operations (uploads, deployments, moves) stay InProgress.
    Operations,
    /// Node firmware updates stay InProgress below 100 %.
    NodeUpdates,
    /// Restarted gateways stay offline (they do not check in).
    CheckIns,
}

/// The set of held kinds, shared by every clone.
#[derive(Clone)]
pub struct Holds(Arc<watch::Sender<BTreeSet<Hold>>>);

impl Default for Holds {
    fn default() -> Self {
        Holds(Arc::new(watch::Sender::new(BTreeSet::new())))
    }
}

impl Holds {
    pub fn hold(&self, hold: Hold) {
        self.0.send_modify(|held| {
            held.insert(hold);
        });
    }

    pub fn release(&self, hold: Hold) {
        self.0.send_modify(|held| {
            held.remove(&hold);
        });
    }

    /// Replaces the whole set (`PUT /_sim/holds`).
    pub fn set(&self, holds: BTreeSet<Hold>) {
        self.0.send_replace(holds);
    }

    pub fn held(&self) -> BTreeSet<Hold> {
        self.0.borrow().clone()
    }

    /// Returns at once unless `hold` is held; then waits for its release.
    pub async fn pass(&self, hold: Hold) {
        let mut held = self.0.subscribe();
        // The sender lives as long as any clone of `Holds`, which the waiting task holds itself.
        let _ = held.wait_for(|held| !held.contains(&hold)).await;
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
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        holds.release(Hold::NodeUpdates);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .expect("no panic");
        assert!(holds.held().is_empty());
    }
}
