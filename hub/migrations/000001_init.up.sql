-- Version 1: the hub's schema as gorm's AutoMigrate created it up to this
-- release (SHOW CREATE TABLE on MariaDB 10.11 after AutoMigrate). A
-- database made by an earlier release is adopted without running this
-- file (see hub/migrations/README.md).
--
-- Every table uses a binary collation: keys are normalized in Go, and a
-- case-insensitive collation would make MariaDB and SQLite disagree on which
-- keys are equal.

CREATE TABLE `app_shops` (
  `instance` varchar(64) NOT NULL,
  `shop_id` varchar(64) NOT NULL,
  `shop_url` varchar(255) DEFAULT NULL,
  `secret` varchar(128) DEFAULT NULL,
  `pending_secret` varchar(128) DEFAULT NULL,
  `previous_secret` varchar(128) DEFAULT NULL,
  `api_key` varchar(255) DEFAULT NULL,
  `secret_key` varchar(255) DEFAULT NULL,
  `registered_at` datetime(3) DEFAULT NULL,
  `confirmed_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`instance`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `carts` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `instance` varchar(64) NOT NULL,
  `external_id` varchar(255) NOT NULL,
  `customer_id` bigint unsigned DEFAULT NULL,
  `customer_ref` varchar(255) DEFAULT NULL,
  `customer_email` varchar(320) DEFAULT NULL,
  `currency` varchar(3) DEFAULT NULL,
  `total_units` bigint NOT NULL DEFAULT 0,
  `touched_at` datetime(3) DEFAULT NULL,
  `completed_at` datetime(3) DEFAULT NULL,
  `data` text DEFAULT NULL,
  `version` bigint NOT NULL DEFAULT 0,
  `source_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_carts_ext` (`instance`,`external_id`),
  KEY `idx_carts_customer_id` (`customer_id`),
  KEY `idx_carts_customer_email` (`customer_email`),
  KEY `ix_carts_open` (`completed_at`,`touched_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `change_log` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `version` bigint DEFAULT NULL,
  `field` varchar(64) NOT NULL,
  `old_value` text DEFAULT NULL,
  `new_value` text DEFAULT NULL,
  `instance` varchar(64) DEFAULT NULL,
  `event_id` varchar(255) DEFAULT NULL,
  `source_at` datetime(3) DEFAULT NULL,
  `rejected` varchar(191) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_changes_customer` (`customer_id`,`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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

CREATE TABLE `customers` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `email` varchar(320) DEFAULT NULL,
  `first_name` varchar(255) DEFAULT NULL,
  `last_name` varchar(255) DEFAULT NULL,
  `phone` varchar(32) DEFAULT NULL,
  `customer_number` varchar(64) DEFAULT NULL,
  `data` text DEFAULT NULL,
  `provenance` text DEFAULT NULL,
  `version` bigint NOT NULL DEFAULT 0,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_customers_email` (`email`),
  KEY `ix_customers_name` (`last_name`,`first_name`),
  KEY `idx_customers_phone` (`phone`),
  KEY `idx_customers_customer_number` (`customer_number`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `erasure_tombstones` (
  `hash` varchar(64) NOT NULL,
  `request_id` bigint unsigned DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`hash`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `event_deliveries` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `event_id` bigint unsigned NOT NULL,
  `instance` varchar(64) NOT NULL,
  `status` varchar(16) NOT NULL,
  `reason` varchar(191) DEFAULT NULL,
  `delivered_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_event_deliveries` (`event_id`,`instance`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `events` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `type` varchar(48) NOT NULL,
  `occasion` varchar(128) NOT NULL,
  `key` varchar(191) NOT NULL,
  `marketing` tinyint(1) DEFAULT NULL,
  `data` text DEFAULT NULL,
  `at` datetime(3) DEFAULT NULL,
  `cancelled_at` datetime(3) DEFAULT NULL,
  `cancel_reason` varchar(191) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_events_key` (`key`),
  KEY `ix_events_customer` (`customer_id`,`at`)
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

CREATE TABLE `links` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `instance` varchar(64) NOT NULL,
  `resource` varchar(32) NOT NULL,
  `external_id` varchar(255) NOT NULL,
  `last_inbound_hash` varchar(64) DEFAULT NULL,
  `last_inbound_at` datetime(3) DEFAULT NULL,
  `last_pushed_hash` varchar(64) DEFAULT NULL,
  `last_pushed_version` bigint DEFAULT NULL,
  `last_pushed_at` datetime(3) DEFAULT NULL,
  `last_pushed_doc` text DEFAULT NULL,
  `last_inbound_doc` text DEFAULT NULL,
  `vendor_deleted_at` datetime(3) DEFAULT NULL,
  `vendor_deleted_by` varchar(191) DEFAULT NULL,
  `unverified` tinyint(1) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_links_ext` (`instance`,`resource`,`external_id`),
  KEY `idx_links_customer_id` (`customer_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `order_change_log` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `order_id` bigint unsigned NOT NULL,
  `version` bigint DEFAULT NULL,
  `field` varchar(64) NOT NULL,
  `old_value` text DEFAULT NULL,
  `new_value` text DEFAULT NULL,
  `instance` varchar(64) DEFAULT NULL,
  `event_id` varchar(255) DEFAULT NULL,
  `source_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_order_changes` (`order_id`,`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `instance` varchar(64) NOT NULL,
  `external_id` varchar(255) NOT NULL,
  `customer_id` bigint unsigned DEFAULT NULL,
  `customer_ref` varchar(255) DEFAULT NULL,
  `customer_email` varchar(320) DEFAULT NULL,
  `number` varchar(64) DEFAULT NULL,
  `status` varchar(16) DEFAULT NULL,
  `financial_status` varchar(24) DEFAULT NULL,
  `currency` varchar(3) DEFAULT NULL,
  `total_units` bigint NOT NULL DEFAULT 0,
  `refunded_units` bigint NOT NULL DEFAULT 0,
  `payment_method` varchar(24) NOT NULL DEFAULT '',
  `shipping_country` varchar(2) NOT NULL DEFAULT '',
  `items` bigint NOT NULL DEFAULT 0,
  `returned_items` bigint NOT NULL DEFAULT 0,
  `placed_at` datetime(3) DEFAULT NULL,
  `data` text DEFAULT NULL,
  `provenance` text DEFAULT NULL,
  `version` bigint NOT NULL DEFAULT 0,
  `source_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_orders_ext` (`instance`,`external_id`),
  KEY `ix_orders_ref` (`instance`,`customer_ref`),
  KEY `ix_orders_customer` (`customer_id`,`placed_at`),
  KEY `idx_orders_customer_email` (`customer_email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `outbox` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` bigint unsigned NOT NULL,
  `version` bigint DEFAULT NULL,
  `resource` varchar(32) DEFAULT NULL,
  `origin` varchar(64) DEFAULT NULL,
  `fields` text DEFAULT NULL,
  `origin_stale` tinyint(1) DEFAULT NULL,
  `key` varchar(32) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `dispatched_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_outbox_key` (`key`),
  KEY `idx_outbox_customer_id` (`customer_id`),
  KEY `ix_outbox_pending` (`dispatched_at`,`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `privacy_requests` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `kind` varchar(16) NOT NULL,
  `source` varchar(64) NOT NULL,
  `instance` varchar(64) DEFAULT NULL,
  `vendor_request_id` varchar(64) DEFAULT NULL,
  `customer_id` bigint unsigned DEFAULT NULL,
  `status` varchar(16) NOT NULL,
  `reason` varchar(64) DEFAULT NULL,
  `removed` text DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  `finished_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_privacy_requests_customer_id` (`customer_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `privacy_steps` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `request_id` bigint unsigned NOT NULL,
  `instance` varchar(64) NOT NULL,
  `resource` varchar(32) NOT NULL,
  `action` varchar(16) NOT NULL,
  `external_id` varchar(255) DEFAULT NULL,
  `fields` text DEFAULT NULL,
  `token` varchar(32) DEFAULT NULL,
  `status` varchar(16) NOT NULL,
  `outcome` varchar(16) DEFAULT NULL,
  `error` varchar(512) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  `done_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_privacy_steps_request_id` (`request_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `push_waiting` (
  `customer_id` bigint unsigned NOT NULL,
  `instance` varchar(64) NOT NULL,
  `resource` varchar(32) NOT NULL,
  `reason` text DEFAULT NULL,
  `since` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`customer_id`,`instance`,`resource`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `quarantine` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `instance` varchar(64) DEFAULT NULL,
  `resource` varchar(32) DEFAULT NULL,
  `external_id` varchar(255) DEFAULT NULL,
  `event_id` varchar(255) DEFAULT NULL,
  `source_at` datetime(3) DEFAULT NULL,
  `payload` mediumblob DEFAULT NULL,
  `reason` text DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `replayed_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_quarantine_instance` (`instance`),
  KEY `idx_quarantine_created_at` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `sync_cursors` (
  `instance` varchar(64) NOT NULL,
  `resource` varchar(32) NOT NULL,
  `value` text DEFAULT NULL,
  `done` tinyint(1) DEFAULT NULL,
  `last_success_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`instance`,`resource`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `ticket_change_log` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `ticket_id` bigint unsigned NOT NULL,
  `version` bigint DEFAULT NULL,
  `field` varchar(64) NOT NULL,
  `old_value` text DEFAULT NULL,
  `new_value` text DEFAULT NULL,
  `instance` varchar(64) DEFAULT NULL,
  `event_id` varchar(255) DEFAULT NULL,
  `source_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `ix_ticket_changes` (`ticket_id`,`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE `tickets` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `instance` varchar(64) NOT NULL,
  `external_id` varchar(255) NOT NULL,
  `customer_id` bigint unsigned DEFAULT NULL,
  `status` varchar(16) DEFAULT NULL,
  `subject` varchar(255) DEFAULT NULL,
  `data` text DEFAULT NULL,
  `provenance` text DEFAULT NULL,
  `version` bigint NOT NULL DEFAULT 0,
  `source_at` datetime(3) DEFAULT NULL,
  `created_at` datetime(3) DEFAULT NULL,
  `updated_at` datetime(3) DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `ux_tickets_ext` (`instance`,`external_id`),
  KEY `ix_tickets_customer` (`customer_id`,`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
