//! Long work in flight (update-now runs, node updates, uploads): each run's cancel token, the
//! channel its messages go to, and the latest message of each of its items.
//!
//! A run streams on the Tauri 2 channel its start command was given. A page that reloads loses
//! that channel; `runs_list` shows it what is in flight and `run_attach` points the run at the
//! page's new channel. A run is forgotten when its last message has been sent.
//!
//! An "update now" run in phases waits between two phases for the window's answer
//! ([`Run::ask`], answered by `update_now_continue`): the question is kept so that a reloaded
//! page asks it again, and a cancel answers it with "stop".

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tauri::ipc::Channel;
use tokio_util::sync::CancellationToken;

use crate::wire::{
    now_rfc3339, CommandError, RunKind, RunMessage, RunStarted, RunSummary, UpdateNowOptions,
};

/// One run in flight.
pub(crate) struct Run {
    id: String,
    kind: RunKind,
    started_at: String,
    group_id: Option<String>,
    cancel: CancellationToken,
    channel: Mutex<Channel<Value>>,
    latest: Mutex<BTreeMap<String, Value>>,
    options: Option<UpdateNowOptions>,
    /// The `phase` or `waiting` message the run waits on, if any.
    waiting: Mutex<Option<Value>>,
    /// The answer to a `phase` question.
    answer: Mutex<Option<tokio::sync::oneshot::Sender<bool>>>,
}

