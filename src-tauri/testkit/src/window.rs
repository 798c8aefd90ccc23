//! The harness for tests that drive the real app window: tauri-driver → WebKitWebDriver → the
//! `asg-fota` binary, under the Xvfb display that `.ci/test` provides.
//!
//! Each session gets its own HOME, XDG directories and TMPDIR (WebKit and GTK write there), its own log,
//! config and data directories, and a picker script: the file-picker seam returns the paths the
//! test writes into it, since a native dialog cannot be driven reliably.

//! Window tests share one test binary; they take turns (one window at a time) so that two
//! WebKit processes never compete for the two cores of a CI runner.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct AppSession {
    pub client: Client,
    pub dirs: tempfile::TempDir,
    driver: Child,
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
        let driver = Command::new("tauri-driver")
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
            driver,
            _turn: turn,
        }
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
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(Some(value)) = element.attr(name).await {
                    if check(&value) {
                        return value;
                    }
                    last = value;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot("failure").await;
        panic!("{css} [{name}] never reached the expected value (last: {last:?})")
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
    async fn close_keeping_dirs(mut self) -> (tempfile::TempDir, MutexGuard<'static, ()>) {
        let _ = self.client.close().await;
        let _ = Command::new("kill")
            .args(["-TERM", &self.driver.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut ended = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.driver.try_wait() {
                ended = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !ended {
            let _ = self.driver.kill();
            let _ = self.driver.wait();
        }
        // The app may outlive its driver (seen once: orphaned, it kept its single-instance name,
        // so a restart on the same directories handed over to it and never opened a window).
        end_app_of(&self.dirs.path().join("app-config"));
        (self.dirs, self._turn)
    }
}

/// Ends (SIGKILL) every `asg-fota` process started with `ASG_FOTA_CONFIG_DIR=config` — only
/// this session's app — and waits until they are gone.
fn end_app_of(config: &Path) {
    let wanted = format!("ASG_FOTA_CONFIG_DIR={}", config.display()).into_bytes();
    let ours = || -> Vec<String> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
                let exe = std::fs::read_link(e.path().join("exe")).ok()?;
                let name = exe.file_name()?.to_str()?.to_owned();
                if !name.starts_with("asg-fota") || name == "asg-fota-cli" {
                    return None;
                }
                let environ = std::fs::read(e.path().join("environ")).ok()?;
                environ
                    .split(|b| *b == 0)
                    .any(|var| var == wanted.as_slice())
                    .then(|| pid.to_string())
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = ours();
        if left.is_empty() || Instant::now() > deadline {
            return;
        }
        let _ = Command::new("kill").arg("-KILL").args(&left).status();
        std::thread::sleep(Duration::from_millis(100));
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
/// and reads the JSON answer (`null` when there is none).
pub fn sim_send(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the simulator");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    if body.trim().is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_str(body)
        .unwrap_or_else(|error| panic!("{path}: not JSON ({error}): {body:.200}"))
}
