//! `session::Session` built from profiles against the simulated tenant: the sign-in paths the CLI
//! tests do not reach (a person's device-code sign-in kept in a store, refresh-token rotation,
//! IoT Hub through Entra tokens) and the errors a person meets first.

use std::time::Duration;

use asg_fota_core::profiles::{Backend, IotHubAuth, IotHubSettings, Profile};
use asg_fota_core::secrets::{MemoryStore, SecretKey, SecretKind, SecretStore, Sensitive};
use asg_fota_core::session::{
    finish_device_code_sign_in, start_device_code_sign_in, SecretOverrides, SecretSources, Session,
    SessionConfig, SignInKind,
};
use asg_fota_sim::{SimConfig, SimHandle, SimTiming};
use tokio_util::sync::CancellationToken;

async fn sim() -> SimHandle {
    asg_fota_sim::start(SimConfig {
        timing: SimTiming {
            device_code_auto_approve: Some(Duration::from_millis(100)),
            ..SimTiming::fast()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn hub(sim: &SimHandle, auth: IotHubAuth) -> IotHubSettings {
    let host = sim
        .demo()
        .iothub_connection_string
        .split(';')
        .find_map(|p| p.strip_prefix("HostName="))
        .unwrap()
        .to_owned();
    IotHubSettings {
        host,
        api_base: Some(sim.urls().iothub.clone()),
        auth,
    }
}

fn arm_user_profile(sim: &SimHandle) -> Profile {
    let demo = sim.demo();
    Profile {
        authority_host: sim.urls().authority.clone(),
        api_base: Some(sim.urls().arm.clone()),
        tenant_id: Some(demo.tenant_id.clone()),
        subscription_id: Some(demo.subscription_id.clone()),
        resource_group: Some(demo.resource_group.clone()),
        catalog: Some(demo.catalog.clone()),
        client_id: Some(demo.arm_client_id.clone()),
        iothub: Some(hub(sim, IotHubAuth::Entra)),
        ..Profile::new(Backend::Arm)
    }
}

fn sources(store: &MemoryStore) -> SecretSources<'_> {
    SecretSources {
        store,
        overrides: SecretOverrides::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_once_and_the_rotated_refresh_token_is_kept() {
    let sim = sim().await;
    let store = MemoryStore::new();
    let config = SessionConfig::from_profile("me", &arm_user_profile(&sim)).unwrap();

    let (identity, prompt) = start_device_code_sign_in(&config).await.unwrap();
    assert!(!prompt.user_code.is_empty());
    finish_device_code_sign_in(
        &config,
        &identity,
        &prompt,
        &CancellationToken::new(),
        &store,
    )
    .await
    .unwrap();
    let key = SecretKey::new("me", SecretKind::RefreshToken);
    let first = store.retrieve(&key).unwrap().unwrap();

    // Three runs in a row, each a new process in real life: each must start from the token the
    // previous one left behind, because the simulator (like Entra) may revoke a used one.
    for _ in 0..3 {
        let session = Session::open(config.clone(), &sources(&store))
            .await
            .unwrap();
        let who = session.whoami().await.unwrap();
        assert_eq!(who.sign_in, SignInKind::User);
        assert_eq!(who.account.as_deref(), Some(sim.demo().user_upn.as_str()));
        assert!(!session.plane().device_groups().await.unwrap().is_empty());
        // IoT Hub through an Entra token of the same person.
        let devices = session
            .plane()
            .devices(&session.find_group("Field Test").await.unwrap().id)
            .await
            .unwrap();
        let twin = session
            .iothub()
            .await
            .unwrap()
            .twin(&devices[0].id)
            .await
            .unwrap();
        assert!(twin.device_id.eq_ignore_ascii_case(devices[0].id.as_str()));
        session.keep_rotated_refresh_token(&store).await.unwrap();
    }
    let last = store.retrieve(&key).unwrap().unwrap();
    assert_ne!(
        first.expose(),
        last.expose(),
        "the simulator rotates refresh tokens"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_principal_reaches_iothub_with_an_entra_token() {
    let sim = sim().await;
    let store = MemoryStore::new();
    let mut profile = arm_user_profile(&sim);
    profile.client_id = None;
    profile.service_principal_client_id = Some(sim.demo().service_principal_client_id.clone());
    store
        .persist(
            &SecretKey::new("sp", SecretKind::ClientSecret),
            &Sensitive::from(sim.demo().service_principal_secret.as_str()),
        )
        .unwrap();
    let config = SessionConfig::from_profile("sp", &profile).unwrap();
    let session = Session::open(config, &sources(&store)).await.unwrap();
    let group = session
        .find_group("ASG210-Gateways/Production")
        .await
        .unwrap();
    let devices = session.plane().devices(&group.id).await.unwrap();
    let twin = session
        .iothub()
        .await
        .unwrap()
        .twin(&devices[0].id)
        .await
        .unwrap();
    assert!(twin.reported("HLAppVer").is_some());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_errors_a_person_meets_are_typed() {
    let sim = sim().await;
    let store = MemoryStore::new();

    // No sign-in at all.
    let config = SessionConfig::from_profile("nobody", &arm_user_profile(&sim)).unwrap();
    let err = Session::open(config.clone(), &sources(&store))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_signed_in");

    // A refresh token the identity platform does not know: the first call says "sign in again".
    store
        .persist(
            &SecretKey::new("nobody", SecretKind::RefreshToken),
            &Sensitive::from("not-a-refresh-token"),
        )
        .unwrap();
    let session = Session::open(config, &sources(&store)).await.unwrap();
    let err = session.whoami().await.unwrap_err();
    assert_eq!(err.kind(), "sign_in", "{err}");
    assert!(err.to_string().contains("sign in again"), "{err}");

    // A connection-string hub without a stored connection string: the session opens, and the
    // IoT Hub verbs say what is missing.
    let mut profile = arm_user_profile(&sim);
    profile.iothub = Some(hub(&sim, IotHubAuth::ConnectionString));
    let config = SessionConfig::from_profile("nobody", &profile).unwrap();
    let session = Session::open(config, &sources(&store)).await.unwrap();
    let err = session.iothub().await.unwrap_err();
    assert_eq!(err.kind(), "no_iothub");
    assert!(err
        .to_string()
        .contains("ASG_FOTA_IOTHUB_CONNECTION_STRING"));
    sim.shutdown().await;
}