impl Run {
    /// Sends `message` on the run's current channel and keeps it as its item's latest.
    pub(crate) fn send<M: RunMessage>(&self, message: M) {
        let Ok(json) = serde_json::to_value(&message) else {
            return;
        };
        if let (Some(key), Ok(mut latest)) = (message.item_key(), self.latest.lock()) {
            latest.insert(key, json.clone());
        }
        let channel = self.channel.lock().map(|c| c.clone());
        if let Ok(Err(error)) = channel.map(|c| c.send(json)) {
            tracing::debug!(%error, run = %self.id, "a run message could not reach the window");
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Sends `question` (a `phase` message) and waits for the window's answer: true to go on.
    /// A cancel, or a window that goes away, answers false.
    pub(crate) async fn ask<M: RunMessage>(&self, question: M) -> bool {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if let Ok(mut answer) = self.answer.lock() {
            *answer = Some(tx);
        }
        self.send_waiting(question);
        let go = tokio::select! {
            answer = rx => answer.unwrap_or(false),
            () = self.cancel.cancelled() => false,
        };
        self.set_waiting(None);
        go
    }

    /// Sends `message` and keeps it as what the run waits on (until [`Run::set_waiting`]).
    pub(crate) fn send_waiting<M: RunMessage>(&self, message: M) {
        self.set_waiting(serde_json::to_value(&message).ok());
        self.send(message);
    }

    pub(crate) fn set_waiting(&self, value: Option<Value>) {
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = value;
        }
    }

    pub(crate) fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    fn summary(&self) -> RunSummary {
        RunSummary {
            run_id: self.id.clone(),
            kind: self.kind,
            started_at: self.started_at.clone(),
            group_id: self.group_id.clone(),
            options: self.options.clone(),
            waiting: self.waiting.lock().ok().and_then(|w| w.clone()),
            items: self
                .latest
                .lock()
                .map(|l| l.values().cloned().collect())
                .unwrap_or_default(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Runs {
    next: AtomicU64,
    runs: Mutex<HashMap<String, Arc<Run>>>,
}

impl Runs {
    /// Registers a new run streaming on `channel`.
    pub(crate) fn start(
        &self,
        kind: RunKind,
        group_id: Option<String>,
        channel: Channel<Value>,
    ) -> Arc<Run> {
        self.start_with(kind, group_id, None, channel)
    }

    /// [`Runs::start`] for an "update now" run with its phases and window.
    pub(crate) fn start_with(
        &self,
        kind: RunKind,
        group_id: Option<String>,
        options: Option<UpdateNowOptions>,
        channel: Channel<Value>,
    ) -> Arc<Run> {
        let number = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let run = Arc::new(Run {
            id: format!("{}-{number}", kind.prefix()),
            kind,
            started_at: now_rfc3339(),
            group_id,
            cancel: CancellationToken::new(),
            channel: Mutex::new(channel),
            latest: Mutex::default(),
            options,
            waiting: Mutex::default(),
            answer: Mutex::default(),
        });
        if let Ok(mut runs) = self.runs.lock() {
            if kind == RunKind::Upload {
                // One upload at a time: a new one replaces (and stops) the previous.
                runs.retain(|_, r| {
                    r.kind != RunKind::Upload || {
                        r.cancel.cancel();
                        false
                    }
                });
            }
            runs.insert(run.id.clone(), run.clone());
        }
        run
    }

    /// Starts `work` in the background as a run; its final message is sent, then it is forgotten.
    pub(crate) fn spawn<M, Fut>(
        self: &Arc<Self>,
        run: Arc<Run>,
        work: impl FnOnce(Arc<Run>) -> Fut + Send + 'static,
    ) -> RunStarted
    where
        M: RunMessage + Send + 'static,
        Fut: Future<Output = M> + Send + 'static,
    {
        let started = RunStarted {
            run_id: run.id.clone(),
        };
        let runs = self.clone();
        tauri::async_runtime::spawn(async move {
            let done = work(run.clone()).await;
            run.send(done);
            runs.finish(&run.id);
        });
        started
    }

    pub(crate) fn finish(&self, id: &str) {
        if let Ok(mut runs) = self.runs.lock() {
            runs.remove(id);
        }
    }

    /// Cancels a run; an unknown or finished run is not an error (nothing is left to stop).
    pub(crate) fn cancel(&self, id: &str) {
        if let Some(run) = self.get(id) {
            run.cancel.cancel();
        }
    }

    /// Answers the question a run in phases waits on: `go` = the next phase starts. Rejects
    /// `not_found` when the run has ended or asks nothing.
    pub(crate) fn answer(&self, id: &str, go: bool) -> Result<(), CommandError> {
        let sender = self
            .get(id)
            .and_then(|run| run.answer.lock().ok().and_then(|mut a| a.take()));
        match sender.map(|s| s.send(go)) {
            Some(Ok(())) => Ok(()),
            _ => Err(CommandError::new(
                "not_found",
                format!("The run {id} is not waiting for an answer (it has ended or goes on)."),
            )),
        }
    }

    /// Cancels every run in flight (the window is closing: each stops between two steps).
    pub(crate) fn cancel_all(&self) {
        if let Ok(runs) = self.runs.lock() {
            runs.values().for_each(|r| r.cancel.cancel());
        }
    }

    /// Whether any run (update-now, node update or upload) is in flight: an app update must not
    /// replace the app under one.
    pub(crate) fn busy(&self) -> bool {
        self.runs.lock().map(|r| !r.is_empty()).unwrap_or(true)
    }

    /// Cancels the upload in flight, if any.
    pub(crate) fn cancel_upload(&self) {
        if let Ok(runs) = self.runs.lock() {
            runs.values()
                .filter(|r| r.kind == RunKind::Upload)
                .for_each(|r| r.cancel.cancel());
        }
    }

    fn get(&self, id: &str) -> Option<Arc<Run>> {
        self.runs.lock().ok()?.get(id).cloned()
    }

    /// The runs in flight, oldest first.
    pub(crate) fn list(&self) -> Vec<RunSummary> {
        let mut list: Vec<RunSummary> = self
            .runs
            .lock()
            .map(|runs| runs.values().map(|r| r.summary()).collect())
            .unwrap_or_default();
        list.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then(a.run_id.cmp(&b.run_id))
        });
        list
    }

    /// Sends a run's future messages to `channel` (a reloaded page's old channel is dead).
    pub(crate) fn attach(&self, id: &str, channel: Channel<Value>) -> Result<(), CommandError> {
        let run = self.get(id).ok_or_else(|| {
            CommandError::new(
                "not_found",
                format!("The run {id} has ended or never existed."),
            )
        })?;
        if let Ok(mut current) = run.channel.lock() {
            *current = channel;
        }
        Ok(())
    }
}
