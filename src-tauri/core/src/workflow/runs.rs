//! Runs that survive the process: "update now" and node update runs registered on disk, one run
//! per gateway at a time, and interrupted runs found again and resumable.
//!
//! This module owns the run directory (`<data dir>/runs/`, beside the journal) and what a run
//! leaves in it:
//! - `<id>/plan.json` — what the run was asked to do (group, gateways or nodes, phases, window),
//!   written atomically before anything is touched;
//! - `<id>/lock` — held with an OS file lock by the process running it; the OS releases it when
//!   that process ends, however it ends (a crash, `kill -9`, a closed laptop lid that never comes
//!   back), so "the lock can be taken" means "nobody runs this any more";
//! - `<id>/stages.jsonl` — every status change of every gateway or node, one JSON line each (not
//!   flushed: it is for display; what a resumed run must know comes from the journal's intents);
//! - `<id>/ended` — written when the run finished (all gateways ended, or cancelled). A window
//!   that closes or a phase that is stopped leaves no `ended`: the run stays resumable.
//!
//! A run without `ended` whose lock can be taken is **interrupted**. [`Runs::interrupted`] lists
//! them with each gateway's last known stage, [`Runs::history`] reads what the journal says about
//! the run (intents, outcomes, the check-in read before each restart) — newest lines first, and
//! only back to the run's start.
//!
//! # One run per gateway
//!
//! [`Runs::begin`] refuses a run that names a gateway of a run in flight — in this process (a
//! process-wide table) or in another one (the plans of runs whose lock is held) — with an error
//! naming that run. Checking and registering happen under `runs/.registry.lock`, so two processes
//! starting at once cannot both pass the check.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::journal::{Action, Journal, JournalEntry, Outcome, Said};

/// The run directory's name inside the data directory.
pub const RUNS_DIR: &str = "runs";

/// What kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// Step 5: move, restart, watch.
    UpdateNow,
    /// Step 6: node firmware updates.
    NodeUpdate,
}

/// One node of a node update run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedNode {
    pub gateway_id: String,
    pub mac: String,
}

/// What a run was asked to do, as written to `plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunPlan {
    pub id: String,
    pub kind: RunKind,
    /// The profile it runs under (a run is resumed under the same profile).
    pub profile: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The gateways of an "update now" run, in the order they are worked on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// The nodes of a node update run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<PlannedNode>,
    /// Run options the run was started with (phases, window), kept opaque here so that the
    /// modules that own them decide their shape.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub options: serde_json::Value,
}

impl RunPlan {
    /// A new plan with a fresh id, started now.
    pub fn new(kind: RunKind, profile: impl Into<String>) -> RunPlan {
        let now = OffsetDateTime::now_utc();
        let short = uuid::Uuid::new_v4().simple().to_string();
        let prefix = match kind {
            RunKind::UpdateNow => "update",
            RunKind::NodeUpdate => "nodes",
        };
        RunPlan {
            id: format!(
                "{prefix}-{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second(),
                &short[..6]
            ),
            kind,
            profile: profile.into(),
            started: now,
            group_id: None,
            group_name: None,
            devices: Vec::new(),
            nodes: Vec::new(),
            options: serde_json::Value::Null,
        }
    }

    /// The gateways the run touches, lower-cased (device ids compare case-insensitively).
    pub fn gateways(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.devices
            .iter()
            .cloned()
            .chain(self.nodes.iter().map(|n| n.gateway_id.clone()))
            .map(|d| d.to_ascii_lowercase())
            .filter(|d| seen.insert(d.clone()))
            .collect()
    }
}

