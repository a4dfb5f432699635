-- Apps, administrators, accounts, profiles and groups (AVChatRoom).
CREATE TABLE apps (
    sdkappid     INTEGER PRIMARY KEY,
    secret_key   TEXT    NOT NULL,
    development  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

CREATE TABLE app_admins (
    sdkappid  INTEGER NOT NULL REFERENCES apps(sdkappid) ON DELETE CASCADE,
    user_id   TEXT    NOT NULL,
    PRIMARY KEY (sdkappid, user_id)
);

CREATE TABLE accounts (
    sdkappid    INTEGER NOT NULL,
    user_id     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (sdkappid, user_id)
);

-- One row per profile tag; value is the JSON text of the tag's value.
CREATE TABLE profiles (
    sdkappid  INTEGER NOT NULL,
    user_id   TEXT    NOT NULL,
    tag       TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (sdkappid, user_id, tag)
);

CREATE TABLE chat_groups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    sdkappid           INTEGER NOT NULL,
    group_id           TEXT    NOT NULL,
    group_type         TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    introduction       TEXT    NOT NULL DEFAULT '',
    notification       TEXT    NOT NULL DEFAULT '',
    face_url           TEXT    NOT NULL DEFAULT '',
    owner_account      TEXT,
    apply_join_option  TEXT    NOT NULL,
    mute_all           INTEGER NOT NULL DEFAULT 0,
    create_time        INTEGER NOT NULL,
    info_seq           INTEGER NOT NULL DEFAULT 0,
    last_info_time     INTEGER NOT NULL,
    app_defined_data   TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (sdkappid, group_id)
);
