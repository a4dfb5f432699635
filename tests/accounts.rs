//! im_open_login_svc and profile commands over real HTTP, on SQLite and PostgreSQL.

mod common;

use common::{SDKAPPID, TestServer, member, sig};
use serde_json::json;

const IMPORT: &str = "im_open_login_svc/account_import";
const MULTI: &str = "im_open_login_svc/multiaccount_import";
const DELETE: &str = "im_open_login_svc/account_delete";
const CHECK: &str = "im_open_login_svc/account_check";
const SET: &str = "profile/portrait_set";
const GET: &str = "profile/portrait_get";
const TAG_NICK: &str = "Tag_Profile_IM_Nick";

async fn statuses(s: &TestServer, ids: &[&str]) -> Vec<String> {
    let items: Vec<_> = ids.iter().map(|id| json!({"UserID": id})).collect();
    let reply = s.ok(CHECK, json!({"CheckItem": items})).await;
    reply["ResultItem"].as_array().unwrap().iter().map(|i| i["AccountStatus"].as_str().unwrap().to_owned()).collect()
}

async fn account_import_and_its_limits(s: TestServer) {
    s.ok(IMPORT, json!({"UserID": "alice", "Nick": "Alice", "FaceUrl": "http://img/a.png"})).await;
    s.ok(IMPORT, json!({"Identifier": "legacy_bob"})).await;
    s.ok(IMPORT, json!({"UserID": "alice"})).await; // importing again is fine
    s.ok(IMPORT, json!({"UserID": "主播".repeat(5)})).await; // 30 bytes of UTF-8
    s.fails(IMPORT, json!({"UserID": "主播".repeat(6)}), 70402).await; // 36 bytes
    s.fails(IMPORT, json!({"UserID": "x".repeat(33)}), 70402).await;
    s.fails(IMPORT, json!({"UserID": ""}), 70402).await;
    s.fails(IMPORT, json!({"Nick": "no id"}), 70402).await;
    s.fails(IMPORT, json!({"UserID": "n", "Nick": "x".repeat(501)}), 70402).await;
    assert_eq!(statuses(&s, &["alice", "legacy_bob", "ghost"]).await, ["Imported", "Imported", "NotImported"]);
    let profile =
        s.ok(GET, json!({"To_Account": ["alice"], "TagList": ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Image"]})).await;
    assert_eq!(
        profile["UserProfileItem"][0]["ProfileItem"],
        json!([{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice"}, {"Tag": "Tag_Profile_IM_Image", "Value": "http://img/a.png"}])
    );
}

async fn multiaccount_import_old_and_new_shapes(s: TestServer) {
    let reply = s.ok(MULTI, json!({"Accounts": ["u1", "u2", "x".repeat(40)]})).await;
    assert_eq!(reply["FailAccounts"], json!(["x".repeat(40)]));
    let reply = s.ok(MULTI, json!({"AccountList": [{"UserID": "u3", "Nick": "Three"}, {"UserID": "u4"}]})).await;
    assert_eq!(reply["FailAccounts"], json!([]));
    assert_eq!(statuses(&s, &["u1", "u2", "u3", "u4"]).await, ["Imported"; 4]);
    let nick = s.ok(GET, json!({"To_Account": ["u3"], "TagList": ["Tag_Profile_IM_Nick"]})).await;
    assert_eq!(nick["UserProfileItem"][0]["ProfileItem"][0]["Value"], "Three");
    let too_many: Vec<String> = (0..101).map(|i| format!("m{i}")).collect();
    s.fails(MULTI, json!({"Accounts": too_many}), 70206).await;
    s.fails(MULTI, json!({"AccountList": []}), 70206).await;
    s.fails(MULTI, json!({}), 70402).await;
}

async fn account_delete_and_check(s: TestServer) {
    s.ok(MULTI, json!({"Accounts": ["d1", "d2"]})).await;
    s.ok(SET, json!({"From_Account": "d1", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "gone soon"}]}))
        .await;
    let reply =
        s.ok(DELETE, json!({"DeleteItem": [{"UserID": "d1"}, {"UserID": "never"}, {"UserID": "administrator"}]})).await;
    let codes: Vec<_> = reply["ResultItem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["UserID"].clone(), i["ResultCode"].clone()))
        .collect();
    assert_eq!(
        codes,
        [(json!("d1"), json!(0)), (json!("never"), json!(70107)), (json!("administrator"), json!(70402))]
    );
    assert_eq!(statuses(&s, &["d1", "d2", "administrator"]).await, ["NotImported", "Imported", "Imported"]);
    // A re-imported account starts with an empty profile.
    s.ok(IMPORT, json!({"UserID": "d1"})).await;
    let nick = s.ok(GET, json!({"To_Account": ["d1"], "TagList": ["Tag_Profile_IM_Nick"]})).await;
    assert_eq!(nick["UserProfileItem"][0]["ProfileItem"][0]["Value"], "");
    let hundred_and_one: Vec<_> = (0..101).map(|i| json!({"UserID": format!("c{i}")})).collect();
    s.fails(CHECK, json!({"CheckItem": hundred_and_one}), 70206).await;
    s.fails(DELETE, json!({"DeleteItem": []}), 70206).await;
}

async fn portrait_set_and_get(s: TestServer) {
    s.ok(IMPORT, json!({"UserID": "p1"})).await;
    let items = json!([
        {"Tag": "Tag_Profile_IM_Nick", "Value": "小明"},
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Male"},
        {"Tag": "Tag_Profile_IM_BirthDay", "Value": 19991231},
        {"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"},
        {"Tag": "Tag_Profile_IM_Level", "Value": 7},
        {"Tag": "Tag_Profile_Custom_vip", "Value": "gold"},
        {"Tag": "Tag_Profile_Custom_score", "Value": 42}
    ]);
    let reply = s.ok(SET, json!({"From_Account": "p1", "ProfileItem": items})).await;
    assert_eq!(reply["ErrorDisplay"], "");
    let tags = [
        "Tag_Profile_IM_Nick",
        "Tag_Profile_IM_Gender",
        "Tag_Profile_IM_BirthDay",
        "Tag_Profile_IM_Level",
        "Tag_Profile_Custom_vip",
        "Tag_Profile_Custom_score",
        "Tag_Profile_IM_SelfSignature",
    ];
    let got = s.ok(GET, json!({"To_Account": ["p1", "nobody"], "TagList": tags})).await;
    let item = &got["UserProfileItem"][0];
    assert_eq!(item["To_Account"], "p1");
    assert_eq!(item["ResultCode"], 0);
    let values: Vec<_> = item["ProfileItem"].as_array().unwrap().iter().map(|p| p["Value"].clone()).collect();
    assert_eq!(
        values,
        [json!("小明"), json!("Gender_Type_Male"), json!(19991231), json!(7), json!("gold"), json!(42), json!("")]
    );
    assert_eq!(got["UserProfileItem"][1]["ResultCode"], 40003);
    assert_eq!(got["Fail_Account"], json!(["nobody"]));
    // Without a TagList every stored tag comes back.
    let all = s.ok(GET, json!({"To_Account": ["p1"]})).await;
    assert_eq!(all["UserProfileItem"][0]["ProfileItem"].as_array().unwrap().len(), 7);
}

async fn portrait_errors(s: TestServer) {
    s.ok(IMPORT, json!({"UserID": "p2"})).await;
    let set = |tag: &str, value: serde_json::Value| json!({"From_Account": "p2", "ProfileItem": [{"Tag": tag, "Value": value}]});
    s.fails(SET, set("Tag_Profile_IM_Nonsense", json!("x")), 40009).await;
    s.fails(SET, set("Tag_Profile_IM_Gender", json!("Gender_Type_Robot")), 40605).await;
    s.fails(SET, set("Tag_Profile_IM_Level", json!("high")), 40610).await;
    s.fails(SET, set("Tag_Profile_IM_Nick", json!(5)), 40610).await;
    s.fails(SET, set("Tag_Profile_IM_SelfSignature", json!("x".repeat(501))), 40601).await;
    s.fails(SET, set("Tag_Profile_Custom_big", json!("y".repeat(501))), 40601).await;
    s.fails(
        SET,
        json!({"From_Account": "ghost", "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}),
        40003,
    )
    .await;
    s.fails(SET, json!({"ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "x"}]}), 40002).await;
    s.fails(SET, json!({"From_Account": "p2", "ProfileItem": []}), 40001).await;
    s.fails(GET, json!({"To_Account": [], "TagList": ["Tag_Profile_IM_Nick"]}), 40002).await;
    s.fails(GET, json!({"To_Account": ["p2"], "TagList": ["Tag_Bogus"]}), 40009).await;
    let many: Vec<String> = (0..101).map(|i| format!("q{i}")).collect();
    s.fails(GET, json!({"To_Account": many, "TagList": ["Tag_Profile_IM_Nick"]}), 40001).await;
    // Nothing was half-written by the refused calls.
    let got = s.ok(GET, json!({"To_Account": ["p2"]})).await;
    assert_eq!(got["UserProfileItem"][0]["ProfileItem"], json!([]));
}

/// Nick of each listed member of `group`.
async fn member_nicks(s: &TestServer, group: &str) -> Vec<(String, String)> {
    let members = s.ok("group_open_avchatroom_http_svc/get_members", json!({"GroupId": group, "Timestamp": 0})).await;
    let list = members["MemberList"].as_array().unwrap();
    list.iter()
        .map(|m| (m["Member_Account"].as_str().unwrap().into(), m["NickName"].as_str().unwrap().into()))
        .collect()
}

/// The server keeps which accounts exist and their profiles; REST writes must reach what a
/// later login and join see.
async fn logins_and_joins_see_account_and_profile_changes(s: TestServer) {
    s.ok("group_open_http_svc/create_group", json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": "live"})).await;
    // Created by its first login, with an empty profile.
    let first = member(&s, "viewer", "live").await;
    assert_eq!(statuses(&s, &["viewer"]).await, ["Imported"]);
    assert_eq!(member_nicks(&s, "live").await, [("viewer".to_owned(), String::new())]);
    first.close().await;
    // A nick set over REST after that login is what the next join carries.
    s.ok(SET, json!({"From_Account": "viewer", "ProfileItem": [{"Tag": TAG_NICK, "Value": "Neo"}]})).await;
    let mut second = common::ws_client::SdkClient::connect(&s.base(), SDKAPPID, "second", true).await;
    assert_eq!(second.login("viewer", &sig("viewer")).await["ErrorCode"], 0);
    let join = second.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!(join["ErrorCode"], 0, "{join}");
    assert!(member_nicks(&s, "live").await.contains(&("viewer".to_owned(), "Neo".to_owned())));
    // A deleted account comes back at its next login, with an empty profile again.
    let reply = s.ok(DELETE, json!({"DeleteItem": [{"UserID": "viewer"}]})).await;
    assert_eq!(reply["ResultItem"][0]["ResultCode"], 0);
    assert_eq!(statuses(&s, &["viewer"]).await, ["NotImported"]);
    s.fails(SET, json!({"From_Account": "viewer", "ProfileItem": [{"Tag": TAG_NICK, "Value": "x"}]}), 40003).await;
    let mut third = common::ws_client::SdkClient::connect(&s.base(), SDKAPPID, "third", true).await;
    assert_eq!(third.login("viewer", &sig("viewer")).await["ErrorCode"], 0);
    assert_eq!(statuses(&s, &["viewer"]).await, ["Imported"]);
    let nick = s.ok(GET, json!({"To_Account": ["viewer"], "TagList": [TAG_NICK]})).await;
    assert_eq!(nick["UserProfileItem"][0]["ProfileItem"][0]["Value"], "");
    // Imported over REST with a nick after being known: the nick is seen too.
    s.ok(IMPORT, json!({"UserID": "viewer", "Nick": "Trinity"})).await;
    let join = third.call("group_open_http_svc.apply_join_group", json!({"GroupId": "live"})).await;
    assert_eq!(join["ErrorCode"], 0, "{join}");
    assert!(member_nicks(&s, "live").await.contains(&("viewer".to_owned(), "Trinity".to_owned())));
}

on_both_backends!(
    logins_and_joins_see_account_and_profile_changes,
    account_import_and_its_limits,
    multiaccount_import_old_and_new_shapes,
    account_delete_and_check,
    portrait_set_and_get,
    portrait_errors,
);