/// Why a run cannot start or be resumed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A gateway is in a run that is still going on.
    #[error(
        "the gateway {device} is already in the run {run}, which is still going on; wait for it \
         to end or cancel it, then start again"
    )]
    Busy { run: String, device: String },
    /// The run is being worked on by another window or process.
    #[error(
        "the run {0} is still going on in another window or process; it cannot be resumed twice"
    )]
    InFlight(String),
    /// No such run in this data directory.
    #[error("there is no run {0} on this machine; `asg-fota-cli runs` lists the interrupted ones")]
    Unknown(String),
    /// The run finished; there is nothing to resume.
    #[error("the run {0} has finished; start a new run for the gateways that did not make it")]
    Ended(String),
    #[error(
        "cannot use the run directory {path}: {source}; check that the data directory is writable"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the run file {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The run exists but is another kind of run (`how`: "an update-now run", "a node update
    /// run").
    #[error("the run {id} is {how}; resume it as one")]
    OtherKind { id: String, how: &'static str },
    /// The run was made with another profile.
    #[error(
        "the run {id} was made with the profile {profile}; switch to that profile to resume it"
    )]
    OtherProfile { id: String, profile: String },
    /// The run's plan lacks what a resume needs (`what`: "no group", "a damaged device id").
    #[error("the run {id}'s plan has {what}; discard the run and start a new one")]
    DamagedPlan { id: String, what: &'static str },
    #[error(transparent)]
    Journal(#[from] super::journal::JournalError),
}

impl RunError {
    /// A stable code for the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            RunError::Busy { .. } | RunError::InFlight(_) => "run_in_flight",
            RunError::Unknown(_) => "not_found",
            RunError::Ended(_) => "run_ended",
            RunError::OtherKind { .. }
            | RunError::OtherProfile { .. }
            | RunError::DamagedPlan { .. } => "invalid_input",
            RunError::Io { .. } | RunError::Parse { .. } | RunError::Journal(_) => "journal",
        }
    }

    /// Non-secret values a front end may say the error with: `reason` (a catalog key under
    /// `errors.<kind>.reason.`) and the run and profile it names.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut params = serde_json::Map::new();
        let (reason, id) = match self {
            RunError::OtherKind { id, .. } => ("run_other_kind", id),
            RunError::OtherProfile { id, profile } => {
                params.insert("profile".into(), profile.clone().into());
                ("run_other_profile", id)
            }
            RunError::DamagedPlan { id, .. } => ("run_damaged_plan", id),
            RunError::Busy { run, .. } | RunError::InFlight(run) => {
                params.insert("run".into(), run.clone().into());
                return params;
            }
            _ => return params,
        };
        params.insert("reason".into(), reason.into());
        params.insert("run".into(), id.clone().into());
        params
    }
}

/// Gateways claimed by runs of this process: by scope (the run directory, or for a fleet
/// without a journal its IoT Hub) and lower-case id, the claiming run's id.
type Claims = HashMap<(String, String), String>;

fn claimed() -> std::sync::MutexGuard<'static, Claims> {
    static CLAIMED: OnceLock<Mutex<Claims>> = OnceLock::new();
    CLAIMED
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// The run directory of a journal: `runs/` beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runs {
    dir: PathBuf,
    journal: Journal,
}

/// One status change kept in `stages.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageLine {
    pub device_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The status as the progress events name it (`restarting`, `on_target`, `Succeeded`, ...).
    pub stage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A gateway (or node) of an interrupted run and where it was last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastKnown {
    pub device_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The last status seen, `not_started` when none.
    pub stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    /// A change whose intent is journaled without an outcome (`move`, `restart`,
    /// `node_update`): it may or may not have happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<Action>,
}

/// A run that stopped without finishing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterruptedRun {
    pub plan: RunPlan,
    /// Why it stopped, when it stopped on purpose (a window closed, a phase was not continued);
    /// `None` for a crash or a kill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
    /// `paused` as data (`runs.stop.<key>`, see [`RolloutReport::stopped_said`]).
    ///
    /// [`RolloutReport::stopped_said`]: super::rollout::RolloutReport::stopped_said
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_said: Option<Said>,
    pub items: Vec<LastKnown>,
}

/// What the journal says about one run: per gateway (and node), the last intent and outcome of
/// each action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunHistory {
    /// Keyed by (action, lower-case device id, upper-case MAC or empty).
    steps: HashMap<(Action, String, String), StepRecord>,
}

