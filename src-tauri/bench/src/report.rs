//! The figures and `docs/benchmarks.md`: per section the run it comes from (date, commit,
//! machine, repetitions), and per figure the measurement, its limit, the ratio and PASS/MISS.
//! Written after every benchmark so a run stopped half-way still leaves what it measured. A run
//! replaces only the sections it measured: the others are kept byte for byte with their own run
//! line (`--only upload` leaves the table's figures of an earlier run in place), a section not in
//! the file yet is added, and the hand-written analysis is appended anew.

use std::fmt::Write as _;
use std::path::Path;

use crate::memory::mib;

/// The hand-written analysis appended to the report (relative to the repository root, where
/// `.ci/bench` runs).
const ANALYSIS: &str = "src-tauri/bench/analysis.md";

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub struct UploadFigure {
    pub label: &'static str,
    pub plane: &'static str,
    pub file_bytes: u64,
    pub client_s: f64,
    pub curl_s: f64,
    /// The whole `upload_image` call (with the processing wait).
    pub client_total_s: f64,
    pub peak_growth: u64,
    pub client_runs: Vec<f64>,
    pub curl_runs: Vec<f64>,
}

pub struct ListingFigure {
    pub plane: &'static str,
    pub pages: usize,
    pub seconds: f64,
    pub floor: f64,
    /// The same pages walked with plain reqwest (simulator + HTTP alone).
    pub raw: f64,
    pub runs: Vec<f64>,
}

pub struct FanoutFigure {
    pub plane: &'static str,
    pub gateways: usize,
    pub concurrency: usize,
    pub seconds: f64,
    pub ideal: f64,
    pub peak_growth: u64,
    /// Write-ahead intent lines written (each fsynced before its request).
    pub intents: usize,
}

/// Cold start, twice on the same data directory: the second start (step 1 drawn from the group
/// list saved by the first — what a person sees every day, and what the goal is about) and the
/// first start ever (nothing saved: step 1 waits for the tenant).
pub struct ColdStart {
    pub second: WindowFigure,
    pub first: WindowFigure,
}

/// One kind of start: medians of the app and of the bare window.
pub struct WindowFigure {
    pub app_s: f64,
    pub bare_s: f64,
    /// Inside the page: from its time origin to the marker, and to `DOMContentLoaded`.
    pub app_page_s: f64,
    pub bare_page_s: f64,
    pub app_dom_ready_s: f64,
    pub bare_dom_ready_s: f64,
    pub app_peak: u64,
    pub bare_peak: u64,
    pub app_runs: Vec<f64>,
    pub bare_runs: Vec<f64>,
}

/// One timed interaction in the real window.
pub struct Interaction {
    pub name: String,
    pub ms: f64,
}

/// Why a figure could not be measured (a missing binary, a bundler that needs the network, a
/// window that never showed its marker). The report prints it in place of the figure.
#[derive(Debug, Clone)]
pub struct NotMeasured(pub String);

impl std::fmt::Display for NotMeasured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A figure, or why there is none.
pub type Measured<T> = Result<T, NotMeasured>;

pub struct SizeFigure {
    /// `(what, bytes or why not measured)`.
    pub binaries: Vec<(String, Measured<u64>)>,
    pub bundles: Vec<(String, Measured<u64>)>,
    /// `(package, installed bytes or why not measured)`.
    pub installed: Vec<(String, Measured<u64>)>,
}

/// `asg-fota-cli compliance --json` over 10,000 gateways, timed per plane (issue 14): what the
/// CLI's ignored benchmark test printed, read back from its output.
pub struct ComplianceFigure {
    /// The profile cargo built the test in (`release`, or `test` = debug), from its output.
    pub build: String,
    pub plane: String,
    pub runs: Vec<f64>,
    pub json_kib: u64,
}

