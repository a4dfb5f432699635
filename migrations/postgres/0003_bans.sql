-- Banned members per group: removed, and unable to rejoin or receive until banned_until.
CREATE TABLE group_bans (
    sdkappid      BIGINT NOT NULL,
    group_id      TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    banned_until  BIGINT NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (sdkappid, group_id, user_id)
);
