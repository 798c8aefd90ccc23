//! `asg-fota-cli`: the command-line twin of the desktop app, for pipelines.
fn main() {}