pub struct Report {
    runs: usize,
    /// The binaries measured, named in each section's run line (`app target/debug/asg-fota`).
    pub binaries: String,
    pub upload: Option<Vec<UploadFigure>>,
    pub listing: Option<Vec<ListingFigure>>,
    pub fanout: Option<Vec<FanoutFigure>>,
    pub window: Option<Measured<ColdStart>>,
    pub table: Option<Measured<Vec<Interaction>>>,
    /// The Fleet screen's drill-down table (issue 14).
    pub fleet: Option<Measured<Vec<Interaction>>>,
    pub size: Option<SizeFigure>,
    pub compliance: Option<Measured<Vec<ComplianceFigure>>>,
}

/// What an interaction's time is held to: opening a screen is a read of the tenant (a load, whose
/// time grows with the fleet and the network), reported for scale; every other interaction with a
/// table must answer within 100 ms.
fn interaction_verdict(interaction: &Interaction) -> &'static str {
    if interaction.name.starts_with("open ") {
        "– (a read, for scale)"
    } else {
        verdict(interaction.ms < 100.0)
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "**MISS**"
    }
}

fn command(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// CPU model, cores, RAM and OS.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown OS".into());
    format!(
        "{cpu}, {cores} cores, {:.1} GiB RAM, {os}, kernel {}",
        ram_kib as f64 / 1024.0 / 1024.0,
        command("uname", &["-r"])
    )
}

impl Report {
    pub fn new(runs: usize) -> Report {
        Report {
            runs,
            binaries: String::new(),
            upload: None,
            listing: None,
            fanout: None,
            window: None,
            table: None,
            fleet: None,
            size: None,
            compliance: None,
        }
    }

    /// Writes the sections this run measured into `out`, keeping the others (see the module doc).
    pub fn write(&self, out: &Path) -> anyhow::Result<()> {
        let old = std::fs::read_to_string(out).unwrap_or_default();
        let fresh = self.sections(&run_line(self.runs, &self.binaries))?;
        // The analysis of misses is written by a person after reading a run's figures; it is read
        // at run time so that rewriting it needs no rebuild.
        let analysis = std::fs::read_to_string(ANALYSIS)
            .unwrap_or_else(|e| format!("## Analysis\n\n(not found: {ANALYSIS}: {e})\n"));
        let md = merge(&old, &header(), &fresh, &analysis);
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(out, md)?;
        Ok(())
    }

    /// The sections this run measured, each opening with its heading and then `run`.
    fn sections(&self, run: &str) -> Result<Vec<String>, std::fmt::Error> {
        type Render = fn(&Report, &mut String) -> std::fmt::Result;
        let renders: [Render; 8] = [
            Report::render_upload,
            Report::render_listing,
            Report::render_fanout,
            Report::render_window,
            Report::render_table,
            Report::render_fleet,
            Report::render_compliance,
            Report::render_size,
        ];
        let mut out = Vec::new();
        for render in renders {
            let mut md = String::new();
            render(self, &mut md)?;
            if let Some((heading, rest)) = md.split_once('\n') {
                out.push(format!("{heading}\n\n{run}{rest}"));
            }
        }
        Ok(out)
    }

    fn render_upload(&self, md: &mut String) -> std::fmt::Result {
        let Some(figures) = &self.upload else {
            return Ok(());
        };
        writeln!(md, "## Upload\n")?;
        writeln!(
            md,
            "`ControlPlane::upload_image` (sign-in and connection warm) against `curl \
             --data-binary @file` with a valid token, each on a fresh simulator. The goal's figure \
             is the **request**: from the call to the service's answer to the upload request \
             (client: the time the simulator journaled its answer; curl: `time_total`, without \
             `Expect: 100-continue`, which the client does not send either). \
             **End-to-end** adds what the client then does and curl does not: wait for the \
             service to process the image (operation or LRO polls, 5 ms apart here, and one image \
             read). Every upload counts only if the simulator then holds the image with the \
             file's exact length and SHA-256 (hashed by the simulator over the bytes it \
             received). Goal: ≤ 1.2×; the client's peak resident memory must not grow by more \
             than the file.\n"
        )?;
        writeln!(
            md,
            "| package | plane | request: client | curl | ratio | goal | end-to-end client | peak RSS growth | ≤ file |"
        )?;
        writeln!(md, "|---|---|---|---|---|---|---|---|---|")?;
        for f in figures {
            let ratio = f.client_s / f.curl_s;
            writeln!(
                md,
                "| {} | {} | {:.1} ms | {:.1} ms | {:.2}× | {} | {:.1} ms | {} | {} |",
                f.label,
                f.plane,
                f.client_s * 1e3,
                f.curl_s * 1e3,
                ratio,
                verdict(ratio <= 1.2),
                f.client_total_s * 1e3,
                mib(f.peak_growth),
                verdict(f.peak_growth <= f.file_bytes)
            )?;
        }
        writeln!(md, "\nRuns (client / curl, ms):\n")?;
        for f in figures {
            writeln!(
                md,
                "- {} {}: {} / {}",
                f.label,
                f.plane,
                list_ms(&f.client_runs),
                list_ms(&f.curl_runs)
            )?;
        }
        writeln!(md)
    }

