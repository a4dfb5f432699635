-- AVChatRoom admins (group_open_avchatroom_http_svc/modify_admin): at most 5 per group, exempt
-- from mute-all.
CREATE TABLE group_admins (
    sdkappid  INTEGER NOT NULL,
    group_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    PRIMARY KEY (sdkappid, group_id, user_id)
);

-- Group attributes (group_open_attr_http_svc): at most 16 keys per group.
CREATE TABLE group_attributes (
    sdkappid    INTEGER NOT NULL,
    group_id    TEXT    NOT NULL,
    attr_key    TEXT    NOT NULL,
    attr_value  TEXT    NOT NULL,
    -- Bumped when this key changes (the SDK's per-key seq).
    attr_seq    INTEGER NOT NULL,
    PRIMARY KEY (sdkappid, group_id, attr_key)
);

-- Bumped by one on every attribute write (the SDK's AttrMainSeq).
ALTER TABLE chat_groups ADD COLUMN attr_main_seq INTEGER NOT NULL DEFAULT 0;

-- History on join for this group: NULL follows the server's setting, 0 off, 1 on
-- (modify_group_base_info HistoryMsgBeforeJoin).
ALTER TABLE chat_groups ADD COLUMN history_before_join INTEGER;
