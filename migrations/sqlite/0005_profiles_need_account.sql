-- Profile rows are written only for an existing account and deleted with it, so the server can
-- take a newly created account's profile to be empty. Drops rows an earlier race may have left.
DELETE FROM profiles
WHERE NOT EXISTS (
    SELECT 1 FROM accounts WHERE accounts.sdkappid = profiles.sdkappid AND accounts.user_id = profiles.user_id
);
