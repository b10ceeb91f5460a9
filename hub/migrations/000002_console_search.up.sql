-- The console's search (hub.SearchCustomers): a first name alone, and a
-- vendor's id of the record across every instance.
CREATE INDEX `ix_customers_first` ON `customers` (`first_name`);
CREATE INDEX `ix_links_external` ON `links` (`external_id`);