    fn render_listing(&self, md: &mut String) -> std::fmt::Result {
        let Some(figures) = &self.listing else {
            return Ok(());
        };
        writeln!(md, "## Listing\n")?;
        writeln!(
            md,
            "`ControlPlane::devices` over one group of 10,000 gateways in pages of 100, with a \
             20 ms `latency` fault on the device list path, against the sum of the page \
             latencies. Beside it, the same pages walked with plain reqwest (generic JSON, \
             nothing else): what the simulator and HTTP alone cost here. Goal: ≤ 1.1×.\n"
        )?;
        writeln!(
            md,
            "| plane | pages | measured | sum of latencies | ratio | goal | raw HTTP walk (ratio) |"
        )?;
        writeln!(md, "|---|---|---|---|---|---|---|")?;
        for f in figures {
            let ratio = f.seconds / f.floor;
            writeln!(
                md,
                "| {} | {} | {:.3} s | {:.1} s | {:.3}× | {} | {:.3} s ({:.3}×) |",
                f.plane,
                f.pages,
                f.seconds,
                f.floor,
                ratio,
                verdict(ratio <= 1.1),
                f.raw,
                f.raw / f.floor
            )?;
        }
        writeln!(md, "\nRuns (s):\n")?;
        for f in figures {
            let runs: Vec<String> = f.runs.iter().map(|r| format!("{r:.3}")).collect();
            writeln!(md, "- {}: {}", f.plane, runs.join(", "))?;
        }
        writeln!(md)
    }

    fn render_fanout(&self, md: &mut String) -> std::fmt::Result {
        let Some(figures) = &self.fanout else {
            return Ok(());
        };
        writeln!(md, "## Fan-out (update now)\n")?;
        writeln!(
            md,
            "`Rollout::run` on the 1,000 gateways of a group, 50 ms latency on every API call, a \
             2 s restart, poll interval 100 ms. Ideal = ceil(N / concurrency) × (k × 50 ms + \
             2 s) with k = 5 sequential calls per gateway (twin read, device read, restart \
             method, device read seeing the check-in, twin read seeing the versions). One run per \
             plane. The run is registered and journaled as in the app: an intent line fsynced \
             before every move and restart (write-ahead), the outcome after it; the journal lives \
             in the temporary directory. Goal: ≤ 1.2×, memory growth a small constant per \
             gateway.\n"
        )?;
        writeln!(
            md,
            "| plane | gateways | concurrency | measured | ideal | ratio | goal | peak RSS growth | per gateway | fsynced intents |"
        )?;
        writeln!(md, "|---|---|---|---|---|---|---|---|---|---|")?;
        for f in figures {
            let ratio = f.seconds / f.ideal;
            writeln!(
                md,
                "| {} | {} | {} | {:.1} s | {:.1} s | {:.3}× | {} | {} | {} B | {} |",
                f.plane,
                f.gateways,
                f.concurrency,
                f.seconds,
                f.ideal,
                ratio,
                verdict(ratio <= 1.2),
                mib(f.peak_growth),
                f.peak_growth / f.gateways as u64,
                f.intents
            )?;
        }
        writeln!(md)
    }

