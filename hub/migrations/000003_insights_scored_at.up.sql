-- The push after a scoring run reads the rows the run changed page by
-- page (hub.Store.ScoredChanged: scored_at = the run's time, customer_id
-- after the last page's, in customer_id order). Without an index each
-- page scanned the whole table; with it a page is a range of this index,
-- which InnoDB keys by (scored_at, customer_id).
CREATE INDEX `idx_customer_insights_scored_at` ON `customer_insights` (`scored_at`);
