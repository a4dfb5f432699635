//! group_open_http_svc lifecycle commands over real HTTP, on SQLite and PostgreSQL.

mod common;

use common::TestServer;
use serde_json::{Value, json};

const CREATE: &str = "group_open_http_svc/create_group";
const DESTROY: &str = "group_open_http_svc/destroy_group";
const INFO: &str = "group_open_http_svc/get_group_info";
const MODIFY: &str = "group_open_http_svc/modify_group_base_info";
const LIST: &str = "group_open_http_svc/get_appid_group_list";

fn room(id: &str) -> Value {
    json!({"Type": "AVChatRoom", "Name": "Live", "GroupId": id})
}

async fn info(s: &TestServer, id: &str) -> Value {
    s.ok(INFO, json!({"GroupIdList": [id]})).await["GroupInfo"][0].clone()
}

async fn create_group_generated_and_custom_ids(s: TestServer) {
    s.ok("im_open_login_svc/account_import", json!({"UserID": "host"})).await;
    let reply = s
        .ok(
            CREATE,
            json!({"Type": "AVChatRoom", "Name": "直播间", "Owner_Account": "host",
        "Introduction": "intro", "Notification": "notice", "FaceUrl": "http://f/a.png", "MaxMemberCount": 500,
        "ApplyJoinOption": "FreeAccess", "AppDefinedData": [{"Key": "stage", "Value": "upcoming"}]}),
        )
        .await;
    let id = reply["GroupId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("@TGS#a") && id.len() == 15, "generated AVChatRoom id: {id}");
    assert_eq!(reply["Type"], "AVChatRoom");
    let g = info(&s, &id).await;
    assert_eq!(g["ErrorCode"], 0);
    assert_eq!(g["Type"], "AVChatRoom");
    assert_eq!(g["Name"], "直播间");
    assert_eq!(g["Owner_Account"], "host");
    assert_eq!(g["Introduction"], "intro");
    assert_eq!(g["Notification"], "notice");
    assert_eq!(g["FaceUrl"], "http://f/a.png");
    assert_eq!(g["MuteAllMember"], "Off");
    assert_eq!(g["ApplyJoinOption"], "FreeAccess");
    assert_eq!(g["AppDefinedData"], json!([{"Key": "stage", "Value": "upcoming"}]));
    assert!(g["CreateTime"].as_u64().unwrap() >= common::now() - 60);
    assert!(g.get("MemberList").is_none(), "AVChatRoom info carries no member list");

    s.ok(CREATE, room("custom id 01")).await;
    s.fails(CREATE, room("custom id 01"), 10021).await;
    s.ok(CREATE, json!({"Type": "AVChatRoom", "Name": "Mine", "GroupId": "owned", "Owner_Account": "host"})).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "Again", "GroupId": "owned", "Owner_Account": "host"}), 10025)
        .await;
    let second = s.ok(CREATE, json!({"Type": "AVChatRoom", "Name": "Another"})).await;
    assert_ne!(second["GroupId"], reply["GroupId"]);
}

async fn create_group_validation(s: TestServer) {
    s.fails(CREATE, room("@TGS#aFAKE"), 10015).await;
    s.fails(CREATE, room(&"g".repeat(49)), 10015).await;
    s.ok(CREATE, room(&"g".repeat(48))).await;
    s.fails(CREATE, room("emoji😀"), 10015).await;
    s.fails(CREATE, room("tab\there"), 10015).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "名".repeat(11)}), 10004).await; // 33 bytes
    s.ok(CREATE, json!({"Type": "AVChatRoom", "Name": "名".repeat(10)})).await; // 30 bytes
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "Introduction": "i".repeat(241)}), 10004).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "Notification": "i".repeat(301)}), 10004).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "FaceUrl": "i".repeat(101)}), 10004).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom"}), 10004).await;
    s.fails(CREATE, json!({"Name": "no type"}), 10004).await;
    s.fails(CREATE, json!({"Type": "Bogus", "Name": "n"}), 10004).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "ApplyJoinOption": "Sometimes"}), 10004).await;
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "Owner_Account": "ghost"}), 10019).await;
    s.fails(
        CREATE,
        json!({"Type": "AVChatRoom", "Name": "n", "MemberList": [{"Member_Account": "administrator"}]}),
        10007,
    )
    .await;
    let long_key =
        json!({"Type": "AVChatRoom", "Name": "n", "AppDefinedData": [{"Key": "k".repeat(17), "Value": "v"}]});
    s.fails(CREATE, long_key, 10004).await;
    let eleven: Vec<_> = (0..11).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    s.fails(CREATE, json!({"Type": "AVChatRoom", "Name": "n", "AppDefinedData": eleven}), 10004).await;
    for other in ["Public", "Private", "Work", "ChatRoom", "Meeting", "Community"] {
        let reply = s.fails(CREATE, json!({"Type": other, "Name": "n"}), 10007).await;
        assert!(reply["ErrorInfo"].as_str().unwrap().contains("not supported"), "{reply}");
    }
}

