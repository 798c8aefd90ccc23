//! The Fleet screen (issue 14) in the real window on a 10,000-gateway Demo tenant: open it (the
//! compliance report of every group: control plane listed once, twins in batched queries), then
//! drill down from the fleet's "unknown" figure (no group has a deployment yet, so all 10,000
//! gateways are behind it) into the windowed table, filter it and scroll it. Each interaction is
//! timed like step 5's table (`window::timed`: the action and the next painted frame).

use anyhow::{anyhow, bail};
use serde_json::json;

use crate::report::{Interaction, Measured, NotMeasured};
use crate::window::{filter_and_scroll, recorder, timed, wait_for_step1, Driver, TableUnderTest};
use crate::RunArgs;

pub async fn fleet(args: &RunArgs) -> Measured<Vec<Interaction>> {
    inner(args).await.map_err(|e| NotMeasured(format!("{e:#}")))
}

async fn inner(args: &RunArgs) -> anyhow::Result<Vec<Interaction>> {
    let app = args
        .app
        .as_ref()
        .ok_or_else(|| anyhow!("no --app binary"))?;
    let driver = Driver::start(&[("ASG_FOTA_DEMO_GATEWAYS", "10000")])?;
    let session = driver.session(app).await?;
    driver
        .post(&session, "timeouts", json!({"script": 300_000}))
        .await?;
    let result = interactions(&driver, &session).await;
    if result.is_err() {
        let page = driver
            .script(
                &session,
                "arguments[arguments.length - 1](document.body.innerText.slice(0, 400));",
            )
            .await
            .unwrap_or_default();
        println!("fleet: the window showed: {page}");
    }
    driver.end(&session).await;
    result
}

async fn interactions(driver: &Driver, session: &str) -> anyhow::Result<Vec<Interaction>> {
    wait_for_step1(driver, session).await?;
    let mut out = Vec::new();
    let mut measure = recorder("fleet", &mut out);
    // The screen draws the groups at once and the figures as they are counted: the first
    // figure counted and the end of the counting are timed in the same action.
    let open = driver
        .script(
            session,
            "const done = arguments[arguments.length - 1];
             const t0 = performance.now();
             let first = null;
             document.querySelector('[data-testid=fleet-link]').click();
             const poll = () => {
               const now = performance.now() - t0;
               const fleet = document.querySelector('[data-testid=fleet-row][data-level=fleet] [data-figure=\"gateways.unknown\"]');
               if (first === null && fleet && Number(fleet.dataset.count) > 0) first = now;
               if (document.querySelector('[data-testid=fleet-row][data-level=fleet][data-counting=false]')) {
                 requestAnimationFrame(() => done([first, performance.now() - t0]));
               } else if (now > 290000) done('error: not counted within 290 s');
               else setTimeout(poll, 5);
             };
             poll();",
        )
        .await?;
    measure(
        "open the Fleet screen: first figures shown (the first page counted)",
        open[0].clone(),
    )?;
    measure(
        "open the Fleet screen: every gateway counted (compliance over 10,000 gateways)",
        open[1].clone(),
    )?;
    let total = driver
        .script(
            session,
            "const done = arguments[arguments.length - 1];
             done(document.querySelector('[data-testid=fleet-row][data-level=fleet] [data-figure=\"gateways.unknown\"]').dataset.count);",
        )
        .await?;
    println!("fleet: the fleet's unknown figure says {total}");
    if total != "10000" {
        bail!("the Fleet screen counts {total} gateways, not 10000");
    }
    let v = driver
        .script(
            session,
            &timed(
                "document.querySelector('[data-testid=fleet-row][data-level=fleet] [data-figure=\"gateways.unknown\"]').click();
                 if (!document.querySelector('[data-testid=fleet-drill-row]')) throw new Error('no drill-down row');",
            ),
        )
        .await?;
    measure("drill down: 10,000 gateways behind a figure", v)?;
    let table = TableUnderTest {
        input: "input[data-testid=fleet-drill-filter]",
        row: "[data-testid=fleet-drill-row]",
        id_attr: "data-device",
        count: "document.querySelector('[data-testid=fleet-drill-count]').dataset.count",
        rows: 10_000,
    };
    filter_and_scroll(driver, session, &table, &mut measure).await?;
    let v = driver
        .script(
            session,
            &timed("document.querySelector('[data-testid=fleet-refresh]').click();"),
        )
        .await?;
    measure(
        "press Refresh (the button's answer; the report arrives later)",
        v,
    )?;
    drop(measure);
    Ok(out)
}
