-- A record waiting in quarantine is stored once (hub.Store.Quarantine): its
-- hash is unique while it waits, and a replay clears it. Rows quarantined
-- before this version have no key; they wait and replay as before.
ALTER TABLE `quarantine` ADD COLUMN `waiting_key` varchar(64) COLLATE utf8mb4_bin DEFAULT NULL;
CREATE UNIQUE INDEX `ux_quarantine_waiting` ON `quarantine` (`waiting_key`);
