//! How the web view draws, chosen before WebKitGTK starts (Linux only).
//!
//! WebKitGTK composites every page through OpenGL. On a machine without a GPU render node (a
//! virtual machine, a remote desktop, Xvfb in CI) that OpenGL is Mesa's llvmpipe, a software
//! rasterizer, and composited drawing of a long table cost 100–215 ms a frame here against
//! 17–50 ms with compositing off (docs/benchmarks.md). So without a render node, or when software
//! GL is asked for, the app turns compositing off. The person's own choice wins: an existing
//! `WEBKIT_DISABLE_COMPOSITING_MODE` or `WEBKIT_DISABLE_DMABUF_RENDERER` is left alone, and
//! `ASG_FOTA_RENDERING=gpu|cpu` forces either way. Windows (WebView2) and macOS (WKWebView) are
//! not touched.

/// What was decided, for the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rendering {
    /// WebKit's own default (GPU compositing where it can).
    Default,
    /// Compositing turned off: drawn on the CPU.
    Cpu,
    /// The environment already says how to draw; nothing was changed.
    AsConfigured,
}

impl Rendering {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Rendering::Default => "default",
            Rendering::Cpu => "cpu (compositing off)",
            Rendering::AsConfigured => "as configured in the environment",
        }
    }
}

/// What the decision reads from the machine and the environment.
#[derive(Debug, Default, Clone, Copy)]
struct Facts<'a> {
    /// `ASG_FOTA_RENDERING`: "gpu" or "cpu".
    forced: Option<&'a str>,
    /// `WEBKIT_DISABLE_COMPOSITING_MODE` or `WEBKIT_DISABLE_DMABUF_RENDERER` is set.
    configured: bool,
    /// `LIBGL_ALWAYS_SOFTWARE` is set to something other than 0.
    software_gl: bool,
    /// A `/dev/dri/renderD*` node exists.
    render_node: bool,
}

fn decide(facts: Facts<'_>) -> Rendering {
    match facts.forced.map(str::trim) {
        Some(value) if value.eq_ignore_ascii_case("cpu") => return Rendering::Cpu,
        Some(value) if value.eq_ignore_ascii_case("gpu") => return Rendering::Default,
        _ => {}
    }
    if facts.configured {
        Rendering::AsConfigured
    } else if facts.software_gl || !facts.render_node {
        Rendering::Cpu
    } else {
        Rendering::Default
    }
}

/// Decides and applies the choice. Called first in `run()`, before any thread or WebKit exists
/// (setting the environment later would race other threads reading it).
#[cfg(target_os = "linux")]
pub(crate) fn choose() -> Rendering {
    let forced = std::env::var("ASG_FOTA_RENDERING").ok();
    let facts = Facts {
        forced: forced.as_deref(),
        configured: std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some()
            || std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_some(),
        software_gl: std::env::var("LIBGL_ALWAYS_SOFTWARE")
            .is_ok_and(|v| !v.is_empty() && v != "0"),
        render_node: has_render_node(),
    };
    let rendering = decide(facts);
    match rendering {
        Rendering::Cpu => std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        // WebKit's default: a variable that says otherwise can only be here when "gpu" was
        // forced over it (else the decision is `AsConfigured`).
        Rendering::Default => std::env::remove_var("WEBKIT_DISABLE_COMPOSITING_MODE"),
        Rendering::AsConfigured => {}
    }
    rendering
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn choose() -> Rendering {
    Rendering::Default
}

#[cfg(target_os = "linux")]
fn has_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_render_node_draws_on_the_cpu() {
        assert_eq!(decide(Facts::default()), Rendering::Cpu);
        let gpu = Facts {
            render_node: true,
            ..Facts::default()
        };
        assert_eq!(decide(gpu), Rendering::Default);
    }

    #[test]
    fn software_gl_draws_on_the_cpu_even_with_a_render_node() {
        let facts = Facts {
            render_node: true,
            software_gl: true,
            ..Facts::default()
        };
        assert_eq!(decide(facts), Rendering::Cpu);
    }

    #[test]
    fn the_environment_already_set_is_left_alone() {
        let facts = Facts {
            configured: true,
            ..Facts::default()
        };
        assert_eq!(decide(facts), Rendering::AsConfigured);
    }

    #[test]
    fn the_forced_choice_wins() {
        let cpu = Facts {
            forced: Some("CPU"),
            render_node: true,
            ..Facts::default()
        };
        assert_eq!(decide(cpu), Rendering::Cpu);
        let gpu = Facts {
            forced: Some(" gpu "),
            configured: true,
            ..Facts::default()
        };
        assert_eq!(decide(gpu), Rendering::Default);
        let unknown = Facts {
            forced: Some("fast"),
            ..Facts::default()
        };
        assert_eq!(decide(unknown), Rendering::Cpu);
    }
}