/// The journal's last word on one action of one gateway or node in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// When the last intent was written.
    pub intent_at: Option<OffsetDateTime>,
    /// The device's check-in read before a restart's intent.
    pub last_check_in: Option<OffsetDateTime>,
    /// The outcome written after that intent, if any.
    pub outcome: Option<Outcome>,
    pub detail: String,
}

impl RunHistory {
    /// The journal's last word on `action` for `device` (and `mac` for node updates).
    pub fn step(&self, action: Action, device: &str, mac: Option<&str>) -> Option<&StepRecord> {
        self.steps.get(&(
            action,
            device.to_ascii_lowercase(),
            mac.map(normalize).unwrap_or_default(),
        ))
    }

    fn absorb(&mut self, entry: &JournalEntry) {
        let Some(device) = &entry.target.device_id else {
            return;
        };
        let key = (
            entry.action,
            device.to_ascii_lowercase(),
            entry
                .target
                .mac
                .as_deref()
                .map(normalize)
                .unwrap_or_default(),
        );
        // Entries arrive newest first: the first outcome and the first intent seen are the last
        // written. An outcome older than the newest intent belongs to an earlier attempt.
        let record = self.steps.entry(key).or_insert(StepRecord {
            intent_at: None,
            last_check_in: None,
            outcome: None,
            detail: String::new(),
        });
        if record.intent_at.is_some() {
            return;
        }
        if entry.result == Outcome::Pending {
            record.intent_at = Some(entry.at);
            record.last_check_in = entry.run.as_ref().and_then(|r| r.last_check_in);
        } else if record.outcome.is_none() {
            record.outcome = Some(entry.result);
            record.detail = entry.detail.clone();
        }
    }
}