async fn get_group_info_filters_and_errors(s: TestServer) {
    s.ok(
        CREATE,
        json!({"Type": "AVChatRoom", "Name": "F", "GroupId": "f1",
        "AppDefinedData": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
    )
    .await;
    let reply = s
        .ok(
            INFO,
            json!({"GroupIdList": ["f1", "missing"], "ResponseFilter": {
        "GroupBaseInfoFilter": ["Name", "ShutUpAllMember"], "AppDefinedDataFilter_Group": ["b"]}}),
        )
        .await;
    let g = &reply["GroupInfo"][0];
    let mut keys: Vec<_> = g.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["AppDefinedData", "ErrorCode", "ErrorInfo", "GroupId", "MuteAllMember", "Name"]);
    assert_eq!(g["AppDefinedData"], json!([{"Key": "b", "Value": "2"}]));
    let missing = &reply["GroupInfo"][1];
    assert_eq!(missing["GroupId"], "missing");
    assert_eq!(missing["ErrorCode"], 10010);
    assert!(!missing["ErrorInfo"].as_str().unwrap().is_empty());
    let fifty_one: Vec<String> = (0..51).map(|i| format!("g{i}")).collect();
    s.fails(INFO, json!({"GroupIdList": fifty_one}), 10004).await;
    s.fails(INFO, json!({"GroupIdList": []}), 10004).await;
}

async fn modify_group_base_info_rules(s: TestServer) {
    s.ok(
        CREATE,
        json!({"Type": "AVChatRoom", "Name": "Old", "GroupId": "m1",
        "AppDefinedData": [{"Key": "keep", "Value": "1"}, {"Key": "drop", "Value": "2"}]}),
    )
    .await;
    let before = info(&s, "m1").await;
    s.ok(
        MODIFY,
        json!({"GroupId": "m1", "Name": "New", "Introduction": "i2", "Notification": "n2", "FaceUrl": "http://f",
        "MaxMemberNum": 10, "MuteAllMember": "On",
        "AppDefinedData": [{"Key": "drop", "Value": ""}, {"Key": "keep", "Value": "3"}, {"Key": "add", "Value": "4"}]}),
    )
    .await;
    let g = info(&s, "m1").await;
    assert_eq!(
        (g["Name"].as_str(), g["Introduction"].as_str(), g["Notification"].as_str()),
        (Some("New"), Some("i2"), Some("n2"))
    );
    assert_eq!(g["FaceUrl"], "http://f");
    assert_eq!(g["MuteAllMember"], "On");
    assert_eq!(g["AppDefinedData"], json!([{"Key": "keep", "Value": "3"}, {"Key": "add", "Value": "4"}]));
    assert_eq!(g["InfoSeq"].as_u64().unwrap(), before["InfoSeq"].as_u64().unwrap() + 1);
    s.ok(MODIFY, json!({"GroupId": "m1", "ShutUpAllMember": "Off"})).await;
    assert_eq!(info(&s, "m1").await["MuteAllMember"], "Off", "the legacy field name works");

    s.fails(MODIFY, json!({"GroupId": "nope", "Name": "x"}), 10010).await;
    s.fails(MODIFY, json!({"GroupId": "m1", "Name": "x".repeat(31)}), 10004).await;
    s.fails(MODIFY, json!({"GroupId": "m1", "Name": ""}), 10004).await;
    s.fails(MODIFY, json!({"GroupId": "m1", "Notification": "x".repeat(301)}), 10004).await;
    s.fails(MODIFY, json!({"GroupId": "m1", "MuteAllMember": "Maybe"}), 10004).await;
    let ten_more: Vec<_> = (0..10).map(|i| json!({"Key": format!("n{i}"), "Value": "v"})).collect();
    s.fails(MODIFY, json!({"GroupId": "m1", "AppDefinedData": ten_more}), 10004).await;
    s.fails(MODIFY, json!({"Name": "no id"}), 10004).await;
    assert_eq!(info(&s, "m1").await["Name"], "New", "refused changes leave the group as it was");
}

async fn destroy_and_list(s: TestServer) {
    for i in 0..5 {
        s.ok(CREATE, room(&format!("L{i}"))).await;
    }
    let page1 = s.ok(LIST, json!({"Limit": 2})).await;
    assert_eq!(page1["TotalCount"], 5);
    assert_eq!(page1["GroupIdList"], json!([{"GroupId": "L0"}, {"GroupId": "L1"}]));
    let next = page1["Next"].as_u64().unwrap();
    assert_ne!(next, 0);
    let page2 = s.ok(LIST, json!({"Limit": 10, "Next": next, "GroupType": "AVChatRoom"})).await;
    assert_eq!(page2["GroupIdList"], json!([{"GroupId": "L2"}, {"GroupId": "L3"}, {"GroupId": "L4"}]));
    assert_eq!(page2["Next"], 0);
    assert_eq!(s.ok(LIST, json!({"GroupType": "Public"})).await["GroupIdList"], json!([]));
    s.fails(LIST, json!({"GroupType": "Nope"}), 10004).await;
    s.fails(LIST, json!({"Limit": 0}), 10004).await;
    s.fails(LIST, json!({"Limit": 10001}), 10004).await;

    s.ok(DESTROY, json!({"GroupId": "L1"})).await;
    s.fails(DESTROY, json!({"GroupId": "L1"}), 10010).await;
    assert_eq!(info(&s, "L1").await["ErrorCode"], 10010);
    s.fails(MODIFY, json!({"GroupId": "L1", "Name": "x"}), 10010).await;
    let all = s.ok(LIST, json!({})).await;
    assert_eq!(all["TotalCount"], 4);
    s.ok(CREATE, room("L1")).await; // a destroyed id can be used again
    s.fails(DESTROY, json!({}), 10004).await;
}

on_both_backends!(
    create_group_generated_and_custom_ids,
    create_group_validation,
    get_group_info_filters_and_errors,
    modify_group_base_info_rules,
    destroy_and_list,
);
