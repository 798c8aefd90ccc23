//! The deployment preflight as the CLI shows it: the problems that block a plan, the diff against
//! the group's current deployment, the warnings and the devices reached, then a confirmation
//! (`--yes`, or a "y" typed at a terminal).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Result;
use asg_fota_core::workflow::deploy::PlannedDeployment;
use asg_fota_core::workflow::plan::PlannedImage;

use crate::context::{write_stdout, Context};
use crate::say;

/// Shows the plan and asks for confirmation. `Ok(())` means: create it.
///
/// A blocked plan is printed (as JSON with `--json`) and refused. Otherwise the plan is shown and,
/// when stdin is a terminal and `--yes` was not given, a "y" must be typed. Without a terminal the
/// invocation itself is the confirmation, so pipelines and scripts run unattended.
// UNSURE (product decision): whether a non-interactive `deploy` without `--yes` should refuse
// instead; flipping `needs_prompt` to ignore the terminal check is the one-line change.
pub fn review(ctx: &Context, planned: &PlannedDeployment, yes: bool) -> Result<()> {
    let plan = &planned.plan;
    if plan.is_blocked() {
        ctx.print(planned, || plan_text(planned))?;
        let lang = crate::lang::current();
        let problems: Vec<String> = plan
            .problems
            .iter()
            .map(|p| format!("  - {}", crate::lang::finding(lang, "problem", p)))
            .collect();
        return Err(
            crate::refusal!("error.preflight_failed", problems = problems.join("\n")).into(),
        );
    }
    // With --json the result printed afterwards carries the plan; people get the text on stderr.
    if ctx.output.json {
        eprint!("{}", plan_text(planned));
    } else {
        write_stdout(&plan_text(planned))?;
    }
    let needs_prompt = !yes && std::io::stdin().is_terminal();
    if !needs_prompt {
        return Ok(());
    }
    eprint!(
        "{} [y/N] ",
        say!("deploy.confirm", devices = plan.reach_devices)
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(crate::refusal!("error.not_confirmed").into())
    }
}

/// The plan in words: group, diff by component, warnings, reach.
pub fn plan_text(planned: &PlannedDeployment) -> String {
    let plan = &planned.plan;
    let group = &planned.group;
    let mut out = say!(
        "plan.head",
        group = format!(
            "{}{}",
            group
                .product_name
                .as_deref()
                .map(|p| format!("{p}/"))
                .unwrap_or_default(),
            group.name
        ),
        policy = group
            .update_policy
            .as_ref()
            .map_or_else(|| say!("unknown"), |p| format!("{p:?}")),
        devices = plan.reach_devices,
    );
    out.push('\n');
    let line = |sign: &str, image: &PlannedImage| {
        format!(
            "  {sign} {:<11} {} [{}]\n",
            image.kind.as_str(),
            image.label(),
            image
                .component_id
                .clone()
                .unwrap_or_else(|| say!("plan.component_unknown"))
        )
    };
    for image in &plan.diff.kept {
        out.push_str(&line("=", image));
    }
    for r in &plan.diff.replaced {
        out.push_str(&line("~", &r.to));
        out.push_str(&format!(
            "      {}\n",
            say!("plan.replaces", image = r.from.label())
        ));
    }
    for image in &plan.diff.added {
        out.push_str(&line("+", image));
    }
    for image in &plan.diff.removed {
        out.push_str(&line("-", image));
    }
    let lang = crate::lang::current();
    for f in &plan.problems {
        let said = crate::lang::finding(lang, "problem", f);
        out.push_str(&format!(
            "{}: {said}\n",
            crate::lang::cli_word(lang, "problem")
        ));
    }
    for f in &plan.warnings {
        let said = crate::lang::finding(lang, "warning", f);
        out.push_str(&format!(
            "{}: {said}\n",
            crate::lang::cli_word(lang, "warning")
        ));
    }
    out
}
