//! The GUI contract, checked on real values: the Demo tenant's simulator runs on loopback, the
//! core's `Tenant` answers as the commands call it, the answers and channel messages are mapped
//! by this module's wire types exactly as the commands map them, and each JSON value is checked
//! against `docs/gui-contract.json` (field names, types, closed objects). Also checks that the
//! contract's command list, error kinds and arguments match the shell's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use asg_fota_core::cloud::model::{DeviceGroupId, ImageId};
use asg_fota_core::paths::AppDirs;
use asg_fota_core::profiles::{Backend, Profile};
use asg_fota_core::secrets::MemoryStore;
use asg_fota_core::session::SecretOverrides;
use asg_fota_core::tenant::{Tenant, TenantHost};
use asg_fota_core::workflow::compliance::Tally;
use asg_fota_core::workflow::nodes::NodeRef;
use asg_fota_core::workflow::rollout::RolloutSettings;

use super::contract::Contract;
use super::*;

use asg_fota_testkit::builder;

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// A host over a temporary directory whose Demo tenant runs with fast timing.
fn host(dir: &std::path::Path) -> TenantHost {
    let dirs = AppDirs {
        config: dir.join("config"),
        data: dir.join("data"),
        log: dir.join("log"),
    };
    let launcher = asg_fota_sim::demo::Launcher {
        state_file: None,
        sim: asg_fota_sim::SimConfig {
            timing: asg_fota_sim::SimTiming::fast(),
            gateways: 6,
            ..asg_fota_sim::SimConfig::default()
        },
    };
    TenantHost::new(
        dirs,
        Arc::new(MemoryStore::new()),
        SecretOverrides::default(),
        // The app's launcher: the migration check below reads the open tenant's simulator.
        Arc::new(crate::demo::SharedDemo::new(launcher)),
    )
}

fn package(dir: &std::path::Path, name: &str, kind: &str) -> std::path::PathBuf {
    use builder::{app_package, manifest_json, PackageSpec, SigningKey};
    let spec = PackageSpec::app(name);
    let built = app_package(
        &spec,
        &manifest_json(&spec, name, Some(kind)),
        &SigningKey::p256(),
    );
    let path = dir.join(format!("{name}.imagepackage"));
    std::fs::write(&path, built.bytes).expect("write package");
    path
}

/// Collects what a run would send on its channel.
#[derive(Default, Clone)]
struct Sent(Arc<Mutex<Vec<Value>>>);

