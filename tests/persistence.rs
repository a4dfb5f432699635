//! Restart the server on the same database: apps, admins, accounts, profiles and groups remain.

mod common;

use common::{ADMIN, SDKAPPID, TestServer, sig};
use serde_json::json;

async fn everything_survives_a_restart(mut s: TestServer) {
    s.ok("im_open_login_svc/account_import", json!({"UserID": "keeper", "Nick": "Keeper"})).await;
    s.ok(
        "profile/portrait_set",
        json!({"From_Account": "keeper",
        "ProfileItem": [{"Tag": "Tag_Profile_Custom_level", "Value": 9}]}),
    )
    .await;
    s.ok(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "Stays", "GroupId": "stay",
        "Owner_Account": "keeper", "AppDefinedData": [{"Key": "k", "Value": "v"}]}),
    )
    .await;
    s.ok("group_open_http_svc/modify_group_base_info", json!({"GroupId": "stay", "MuteAllMember": "On"})).await;
    let before = s.ok("group_open_http_svc/get_group_info", json!({"GroupIdList": ["stay"]})).await;

    s.restart().await;

    // The same admin UserSig still works: the app and its key were kept.
    let check =
        s.ok("im_open_login_svc/account_check", json!({"CheckItem": [{"UserID": "keeper"}, {"UserID": ADMIN}]})).await;
    assert_eq!(check["ResultItem"][0]["AccountStatus"], "Imported");
    assert_eq!(check["ResultItem"][1]["AccountStatus"], "Imported");
    let profile = s
        .ok(
            "profile/portrait_get",
            json!({"To_Account": ["keeper"],
        "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_Custom_level"]}),
        )
        .await;
    assert_eq!(
        profile["UserProfileItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_Nick", "Value": "Keeper"}, {"Tag": "Tag_Profile_Custom_level", "Value": 9}])
    );
    let after = s.ok("group_open_http_svc/get_group_info", json!({"GroupIdList": ["stay"]})).await;
    assert_eq!(after, before);
    assert_eq!(after["GroupInfo"][0]["MuteAllMember"], "On");
    s.fails(
        "group_open_http_svc/create_group",
        json!({"Type": "AVChatRoom", "Name": "x", "GroupId": "stay", "Owner_Account": "keeper"}),
        10025,
    )
    .await;
    let url = s.url_as("im_open_login_svc/account_check", SDKAPPID, ADMIN, &sig(ADMIN));
    assert_eq!(s.post_raw(&url, r#"{"CheckItem":[{"UserID":"keeper"}]}"#).await["ActionStatus"], "OK");
}

/// Admins come from the configuration: a new list replaces the stored one at start.
async fn admins_follow_the_configuration(mut s: TestServer) {
    s.config.app.admins = vec!["ops".into()];
    s.restart().await;
    let url = s.url_as("im_open_login_svc/account_check", SDKAPPID, ADMIN, &sig(ADMIN));
    common::assert_failed(&s.post_raw(&url, r#"{"CheckItem":[{"UserID":"ops"}]}"#).await, 60010);
    let url = s.url_as("im_open_login_svc/account_check", SDKAPPID, "ops", &sig("ops"));
    let reply = s.post_raw(&url, r#"{"CheckItem":[{"UserID":"ops"}]}"#).await;
    assert_eq!(reply["ResultItem"][0]["AccountStatus"], "Imported", "{reply}");
}

on_both_backends!(everything_survives_a_restart, admins_follow_the_configuration);
