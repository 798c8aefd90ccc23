//! The desktop finish in the real window (issue 13): every table fits from the 900 px minimum
//! up (step 6's node names wrap, or carry their full text when still cut), the theme choice comes
//! back after a restart, Help saves a diagnostics zip with no secret in it.
//!
//! Needs an X display and tauri-driver: `bash .ci/test` runs it under Xvfb with
//! `--include-ignored`. With `ASG_FOTA_SCREENSHOT_DIR` set it saves what it looked at.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::harness::{free_port, AppSession};
use crate::APP;
use serde_json::{json, Value};

/// Measures every table's scroll container in view: overflow (`scrollWidth > clientWidth`),
/// column headers outside the container or with clipped text, and the page's own overflow.
const MEASURE: &str = r#"
const visible = (n) => n.getClientRects().length > 0 && getComputedStyle(n).visibility !== 'hidden';
const problems = [];
const containers = [...document.querySelectorAll('.vtable-viewport, .table-scroll, table.history-table, table.diff-table')].filter(visible);
for (const c of containers) {
  const name = c.closest('[data-step]') ? `step ${c.closest('[data-step]').dataset.step} ${c.className}` : c.className;
  if (c.scrollWidth > c.clientWidth) problems.push(`${name}: scrollWidth ${c.scrollWidth} > clientWidth ${c.clientWidth}`);
  const box = c.getBoundingClientRect();
  for (const h of c.querySelectorAll('[role=columnheader], th')) {
    if (!visible(h)) continue;
    const r = h.getBoundingClientRect();
    const label = h.textContent.trim();
    if (r.left < box.left - 1 || r.right > box.right + 1) problems.push(`${name}: header "${label}" is outside its table (${Math.round(r.left)}..${Math.round(r.right)} not in ${Math.round(box.left)}..${Math.round(box.right)})`);
    if (h.scrollWidth > h.clientWidth + 1 || h.scrollHeight > h.clientHeight + 1) problems.push(`${name}: header "${label}" is clipped`);
    if (!label && h.dataset.empty === undefined && h.cellIndex !== 0 && [...h.parentNode.children].indexOf(h) !== 0) problems.push(`${name}: a header without text`);
  }
}
// Step 6's node names wrap rather than being cut; one still too long carries its full text.
for (const n of document.querySelectorAll('.node-name')) {
  if (!visible(n)) continue;
  const clipped = n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1;
  if (clipped && n.title !== n.textContent) problems.push(`node name "${n.textContent}" is cut without its full text`);
  if (!clipped && n.textContent.length > 0 && n.getClientRects().length === 0) problems.push('a node name is not drawn');
}
// A placeholder is read whole or not at all: its text, drawn in the input's font, fits the
// input's content box (the Korean ones are longer than the English ones).
const canvas = document.createElement('canvas').getContext('2d');
for (const input of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
  if (!visible(input) || input.value) continue;
  const style = getComputedStyle(input);
  canvas.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = input.getAttribute('placeholder');
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const needs = canvas.measureText(text).width;
  if (needs > room + 1) problems.push(`placeholder "${text}" is cut: needs ${Math.round(needs)} px, has ${Math.round(room)}`);
}
for (const scroller of [document.documentElement, document.getElementById('main')]) {
  if (scroller.scrollWidth > scroller.clientWidth) problems.push(`${scroller.id || 'page'} scrolls sideways: ${scroller.scrollWidth} > ${scroller.clientWidth}`);
}
return { width: window.innerWidth, height: window.innerHeight, tables: containers.length, problems };
"#;

async fn set_size(app: &AppSession, width: u32, height: u32) {
    app.client
        .set_window_size(width, height)
        .await
        .unwrap_or_else(|error| panic!("cannot resize the window to {width}x{height}: {error}"));
    // Layout follows the resize on the next frames.
    tokio::time::sleep(Duration::from_millis(400)).await;
}

