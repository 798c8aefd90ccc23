//! The deployment plan through the public API: the JSON the CLI prints (`--json`) and the GUI
//! adapters map, and the guide's own example (the ASG210 two-port Ethernet set of three images).

use asg_fota_core::cloud::model::{ImageId, ImageInfo, ImageState, UpdatePolicy};
use asg_fota_core::imagepackage::PackageKind;
use asg_fota_core::workflow::plan::{
    plan, ImageKind, ImageLookup, PlanRequest, PlannedImage, ProblemKind,
};
use time::OffsetDateTime;

fn tenant_image(id: &str, component: &str, name: &str, ty: &str) -> ImageInfo {
    ImageInfo {
        id: ImageId::new(id),
        component_id: Some(component.into()),
        name: Some(name.into()),
        description: None,
        image_type: Some(ty.into()),
        state: ImageState::Ready,
    }
}

#[test]
fn the_guides_ethernet_set_passes_and_serializes_for_the_ui() {
    let hl = PlannedImage::from_tenant(
        &tenant_image("h", "c-h", "ASG210_HLApp_v1.0.2", "Applications"),
        None,
    );
    // The tenant does not say the core: the local package does.
    let rt = PlannedImage::from_tenant(
        &tenant_image("r", "c-r", "EthernetBridge", "Applications"),
        Some(PackageKind::RTApp),
    );
    let bc = PlannedImage::from_tenant(
        &tenant_image("b", "c-b", "Ethernet preset", "CustomerBoardConfig"),
        None,
    );
    assert_eq!(
        (hl.kind, rt.kind, bc.kind),
        (ImageKind::HlApp, ImageKind::RtApp, ImageKind::BoardConfig)
    );
    let old_hl = PlannedImage::from_tenant(
        &tenant_image("h0", "c-h", "ASG210_HLApp_v1.0.1", "Applications"),
        None,
    );
    let request = PlanRequest {
        requested: vec![
            ImageLookup::Found(hl),
            ImageLookup::Found(rt),
            ImageLookup::Found(bc),
        ],
        current: vec![old_hl],
        update_policy: Some(UpdatePolicy::UpdateAll),
        reach_devices: 12,
        as_of: OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time"),
    };
    let plan = plan(&request);
    assert!(!plan.is_blocked(), "{:?}", plan.problems);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let json = serde_json::to_value(&plan).expect("serializes");
    assert_eq!(json["reachDevices"], 12);
    assert_eq!(json["asOf"], "2027-01-15T08:00:00Z");
    assert_eq!(
        json["diff"]["replaced"][0]["from"]["name"],
        "ASG210_HLApp_v1.0.1"
    );
    assert_eq!(json["diff"]["replaced"][0]["to"]["kind"], "HLApp");
    assert_eq!(json["diff"]["added"][0]["componentId"], "c-r");
    assert_eq!(json["diff"]["added"][1]["imageType"], 21);
}

#[test]
fn a_refused_plan_names_each_problem_in_plain_words() {
    let os = PlannedImage::from_tenant(
        &tenant_image("o", "c-o", "NormalWorldKernel", "NormalWorldKernel"),
        None,
    );
    let pending = PlannedImage {
        processed: false,
        ..PlannedImage::from_tenant(
            &tenant_image("p", "c-p", "ASG210_RTApp", "Applications"),
            None,
        )
    };
    let request = PlanRequest {
        requested: vec![
            ImageLookup::Found(os),
            ImageLookup::Found(pending),
            ImageLookup::Missing(ImageId::new("gone")),
        ],
        current: vec![],
        update_policy: None,
        reach_devices: 1,
        as_of: OffsetDateTime::UNIX_EPOCH,
    };
    let plan = plan(&request);
    let kinds: Vec<ProblemKind> = plan.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ProblemKind::NotInTenant,
            ProblemKind::NotDeployable,
            ProblemKind::NotProcessed
        ]
    );
    let text = plan.problem_text();
    assert!(text.contains("upload its package first"), "{text}");
    assert!(text.contains("still being processed"), "{text}");
    assert!(text.contains("customers cannot deploy"), "{text}");
    let json = serde_json::to_value(&plan).expect("serializes");
    assert_eq!(json["problems"][0]["kind"], "not_in_tenant");
}