    fn render_window(&self, md: &mut String) -> std::fmt::Result {
        let Some(window) = &self.window else {
            return Ok(());
        };
        writeln!(md, "## Cold start\n")?;
        writeln!(
            md,
            "From the WebDriver new-session request (which launches the binary) to \
             `[data-testid=group-row]` present (the Demo tenant's groups in step 1), against the \
             bare Tauri 2 window (`src-tauri/bench/bare-window`, same release profile) to its \
             marker element; peak resident memory of the app's whole process tree (app + \
             WebKitWebProcess + WebKitNetworkProcess, sampled every 20 ms, shared pages counted \
             per process). Release builds under Xvfb through tauri-driver. Goal: ≤ 1.25× on both.\n"
        )?;
        writeln!(
            md,
            "Each run starts both binaries twice on one scratch data directory: the **second \
             start** is the everyday one — step 1 is drawn at once from the group list the first \
             start saved (`group-cache/`, marked \"as of\", refreshed in place when the tenant \
             answers); this is what the goal is about. The **first start ever** has nothing \
             saved: step 1 waits for the Demo tenant to start, sign in and list its groups (≈ 15 \
             requests). The bare window is started twice the same way, so both sides have the same \
             warm WebKit and font caches. Without a GPU render node (this machine) the app turns \
             WebKitGTK's compositing off and draws on the CPU (`src-tauri/src/rendering.rs`); the \
             bare window keeps WebKit's default. Single app starts now and then take ≈ 0.5 s \
             longer before the page exists (between the app's set-up and the page's navigation \
             start); the runs are listed below each table: see the analysis.\n"
        )?;
        match window {
            Err(why) => writeln!(md, "Not measured: {why}\n")?,
            Ok(cold) => {
                writeln!(md, "| figure | app | bare window | ratio | goal |")?;
                writeln!(md, "|---|---|---|---|---|")?;
                for (name, w, goal) in [
                    ("second start (saved list)", &cold.second, true),
                    ("first start ever (no saved list)", &cold.first, false),
                ] {
                    let (rt, rm) = (w.app_s / w.bare_s, w.app_peak as f64 / w.bare_peak as f64);
                    let judge = |ok: bool| if goal { verdict(ok) } else { "–" };
                    writeln!(
                        md,
                        "| time to first content, {name} | {:.0} ms | {:.0} ms | {rt:.2}× | {} |",
                        w.app_s * 1e3,
                        w.bare_s * 1e3,
                        judge(rt <= 1.25)
                    )?;
                    writeln!(
                        md,
                        "| peak resident memory, {name} | {} | {} | {rm:.2}× | {} |",
                        mib(w.app_peak),
                        mib(w.bare_peak),
                        judge(rm <= 1.25)
                    )?;
                }
                for (name, w) in [("second start", &cold.second), ("first start", &cold.first)] {
                    writeln!(
                        md,
                        "\nWhere the time goes, {name} (medians): before the page exists (process \
                         start, Tauri set-up, web view creation) app {:.0} ms, bare {:.0} ms; page \
                         time origin → `DOMContentLoaded` app {:.0} ms, bare {:.0} ms; → marker app \
                         {:.0} ms, bare {:.0} ms. Runs (app / bare, ms): {} / {}",
                        (w.app_s - w.app_page_s) * 1e3,
                        (w.bare_s - w.bare_page_s) * 1e3,
                        w.app_dom_ready_s * 1e3,
                        w.bare_dom_ready_s * 1e3,
                        w.app_page_s * 1e3,
                        w.bare_page_s * 1e3,
                        list_ms(&w.app_runs),
                        list_ms(&w.bare_runs)
                    )?;
                }
                writeln!(md)?;
            }
        }
        Ok(())
    }

