//! The whole app in Korean, in the real window, on the Demo tenant (issue 13): every step (1–6),
//! the profile screen, Help/About, Activity, the Fleet screen with a figure's gateways, and the
//! move to ARM (the check, the "create ARM profile" form), and a few errors on the way (the service
//! refusing, a damaged package, a deployment rule broken). On every screen it reads what a person
//! sees — visible text, the chosen option of each menu, placeholders, tooltips and accessible
//! names — and fails on
//! - any Latin-script word that is not the tenant's own data (names, ids, file names: every
//!   string of the simulator's state), an id, a version, a file name, an address or a product
//!   name (ASG FOTA, ASG210, WIZ750SR, Azure Sphere, IoT Hub, HLApp, RTApp …), and
//! - any character the page cannot draw: each distinct non-ASCII character is drawn on a canvas
//!   in its element's font and compared, pixel for pixel, with a character no font has (U+0378,
//!   unassigned); a missing font draws both as the same empty box.
//!
//! Needs an X display and tauri-driver: `bash .ci/test` runs it under Xvfb with
//! `--include-ignored`. With `ASG_FOTA_SCREENSHOT_DIR` set it saves each screen as `ko-walk-*`.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::harness::{sim_get, sim_send, AppSession};
use crate::wizard_flow::{package, update_group, usable, wait_read, wait_uploaded};
use crate::APP;
use asg_fota_testkit::korean::{strings_of, LATIN_JS};
use asg_fota_testkit::scenario::control;
use serde_json::{json, Value};

/// Reads the screen (after `testkit::korean::LATIN_JS`, the rules shared with the CLI's Korean
/// test): `arguments[0]` is the tenant's data (allowed as is), `arguments[1]` the
/// selectors of regions that show only data (the licence list: crate names and licence ids; the
/// OS's own name and version).
/// Returns `{latin: [text], missing: [{char, text}], selfCheck}`.
const AUDIT: &str = r#"
const [data, dataRegions] = arguments;
const dataSorted = [...new Set(data)].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
const inData = (node) => dataRegions.some((sel) => node.closest && node.closest(sel));
const shown = (element) => {
  for (let n = element; n && n.nodeType === 1; n = n.parentElement) {
    const style = getComputedStyle(n);
    if (style.display === 'none' || style.visibility === 'hidden' || n.hidden) return false;
  }
  return element.getClientRects().length > 0;
};
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.nodeValue.trim();
  const parent = node.parentElement;
  if (!text || !parent || ['SCRIPT', 'STYLE', 'OPTION'].includes(parent.tagName) || inData(parent)) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  if (range.getClientRects().length === 0 || !shown(parent)) continue;
  texts.push({ text, element: parent });
}
for (const element of document.querySelectorAll('select, [placeholder], [title], [aria-label]')) {
  if (!shown(element) || inData(element)) continue;
  if (element.tagName === 'SELECT' && element.selectedOptions[0]) texts.push({ text: element.selectedOptions[0].textContent.trim(), element });
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    const value = element.getAttribute(attr);
    if (value && value.trim()) texts.push({ text: `[${attr}] ${value.trim()}`, check: value.trim(), element });
  }
}
const latin = [];
for (const { text, check, element } of texts) {
  const left = latinLeft(check || text, dataSorted);
  if (left) latin.push(`${text}   ← ${left.join(' ')}   (${element.tagName.toLowerCase()}${element.className ? '.' + String(element.className).split(' ')[0] : ''})`);
}
// Glyphs: each distinct non-ASCII character in its element's font, against U+0378.
const canvas = document.createElement('canvas');
canvas.width = 48; canvas.height = 48;
const ctx = canvas.getContext('2d', { willReadFrequently: true });
const pixels = (ch, font) => {
  ctx.clearRect(0, 0, 48, 48);
  ctx.font = font;
  ctx.fillStyle = '#000';
  ctx.textBaseline = 'middle';
  ctx.fillText(ch, 4, 24);
  return ctx.getImageData(0, 0, 48, 48).data.join(',');
};
const fontOf = (element) => `32px ${getComputedStyle(element).fontFamily}`;
const bodyFont = fontOf(document.body);
const missingBox = pixels('\u0378', bodyFont);
const selfCheck = { sameForTwoMissing: missingBox === pixels('\u0379', bodyFont), hangulDiffers: missingBox !== pixels('한', bodyFont) };
const missing = [];
const seen = new Set();
for (const { text, element } of texts) {
  const font = fontOf(element);
  const box = font === bodyFont ? missingBox : pixels('\u0378', font);
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128 || /\s/.test(ch) || seen.has(font + ch)) continue;
    seen.add(font + ch);
    if (pixels(ch, font) === box) missing.push({ char: ch, code: ch.codePointAt(0).toString(16), text });
  }
}
return { latin, missing, selfCheck, lang: document.documentElement.lang, count: texts.length };
"#;

