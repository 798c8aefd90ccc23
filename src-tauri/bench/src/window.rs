//! The real window, driven through WebDriver (tauri-driver → WebKitWebDriver → the binary) under
//! the Xvfb display `.ci/bench` provides: cold start against the bare Tauri window, and step 5's
//! 10,000-row gateway table.
//!
//! WebDriver is plain JSON over HTTP, spoken here with reqwest. Every session gets its own HOME
//! and XDG directories, so WebKit caches and the app's settings never carry over between runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use crate::memory;
use crate::report::{median, ColdStart, Interaction, Measured, NotMeasured, WindowFigure};
use crate::RunArgs;

/// The step-1 marker of the app and the bare window's marker.
pub(crate) const APP_MARKER: &str = "[data-testid=group-row]";
const BARE_MARKER: &str = "[data-testid=bare-marker]";

/// tauri-driver with a scratch HOME.
pub(crate) struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    _scratch: Scratch,
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Driver {
    pub(crate) fn start(extra_env: &[(&str, &str)]) -> anyhow::Result<Driver> {
        let scratch = std::env::temp_dir().join(format!(
            "asg-fota-bench-window-{}-{}",
            std::process::id(),
            free_port()?
        ));
        for sub in [
            "home",
            "config",
            "data",
            "cache",
            "state",
            "logs",
            "app-config",
            "app-data",
        ] {
            std::fs::create_dir_all(scratch.join(sub))?;
        }
        let port = free_port()?;
        let native_port = free_port()?;
        let mut command = Command::new("tauri-driver");
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("HOME", scratch.join("home"))
            .env("XDG_CONFIG_HOME", scratch.join("config"))
            .env("XDG_DATA_HOME", scratch.join("data"))
            .env("XDG_CACHE_HOME", scratch.join("cache"))
            .env("XDG_STATE_HOME", scratch.join("state"))
            .env("ASG_FOTA_LOG_DIR", scratch.join("logs"))
            .env("ASG_FOTA_CONFIG_DIR", scratch.join("app-config"))
            .env("ASG_FOTA_DATA_DIR", scratch.join("app-data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .context("tauri-driver must be installed (bash .ci/setup --test installs it)")?;
        Ok(Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder().no_proxy().build()?,
            _scratch: Scratch(scratch),
        })
    }

    /// Opens a session on `app` once the driver is ready (it gets 30 s to start).
    pub(crate) async fn session(&self, app: &Path) -> anyhow::Result<String> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.try_session(app).await? {
                return Ok(s);
            }
            if Instant::now() > deadline {
                bail!("tauri-driver gave no session");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Opens a session on `app`; `None` while the driver is not ready yet.
    pub(crate) async fn try_session(&self, app: &Path) -> anyhow::Result<Option<String>> {
        let body =
            json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app}}}});
        let resp = match self
            .http
            .post(format!("{}/session", self.url))
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(_) => return Ok(None),
        };
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        Ok(value["value"]["sessionId"].as_str().map(str::to_owned))
    }

    pub(crate) async fn post(
        &self,
        session: &str,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let value: Value = self
            .http
            .post(format!("{}/session/{session}/{path}", self.url))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        if value["value"]["error"].is_string() {
            bail!("WebDriver {path}: {}", value["value"]["message"]);
        }
        Ok(value["value"].clone())
    }

    pub(crate) async fn count(&self, session: &str, css: &str) -> anyhow::Result<usize> {
        let found = self
            .post(
                session,
                "elements",
                json!({"using": "css selector", "value": css}),
            )
            .await?;
        Ok(found.as_array().map_or(0, Vec::len))
    }

    /// Runs an asynchronous script; it calls `done(value)` (the last argument) when finished.
    pub(crate) async fn script(&self, session: &str, script: &str) -> anyhow::Result<Value> {
        self.post(
            session,
            "execute/async",
            json!({"script": script, "args": []}),
        )
        .await
    }

    pub(crate) async fn end(&self, session: &str) {
        let _ = self
            .http
            .delete(format!("{}/session/{session}", self.url))
            .send()
            .await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: a killed tauri-driver leaves WebKitWebDriver behind.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Samples the summed resident memory of the process tree under `exe` every 20 ms.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(driver_pid: u32, exe: &Path) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let exe = exe.to_path_buf();
        let thread = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                let mut app = None;
                while !stop.load(Ordering::Relaxed) {
                    if app.is_none() {
                        app = memory::find_below(driver_pid, &exe);
                    }
                    if let Some(pid) = app {
                        peak.fetch_max(memory::tree_resident(pid), Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Sampler {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// One cold start.
struct Start {
    /// From the new-session request to the marker present.
    seconds: f64,
    /// Of which inside the page: from its time origin (navigation start) to the marker seen, and
    /// to `DOMContentLoaded` (the page's scripts and modules loaded).
    page_s: f64,
    dom_ready_s: f64,
    peak: u64,
}

/// Two cold starts of `app` on one scratch data directory (the driver's): the first ever, then
/// the second, which finds what the first saved (the app's group list; WebKit's caches).
async fn two_starts(app: &Path, marker: &str) -> anyhow::Result<(Start, Start)> {
    let driver = Driver::start(&[])?;
    let first = one_start(&driver, app, marker).await?;
    // The first process must be gone before the second starts: the memory sampler looks for the
    // binary under the driver, and the second start must not overlap the first's exit.
    let deadline = Instant::now() + Duration::from_secs(15);
    while memory::find_below(driver.child.id(), app).is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = one_start(&driver, app, marker).await?;
    Ok((first, second))
}

/// One cold start: time from the new-session request to `marker` present, and peak memory.
async fn one_start(driver: &Driver, app: &Path, marker: &str) -> anyhow::Result<Start> {
    // tauri-driver listens before WebKitWebDriver is ready: a refused session costs no app
    // start, so the clock restarts with each attempt.
    let deadline = Instant::now() + Duration::from_secs(30);
    tokio::time::sleep(Duration::from_millis(500)).await;
    loop {
        let sampler = Sampler::start(driver.child.id(), app);
        let started = Instant::now();
        let Some(session) = driver.try_session(app).await? else {
            sampler.finish();
            if Instant::now() > deadline {
                bail!("tauri-driver gave no session for {}", app.display());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        };
        let shown = loop {
            if driver.count(&session, marker).await? > 0 {
                break started.elapsed().as_secs_f64();
            }
            if started.elapsed() > Duration::from_secs(30) {
                driver.end(&session).await;
                sampler.finish();
                bail!("{marker} did not appear within 30 s in {}", app.display());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let page = driver
            .script(
                &session,
                "const nav = performance.getEntriesByType('navigation')[0];
                 arguments[arguments.length - 1]([performance.now(), nav ? nav.domContentLoadedEventEnd : -1]);",
            )
            .await?;
        let page_ms = |i: usize| page[i].as_f64().unwrap_or(f64::NAN) / 1e3;
        if std::env::var_os("BENCH_TRACE").is_some() {
            // Diagnostics: every resource the page fetched (IPC calls included) with its timing,
            // and the marks the app sets on its way to the first paint (`ui/js/app.js`).
            let entries = driver
                .script(
                    &session,
                    "arguments[arguments.length - 1](performance.getEntriesByType('resource')
                       .map((e) => `${e.startTime.toFixed(0)}+${e.duration.toFixed(0)} ${e.name}`)
                       .concat(performance.getEntriesByType('mark').map((e) => `${e.startTime.toFixed(0)} mark ${e.name}`)));",
                )
                .await?;
            println!("trace {}: {entries:#}", app.display());
        }
        // The same settling time for both, so a late allocation burst is seen in both.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let peak = sampler.finish();
        driver.end(&session).await;
        if peak == 0 {
            bail!("no process of {} was found to measure", app.display());
        }
        return Ok(Start {
            seconds: shown,
            page_s: page_ms(0),
            dom_ready_s: page_ms(1),
            peak,
        });
    }
}

/// Cold start of the app against the bare window, `runs` times each, alternating; each run
/// starts each binary twice on the same data directory.
pub async fn cold_start(args: &RunArgs) -> Measured<ColdStart> {
    cold_start_inner(args)
        .await
        .map_err(|e| NotMeasured(format!("{e:#}")))
}

async fn cold_start_inner(args: &RunArgs) -> anyhow::Result<ColdStart> {
    let app = args
        .app
        .as_ref()
        .ok_or_else(|| anyhow!("no --app binary"))?;
    let bare = args
        .bare
        .as_ref()
        .ok_or_else(|| anyhow!("no --bare binary"))?;
    let (mut first, mut second) = (Pair::default(), Pair::default());
    for i in 0..args.runs {
        let (b1, b2) = two_starts(bare, BARE_MARKER).await?;
        let (a1, a2) = two_starts(app, APP_MARKER).await?;
        for (name, a, b) in [("first", &a1, &b1), ("second", &a2, &b2)] {
            println!(
                "cold start {} ({name}): app {:.0} ms (page {:.0} ms, DOM ready {:.0} ms) {}, bare {:.0} ms (page {:.0} ms, DOM ready {:.0} ms) {}",
                i + 1,
                a.seconds * 1e3,
                a.page_s * 1e3,
                a.dom_ready_s * 1e3,
                memory::mib(a.peak),
                b.seconds * 1e3,
                b.page_s * 1e3,
                b.dom_ready_s * 1e3,
                memory::mib(b.peak)
            );
        }
        first.app.push(a1);
        first.bare.push(b1);
        second.app.push(a2);
        second.bare.push(b2);
    }
    Ok(ColdStart {
        second: second.figure(),
        first: first.figure(),
    })
}

/// The starts of one kind (first or second) of both binaries.
#[derive(Default)]
struct Pair {
    app: Vec<Start>,
    bare: Vec<Start>,
}

impl Pair {
    fn figure(&self) -> WindowFigure {
        let med =
            |runs: &[Start], f: fn(&Start) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        WindowFigure {
            app_s: med(&self.app, |s| s.seconds),
            bare_s: med(&self.bare, |s| s.seconds),
            app_page_s: med(&self.app, |s| s.page_s),
            bare_page_s: med(&self.bare, |s| s.page_s),
            app_dom_ready_s: med(&self.app, |s| s.dom_ready_s),
            bare_dom_ready_s: med(&self.bare, |s| s.dom_ready_s),
            app_peak: med(&self.app, |s| s.peak as f64) as u64,
            bare_peak: med(&self.bare, |s| s.peak as f64) as u64,
            app_runs: self.app.iter().map(|s| s.seconds).collect(),
            bare_runs: self.bare.iter().map(|s| s.seconds).collect(),
        }
    }
}

/// Times `action` (JavaScript) until the frame after it has been painted, in milliseconds.
pub(crate) fn timed(action: &str) -> String {
    format!(
        "const done = arguments[arguments.length - 1];
         const t0 = performance.now();
         Promise.resolve().then(async () => {{ {action} }})
           .then(() => requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0)))
           .catch((e) => done('error: ' + e));"
    )
}

/// Rows in the table benchmark's group: the demo fleet of 50,000 gateways over five groups.
const ROWS: usize = 10_000;

/// How many rows `table` lists after its filter (its `count` expression, read after a frame).
async fn listed(
    driver: &Driver,
    session: &str,
    table: &TableUnderTest<'_>,
) -> anyhow::Result<usize> {
    let value = driver
        .script(
            session,
            &format!(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => done(String({})));",
                table.count
            ),
        )
        .await?;
    let text = value.as_str().unwrap_or_default();
    text.parse()
        .with_context(|| format!("the table says it lists {text:?} rows"))
}

/// The rows the windowed table has built: device ids in order and the first and last
/// `aria-rowindex` (the header is row 1, the first gateway row 2).
#[derive(Debug)]
struct Rendered {
    ids: Vec<String>,
    first_index: usize,
    last_index: usize,
}

async fn rendered(
    driver: &Driver,
    session: &str,
    table: &TableUnderTest<'_>,
) -> anyhow::Result<Rendered> {
    let v = driver
        .script(
            session,
            &format!(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => {{
                   const rows = [...document.querySelectorAll({row:?})];
                   const index = rows.map((r) => Number(r.getAttribute('aria-rowindex')));
                   done({{ ids: rows.map((r) => r.getAttribute({id:?})),
                          first: Math.min(...index), last: Math.max(...index) }});
                 }});",
                row = table.row,
                id = table.id_attr
            ),
        )
        .await?;
    let ids = v["ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let index = |k: &str| v[k].as_f64().filter(|f| f.is_finite()).unwrap_or(0.0) as usize;
    Ok(Rendered {
        ids,
        first_index: index("first"),
        last_index: index("last"),
    })
}

/// The gateway table: open step 5 on the biggest group, filter, scroll.
pub async fn table(args: &RunArgs) -> Measured<Vec<Interaction>> {
    table_inner(args)
        .await
        .map_err(|e| NotMeasured(format!("{e:#}")))
}

async fn table_inner(args: &RunArgs) -> anyhow::Result<Vec<Interaction>> {
    let app = args
        .app
        .as_ref()
        .ok_or_else(|| anyhow!("no --app binary"))?;
    // The demo fleet is dealt round-robin over five groups: 50,000 gateways give 10,000 rows in
    // each group's table.
    let driver = Driver::start(&[("ASG_FOTA_DEMO_GATEWAYS", "50000")])?;
    let session = driver.session(app).await?;
    let result = table_steps(&driver, &session).await;
    driver.end(&session).await;
    result
}

async fn table_steps(driver: &Driver, session: &str) -> anyhow::Result<Vec<Interaction>> {
    // Loading 10,000 gateways may take longer than WebDriver's default 30 s script timeout.
    driver
        .post(session, "timeouts", json!({"script": 180_000}))
        .await?;
    let result = table_interactions(driver, session).await;
    if result.is_err() {
        let page = driver
            .script(
                session,
                "arguments[arguments.length - 1](document.body.innerText.slice(0, 400));",
            )
            .await
            .unwrap_or_default();
        println!("table: the window showed: {page}");
    }
    result
}

async fn table_interactions(driver: &Driver, session: &str) -> anyhow::Result<Vec<Interaction>> {
    wait_for_step1(driver, session).await?;
    let mut out = Vec::new();
    let mut measure = recorder("table", &mut out);
    // Choose the group with the most devices, then open step 5 and wait for its rows.
    driver
        .script(
            session,
            "const done = arguments[arguments.length - 1];
             const rows = [...document.querySelectorAll('[data-testid=group-row]')];
             rows.sort((a, b) => (parseInt(b.textContent.replace(/\\D+/g, ' ').split(' ').filter(Boolean).pop()) || 0)
                              - (parseInt(a.textContent.replace(/\\D+/g, ' ').split(' ').filter(Boolean).pop()) || 0));
             rows[0].click(); done(rows.length);",
        )
        .await?;
    let open = driver
        .script(
            session,
            &timed(
                "document.querySelector('[data-testid=step-link-5]').click();
                 const t = performance.now();
                 while (!document.querySelector('[data-testid=gateway-row]')) {
                   if (performance.now() - t > 170000) throw new Error('no gateway-row');
                   await new Promise((r) => setTimeout(r, 1));
                 }",
            ),
        )
        .await?;
    measure("open step 5 (gateways_list + first render)", open)?;
    let table = TableUnderTest {
        input: "[data-testid=gateway-filter] input, input[data-testid=gateway-filter]",
        row: "[data-testid=gateway-row]",
        id_attr: "data-device-id",
        // The count step 5's "Select all (n)" button names.
        count: "(document.querySelector('[data-testid=select-all]') || { textContent: '' }).textContent.split('(').pop().replace(/\\D/g, '')",
        rows: ROWS,
    };
    filter_and_scroll(driver, session, &table, &mut measure).await?;
    drop(measure);
    Ok(out)
}

/// A windowed table under test: its filter box and rows (CSS), the attribute holding a row's
/// device id, a JavaScript expression giving how many rows it lists after its filter, and how
/// many it lists unfiltered.
pub(crate) struct TableUnderTest<'a> {
    pub input: &'a str,
    pub row: &'a str,
    pub id_attr: &'a str,
    pub count: &'a str,
    pub rows: usize,
}

/// The interactions every windowed table is timed on, each checked: the table lists
/// `table.rows`; typing "a" then "ab" in its filter narrows the rows, a whole device id to
/// exactly its own row, and clearing brings all back; scrolling one page down, to the middle and
/// to the end each builds rows further down, the last one at the end; then the floor again. The
/// floor (an empty action: one painted frame) is measured first. Each figure goes to `measure`;
/// a check that fails stops the run (a fast wrong answer is no figure).
pub(crate) async fn filter_and_scroll(
    driver: &Driver,
    session: &str,
    table: &TableUnderTest<'_>,
    measure: &mut impl FnMut(&str, Value) -> anyhow::Result<f64>,
) -> anyhow::Result<()> {
    let rows = table.rows;
    let total = listed(driver, session, table).await?;
    if total != rows {
        bail!("the table lists {total} rows, not {rows}");
    }
    let first = rendered(driver, session, table).await?;
    if first.ids.is_empty() || first.first_index != 2 {
        bail!("the table shows no rows from the top: {first:?}");
    }
    // The floor: an empty action still waits for one painted frame. Measured after the table
    // has settled (a second after it appeared) and again at the end.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let v = driver.script(session, &timed("")).await?;
    measure("nothing (one painted frame: the floor)", v)?;
    let filter = |text: &str| {
        timed(&format!(
            "const box = document.querySelector({input:?});
             box.value = {text:?};
             box.dispatchEvent(new Event('input', {{ bubbles: true }}));",
            input = table.input
        ))
    };
    let v = driver.script(session, &filter("a")).await?;
    measure("filter: type one character", v)?;
    let one = listed(driver, session, table).await?;
    let v = driver.script(session, &filter("ab")).await?;
    measure("filter: type a second character", v)?;
    let two = listed(driver, session, table).await?;
    // Device ids are 128 hex digits, so "a" keeps nearly every row and "ab" fewer; the exact
    // count is checked with a whole device id, which only its own row can match.
    if !(0 < two && two <= one && one <= rows) {
        bail!("filtering by \"a\" then \"ab\" left {one} then {two} of {rows} rows");
    }
    let id = first.ids[0].clone();
    let v = driver.script(session, &filter(&id)).await?;
    measure("filter: paste a whole device id", v)?;
    let only = rendered(driver, session, table).await?;
    let count = listed(driver, session, table).await?;
    if count != 1 || !only.ids.iter().all(|i| i.eq_ignore_ascii_case(&id)) || only.ids.len() != 1 {
        bail!(
            "filtering by device {id} left {count} rows, showing {:?}",
            only.ids
        );
    }
    let v = driver.script(session, &filter("")).await?;
    measure("filter: clear (all rows back)", v)?;
    let back = listed(driver, session, table).await?;
    if back != rows {
        bail!("clearing the filter brought back {back} rows, not {rows}");
    }
    println!("{rows} rows; \"a\" keeps {one}, \"ab\" {two}, a device id 1");
    let scroll = |to: &str| {
        timed(&format!(
            "let s = document.querySelector({row:?}).parentElement;
             while (s && s.scrollHeight <= s.clientHeight + 1) s = s.parentElement;
             if (!s) throw new Error('no scrolling container');
             s.scrollTop = {to};
             await new Promise((r) => requestAnimationFrame(r));",
            row = table.row
        ))
    };
    // Each scroll must show rows further down that were not built before.
    let mut seen = rendered(driver, session, table).await?;
    for (name, to) in [
        ("scroll one page down", "s.scrollTop + s.clientHeight"),
        ("scroll to the middle", "s.scrollHeight / 2"),
        ("scroll to the end", "s.scrollHeight"),
    ] {
        let v = driver.script(session, &scroll(to)).await?;
        measure(name, v)?;
        let now = rendered(driver, session, table).await?;
        let new_rows = now.ids.iter().filter(|id| !seen.ids.contains(id)).count();
        if now.last_index <= seen.last_index || new_rows == 0 {
            bail!("{name}: the rows did not move on ({seen:?} → {now:?})");
        }
        seen = now;
    }
    // The table draws on the animation frame after the scroll event, which may come after the
    // frame `rendered` waits for: give the last row a moment to be built.
    for _ in 0..20 {
        if seen.last_index == rows + 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = rendered(driver, session, table).await?;
    }
    if seen.last_index != rows + 1 {
        bail!(
            "scrolled to the end, the last row shown is row {} of {rows}",
            seen.last_index - 1
        );
    }
    let v = driver.script(session, &timed("")).await?;
    measure("nothing again (the floor at the end)", v)?;
    Ok(())
}

/// Waits until the window shows step 1's groups (the app is up and signed in to the Demo tenant).
pub(crate) async fn wait_for_step1(driver: &Driver, session: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    while driver.count(session, APP_MARKER).await? == 0 {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("step 1 never showed a group-row");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Records each timed interaction into `out` (and prints it under `label`).
pub(crate) fn recorder<'a>(
    label: &'a str,
    out: &'a mut Vec<Interaction>,
) -> impl FnMut(&str, Value) -> anyhow::Result<f64> + 'a {
    move |name: &str, value: Value| {
        let ms = value
            .as_f64()
            .ok_or_else(|| anyhow!("{name}: the window answered {value}"))?;
        println!("{label}: {name}: {ms:.1} ms");
        out.push(Interaction {
            name: name.to_owned(),
            ms,
        });
        Ok(ms)
    }
}