    fn render_fleet(&self, md: &mut String) -> std::fmt::Result {
        let Some(fleet) = &self.fleet else {
            return Ok(());
        };
        writeln!(md, "## Fleet screen (10,000 gateways)\n")?;
        writeln!(
            md,
            "The Fleet screen on a Demo tenant of 10,000 gateways (`ASG_FOTA_DEMO_GATEWAYS=10000`): \
             opening it reads the compliance report (every group's device pages, groups side by \
             side, batched twin queries) and draws the figures as pages are counted: the first \
             figures and the end of the counting are timed from the same click. The drill-down \
             from the fleet's \"unknown\" figure (no deployment yet: all 10,000 gateways) fills \
             the windowed table, which is then filtered and scrolled with the same checks as the \
             device table above (rows listed, a device id to its own row, the last row reached). \
             Each interaction is timed in the real window like the device table. Goal: every \
             interaction with the table < 100 ms (opening the screen is a read of the whole \
             tenant, reported for scale). The run line names the app binary: a debug build \
             (`target/debug`) is far slower than the release build `.ci/bench` makes.\n"
        )?;
        Self::render_interactions(md, fleet)
    }

    fn render_interactions(md: &mut String, rows: &Measured<Vec<Interaction>>) -> std::fmt::Result {
        match rows {
            Err(why) => writeln!(md, "Not measured: {why}\n")?,
            Ok(rows) => {
                writeln!(md, "| interaction | time | goal |")?;
                writeln!(md, "|---|---|---|")?;
                for r in rows {
                    writeln!(
                        md,
                        "| {} | {:.1} ms | {} |",
                        r.name,
                        r.ms,
                        interaction_verdict(r)
                    )?;
                }
                writeln!(md)?;
            }
        }
        Ok(())
    }

    fn render_table(&self, md: &mut String) -> std::fmt::Result {
        let Some(table) = &self.table else {
            return Ok(());
        };
        writeln!(md, "## In-app device table (10,000 rows)\n")?;
        writeln!(
            md,
            "Step 5's gateway table of one group with 10,000 gateways (`ASG_FOTA_DEMO_GATEWAYS=50000`: \
             the demo fleet is dealt over five groups), each interaction timed in \
             the real window with `performance.now()` around the action and the next animation \
             frame. The run counts only if the table lists 10,000 rows (its \"Select all (n)\" \
             count), filtering narrows them (a whole device id to exactly its own row) and \
             clearing brings all back, and every scroll builds rows further down, the last one \
             at the end. Goal: every interaction with the table < 100 ms (opening step 5 reads \
             10,000 gateways and their twins from the tenant: a load, reported for scale).\n"
        )?;
        Self::render_interactions(md, table)
    }

    fn render_compliance(&self, md: &mut String) -> std::fmt::Result {
        let Some(compliance) = &self.compliance else {
            return Ok(());
        };
        writeln!(md, "## Fleet compliance (10,000 gateways)\n")?;
        writeln!(
            md,
            "The ignored test `benchmark_compliance_on_10000_gateways` of the CLI (`cargo test \
             --release -p asg-fota-cli --test it fleet_compliance::benchmark_compliance_on_10000_gateways \
             -- --ignored --exact --nocapture`, left out of `.ci/test` by `--skip benchmark_`) runs \
             `asg-fota-cli compliance --json` three times per plane on a simulated fleet of \
             10,000 gateways (5 groups of 2,000, no deployment: every gateway is read and \
             classified, every twin queried), timed from the process start to its exit: sign-in, \
             each group's device pages (legacy 100, ARM 50 per page; groups side by side), 250 \
             batched twin queries (40 ids each), the report and its JSON (one row per gateway, \
             the ids behind every figure). `.ci/bench` runs it and this section is written from \
             what it printed. Reported for scale: there is no goal. Load average when written: {}.\n",
            load_average()
        )?;
        match compliance {
            Err(why) => writeln!(md, "Not measured: {why}\n")?,
            Ok(figures) => {
                writeln!(md, "| build | plane | median | runs | JSON |")?;
                writeln!(md, "|---|---|---|---|---|")?;
                for f in figures {
                    let runs: Vec<String> = f.runs.iter().map(|r| format!("{r:.2} s")).collect();
                    writeln!(
                        md,
                        "| {} | {} | {:.2} s | {} | {} KiB |",
                        f.build,
                        f.plane,
                        median(&f.runs),
                        runs.join(", "),
                        f.json_kib
                    )?;
                }
                writeln!(md)?;
            }
        }
        Ok(())
    }