/// The legacy profile the walk adds for the "create ARM profile" form (a name: data).
const LEGACY_PROFILE: &str = "legacy-lab";

/// What the walk found, screen by screen.
#[derive(Default)]
struct Findings {
    latin: Vec<String>,
    missing: Vec<String>,
    screens: Vec<String>,
}

struct Walk<'a> {
    app: &'a AppSession,
    port: u16,
    files: Vec<String>,
    findings: Findings,
}

impl Walk<'_> {
    /// The tenant's own data: every string of the simulator's state, and the packages' file names.
    fn data(&self) -> Vec<String> {
        let mut all = BTreeSet::new();
        strings_of(&sim_get(self.port, "/_sim/state"), &mut all);
        all.extend(self.files.iter().cloned());
        // The packages' names (their manifests name them after the file).
        all.extend(
            self.files
                .iter()
                .filter_map(|f| f.strip_suffix(".imagepackage").map(str::to_owned)),
        );
        // The built-in profile's name (the CLI's `--profile "Demo tenant"`): a name, not a sentence.
        all.insert("Demo tenant".to_owned());
        all.insert(LEGACY_PROFILE.to_owned());
        all.into_iter().collect()
    }

    async fn audit(&mut self, screen: &str) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.app.screenshot(&format!("ko-walk-{screen}")).await;
        let result = self
            .app
            .client
            .execute(
                &format!("{LATIN_JS}\n{AUDIT}"),
                vec![
                    json!(self.data()),
                    json!(["[data-testid=licence-list]", "[data-testid=about-os]"]),
                ],
            )
            .await
            .unwrap_or_else(|error| panic!("audit of {screen}: {error}"));
        assert_eq!(result["lang"], "ko", "{screen}: the page is in Korean");
        assert_eq!(
            result["selfCheck"],
            json!({"sameForTwoMissing": true, "hangulDiffers": true}),
            "{screen}: the glyph check must tell a missing glyph from Hangul (is a Hangul font installed? `.ci/setup --test` installs fonts-nanum)"
        );
        assert!(
            result["count"].as_u64().unwrap_or(0) > 5,
            "{screen}: nothing read"
        );
        // Said as found, so that a walk that stops early still shows what it saw.
        for line in result["latin"].as_array().into_iter().flatten() {
            eprintln!("korean walk, {screen}: Latin: {line}");
            self.findings
                .latin
                .push(format!("{screen}: {}", line.as_str().unwrap_or_default()));
        }
        for m in result["missing"].as_array().into_iter().flatten() {
            eprintln!("korean walk, {screen}: missing glyph: {m}");
            self.findings.missing.push(format!(
                "{screen}: U+{} “{}” in “{}”",
                m["code"].as_str().unwrap_or_default(),
                m["char"].as_str().unwrap_or_default(),
                m["text"].as_str().unwrap_or_default()
            ));
        }
        self.findings.screens.push(screen.to_owned());
    }
}

