//! End-to-end tests of the real app window, driven through WebDriver.
//!
//! They need an X display and tauri-driver, so they are ignored in a plain `cargo test`;
//! `bash .ci/test` runs them under Xvfb with `--include-ignored`.

use crate::harness::{fixture, AppSession};
use crate::APP;

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn step2_shows_the_identity_of_a_picked_package_and_the_reason_for_a_damaged_one() {
    let app = AppSession::start(APP).await;
    let damaged = app.dirs.path().join("damaged.imagepackage");
    std::fs::write(&damaged, b"not an image package at all").expect("write damaged file");
    let good = fixture("hl_azure_sphere_blink.imagepackage");
    app.set_picked_files(&[&good, &damaged]);

    app.click("[data-testid=step-link-2]").await;
    app.click("[data-testid=add-packages]").await;

    let row = app
        .wait_for(&format!(
            "[data-testid=package-row][data-file='{}']",
            good.display()
        ))
        .await;
    // The row appears while the file is being read; its identity fills in when the read ends.
    let image_id = app
        .wait_for(&format!(
            "[data-testid=package-row][data-file='{}'] [data-testid=image-id]",
            good.display()
        ))
        .await;
    assert_eq!(
        image_id.text().await.expect("text").trim(),
        "6415a939-c098-48cf-8e5c-02b52a9f0ffb"
    );
    let kind = row
        .find(fantoccini::Locator::Css("[data-testid=package-kind]"))
        .await
        .expect("kind cell");
    assert!(!kind.text().await.expect("text").trim().is_empty());

    let bad_row = app
        .wait_for(&format!(
            "[data-testid=package-row][data-file='{}']",
            damaged.display()
        ))
        .await;
    let reason = bad_row
        .find(fantoccini::Locator::Css("[data-testid=package-error]"))
        .await
        .expect("error cell");
    assert!(
        !reason.text().await.expect("text").trim().is_empty(),
        "a damaged file must show its reason"
    );
    app.screenshot("step2-en").await;
    app.close().await;
}

/// The harness itself: a test that panics with its window open must not leave tauri-driver
/// (and with it WebKitWebDriver and the app) running — a piped `cargo test` then never ends.
#[test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
fn a_test_that_panics_with_its_window_open_leaves_no_driver_behind() {
    let (pid_tx, pid_rx) = std::sync::mpsc::channel();
    let failed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let app = AppSession::start(APP).await;
            pid_tx.send(app.driver_pid()).expect("send pid");
            app.wait_for("[data-testid=step-link-1]").await;
            panic!("on purpose, with the window open");
        })
    })
    .join();
    assert!(failed.is_err(), "the thread should have panicked");
    let pid = pid_rx.recv().expect("the session started");
    // Reaped, not just killed: a zombie would still have its /proc entry.
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "tauri-driver {pid} is still there after the panic"
    );
}
