//! The harness for tests that drive the real app window: tauri-driver → WebKitWebDriver → the
//! `asg-fota` binary, under the Xvfb display that `.ci/test` provides.
//!
//! Each session gets its own HOME, XDG directories and TMPDIR (WebKit and GTK write there), its own log,
//! config and data directories, and a picker script: the file-picker seam returns the paths the
//! test writes into it, since a native dialog cannot be driven reliably.

//! Window tests share one test binary; they take turns (one window at a time) so that two
//! WebKit processes never compete for the two cores of a CI runner.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct AppSession {
    pub client: Client,
    // Before `dirs`: fields drop in order, and the app should be gone before its files are.
    driver: Driver,
    pub dirs: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// One app window at a time in this process.
static WINDOW_TURN: Mutex<()> = Mutex::new(());

impl AppSession {
    /// Starts tauri-driver and opens the app binary `app` (the test's
    /// `env!("CARGO_BIN_EXE_asg-fota")`) in a new WebDriver session.
    pub async fn start(app: &str) -> AppSession {
        Self::start_with(app, &[]).await
    }

    /// Like [`AppSession::start`], with extra environment variables for the app (the Demo
    /// tenant's port and timings).
    pub async fn start_with(app: &str, env: &[(&str, String)]) -> AppSession {
        // A test that failed with a window open poisons the lock; the next one may still go.
        let turn = WINDOW_TURN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::start_in(app, tempfile::tempdir().expect("temp dir"), turn, env).await
    }

    /// The app on a Demo tenant of its own (a free port, fast timings, plus `extra` variables),
    /// once step 1 shows its groups; returns the session and the simulator's port (for
    /// `sim_get` / `sim_send`).
    pub async fn start_demo(app: &str, extra: &[(&str, String)]) -> (AppSession, u16) {
        let port = free_port();
        let mut env = vec![
            ("ASG_FOTA_DEMO_PORT", port.to_string()),
            ("ASG_FOTA_DEMO_FAST", "1".to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        let session = Self::start_with(app, &env).await;
        session.wait_for("[data-testid=group-row]").await;
        (session, port)
    }

    /// Ends this session and starts the app `app` again on the same directories (settings,
    /// window state, web storage and logs survive, as across a real restart).
    pub async fn restart(self, app: &str, env: &[(&str, String)]) -> AppSession {
        self.restart_changing(app, env, |_| {}).await
    }

    /// Like [`AppSession::restart`], running `between` (given the session's directory) after
    /// the app has ended and before it starts again: what changed while it was not running.
    pub async fn restart_changing(
        self,
        app: &str,
        env: &[(&str, String)],
        between: impl FnOnce(&Path),
    ) -> AppSession {
        let (dirs, turn) = self.close_keeping_dirs().await;
        between(dirs.path());
        Self::start_in(app, dirs, turn, env).await
    }

    async fn start_in(
        app: &str,
        dirs: tempfile::TempDir,
        turn: MutexGuard<'static, ()>,
        env: &[(&str, String)],
    ) -> AppSession {
        for sub in [
            "home",
            "config",
            "data",
            "cache",
            "state",
            "logs",
            "app-config",
            "app-data",
            "tmp",
        ] {
            std::fs::create_dir_all(dirs.path().join(sub)).expect("create scratch dir");
        }
        if !dirs.path().join("picker.txt").exists() {
            std::fs::write(dirs.path().join("picker.txt"), "").expect("picker script");
        }
        let port = free_port();
        let native_port = free_port();
        let mut driver = Command::new("tauri-driver");
        // Pictures are taken with WebKit's compositing on: with it off (the app's choice without
        // a GPU, src-tauri/src/rendering.rs) WebKitWebDriver's screenshot stopped answering after
        // a few pictures of the Korean walk (2026-12-03; cause in WebKit not found). The pixels
        // are the same either way; the tests without pictures keep the app's own choice.
        if std::env::var_os("ASG_FOTA_SCREENSHOT_DIR").is_some()
            && std::env::var_os("ASG_FOTA_RENDERING").is_none()
        {
            driver.env("ASG_FOTA_RENDERING", "gpu");
        }
        let driver = driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("HOME", dirs.path().join("home"))
            .env("XDG_CONFIG_HOME", dirs.path().join("config"))
            .env("XDG_DATA_HOME", dirs.path().join("data"))
            .env("XDG_CACHE_HOME", dirs.path().join("cache"))
            .env("XDG_STATE_HOME", dirs.path().join("state"))
            .env("TMPDIR", dirs.path().join("tmp"))
            .env("ASG_FOTA_LOG_DIR", dirs.path().join("logs"))
            .env("ASG_FOTA_CONFIG_DIR", dirs.path().join("app-config"))
            .env("ASG_FOTA_DATA_DIR", dirs.path().join("app-data"))
            .env("ASG_FOTA_PICKER_SCRIPT", dirs.path().join("picker.txt"))
            .env("ASG_FOTA_NO_BROWSER", "1")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Its own process group, which WebKitWebDriver and the app inherit: dropping the
            // session can then end all three (see `Driver`).
            .process_group(0)
            .spawn()
            .expect("tauri-driver must be installed (bash .ci/setup --test installs it)");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("tauri:options".into(), json!({ "application": app }));
        // tauri-driver accepts connections before WebKitWebDriver is ready: retry for a while.
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => panic!("could not start a WebDriver session: {error}"),
            }
        };
        AppSession {
            client,
            dirs,
            driver: Driver(driver),
            _turn: turn,
        }
    }

