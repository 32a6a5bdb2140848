-- Undoes 0612_service_campaigns.
DROP TABLE campaign_activities;

DROP TABLE service_campaigns;
