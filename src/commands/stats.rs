//! `roomcast/get_room_stats`: a roomcast extension, not a Tencent command, for the operator
//! console. Live figures of rooms on this server: online members, the next sequence number, and
//! the messages delivered and dropped by frequency control since the room was loaded (at its
//! first use after a start). Counters only: the console turns two readings into rates, so
//! nothing here keeps time windows.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Call, Reply, reply, validate};
use crate::error::ImResult;
use crate::room::Room;

const MAX_GROUPS: usize = 1000;

#[derive(Deserialize)]
struct StatsRequest {
    /// The rooms to report; absent: every loaded room of the app.
    #[serde(rename = "GroupIdList")]
    group_ids: Option<Vec<String>>,
}

fn figures(group_id: &str, room: Option<&Room>) -> Value {
    let room = room.filter(|r| !r.is_destroyed());
    let (delivered, dropped) = room.map_or((0, 0), Room::counters);
    json!({
        "GroupId": group_id,
        "Loaded": room.is_some(),
        "OnlineMemberNum": room.map_or(0, Room::online_count),
        "NextMsgSeq": room.map_or(1, Room::next_seq),
        "MsgDelivered": delivered,
        "MsgDropped": dropped,
    })
}

pub(super) fn get_room_stats(call: Call<'_>) -> ImResult<Reply> {
    let req: StatsRequest = call.request()?;
    let rooms = &call.ctx.rooms;
    let list: Vec<Value> = match &req.group_ids {
        Some(ids) => {
            validate::batch("GroupIdList", ids.len(), MAX_GROUPS, call.codes.bad_param)?;
            ids.iter().map(|id| figures(id, rooms.get(call.sdkappid(), id).as_deref())).collect()
        }
        None => {
            let mut loaded = rooms.of_app(call.sdkappid());
            loaded.sort_by(|a, b| a.group_id.cmp(&b.group_id));
            loaded.iter().map(|r| figures(&r.group_id, Some(r))).collect()
        }
    };
    Ok(reply([("RoomList", Value::Array(list))]))
}