    /// The process id of this session's tauri-driver.
    pub fn driver_pid(&self) -> u32 {
        self.driver.0.id()
    }

    /// What the file picker returns on its next use.
    pub fn set_picked_files(&self, files: &[&Path]) {
        let text: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        std::fs::write(self.dirs.path().join("picker.txt"), text.join("\n"))
            .expect("write picker script");
    }

    /// Waits for a *visible* element (the UI renders asynchronously, and keeps the panels of
    /// other steps in the page, hidden).
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            for element in self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default()
            {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Leave a picture of what the window showed instead, for whoever reads the failure.
        self.screenshot("failure").await;
        let body = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!("{css} did not appear: the page said:\n{body}")
    }

    /// Waits until `css` matches an element, then until `check` holds for its attribute `name`.
    pub async fn wait_attr(&self, css: &str, name: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_value(css, Some(name), check).await
    }

    /// Waits until `css` matches an element whose text `check` accepts; returns the text.
    pub async fn wait_text(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_value(css, None, check).await
    }

    /// The one polling loop of [`AppSession::wait_attr`] (attribute `attr`) and
    /// [`AppSession::wait_text`] (`None`: the element's text).
    async fn wait_value(
        &self,
        css: &str,
        attr: Option<&str>,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                let value = match attr {
                    Some(name) => element.attr(name).await.ok().flatten(),
                    None => element.text().await.ok(),
                };
                if let Some(value) = value {
                    if check(&value) {
                        return value;
                    }
                    last = value;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot("failure").await;
        let what = attr.map_or("text".to_owned(), |a| format!("[{a}]"));
        panic!("{css} {what} never reached the expected value (last: {last:?})")
    }

    /// Replaces the text of an input as a person would: empties it, then types (WebKitWebDriver's
    /// "clear" refuses some inputs, so emptying goes through the page with an `input` event).
    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.wait_for(css).await;
        self.client
            .execute(
                "const e = arguments[0]; e.focus(); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![serde_json::to_value(&input).expect("element as JSON")],
            )
            .await
            .unwrap_or_else(|error| panic!("cannot empty {css}: {error}"));
        if !text.is_empty() {
            if let Err(error) = input.send_keys(text).await {
                self.screenshot("failure").await;
                panic!("cannot type into {css}: {error}");
            }
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("cannot click {css}: {error}"));
    }

    /// Chooses the group `group` of product `product` in step 1. The UI names groups by the
    /// control plane's id (an ARM resource id on the Demo tenant): the row whose id ends in
    /// this product/group (or is the group's own id) is clicked.
    pub async fn choose_group(&self, product: &str, group: &str) {
        let clicked = self
            .client
            .execute(
                "const [product, group] = arguments;
                 const rows = [...document.querySelectorAll('[data-testid=group-row]')];
                 const suffix = ('/products/' + product + '/devicegroups/' + group).toLowerCase();
                 const row = rows.find(r => decodeURIComponent(r.dataset.groupId).toLowerCase().endsWith(suffix)
                                         || r.dataset.groupId.toLowerCase() === group.toLowerCase());
                 if (!row) return null;
                 row.click();
                 return row.dataset.groupId;",
                vec![product.into(), group.into()],
            )
            .await
            .expect("run script");
        assert!(clicked.is_string(), "no row for {product}/{group}");
    }