    fn render_size(&self, md: &mut String) -> std::fmt::Result {
        let Some(size) = &self.size else {
            return Ok(());
        };
        writeln!(md, "## Size\n")?;
        writeln!(
            md,
            "Release profile (`lto`, `opt-level = \"s\"`, `strip`). Goal: bundle ≤ 12 MB.\n"
        )?;
        writeln!(md, "| artifact | size | goal |")?;
        writeln!(md, "|---|---|---|")?;
        for (what, bytes) in &size.binaries {
            match bytes {
                Ok(b) => writeln!(md, "| {what} | {:.2} MB | – |", *b as f64 / 1e6)?,
                Err(why) => writeln!(md, "| {what} | not measured: {why} | – |")?,
            }
        }
        for (what, bytes) in &size.bundles {
            match bytes {
                Ok(b) => writeln!(
                    md,
                    "| {what} | {:.2} MB | {} |",
                    *b as f64 / 1e6,
                    verdict(*b <= 12_000_000)
                )?,
                Err(why) => writeln!(md, "| {what} | not measured: {why} | – |")?,
            }
        }
        for (what, bytes) in &size.installed {
            match bytes {
                Ok(b) => writeln!(md, "| {what} | {:.2} MB | – |", *b as f64 / 1e6)?,
                Err(why) => writeln!(md, "| {what} | not measured: {why} | – |")?,
            }
        }
        writeln!(md)
    }
}

/// The figures of the CLI's compliance benchmark from what it printed: lines like
/// `legacy run 0: 5.56 s, 14072 KB of JSON`, grouped by plane in the order they came.
pub fn compliance_from_log(log: Option<&Path>) -> Measured<Vec<ComplianceFigure>> {
    let log = log.ok_or_else(|| NotMeasured("no --compliance-log".into()))?;
    let text =
        std::fs::read_to_string(log).map_err(|e| NotMeasured(format!("{}: {e}", log.display())))?;
    let figures = parse_compliance(&text);
    if figures.is_empty() {
        let tail: String = text.lines().rev().take(5).collect::<Vec<_>>().join(" / ");
        return Err(NotMeasured(format!(
            "the benchmark printed no run (its last lines: {tail})"
        )));
    }
    Ok(figures)
}

fn parse_compliance(text: &str) -> Vec<ComplianceFigure> {
    // cargo's "Finished `release` profile [optimized]" line names the build.
    let build = text
        .lines()
        .find_map(|l| l.split("Finished `").nth(1))
        .and_then(|rest| rest.split('`').next())
        .map(|profile| if profile == "test" { "debug" } else { profile })
        .unwrap_or("unknown")
        .to_owned();
    let mut out: Vec<ComplianceFigure> = Vec::new();
    for line in text.lines() {
        let Some((plane, rest)) = line.split_once(" run ") else {
            continue;
        };
        let Some((_, rest)) = rest.split_once(": ") else {
            continue;
        };
        let mut numbers = rest
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|p| !p.is_empty());
        let (Some(Ok(seconds)), Some(Ok(kib))) = (
            numbers.next().map(str::parse::<f64>),
            numbers.next().map(str::parse::<u64>),
        ) else {
            continue;
        };
        match out.iter_mut().find(|f| f.plane == plane) {
            Some(f) => f.runs.push(seconds),
            None => out.push(ComplianceFigure {
                build: build.clone(),
                plane: plane.trim().to_owned(),
                runs: vec![seconds],
                json_kib: kib,
            }),
        }
    }
    out
}

/// The file's opening: what it is (the run of each section is named in the section).
fn header() -> String {
    "# Benchmarks (issue 6)\n\n\
     Written by `bash .ci/bench` (the crate `src-tauri/bench`); do not edit by hand. Every \
     figure is a ratio of two things measured side by side in the same run on the same machine, \
     because absolute times on shared machines drift. Benchmarks are not tests: each one checks \
     that the work was really done and fails loudly otherwise. A run replaces only the sections \
     it measured (`BENCH_ONLY`), so each section names the run it comes from.\n\n"
        .to_owned()
}

