-- 0001_uuidv7: uuidv7() for primary keys on every supported PostgreSQL major.
-- Serves: 002 "Naming Standards" (primary keys are UUIDv7, ordered UUIDs).
-- PostgreSQL 18 ships uuidv7() in pg_catalog. Older majors get public.uuidv7()
-- with the same contract (RFC 9562 version 7: 48-bit Unix epoch milliseconds,
-- then random bits), so every column default reads `uuidv7()` on both.
DO $do$
BEGIN
    IF current_setting('server_version_num')::integer < 180000 THEN
        EXECUTE $fn$
            CREATE FUNCTION public.uuidv7() RETURNS uuid
            LANGUAGE sql VOLATILE PARALLEL SAFE
            AS $body$
                SELECT encode(
                    set_bit(
                        set_bit(
                            overlay(
                                uuid_send(gen_random_uuid())
                                PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                                FROM 1 FOR 6
                            ),
                            52, 1
                        ),
                        53, 1
                    ),
                    'hex'
                )::uuid
            $body$
        $fn$;
    END IF;
END
$do$;
