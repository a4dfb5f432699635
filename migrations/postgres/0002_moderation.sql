-- Member mutes per group, app-wide (global) mutes and the app's dirty-word list.
CREATE TABLE group_mutes (
    sdkappid     BIGINT NOT NULL,
    group_id     TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    muted_until  BIGINT NOT NULL,
    PRIMARY KEY (sdkappid, group_id, user_id)
);

CREATE TABLE global_mutes (
    sdkappid          BIGINT NOT NULL,
    user_id           TEXT    NOT NULL,
    c2c_muted_until   BIGINT NOT NULL,
    group_muted_until BIGINT NOT NULL,
    PRIMARY KEY (sdkappid, user_id)
);

CREATE TABLE dirty_words (
    sdkappid  BIGINT NOT NULL,
    word      TEXT    NOT NULL,
    PRIMARY KEY (sdkappid, word)
);