/// The line naming this run: date, commit, machine, repetitions.
fn run_line(runs: usize, binaries: &str) -> String {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let commit = command("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = command("git", &["status", "--porcelain", "--untracked-files=no"]);
    let dirty = if dirty == "unknown" || dirty.is_empty() {
        ""
    } else {
        " with uncommitted changes"
    };
    let binaries = if binaries.is_empty() {
        String::new()
    } else {
        format!("; {binaries}")
    };
    format!(
        "*Run: {date}, commit `{commit}`{dirty}; {}{binaries}; median of {runs} runs unless said otherwise.*\n",
        machine()
    )
}

/// The one-minute load average, or `unknown`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// A Markdown file cut at its `## ` headings: what comes before the first, then each section
/// (heading line included) in order.
fn split_sections(md: &str) -> (String, Vec<String>) {
    let mut preamble = String::new();
    let mut sections: Vec<String> = Vec::new();
    for line in md.split_inclusive('\n') {
        if line.starts_with("## ") {
            sections.push(String::new());
        }
        match sections.last_mut() {
            Some(section) => section.push_str(line),
            None => preamble.push_str(line),
        }
    }
    (preamble, sections)
}

fn heading(section: &str) -> &str {
    section.lines().next().unwrap_or_default().trim_end()
}

/// The new file: `header`, then the sections of `old` in their order — replaced by the `fresh`
/// section of the same heading, kept byte for byte otherwise (those of the hand-written
/// `analysis` left out) —, then the `fresh` sections `old` did not have, then `analysis`. A kept
/// section without a run line of its own (written when one header named the run of all) gets
/// the run line of that header, so every section still says which run it comes from.
pub fn merge(old: &str, header: &str, fresh: &[String], analysis: &str) -> String {
    let (preamble, sections) = split_sections(old);
    let (_, analysis_sections) = split_sections(analysis);
    let hand: Vec<&str> = analysis_sections.iter().map(|s| heading(s)).collect();
    let old_run = legacy_run_line(&preamble);
    let mut out = header.to_owned();
    let mut used = vec![false; fresh.len()];
    for section in &sections {
        let title = heading(section);
        if hand.contains(&title) {
            continue;
        }
        match fresh.iter().position(|f| heading(f) == title) {
            Some(i) => {
                out.push_str(&fresh[i]);
                used[i] = true;
            }
            None => match (&old_run, section.contains("\n*Run: ")) {
                (Some(run), false) => {
                    let (first, rest) = section.split_once('\n').unwrap_or((section, ""));
                    out.push_str(&format!("{first}\n\n{run}{rest}"));
                }
                _ => out.push_str(section),
            },
        }
    }
    for (section, used) in fresh.iter().zip(used) {
        if !used {
            out.push_str(section);
        }
    }
    out.push_str(analysis);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The run line the old single header gave (`- Machine:`, `- Date:`, `- Commit:` lines), if any.
fn legacy_run_line(preamble: &str) -> Option<String> {
    let field = |name: &str| {
        preamble
            .lines()
            .find_map(|l| l.strip_prefix(&format!("- {name}: ")))
            .map(str::trim)
    };
    let date = field("Date")?;
    let commit = field("Commit").unwrap_or("unknown");
    let machine = field("Machine").unwrap_or("unknown machine");
    let reps = field("Repetitions").unwrap_or("");
    Some(format!(
        "*Run: {date}, commit {commit}; {machine}; {reps}.*\n"
    ))
}

fn list_ms(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{:.1}", v * 1e3))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# Benchmarks\n\nintro\n\n\
        - Machine: Box\n- Date: 2026-01-01\n- Commit: `aaa`\n- Repetitions: median of 5 runs\n\n\
        ## Upload\n\nold upload\n| a | b |\n\n\
        ## Listing\n\n*Run: 2026-02-02, commit `bbb`; Box; median of 3.*\nold listing \u{2014} kept\n\n\
        ## Analysis\n\nold analysis\n\n## Hand note\n\nold hand\n";

    #[test]
    fn opening_a_screen_is_reported_for_scale_and_every_other_interaction_is_judged() {
        let at = |name: &str, ms: f64| Interaction {
            name: name.to_owned(),
            ms,
        };
        assert_eq!(
            interaction_verdict(&at("open step 5 (gateways_list + first render)", 1010.0)),
            "– (a read, for scale)"
        );
        assert_eq!(interaction_verdict(&at("drill down", 54.0)), "PASS");
        assert_eq!(interaction_verdict(&at("drill down", 106.0)), "**MISS**");
    }

    #[test]
    fn a_run_replaces_its_sections_keeps_the_others_byte_for_byte_and_adds_new_ones() {
        let fresh = vec![
            "## Upload\n\n*Run: now*\nnew upload\n\n".to_owned(),
            "## Fleet compliance\n\n*Run: now*\nnew section\n\n".to_owned(),
        ];
        let analysis = "## Analysis\n\nnew analysis\n\n## Hand note\n\nnew hand\n";
        let md = merge(OLD, "# Benchmarks\n\nheader\n\n", &fresh, analysis);
        let (_, sections) = split_sections(&md);
        let titles: Vec<&str> = sections.iter().map(|s| heading(s)).collect();
        assert_eq!(
            titles,
            [
                "## Upload",
                "## Listing",
                "## Fleet compliance",
                "## Analysis",
                "## Hand note"
            ]
        );
        assert_eq!(sections[0], fresh[0], "measured: replaced");
        // Kept byte for byte: it has its own run line.
        let (_, old_sections) = split_sections(OLD);
        assert_eq!(sections[1], old_sections[1]);
        assert_eq!(sections[2], fresh[1], "new: appended before the analysis");
        assert!(md.ends_with(analysis), "the analysis anew, once");
        assert_eq!(md.matches("old analysis").count(), 0);
        assert!(md.starts_with("# Benchmarks\n\nheader\n\n## Upload"));
    }

    #[test]
    fn the_compliance_benchmarks_lines_are_read_per_plane() {
        let log = "    Finished `release` profile [optimized] target(s) in 1s\nrunning 1 test\nlegacy run 0: 5.56 s, 14072 KB of JSON\nlegacy run 1: 6.78 s, 14072 KB of JSON\n\
                   arm run 0: 4.38 s, 14074 KB of JSON\ntest fleet_compliance::benchmark ... ok\n";
        let figures = parse_compliance(log);
        let got: Vec<(&str, Vec<f64>, u64)> = figures
            .iter()
            .map(|f| (f.plane.as_str(), f.runs.clone(), f.json_kib))
            .collect();
        assert_eq!(
            got,
            [
                ("legacy", vec![5.56, 6.78], 14072),
                ("arm", vec![4.38], 14074)
            ]
        );
        assert!(figures.iter().all(|f| f.build == "release"));
        assert!(parse_compliance("running 0 tests\n").is_empty());
    }

    #[test]
    fn a_kept_section_of_an_old_run_gets_that_runs_date_and_commit() {
        let fresh = vec!["## Listing\n\n*Run: now*\nnew listing\n\n".to_owned()];
        let md = merge(OLD, "# B\n\n", &fresh, "## Analysis\n\nA\n");
        let (_, sections) = split_sections(&md);
        assert_eq!(
            sections[0],
            "## Upload\n\n*Run: 2026-01-01, commit `aaa`; Box; median of 5 runs.*\n\nold upload\n| a | b |\n\n"
        );
        // Merging again changes nothing in it: it now has its run line.
        let again = merge(&md, "# B\n\n", &fresh, "## Analysis\n\nA\n");
        assert_eq!(again, md);
        // A first run writes every section it has into an empty file.
        let first = merge("", "# B\n\n", &fresh, "## Analysis\n\nA\n");
        assert_eq!(first, format!("# B\n\n{}## Analysis\n\nA\n", fresh[0]));
    }
}
