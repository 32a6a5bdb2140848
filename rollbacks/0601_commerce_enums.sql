-- Undoes 0601_commerce_enums.
DROP TYPE integration_service;

DROP TYPE integration_owner_type;

DROP TYPE currency_code;
