-- Customer insights (hub/insights.go): the indicators per customer, their
-- change lineage/outbox, the shop-wide figures of the scheduled RFM run, and
-- the order columns they read (payment method, shipping country, items).
CREATE TABLE `customer_insights` (
  `customer_id` bigint unsigned NOT NULL,
  `orders` bigint NOT NULL DEFAULT 0,
  `currency` varchar(3) NOT NULL DEFAULT '',
  `ltv_units` bigint NOT NULL DEFAULT 0,
  `last_order_at` datetime(3) DEFAULT NULL,
  `next_order_due` datetime(3) DEFAULT NULL,
  `median_interval_s` bigint NOT NULL DEFAULT 0,
  `tickets90d` bigint NOT NULL DEFAULT 0,
  `r` bigint NOT NULL DEFAULT 0,
  `f` bigint NOT NULL DEFAULT 0,
  `m` bigint NOT NULL DEFAULT 0,
  `segment` varchar(32) NOT NULL DEFAULT '',
  `profitability` varchar(32) NOT NULL DEFAULT '',
  `data` text DEFAULT NULL,
  `version` bigint NOT NULL DEFAULT 0,
  `computed_at` datetime(3) DEFAULT NULL,
  `scored_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`customer_id`),
  KEY `idx_customer_insights_next_order_due` (`next_order_due`),
  KEY `idx_customer_insights_segment` (`segment`),
  KEY `idx_customer_insights_profitability` (`profitability`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `insight_changes` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `field` varchar(48) NOT NULL,
  `old_value` varchar(64) DEFAULT NULL,
  `new_value` varchar(64) DEFAULT NULL,
  `cause` varchar(16) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `dispatched_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_insight_changes_customer_id` (`customer_id`),
  KEY `ix_insight_changes_pending` (`dispatched_at`,`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `insight_stats` (
  `name` varchar(64) NOT NULL,
  `value` bigint DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE `orders` ADD COLUMN `items` bigint NOT NULL DEFAULT 0;

ALTER TABLE `orders` ADD COLUMN `payment_method` varchar(24) COLLATE utf8mb4_bin NOT NULL DEFAULT '';

ALTER TABLE `orders` ADD COLUMN `returned_items` bigint NOT NULL DEFAULT 0;

ALTER TABLE `orders` ADD COLUMN `shipping_country` varchar(2) COLLATE utf8mb4_bin NOT NULL DEFAULT '';