async fn measure(app: &AppSession, what: &str) -> Value {
    let result = app
        .client
        .execute(MEASURE, vec![])
        .await
        .unwrap_or_else(|error| panic!("measure {what}: {error}"));
    assert!(
        result["problems"].as_array().is_some_and(|p| p.is_empty()),
        "{what} at {}x{}: {:#}",
        result["width"],
        result["height"],
        result["problems"]
    );
    result
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn every_table_fits_without_sideways_scrolling_at_900_and_1200_px() {
    let (app, _) = AppSession::start_demo(APP, &[]).await;
    // The first group: its gateways (step 5) and their nodes (step 6). The Demo tenant starts
    // without deployments, so step 4 shows its empty line, not a table.
    app.click("[data-testid=group-row]").await;
    app.click("[data-testid=step-link-5]").await;
    app.wait_for("[data-testid=gateway-row]").await;
    app.click("[data-testid=select-all]").await;

    // English at three widths, then Korean (longer words, longer placeholders) at the narrowest.
    for (width, height, lang) in [
        (900, 700, "en"),
        (1200, 800, "en"),
        (1920, 1080, "en"),
        (900, 700, "ko"),
    ] {
        app.click(&format!("[data-testid=lang-switch] [data-lang={lang}]"))
            .await;
        set_size(&app, width, height).await;
        let mut tables = 0;
        for step in 1..=6 {
            app.click(&format!("[data-testid=step-link-{step}]")).await;
            match step {
                5 => drop(app.wait_for("[data-testid=gateway-row]").await),
                _ => tokio::time::sleep(Duration::from_millis(600)).await,
            }
            let result = measure(&app, &format!("step {step} ({lang})")).await;
            tables += result["tables"].as_u64().unwrap_or(0);
            app.screenshot(&format!("fit-{width}-{lang}-step{step}"))
                .await;
        }
        assert!(
            tables >= 2,
            "steps 5 and 6 show their tables at {width} px (saw {tables})"
        );
        app.click("[data-testid=profile-button]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        measure(&app, "the profile screen").await;
        app.screenshot(&format!("fit-{width}-{lang}-profile")).await;
        app.client
            .execute("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));", vec![])
            .await
            .expect("escape");
        app.click("[data-testid=activity-button]").await;
        app.wait_for("[data-testid=activity-dialog]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        measure(&app, "the Activity view").await;
        app.click("[data-testid=activity-close]").await;
    }
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn the_theme_choice_comes_back_after_a_restart() {
    let app = AppSession::start(APP).await;
    // The header is drawn (the menu has its options) once step 1 shows its groups.
    app.wait_for("[data-testid=group-row]").await;
    let theme = |app: &AppSession| {
        let client = app.client.clone();
        async move {
            client
                .execute("return document.documentElement.dataset.theme;", vec![])
                .await
                .expect("theme")
        }
    };
    let chosen = if theme(&app).await == json!("dark") {
        "light"
    } else {
        "dark"
    };
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=theme-select]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            vec![json!(chosen)],
        )
        .await
        .expect("choose a theme");
    assert_eq!(
        theme(&app).await,
        json!(chosen),
        "the choice applies at once"
    );
    // UNPROVEN here: the window-state plugin saves size and position when the app exits, and
    // ending a WebDriver session does not exit the app gracefully, so the size is not checked.

    let app = app.restart(APP, &[]).await;
    app.wait_for("[data-testid=theme-select]").await;
    assert_eq!(
        theme(&app).await,
        json!(chosen),
        "the theme choice survives a restart"
    );
    // The menu shows the choice once the modules have drawn the header.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut value = json!(null);
    while Instant::now() < deadline {
        value = app
            .client
            .execute(
                "const s = document.querySelector('[data-testid=theme-select]'); return s.options.length ? s.value : null;",
                vec![],
            )
            .await
            .expect("select value");
        if !value.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(value, json!(chosen));
    app.close().await;
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn help_saves_a_diagnostics_zip_without_any_secret() {
    let port = free_port();
    let app = AppSession::start_with(APP, &[("ASG_FOTA_DEMO_PORT", port.to_string())]).await;
    // The Demo tenant is open (its service principal secret and hub key are in memory) and has
    // written logs by the time step 1 shows groups.
    app.wait_for("[data-testid=group-row]").await;
    let out = app.dirs.path().join("diagnostics.zip");
    app.set_picked_files(&[&out]);
    app.click("[data-testid=help-button]").await;
    app.wait_for("[data-testid=help-dialog]").await;
    let version = app.wait_for("[data-testid=about-version]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while version.text().await.unwrap_or_default().trim() == "—" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        version.text().await.expect("version").trim(),
        env!("CARGO_PKG_VERSION")
    );
    let commit = app
        .wait_for("[data-testid=about-commit]")
        .await
        .text()
        .await
        .expect("commit");
    assert!(
        !commit.trim().is_empty() && commit.trim() != "—",
        "About shows the commit"
    );
    app.click("[data-testid=save-diagnostics]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("help-diagnostics").await;

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).expect("the zip was written"))
        .expect("a zip");
    let mut names = Vec::new();
    let mut all = String::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        names.push(file.name().expect("entry name").into_owned());
        let mut text = String::new();
        file.read_to_string(&mut text).expect("text entry");
        all.push_str(&text);
    }
    assert!(names.contains(&"about.json".to_owned()), "{names:?}");
    assert!(names.contains(&"profiles.json".to_owned()), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("logs/asg-fota")),
        "the logs are in: {names:?}"
    );
    assert!(
        all.contains(env!("CARGO_PKG_VERSION")),
        "about.json names the version"
    );
    // Every secret this session knows: the Demo tenant's service principal secret and IoT Hub
    // key (by their shapes: the simulator makes them `demo-secret-<uuid>` and base64 keys after
    // `SharedAccessKey=`), tokens and signatures.
    for leak in ["demo-secret-", "access_token", "refresh_token", "Bearer ey"] {
        assert!(!all.contains(leak), "the zip holds {leak}");
    }
    for (at, _) in all.match_indices("SharedAccessKey=") {
        assert!(
            all[at + 16..].starts_with("[redacted]"),
            "a hub key is in the zip"
        );
    }
    app.close().await;
}
