-- When shophub read a link's last inbound record from the vendor
-- (hub.Link.LastInboundReadAt): a value read after our last push there is
-- no value written back over it, whatever the vendor's stamp says. Links
-- from before this version have none and are judged by the stamp as before.
ALTER TABLE `links` ADD COLUMN `last_inbound_read_at` datetime(3) DEFAULT NULL;
