//! The REST envelope and transport rules: auth, routing, body and frequency limits.

mod common;

use common::{ADMIN, Database, SDKAPPID, SECRET, TestServer, assert_failed, sig};
use roomcast::auth::usersig;
use serde_json::json;

const CHECK: &str = "im_open_login_svc/account_check";
const BODY: &str = r#"{"CheckItem":[{"UserID":"administrator"}]}"#;

async fn srv() -> TestServer {
    TestServer::start(Database::sqlite()).await
}

#[tokio::test]
async fn a_valid_admin_call_gets_the_ok_envelope() {
    let s = srv().await;
    let reply = s.post_raw(&s.url_as(CHECK, SDKAPPID, ADMIN, &sig(ADMIN)), BODY).await;
    assert_eq!(reply["ActionStatus"], "OK");
    assert_eq!(reply["ErrorCode"], 0);
    assert_eq!(reply["ErrorInfo"], "");
    assert_eq!(reply["ResultItem"][0]["AccountStatus"], "Imported", "the admin account exists from the start");
}

#[tokio::test]
async fn get_with_a_body_is_accepted_too() {
    let s = srv().await;
    let res = s.http.get(s.url_as(CHECK, SDKAPPID, ADMIN, &sig(ADMIN))).body(BODY).send().await.unwrap();
    let reply: serde_json::Value = res.json().await.unwrap();
    assert_eq!(reply["ActionStatus"], "OK", "{reply}");
}

#[tokio::test]
async fn sdkappid_problems() {
    let s = srv().await;
    let missing = format!("{}/v4/{CHECK}?identifier={ADMIN}&usersig={}", s.base(), sig(ADMIN));
    assert_failed(&s.post_raw(&missing, BODY).await, 60012);
    assert_failed(&s.post_raw(&s.url_as(CHECK, 1_400_000_999, ADMIN, &sig(ADMIN)), BODY).await, 60006);
    let not_a_number =
        s.url_as(CHECK, SDKAPPID, ADMIN, &sig(ADMIN)).replace(&format!("sdkappid={SDKAPPID}"), "sdkappid=abc");
    assert_failed(&s.post_raw(&not_a_number, BODY).await, 60006);
    // A token signed for another app, presented to this one.
    let foreign = usersig::issue(1_400_000_999, SECRET, ADMIN, 3600, common::now());
    assert_failed(&s.post_raw(&s.url_as(CHECK, SDKAPPID, ADMIN, &foreign), BODY).await, 70014);
}

#[tokio::test]
async fn usersig_problems_have_their_codes() {
    let s = srv().await;
    let now = common::now();
    let cases = [
        (String::new(), 70002),
        (sig(ADMIN)[..40].to_owned(), 70003),
        (usersig::issue(SDKAPPID, "wrong-key", ADMIN, 3600, now), 70005),
        (usersig::issue(SDKAPPID, SECRET, ADMIN, 10, now - 100), 70001),
        (sig("someone_else"), 70013),
    ];
    for (token, code) in cases {
        assert_failed(&s.post_raw(&s.url_as(CHECK, SDKAPPID, ADMIN, &token), BODY).await, code);
    }
}

#[tokio::test]
async fn a_non_admin_identifier_is_refused() {
    let s = srv().await;
    s.ok("im_open_login_svc/account_import", json!({"UserID": "viewer"})).await;
    let reply = s.post_raw(&s.url_as(CHECK, SDKAPPID, "viewer", &sig("viewer")), BODY).await;
    assert_failed(&reply, 60010);
}

#[tokio::test]
async fn unknown_services_and_commands() {
    let s = srv().await;
    s.fails("no_such_svc/account_check", json!({}), 60009).await;
    s.fails("im_open_login_svc/no_such_command", json!({}), 60009).await;
    s.fails("group_open_http_svc/no_such_command", json!({}), 10003).await;
    let deep = format!("{}/v4/a/b/c?sdkappid={SDKAPPID}", s.base());
    assert_failed(&s.post_raw(&deep, "{}").await, 60009);
}

#[tokio::test]
async fn bad_json_gets_the_service_parse_code() {
    let s = srv().await;
    let url = |path| s.url_as(path, SDKAPPID, ADMIN, &sig(ADMIN));
    assert_failed(&s.post_raw(&url(CHECK), "{not json").await, 60003);
    assert_failed(&s.post_raw(&url("profile/portrait_get"), "[1,2]").await, 60003);
    assert_failed(&s.post_raw(&url("group_open_http_svc/get_group_info"), "{\"GroupIdList\":").await, 10011);
    // Well-formed JSON of the wrong shape is a parameter error, named in ErrorInfo.
    let reply = s.post_raw(&url(CHECK), r#"{"CheckItem":"x"}"#).await;
    assert_failed(&reply, 70402);
    assert!(
        reply["ErrorInfo"].as_str().unwrap().contains("CheckItem")
            || reply["ErrorInfo"].as_str().unwrap().contains("sequence"),
        "{reply}"
    );
}

#[tokio::test]
async fn empty_body_means_no_parameters() {
    let s = srv().await;
    let reply =
        s.post_raw(&s.url_as("group_open_http_svc/get_appid_group_list", SDKAPPID, ADMIN, &sig(ADMIN)), "").await;
    assert_eq!(reply["ActionStatus"], "OK", "{reply}");
    assert_eq!(reply["TotalCount"], 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = TestServer::start_with(Database::sqlite(), |c| c.rest.body_limit_bytes = 2048).await;
    let big = format!(r#"{{"CheckItem":[{{"UserID":"{}"}}]}}"#, "x".repeat(4096));
    let reply = s.post_raw(&s.url_as(CHECK, SDKAPPID, ADMIN, &sig(ADMIN)), big).await;
    assert_failed(&reply, 60008);
    // The server is still fine afterwards.
    s.ok(CHECK, json!({"CheckItem": [{"UserID": ADMIN}]})).await;
}

#[tokio::test]
async fn the_per_app_frequency_limit_answers_60007() {
    let s = TestServer::start_with(Database::sqlite(), |c| c.rest.rate_limit_per_sec = 5).await;
    let url = s.url_as(CHECK, SDKAPPID, ADMIN, &sig(ADMIN));
    let mut codes = Vec::new();
    for _ in 0..20 {
        codes.push(s.post_raw(&url, BODY).await["ErrorCode"].as_u64().unwrap());
    }
    assert!(codes.iter().filter(|&&c| c == 0).count() >= 5, "the first calls of a second pass: {codes:?}");
    assert!(codes.contains(&60007), "calls past the limit are refused: {codes:?}");
    assert!(codes.iter().all(|&c| c == 0 || c == 60007), "{codes:?}");
}

#[tokio::test]
async fn other_paths_are_plain_404_and_health_is_ok() {
    let s = srv().await;
    assert_eq!(s.http.get(format!("{}/nope", s.base())).send().await.unwrap().status(), 404);
    let health = s.http.get(format!("{}/healthz", s.base())).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn metrics_count_rest_calls_by_code() {
    let s = srv().await;
    s.ok(CHECK, json!({"CheckItem": [{"UserID": ADMIN}]})).await;
    s.fails("group_open_http_svc/get_group_info", json!({"GroupIdList": []}), 10004).await;
    let page = s.http.get(format!("{}/metrics", s.base())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"roomcast_rest_requests_total{code="0"}"#), "{page}");
    assert!(page.contains(r#"roomcast_rest_requests_total{code="10004"}"#), "{page}");
}
