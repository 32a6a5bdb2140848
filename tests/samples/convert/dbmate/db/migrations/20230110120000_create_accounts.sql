-- migrate:up
CREATE TYPE account_status AS ENUM ('active', 'closed');

CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    status account_status NOT NULL DEFAULT 'active',
    legacy_flag boolean,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- migrate:down
DROP TRIGGER accounts_touch ON accounts;
DROP FUNCTION touch_updated_at();
DROP TABLE accounts;
DROP TYPE account_status;
