-- Tickets that reach the hub before their customer are adopted when the
-- customer arrives (hub.Store.Adopt), as orders are: by the helpdesk's
-- customer id in the ticket's own instance, or by email.
ALTER TABLE `tickets` ADD COLUMN `customer_ref` varchar(255) COLLATE utf8mb4_bin DEFAULT NULL;
ALTER TABLE `tickets` ADD COLUMN `customer_email` varchar(320) COLLATE utf8mb4_bin DEFAULT NULL;
CREATE INDEX `ix_tickets_ref` ON `tickets` (`instance`,`customer_ref`);
CREATE INDEX `idx_tickets_customer_email` ON `tickets` (`customer_email`);
-- The tickets waiting now get their columns from their docs. Only they:
-- nothing reads the columns of a linked ticket, and it fills them at its
-- next change.
UPDATE `tickets` SET `customer_ref` = LEFT(JSON_UNQUOTE(JSON_EXTRACT(`data`, '$.customer_ref')), 255)
  WHERE `customer_id` IS NULL AND JSON_TYPE(JSON_EXTRACT(`data`, '$.customer_ref')) = 'STRING';
UPDATE `tickets` SET `customer_email` = JSON_UNQUOTE(JSON_EXTRACT(`data`, '$.customer_email'))
  WHERE `customer_id` IS NULL AND JSON_TYPE(JSON_EXTRACT(`data`, '$.customer_email')) = 'STRING'
  AND CHAR_LENGTH(JSON_UNQUOTE(JSON_EXTRACT(`data`, '$.customer_email'))) <= 320;