    /// Saves a PNG of the window when `ASG_FOTA_SCREENSHOT_DIR` is set (used for docs/).
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("ASG_FOTA_SCREENSHOT_DIR") else {
            return;
        };
        // WebKitGTK under Xvfb hands out the last composited frame: let two frames pass so the
        // picture shows what the DOM holds now (without this it lagged one state behind).
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50)));",
                vec![],
            )
            .await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the WebDriver session and stops tauri-driver with SIGTERM (a killed driver leaves
    /// WebKitWebDriver behind, and a piped `cargo test` then hangs).
    pub async fn close(self) {
        drop(self.close_keeping_dirs().await);
    }

    /// Ends the session and hands over its directories (HOME, XDG, logs, config, data), for a
    /// test that searches what the app left behind.
    pub async fn close_keeping_files(self) -> tempfile::TempDir {
        self.close_keeping_dirs().await.0
    }

    /// Ends the session; the directories and the window turn go on to a restart.
    async fn close_keeping_dirs(self) -> (tempfile::TempDir, MutexGuard<'static, ()>) {
        let _ = self.client.close().await;
        drop(self.driver);
        (self.dirs, self._turn)
    }
}

/// tauri-driver, stopped when dropped — by [`AppSession::close`], and also when a test panics
/// with its window open. A session that was never deleted keeps its app running after the
/// driver ends; that orphan then holds the single-instance name on the session bus, and every
/// later app of the run hands over to it and exits (the next window test hangs). So the whole
/// process group goes: tauri-driver, WebKitWebDriver and the app.
struct Driver(Child);

impl Driver {
    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
    }

    /// Whether any process of the group is left (zombies of reaped children do not count).
    fn group_alive(&self) -> bool {
        let group = self.0.id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        entries.flatten().any(|entry| {
            std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|stat| {
                // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'.
                let fields: Vec<&str> = stat
                    .rsplit_once(')')
                    .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
                fields.first().is_some_and(|state| *state != "Z")
                    && fields.get(2) == Some(&group.as_str())
            })
        })
    }
}

impl Drop for Driver {
    /// The driver first, alone, as a graceful close always did (a killed driver leaves
    /// WebKitWebDriver behind, so SIGTERM); then the app gets 5 s to end by itself — after a
    /// deleted session it is already closing and must be left to write its web storage (the
    /// theme choice) — and only what is still there then is stopped: SIGTERM to the group,
    /// SIGKILL 5 s later.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let until = |seconds: u64, done: &mut dyn FnMut() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < deadline {
                if done() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        };
        until(10, &mut || matches!(self.0.try_wait(), Ok(Some(_))));
        if until(5, &mut || !self.group_alive()) {
            let _ = self.0.wait();
            return;
        }
        self.signal_group("-TERM");
        if !until(5, &mut || !self.group_alive()) {
            self.signal_group("-KILL");
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A real fixture package (see [`crate::fixtures`]).
pub fn fixture(name: &str) -> PathBuf {
    let path = crate::fixtures::fixture_path(name);
    path.canonicalize().unwrap_or(path)
}

/// GETs JSON from the simulator's control API over loopback (plain HTTP/1.0, no client crate).
pub fn sim_get(port: u16, path: &str) -> serde_json::Value {
    sim_send(port, "GET", path, None)
}

/// Sends `method` with a JSON `body` to the simulator's control API (`PUT /_sim/holds`, ...)
/// and reads the JSON answer (`null` when there is none). The request goes through
/// [`crate::scenario::control`], the one plain-HTTP path to the simulator.
pub fn sim_send(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    let (_, body) = crate::scenario::control(port, method, path, body);
    if body.trim().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(&body)
        .unwrap_or_else(|error| panic!("{path}: not JSON ({error}): {body:.200}"))
}
