-- firmware room: a campaign's devices are listed a page at a time in campaign order (cursor = position).
CREATE INDEX campaign_devices_order ON campaign_devices (campaign_id, position);
