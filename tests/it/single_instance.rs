//! One running app at a time: a second launch hands over to the first (which focuses its window)
//! and exits, while the first keeps running. On Linux the hand-over goes through the D-Bus session
//! bus, so this runs under `.ci/with-keyring` (a private session bus) and Xvfb, like the window
//! tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn launch(dirs: &Path) -> Child {
    let sub = |name: &str| {
        let dir = dirs.join(name);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    };
    Command::new(env!("CARGO_BIN_EXE_asg-fota"))
        .env("HOME", sub("home"))
        .env("XDG_CONFIG_HOME", sub("config"))
        .env("XDG_DATA_HOME", sub("data"))
        .env("XDG_CACHE_HOME", sub("cache"))
        .env("ASG_FOTA_LOG_DIR", sub("logs"))
        .env("ASG_FOTA_CONFIG_DIR", sub("app-config"))
        .env("ASG_FOTA_DATA_DIR", sub("app-data"))
        .env("ASG_FOTA_NO_BROWSER", "1")
        .env("ASG_FOTA_NO_DIALOGS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the app")
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
#[ignore = "needs a display and a D-Bus session bus (.ci/test provides both)"]
fn a_second_launch_hands_over_to_the_first_and_exits() {
    let dirs = tempfile::tempdir().expect("temp dir");
    let mut first = launch(dirs.path());
    // Give the first instance time to claim its name on the session bus.
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        first.try_wait().expect("first").is_none(),
        "the first instance stopped on its own"
    );

    let mut second = launch(dirs.path());
    let status = wait_exit(&mut second, Duration::from_secs(30));
    let still_running = first.try_wait().expect("first").is_none();
    let _ = first.kill();
    let _ = first.wait();
    if status.is_none() {
        let _ = second.kill();
        let _ = second.wait();
    }
    let status = status.expect("the second instance did not exit: two copies were running");
    assert!(status.success(), "the second instance failed: {status}");
    assert!(
        still_running,
        "the first instance ended when the second started"
    );

    // An instance with its own config directory is independent and starts normally.
    let other = tempfile::tempdir().expect("temp dir");
    let mut independent = launch(other.path());
    let ended = wait_exit(&mut independent, Duration::from_secs(5));
    let _ = independent.kill();
    let _ = independent.wait();
    assert!(
        ended.is_none(),
        "an instance with another config directory was refused"
    );
}