fn normalize(mac: &str) -> String {
    mac.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Runs {
    /// The run directory beside `journal` (`<its directory>/runs`).
    pub fn beside(journal: &Journal) -> Runs {
        let dir = journal
            .path()
            .parent()
            .map_or_else(|| PathBuf::from(RUNS_DIR), |d| d.join(RUNS_DIR));
        Runs {
            dir,
            journal: journal.clone(),
        }
    }

    /// Where the runs are kept.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The scope of this process's claims: the run directory.
    fn scope(&self) -> String {
        self.dir.display().to_string()
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> RunError {
        let path = path.to_path_buf();
        move |source| RunError::Io {
            path: path.clone(),
            source,
        }
    }

    /// Takes the registry lock (blocking) for the time of a check-and-register.
    fn registry(&self) -> Result<File, RunError> {
        std::fs::create_dir_all(&self.dir).map_err(self.io(&self.dir))?;
        let path = self.dir.join(".registry.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(self.io(&path))?;
        file.lock().map_err(self.io(&path))?;
        Ok(file)
    }

    /// Ids of the runs on disk that have not ended.
    fn open_ids(&self) -> Result<Vec<String>, RunError> {
        let mut ids = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
            Err(e) => return Err(self.io(&self.dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(self.io(&self.dir))?;
            let path = entry.path();
            if path.is_dir() && path.join("plan.json").exists() && !path.join("ended").exists() {
                if let Some(id) = entry.file_name().to_str() {
                    ids.push(id.to_owned());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Reads a run's plan.
    pub fn plan(&self, id: &str) -> Result<RunPlan, RunError> {
        let path = self.dir.join(id).join("plan.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RunError::Unknown(id.to_owned()))
            }
            Err(e) => return Err(self.io(&path)(e)),
        };
        serde_json::from_slice(&bytes).map_err(|source| RunError::Parse { path, source })
    }

    /// Whether the run's lock is held by a live process (this one included). When it is free,
    /// the lock is taken and returned, so the caller may keep it.
    fn try_lock(&self, id: &str) -> Result<Option<File>, RunError> {
        let path = self.dir.join(id).join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(self.io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(self.io(&path)(e)),
        }
    }

    /// Refuses `gateways` when one is in a run in flight (this process or another).
    fn check_free(&self, gateways: &[String], except: Option<&str>) -> Result<(), RunError> {
        {
            let claimed = claimed();
            let scope = self.scope();
            for g in gateways {
                if let Some(run) = claimed
                    .get(&(scope.clone(), g.clone()))
                    .filter(|r| Some(r.as_str()) != except)
                {
                    return Err(RunError::Busy {
                        run: run.clone(),
                        device: g.clone(),
                    });
                }
            }
        }
        let wanted: HashSet<&String> = gateways.iter().collect();
        for id in self.open_ids()? {
            if Some(id.as_str()) == except {
                continue;
            }
            if self.try_lock(&id)?.is_some() {
                continue; // interrupted, not in flight
            }
            let Ok(plan) = self.plan(&id) else { continue };
            if let Some(device) = plan.gateways().into_iter().find(|g| wanted.contains(g)) {
                return Err(RunError::Busy { run: id, device });
            }
        }
        Ok(())
    }

    /// Registers a new run: refuses it when a gateway is in a run in flight, else writes its plan
    /// and holds its lock until the returned [`ActiveRun`] ends or is dropped.
    pub fn begin(&self, plan: RunPlan) -> Result<ActiveRun, RunError> {
        let _registry = self.registry()?;
        let gateways = plan.gateways();
        self.check_free(&gateways, None)?;
        let dir = self.dir.join(&plan.id);
        std::fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        let lock = self
            .try_lock(&plan.id)?
            .ok_or_else(|| RunError::InFlight(plan.id.clone()))?;
        let path = dir.join("plan.json");
        let tmp = dir.join("plan.json.tmp");
        let bytes = serde_json::to_vec_pretty(&plan).map_err(|source| RunError::Parse {
            path: path.clone(),
            source,
        })?;
        write_synced(&tmp, &bytes).map_err(self.io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(self.io(&path))?;
        ActiveRun::open(self.clone(), plan.id.clone(), gateways, lock)
    }

    /// Takes over an interrupted run: refuses one that has ended, one still held by a live
    /// process, and one whose gateways are in another run in flight.
    pub fn resume(&self, id: &str) -> Result<(ActiveRun, RunPlan), RunError> {
        let _registry = self.registry()?;
        let plan = self.plan(id)?;
        if self.dir.join(id).join("ended").exists() {
            return Err(RunError::Ended(id.to_owned()));
        }
        let lock = self
            .try_lock(id)?
            .ok_or_else(|| RunError::InFlight(id.to_owned()))?;
        let gateways = plan.gateways();
        self.check_free(&gateways, Some(id))?;
        let _ = std::fs::remove_file(self.dir.join(id).join("paused"));
        let _ = std::fs::remove_file(self.dir.join(id).join("paused.said"));
        let run = ActiveRun::open(self.clone(), id.to_owned(), gateways, lock)?;
        Ok((run, plan))
    }

    /// [`Runs::resume`] for a run of `kind` made under `profile`: another kind of run, or one of
    /// another profile, is refused before anything is locked.
    pub fn resume_as(
        &self,
        id: &str,
        kind: RunKind,
        profile: &str,
    ) -> Result<(ActiveRun, RunPlan), RunError> {
        let plan = self.plan(id)?;
        if plan.kind != kind {
            let how = match plan.kind {
                RunKind::UpdateNow => "an update-now run",
                RunKind::NodeUpdate => "a node update run",
            };
            return Err(RunError::OtherKind {
                id: id.to_owned(),
                how,
            });
        }
        if plan.profile != profile {
            return Err(RunError::OtherProfile {
                id: id.to_owned(),
                profile: plan.profile.clone(),
            });
        }
        self.resume(id)
    }

    /// Marks an interrupted run as ended without resuming it (the operator gave up on it).
    pub fn discard(&self, id: &str) -> Result<(), RunError> {
        let _registry = self.registry()?;
        self.plan(id)?;
        let _lock = self
            .try_lock(id)?
            .ok_or_else(|| RunError::InFlight(id.to_owned()))?;
        let path = self.dir.join(id).join("ended");
        write_synced(&path, b"{\"discarded\":true}\n").map_err(self.io(&path))
    }

    /// Runs that stopped without finishing, oldest first, with each gateway's last known stage.
    pub fn interrupted(&self) -> Result<Vec<InterruptedRun>, RunError> {
        let mut out = Vec::new();
        for id in self.open_ids()? {
            // Held by a live process: in flight, not interrupted. The lock taken for the test
            // is released at once (dropped).
            if self.try_lock(&id)?.is_none() {
                continue;
            }
            let plan = match self.plan(&id) {
                Ok(p) => p,
                Err(RunError::Parse { .. }) => continue,
                Err(e) => return Err(e),
            };
            let history = self.history(&plan)?;
            let paused = std::fs::read_to_string(self.dir.join(&id).join("paused"))
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            // Written beside `paused` since the reason is also said as data; a run paused by an
            // older version has none, a damaged one is ignored (the English sentence remains).
            let paused_said = std::fs::read(self.dir.join(&id).join("paused.said"))
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok());
            out.push(InterruptedRun {
                items: self.last_known(&plan, &history)?,
                paused,
                paused_said,
                plan,
            });
        }
        Ok(out)
    }

    /// Runs held by a live process (this one or another), for an app reattaching after a reload.
    pub fn in_flight(&self) -> Result<Vec<RunPlan>, RunError> {
        let mut out = Vec::new();
        for id in self.open_ids()? {
            if self.try_lock(&id)?.is_none() {
                if let Ok(plan) = self.plan(&id) {
                    out.push(plan);
                }
            }
        }
        Ok(out)
    }

    /// What the journal says about `plan`'s run, read newest first and only back to its start.
    pub fn history(&self, plan: &RunPlan) -> Result<RunHistory, RunError> {
        let mut history = RunHistory::default();
        // Lines of concurrent writers may be stamped a little out of order.
        let floor = plan.started - time::Duration::minutes(5);
        self.journal.scan_back(|entry| {
            if entry.at < floor {
                return ControlFlow::Break(());
            }
            if entry.run.as_ref().is_some_and(|r| r.id == plan.id) {
                history.absorb(&entry);
            }
            ControlFlow::Continue(())
        })?;
        Ok(history)
    }

    /// The stage lines of a run, in the order written.
    pub fn stages(&self, id: &str) -> Result<Vec<StageLine>, RunError> {
        let path = self.dir.join(id).join("stages.jsonl");
        let text = match std::fs::read(&path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(self.io(&path)(e)),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    fn last_known(&self, plan: &RunPlan, history: &RunHistory) -> Result<Vec<LastKnown>, RunError> {
        let mut last: HashMap<(String, String), StageLine> = HashMap::new();
        for line in self.stages(&plan.id)? {
            let key = (
                line.device_id.to_ascii_lowercase(),
                line.mac.as_deref().map(normalize).unwrap_or_default(),
            );
            last.insert(key, line);
        }
        let items: Vec<(String, Option<String>)> = match plan.kind {
            RunKind::UpdateNow => plan.devices.iter().map(|d| (d.clone(), None)).collect(),
            RunKind::NodeUpdate => plan
                .nodes
                .iter()
                .map(|n| (n.gateway_id.clone(), Some(n.mac.clone())))
                .collect(),
        };
        Ok(items
            .into_iter()
            .map(|(device, mac)| {
                let key = (
                    device.to_ascii_lowercase(),
                    mac.as_deref().map(normalize).unwrap_or_default(),
                );
                let seen = last.get(&key);
                let actions: &[Action] = match plan.kind {
                    RunKind::UpdateNow => &[Action::Restart, Action::Move],
                    RunKind::NodeUpdate => &[Action::NodeUpdate],
                };
                let unconfirmed = actions.iter().copied().find(|a| {
                    history
                        .step(*a, &device, mac.as_deref())
                        .is_some_and(|s| s.intent_at.is_some() && s.outcome.is_none())
                });
                LastKnown {
                    stage: seen.map_or_else(|| "not_started".to_owned(), |s| s.stage.clone()),
                    phase: seen.and_then(|s| s.phase.clone()),
                    at: seen.map(|s| s.at),
                    unconfirmed,
                    device_id: device,
                    mac,
                }
            })
            .collect())
    }
}

/// Records `gateways` as claimed by the run `id` in this process.
fn claim(scope: &str, id: &str, gateways: &[String]) {
    let mut claimed = claimed();
    for g in gateways {
        claimed.insert((scope.to_owned(), g.clone()), id.to_owned());
    }
}

/// Writes `bytes` to `path` and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A run registered by this process: holds its lock and its gateways' claims until it ends.
#[derive(Debug)]
pub struct ActiveRun {
    /// `None` for a run of a fleet without a journal: claimed in this process only.
    runs: Option<Runs>,
    /// The scope of its claims (see [`claimed`]).
    scope: String,
    id: String,
    gateways: Vec<String>,
    stages: Mutex<Option<File>>,
    _lock: Option<File>,
}

impl ActiveRun {
    fn open(runs: Runs, id: String, gateways: Vec<String>, lock: File) -> Result<Self, RunError> {
        let path = runs.dir.join(&id).join("stages.jsonl");
        let stages = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(runs.io(&path))?;
        let scope = runs.scope();
        claim(&scope, &id, &gateways);
        Ok(ActiveRun {
            runs: Some(runs),
            scope,
            id,
            gateways,
            stages: Mutex::new(Some(stages)),
            _lock: Some(lock),
        })
    }

    /// A run kept in memory only (a fleet without a journal: tests, benchmarks): its gateways
    /// are claimed in this process under `scope` (the fleet's IoT Hub), nothing is written.
    pub fn in_memory(plan: &RunPlan, scope: &str) -> Result<ActiveRun, RunError> {
        let gateways = plan.gateways();
        let mut claimed = claimed();
        if let Some((device, run)) = gateways.iter().find_map(|g| {
            claimed
                .get(&(scope.to_owned(), g.clone()))
                .map(|r| (g.clone(), r.clone()))
        }) {
            return Err(RunError::Busy { run, device });
        }
        for g in &gateways {
            claimed.insert((scope.to_owned(), g.clone()), plan.id.clone());
        }
        Ok(ActiveRun {
            runs: None,
            scope: scope.to_owned(),
            id: plan.id.clone(),
            gateways,
            stages: Mutex::new(None),
            _lock: None,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Appends one status change to the run's stage file; a failed write is a warning.
    pub fn record_stage(&self, line: &StageLine) {
        let Ok(mut text) = serde_json::to_string(line) else {
            return;
        };
        text.push('\n');
        if let Ok(mut file) = self.stages.lock() {
            if let Some(file) = file.as_mut() {
                if let Err(error) = file.write_all(text.as_bytes()) {
                    tracing::warn!(%error, "run stage not written");
                }
            }
        }
    }

    /// Ends the run: it will not be listed as interrupted again.
    pub fn end(self, summary: &impl Serialize) {
        let Some(runs) = &self.runs else { return };
        let path = runs.dir.join(&self.id).join("ended");
        let bytes = serde_json::to_vec(summary).unwrap_or_default();
        if let Err(error) = write_synced(&path, &bytes) {
            tracing::warn!(%error, run = %self.id, "the end of the run was not recorded");
        }
    }

    /// Leaves the run resumable, saying why it stopped (a window closed, a phase not continued),
    /// in English and, when given, as data.
    pub fn pause(self, reason: &str, said: Option<&Said>) {
        let Some(runs) = &self.runs else { return };
        let path = runs.dir.join(&self.id).join("paused");
        if let Err(error) = write_synced(&path, reason.as_bytes()) {
            tracing::warn!(%error, run = %self.id, "the pause of the run was not recorded");
        }
        let path = runs.dir.join(&self.id).join("paused.said");
        let bytes = said.and_then(|s| serde_json::to_vec(s).ok());
        if let Some(Err(error)) = bytes.map(|b| write_synced(&path, &b)) {
            tracing::warn!(%error, run = %self.id, "the reason of the pause was not recorded");
        }
    }
}

impl Drop for ActiveRun {
    fn drop(&mut self) {
        let mut claimed = claimed();
        for g in &self.gateways {
            let key = (self.scope.clone(), g.clone());
            if claimed.get(&key) == Some(&self.id) {
                claimed.remove(&key);
            }
        }
    }
}