impl Sent {
    fn push<T: Serialize>(&self, message: T) {
        self.0.lock().expect("lock").push(json(&message));
    }
    fn all(&self) -> Vec<Value> {
        self.0.lock().expect("lock").clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_channel_messages_of_the_demo_tenant_fit_the_contract() {
    let contract = Contract::load();
    let dir = tempfile::tempdir().expect("temp dir");
    let host = host(dir.path());
    let tenant = host.open(None).await.expect("the Demo tenant opens");
    let run = tokio::time::timeout(Duration::from_secs(240), async {
        profile_screen(&contract, &host, &tenant).await;
        let group = steps_1_to_4(&contract, &host, &tenant, dir.path()).await;
        steps_5_and_6(&contract, &tenant, &group).await;
        fleet_and_migration(&contract, &host, &tenant).await;
        let journal = host.journal_recent(50).expect("journal");
        assert!(!journal.is_empty(), "the run journaled nothing");
        contract.assert_fits("journal_recent", "[JournalEntry]", &json(&journal));
    });
    let finished = run.await;
    tenant.close().await;
    finished.expect("the contract run finished in time");
}

async fn profile_screen(contract: &Contract, host: &TenantHost, tenant: &Tenant) {
    let mut legacy = Profile::new(Backend::Legacy);
    legacy.tenant_id = Some("00000000-0000-0000-0000-000000000001".into());
    legacy.client_id = Some("11111111-1111-1111-1111-111111111111".into());
    let saved = host.save_profile("contoso", legacy).expect("saved");
    contract.assert_fits("profile_save", "Profile", &json(&ProfileView::of(saved)));
    let (active, states) = host.profile_states().expect("profiles");
    let profiles = states.into_iter().map(ProfileView::of).collect();
    let list = ProfileList { active, profiles };
    contract.assert_fits("profiles_list", "ProfileList", &json(&list));

    let who = tenant.whoami().await.map_err(CommandError::from);
    let info = SessionInfo::of(tenant.name().to_owned(), Backend::Demo, who);
    contract.assert_fits("session_info", "Session", &json(&info));

    // A profile with no sign-in: every command needing it (an upload too) offers "Sign in".
    let refused = host.open(Some("contoso")).await.expect_err("not signed in");
    let error = CommandError::from(refused);
    assert_eq!(error.kind, "signed_out", "{error:?}");
    assert_eq!(error.params.get("profile"), Some(&Value::from("contoso")));
    let info = SessionInfo::of("contoso".into(), Backend::Legacy, Err(error));
    contract.assert_fits("session_info (signed out)", "Session", &json(&info));
}

async fn steps_1_to_4(
    contract: &Contract,
    host: &TenantHost,
    tenant: &Tenant,
    dir: &std::path::Path,
) -> DeviceGroupId {
    let groups = tenant.groups().await.expect("groups");
    let views: Vec<Group> = groups.iter().map(Group::from).collect();
    contract.assert_fits("groups_list", "[Group]", &json(&views));
    // The listing was cached for the next start: the cached answer fits too, and holds the groups.
    let cached = host
        .cached_groups(Some(tenant.name()))
        .expect("profiles")
        .expect("the listing was cached");
    assert_eq!(cached.groups.len(), groups.len());
    contract.assert_fits(
        "groups_cached",
        "GroupsCached|null",
        &json(&GroupsCached::from(cached)),
    );
    let group = groups
        .iter()
        .find(|g| !g.policy_blocks_apps && g.device_count.unwrap_or(0) > 0)
        .expect("a group that takes app updates")
        .id
        .clone();

    let hl = package(dir, "ContractHl", "Default");
    let damaged = dir.join("damaged.imagepackage");
    std::fs::write(&damaged, b"not a package").expect("write");
    let paths = vec![hl.clone(), damaged.clone()];
    let outcomes: Vec<InspectOutcome> = paths
        .iter()
        .zip(host.inspect(&paths))
        .map(|(p, read)| InspectOutcome::of(p.display().to_string(), read))
        .collect();
    let inspected = json(&outcomes);
    contract.assert_fits(
        "inspect_packages",
        "[InspectRead|InspectFailed]",
        &inspected,
    );
    assert_eq!(inspected[1]["error"]["kind"], "damaged_package");

    let sent = Sent::default();
    let progress = |p: &_| sent.push(UploadEvent::from(p));
    let results = tenant
        .upload(&paths, &CancellationToken::new(), &progress)
        .await;
    let answers: Vec<UploadAnswer> = results.into_iter().map(UploadAnswer::from).collect();
    let answers = json(&answers);
    contract.assert_fits("packages_upload", "[UploadAnswer]", &answers);
    for message in sent.all() {
        contract.assert_fits("upload channel", "UploadProgress", &message);
    }
    // Answer and messages are keyed by the full path, and a failure keeps its real kind.
    assert_eq!(answers[0]["path"], hl.display().to_string());
    assert_eq!(answers[0]["kind"], "HLApp");
    assert_eq!(answers[1]["error"]["kind"], "damaged_package");
    let last_of_damaged = sent
        .all()
        .into_iter()
        .rfind(|m| m["path"] == damaged.display().to_string())
        .expect("messages of the damaged file");
    assert_eq!(last_of_damaged["error"]["kind"], "damaged_package");

    let image = ImageId::new(answers[0]["imageId"].as_str().expect("image id"));
    let planned = tenant
        .plan(&group, std::slice::from_ref(&image))
        .await
        .expect("plan");
    let plan = json(&Plan::of(&planned.plan, &planned.group));
    contract.assert_fits("deployment_plan", "Plan", &plan);
    assert_eq!(
        plan["diff"]["added"][0]["kind"], "HLApp",
        "the kind read locally: {plan:#}"
    );
    let created = tenant.deploy(&group, &[image], None).await.expect("deploy");
    let deployment = json(&Deployment::from(&created.deployment));
    contract.assert_fits("deployment_create", "Deployment", &deployment);
    let history = tenant.history(&group).await.expect("history");
    let history: Vec<Deployment> = history.iter().map(Deployment::from).collect();
    contract.assert_fits("deployments_list", "[Deployment]", &json(&history));
    group
}

async fn steps_5_and_6(contract: &Contract, tenant: &Tenant, group: &DeviceGroupId) {
    let gateways = tenant.gateways(group).await.expect("gateways");
    contract.assert_fits("gateways_list", "[Gateway]", &json(&gateways));
    let chosen: Vec<_> = gateways
        .iter()
        .take(2)
        .map(|g| g.device_id.clone())
        .collect();

    let settings = RolloutSettings {
        poll_interval: Duration::from_millis(100),
        deadline: Duration::from_secs(60),
        ..tenant.rollout_settings()
    };
    let rollout = tenant
        .prepare_update_now(group, settings)
        .await
        .expect("prepared");
    // In phases (a canary of one, then the rest) with a window open all day; the window's
    // answer between the phases is "stop", so the run ends paused and is listed as interrupted.
    let options = UpdateNowOptions {
        canary: Some(1),
        max_failed: Some("100%".into()),
        window: Some("00:00-23:59".into()),
        window_tz: Some("+09:00".into()),
        ..UpdateNowOptions::default()
    };
    let run_options = options.to_core().expect("options");
    assert_eq!(
        UpdateNowOptions::from_core(&run_options).window_tz,
        options.window_tz
    );
    let active = rollout.begin(&chosen, &run_options).expect("registered");
    let sent = Sent::default();
    let progress = |event| sent.push(UpdateNowEvent::from(event));
    let asked = sent.clone();
    let stop = move |summary| {
        asked.push(UpdateNowEvent::from(summary));
        Box::pin(async { false })
            as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
    };
    let report = rollout
        .run_in(
            active,
            chosen.clone(),
            None,
            &run_options,
            &stop,
            &CancellationToken::new(),
            &progress,
        )
        .await;
    sent.push(UpdateNowEvent::from(report));
    sent.push(UpdateNowEvent::waiting(time::OffsetDateTime::now_utc()));
    let messages = sent.all();
    assert!(messages.len() > 2, "{messages:#?}");
    for message in &messages {
        contract.assert_fits(
            "update_now channel",
            "UpdateNowProgress|UpdateNowPhase|UpdateNowWaiting|UpdateNowDone",
            message,
        );
    }
    let types: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    assert!(types.contains(&"phase"), "{types:?}");
    let done = messages.iter().find(|m| m["type"] == "done").expect("done");
    assert_eq!(
        done["notStarted"].as_array().map(Vec::len),
        Some(1),
        "{done}"
    );
    assert!(done["stopped"].is_string(), "{done}");
    let interrupted: Vec<InterruptedRunView> = tenant
        .runs()
        .interrupted()
        .expect("interrupted runs")
        .into_iter()
        .map(InterruptedRunView::from)
        .collect();
    assert_eq!(interrupted.len(), 1);
    contract.assert_fits("runs_interrupted", "[InterruptedRun]", &json(&interrupted));

    let nodes = tenant.nodes(&chosen).await.expect("nodes");
    contract.assert_fits("nodes_list", "[Node]", &json(&nodes));
    let node = nodes.first().expect("a node behind the gateways");
    let item = NodeRef {
        gateway_id: node.gateway_id.clone(),
        mac: node.mac.clone(),
    };
    let sent = Sent::default();
    let progress = |event| sent.push(NodeUpdateEvent::from(event));
    let settings = tenant.node_settings();
    let report = tenant
        .update_nodes(vec![item], &settings, &CancellationToken::new(), &progress)
        .await
        .expect("node update");
    sent.push(NodeUpdateEvent::from(report));
    for message in sent.all() {
        contract.assert_fits(
            "node_update channel",
            "NodeUpdateProgress|NodeUpdateDone",
            &message,
        );
    }
}

/// Issue 14: the Fleet screen's report after steps 5 and 6, the Demo tenant checked against
/// itself through its two planes (one shared simulator), an ARM profile made from the legacy
/// profile `contoso`, and the retirement notice.
async fn fleet_and_migration(contract: &Contract, host: &TenantHost, tenant: &Tenant) {
    // The report as the Fleet screen gets it: the messages of its channel, then the answer.
    let sent = Sent::default();
    let tally = std::sync::Mutex::new(Tally::default());
    let report = tenant
        .compliance_with(None, &|progress| {
            sent.push(ComplianceEvent::of(progress, &mut tally.lock().unwrap()));
        })
        .await
        .expect("compliance");
    let messages = sent.all();
    for message in &messages {
        contract.assert_fits(
            "compliance_report channel",
            "ComplianceGroups|ComplianceCounted|ComplianceGroup|ComplianceDone",
            message,
        );
    }
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    let groups = report
        .products
        .iter()
        .map(|p| p.groups.len())
        .sum::<usize>();
    assert_eq!(kinds.first(), Some(&"groups"));
    assert_eq!(kinds.iter().filter(|k| **k == "group").count(), groups);
    assert!(kinds.contains(&"counted"), "{kinds:?}");
    // The last group's message carries the fleet's final sums.
    let last = messages
        .iter()
        .rev()
        .find(|m| m["type"] == "group")
        .unwrap();
    let value = json(&ComplianceDone::from(&report));
    contract.assert_fits("compliance_report", "ComplianceDone", &value);
    assert_eq!(last["fleet"]["gateways"], value["gateways"]);
    let counts: u64 = ["onTarget", "pending", "failed", "offline", "unknown"]
        .iter()
        .filter_map(|k| value["gateways"][*k]["count"].as_u64())
        .sum();
    assert!(
        counts > 0 && Some(counts) == value["gateways"]["total"].as_u64(),
        "{value:#}"
    );
    assert!(
        value["gateways"]["onTarget"].get("gateways").is_none(),
        "sums carry no ids"
    );

    let demo = tenant.name().to_owned();
    let checked = host.migration_check(&demo, &demo).await.expect("check");
    assert!(checked.all_matched(), "{checked:#?}");
    contract.assert_fits("migration_check", "MigrationReport", &json(&checked));
    // The shared simulator still serves the open tenant after the check closed its sessions.
    tenant
        .groups()
        .await
        .expect("the open tenant still answers");

    let legacy = host
        .profiles()
        .expect("profiles")
        .get("contoso")
        .expect("contoso");
    let arm = asg_fota_core::migrate::arm_profile_from_legacy(
        "contoso-arm",
        &legacy,
        "sub",
        "rg",
        "cat",
        None,
    )
    .expect("an ARM profile");
    let secrets = host
        .save_migrated_profile("contoso", "contoso-arm", arm.clone(), false)
        .expect("saved");
    let made = MigratedProfile::of(ProfileView::of(host.state_of("contoso-arm", arm)), secrets);
    contract.assert_fits("migration_profile_create", "MigratedProfile", &json(&made));

    let retirement =
        asg_fota_core::migrate::retirement(Backend::Legacy, time::macros::date!(2026 - 12 - 02));
    contract.assert_fits("legacy_retirement", "Retirement|null", &json(&retirement));
}

#[test]
fn runs_in_flight_and_run_starts_fit_the_contract() {
    let contract = Contract::load();
    let runs = Arc::new(crate::runs::Runs::default());
    let channel = tauri::ipc::Channel::new(|_| Ok(()));
    let options = UpdateNowOptions {
        batch: Some(5),
        ..UpdateNowOptions::default()
    };
    let run = runs.start_with(
        RunKind::UpdateNow,
        Some("group-1".into()),
        Some(options),
        channel,
    );
    run.send(UpdateNowEvent::Done(Default::default()));
    run.send_waiting(UpdateNowEvent::waiting(time::OffsetDateTime::now_utc()));
    let not_asking = runs.answer(run.id(), true).expect_err("nothing asked");
    assert_eq!(not_asking.kind, "not_found");
    let started = RunStarted {
        run_id: run.id().to_owned(),
    };
    contract.assert_fits("update_now_start", "RunStarted", &json(&started));
    contract.assert_fits("runs_list", "[RunSummary]", &json(&runs.list()));
    assert!(runs
        .attach(run.id(), tauri::ipc::Channel::new(|_| Ok(())))
        .is_ok());
    runs.finish(run.id());
    let ended = runs
        .attach(run.id(), tauri::ipc::Channel::new(|_| Ok(())))
        .expect_err("an ended run");
    assert_eq!(ended.kind, "not_found");
    contract.assert_fits("run_attach error", "CommandError", &json(&ended));
}

#[test]
fn the_contract_lists_the_gui_kinds_of_the_one_fold() {
    let contract = Contract::load();
    let kinds = contract.doc["errors"]["CommandError"]["kind"]
        .as_str()
        .and_then(|k| k.strip_prefix("enum:"))
        .expect("an enum of kinds");
    let listed: Vec<&str> = kinds.split(',').collect();
    assert_eq!(
        listed, GUI_KINDS,
        "errors.CommandError.kind vs wire::GUI_KINDS"
    );
    let actions = contract.doc["errors"]["actions"]
        .as_object()
        .expect("actions");
    for kind in GUI_KINDS {
        let action = actions.get(*kind).and_then(Value::as_str);
        let known = ["sign_in", "retry", "choose_file", "open_settings", "none"];
        assert!(
            action.is_some_and(|a| known.contains(&a)),
            "{kind}: {action:?}"
        );
    }
    assert_eq!(
        contract.types()["GuiKind"],
        contract.doc["errors"]["CommandError"]["kind"]
    );
}

/// Each command's arguments in the contract are the parameters its Rust function reads (state,
/// handles and channels aside, channels named `onEvent`), so the UI sends nothing unread.
#[test]
fn the_contract_names_every_command_and_the_arguments_it_reads() {
    let contract = Contract::load();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src-tauri/src/commands");
    let mut sources = String::new();
    for entry in std::fs::read_dir(dir).expect("commands/") {
        sources.push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("read"));
    }
    let mut found = Vec::new();
    for chunk in sources.split("#[tauri::command]").skip(1) {
        let (name, args) = signature(chunk);
        found.push(name.clone());
        let spec = contract.commands().get(&name);
        let spec = spec.unwrap_or_else(|| panic!("{name} is not in gui-contract.json"));
        let mut listed: Vec<String> = spec["args"]
            .as_object()
            .expect("args")
            .keys()
            .map(|k| k.trim_end_matches('?').to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, args, "the arguments of {name}");
    }
    let mut listed: Vec<&String> = contract.commands().keys().collect();
    listed.sort();
    found.sort();
    assert_eq!(listed, found.iter().collect::<Vec<_>>(), "commands");
}

/// The name and camelCase argument names of the command function at the start of `chunk`.
fn signature(chunk: &str) -> (String, Vec<String>) {
    let after_fn = chunk.split(" fn ").nth(1).expect("fn");
    let name = after_fn.split('(').next().expect("name").trim().to_owned();
    let rest = after_fn.split_once('(').expect("parameters").1;
    let mut depth = 0;
    let end = rest
        .char_indices()
        .find(|&(_, c)| {
            depth += match c {
                '(' | '<' => 1,
                ')' | '>' => -1,
                _ => 0,
            };
            depth < 0
        })
        .expect("the end of the parameters")
        .0;
    let params = &rest[..end];
    let mut args: Vec<String> = params
        .split(',')
        .filter_map(|p| p.split_once(':'))
        .map(|(n, ty)| (n.trim(), ty.trim()))
        .filter(|(_, ty)| !ty.starts_with("State<") && !ty.starts_with("AppHandle"))
        .map(|(n, _)| camel(n))
        .collect();
    args.sort();
    (name, args)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}
