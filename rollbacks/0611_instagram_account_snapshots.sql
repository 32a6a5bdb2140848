-- Undoes 0611_instagram_account_snapshots.
DROP TABLE instagram_account_snapshots;