/// Every GET of the two control planes answers 403 until the plan is replaced.
fn refuse_reads(port: u16) {
    let rule = |service: &str| json!({"service": service, "method": "GET", "action": {"kind": "status", "status": 403}});
    sim_send(
        port,
        "PUT",
        "/_sim/faults",
        Some(&json!({"rules": [rule("arm"), rule("legacy")]})),
    );
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn every_screen_in_korean_has_no_english_sentence_and_no_missing_glyph() {
    let (app, port) = AppSession::start_demo(APP, &[("LANG", "ko_KR.UTF-8".to_owned())]).await;
    // The OS locale chose Korean; the switch makes sure of it whatever the machine's locales.
    app.click("[data-testid=lang-switch] [data-lang=ko]").await;
    let mut walk = Walk {
        app: &app,
        port,
        files: Vec::new(),
        findings: Findings::default(),
    };
    walk.audit("step1").await;

    // An error: the service refuses to list the groups.
    refuse_reads(port);
    app.click("[data-testid=groups-refresh]").await;
    app.wait_for("[data-testid=error-notice]").await;
    walk.audit("step1-error").await;
    sim_send(port, "PUT", "/_sim/faults", Some(&json!({})));
    app.click("[data-testid=groups-refresh]").await;
    app.wait_for("[data-testid=group-row]").await;

    // A group whose policy takes app updates and has online gateways with nodes.
    let state = sim_get(port, "/_sim/state");
    let devices = state["devices"].as_array().expect("devices").clone();
    let (group, product) = update_group(&state);
    app.choose_group(&product, group["name"].as_str().expect("group name"))
        .await;
    walk.audit("step1-chosen").await;

    // Step 2: a damaged file first (its reason in Korean), then two apps and a second HLApp
    // (a deployment holds one).
    let dir = app.dirs.path().to_owned();
    let damaged = dir.join("damaged.imagepackage");
    std::fs::write(&damaged, b"not an image package at all").expect("write damaged file");
    let (hl, hl_image) = package(&dir, "ASG210_HLApp_v1.2.3", "Default");
    let (rt, _) = package(&dir, "ASG210_RTApp_v1.1.0_nodefw1.0.9", "RealTimeCapable");
    let (hl2, _) = package(&dir, "ASG210_HLApp_v1.2.4", "Default");
    walk.files = [&damaged, &hl, &rt, &hl2]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    app.set_picked_files(&[&damaged]);
    app.click("[data-testid=step-link-2]").await;
    walk.audit("step2-empty").await;
    app.click("[data-testid=add-packages]").await;
    let damaged_row = format!(
        "[data-testid=package-row][data-file='{}']",
        damaged.display()
    );
    app.wait_for(&format!("{damaged_row} [data-testid=package-error]"))
        .await;
    walk.audit("step2-damaged").await;
    app.click(&format!("{damaged_row} .remove-button")).await;
    app.set_picked_files(&[&hl, &rt, &hl2]);
    app.click("[data-testid=add-packages]").await;
    wait_read(&app, &[&hl, &rt, &hl2]).await;
    // Two HLApps: step 2 warns before anything is uploaded; without the second one it uploads.
    walk.audit("step2-two-hlapps").await;
    app.click(&format!(
        "[data-testid=package-row][data-file='{}'] .remove-button",
        hl2.display()
    ))
    .await;
    app.click("[data-testid=upload-button]").await;
    wait_uploaded(&app, &[&hl, &rt]).await;
    walk.audit("step2-uploaded").await;

    // Step 3: the plan, the confirmation, the deployment; then the same set again, which the
    // plan warns changes nothing.
    app.click("[data-testid=step-link-3]").await;
    app.wait_for(&format!(
        "[data-testid=deploy-image][data-image-id='{hl_image}']"
    ))
    .await;
    walk.audit("step3").await;
    app.click("[data-testid=deploy-plan]").await;
    app.wait_for("[data-testid=diff-row]").await;
    walk.audit("step3-plan").await;
    app.click("[data-testid=deploy-create]").await;
    app.wait_for("[data-testid=confirm-ok]").await;
    walk.audit("step3-confirm").await;
    app.click("[data-testid=confirm-ok]").await;
    app.wait_for("[data-testid=deploy-success]").await;
    walk.audit("step3-created").await;
    app.click("[data-testid=deploy-plan]").await;
    app.wait_for("[data-testid=deploy-warning]").await;
    walk.audit("step3-nothing-to-do").await;

    // Step 4.
    app.click("[data-testid=step-link-4]").await;
    app.wait_for("[data-testid=history-row][data-current='true']")
        .await;
    walk.audit("step4").await;

    // Step 5: two gateways of the group, one of them offline (its failure in Korean).
    app.click("[data-testid=step-link-5]").await;
    app.wait_for("[data-testid=gateway-row]").await;
    walk.audit("step5").await;
    let chosen: Vec<String> = devices
        .iter()
        .filter(|d| d["group_id"] == group["id"] && usable(d))
        .take(2)
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect();
    sim_send(
        port,
        "PUT",
        "/_sim/faults",
        Some(&json!({"offline_devices": [chosen[1]]})),
    );
    for id in &chosen {
        app.type_into("[data-testid=gateway-filter]", &id[..16])
            .await;
        let tick = app
            .wait_for(&format!(
                "[data-testid=gateway-row][data-device-id='{id}' i] [data-testid=gateway-select]"
            ))
            .await;
        if !tick
            .prop("checked")
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c == "true")
        {
            tick.click().await.expect("tick the gateway");
        }
    }
    app.type_into("[data-testid=gateway-filter]", "").await;
    app.click("[data-testid=update-now]").await;
    app.wait_for("[data-testid=confirm-ok]").await;
    walk.audit("step5-confirm").await;
    app.click("[data-testid=confirm-ok]").await;
    for id in &chosen {
        let status = format!(
            "[data-testid=gateway-row][data-device-id='{id}' i] [data-testid=device-status]"
        );
        app.wait_attr(&status, "data-status", |s| {
            s == "on_target" || s == "failed"
        })
        .await;
    }
    app.wait_for("[data-testid=run-summary]").await;
    walk.audit("step5-done").await;
    // The offline gateway's timeline (its reason).
    app.click(&format!(
        "[data-testid=gateway-row][data-device-id='{}' i]",
        chosen[1]
    ))
    .await;
    walk.audit("step5-timeline").await;
    sim_send(port, "PUT", "/_sim/faults", Some(&json!({})));

    // Step 6: the nodes behind the updated gateway, updated after the confirmation.
    app.click("[data-testid=step-link-6]").await;
    app.wait_for("[data-testid=node-row]").await;
    walk.audit("step6").await;
    app.click("[data-testid=update-all-outdated]").await;
    app.wait_for("[data-testid=confirm-ok]").await;
    walk.audit("step6-confirm").await;
    app.click("[data-testid=confirm-ok]").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    walk.audit("step6-done").await;

    // The profile screen, Help/About and Activity, in the dark theme (the glyphs are checked
    // again on the dark palette, and docs/ gets its dark pictures from here).
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=theme-select]'); s.value = 'dark'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("choose the dark theme");
    walk.audit("step6-dark").await;
    // The profile screen, Help/About and Activity.
    app.click("[data-testid=profile-button]").await;
    app.wait_for("[data-testid=profile-dialog]").await;
    walk.audit("profile").await;
    app.click("[data-testid=profile-close]").await;
    app.click("[data-testid=help-button]").await;
    app.wait_for("[data-testid=help-dialog]").await;
    // About fills in when the shell has answered.
    app.wait_text("[data-testid=about-version]", |v| {
        !v.trim().is_empty() && v.trim() != "—"
    })
    .await;
    walk.audit("help").await;
    app.click("[data-testid=help-close]").await;
    app.click("[data-testid=activity-button]").await;
    app.wait_for("[data-testid=activity-row]").await;
    walk.audit("activity").await;
    app.click("[data-testid=activity-close]").await;

    // The Fleet screen, then one figure's gateways (the drill-down table).
    app.click("[data-testid=fleet-link]").await;
    app.wait_for("[data-testid=fleet-row][data-level=group]")
        .await;
    walk.audit("fleet").await;
    let drilled = app
        .client
        .execute(
            "const b = [...document.querySelectorAll('[data-testid=fleet-figure]')].find((b) => /[1-9]/.test(b.firstChild.textContent)); if (b) b.click(); return Boolean(b);",
            vec![],
        )
        .await
        .expect("click a figure");
    assert_eq!(drilled, json!(true), "the fleet has a figure above 0");
    app.wait_for("[data-testid=fleet-drill-row]").await;
    walk.audit("fleet-drill").await;

    // The move to ARM: the check with a difference (a group renamed on the ARM side, so the
    // table has rows), then the form that creates an ARM profile from a legacy one.
    let state = sim_get(port, "/_sim/state");
    let group = state["groups"][0]["id"]
        .as_str()
        .expect("a group")
        .to_owned();
    let plan = json!({"arm": {"rename_groups": {group: "Renamed on ARM"}}});
    let (status, body) = control(port, "PUT", "/_sim/divergence", Some(&plan));
    assert!((200..300).contains(&status), "divergence: {status} {body}");
    app.click("[data-testid=profile-button]").await;
    app.click("[data-testid=profile-migration]").await;
    app.click("[data-testid=migration-run]").await;
    app.wait_for("[data-testid=migration-item]").await;
    walk.audit("migration").await;
    // The create form is for a legacy profile: one is added to the profiles file (not signed
    // in; the form only needs its settings) and chosen as "from".
    let file = app.dirs.path().join("app-config").join("profiles.json");
    let mut profiles: Value = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| json!({"version": 1}));
    profiles["profiles"][LEGACY_PROFILE] =
        json!({"backend": "legacy", "tenant_id": "00000000-0000-0000-0000-0000000000aa"});
    std::fs::write(&file, profiles.to_string()).expect("write profiles.json");
    app.click("[data-testid=migration-close]").await;
    app.click("[data-testid=profile-button]").await;
    app.click("[data-testid=profile-migration]").await;
    app.wait_for(&format!(
        "[data-testid=migration-from] option[value='{LEGACY_PROFILE}']"
    ))
    .await;
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=migration-from]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            vec![json!(LEGACY_PROFILE)],
        )
        .await
        .expect("choose the legacy profile");
    app.click("[data-testid=migration-create-open]").await;
    app.wait_for("[data-testid=migration-create-form]").await;
    walk.audit("migration-create").await;
    app.click("[data-testid=migration-close]").await;

    let Findings {
        latin,
        missing,
        screens,
    } = walk.findings;
    app.close().await;
    assert!(
        latin.is_empty() && missing.is_empty(),
        "on {} screens in Korean:\n{} Latin-script text(s):\n  {}\n{} glyph(s) the page cannot draw:\n  {}",
        screens.len(),
        latin.len(),
        latin.join("\n  "),
        missing.len(),
        missing.join("\n  ")
    );
}
