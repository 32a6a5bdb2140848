-- 0002_user_enums: the role and status of a user account.
-- Serves: 002 migration 01 "User accounts and enums (roles, status)".
CREATE TYPE user_role AS ENUM ('user', 'support', 'admin');

CREATE TYPE user_status AS ENUM ('active', 'suspended', 'deactivated');
