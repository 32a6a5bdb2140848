"""Seed 001's merge rules, shared by every source of users.

Rows are staged as people: rows that share an email (in any case) are one person
(001: email is the merge key when present); a row without email is a person of its
own. A person belongs to the existing user holding one of its provider identities
(001: provider ids are the primary identity link), else the one with its email,
else the one with its old id; the others become new users, keeping their old id.
A merge fills missing values, keeps the earliest created_at and the latest
last_seen_at, and never overwrites a value with an empty one, so importing the
same rows twice changes nothing.
"""

from __future__ import annotations

SEPARATOR = "\x1f"  # ASCII unit separator, chr(31): never part of a provider or account id

STAGED_COLUMNS = ("line", "person", "id", "email", "display_name", "image", "created_at", "last_seen_at",
                  "is_internal", "plan_override", "providers")

_STAGING = """
CREATE TEMPORARY TABLE import_users (
    line integer NOT NULL,
    person text COLLATE "C" NOT NULL,  -- grouped, never shown: byte order sorts fastest
    id uuid,
    email text,
    display_name text,
    image text,
    created_at timestamptz,
    last_seen_at timestamptz,
    is_internal boolean NOT NULL,
    plan_override text,
    providers text NOT NULL  -- provider:account pairs joined by SEPARATOR (COPY takes text far faster than arrays)
) ON COMMIT DROP
"""

# Each step is one pass (CREATE TABLE AS) over analyzed temp tables, so a million
# rows take hash joins, not nested loops.
_PEOPLE = """
CREATE TEMPORARY TABLE import_people ON COMMIT DROP AS
SELECT
    person,
    min(email) AS email,
    (array_agg(id ORDER BY line) FILTER (WHERE id IS NOT NULL))[1] AS old_id,
    (array_agg(display_name ORDER BY line) FILTER (WHERE display_name IS NOT NULL))[1] AS display_name,
    (array_agg(image ORDER BY line) FILTER (WHERE image IS NOT NULL))[1] AS image,
    min(created_at) AS created_at,
    max(last_seen_at) AS last_seen_at,
    bool_or(is_internal) AS is_internal,
    (array_agg(plan_override ORDER BY line) FILTER (WHERE plan_override IS NOT NULL))[1] AS plan_override
FROM import_users
GROUP BY person;
ANALYZE import_people;

CREATE TEMPORARY TABLE import_identities ON COMMIT DROP AS
SELECT DISTINCT
    person,
    split_part(identity, ':', 1) AS provider,
    substr(identity, strpos(identity, ':') + 1) AS account
FROM import_users, unnest(string_to_array(providers, chr(31))) AS identity;
ANALYZE import_identities;

CREATE TEMPORARY TABLE import_owners ON COMMIT DROP AS
SELECT DISTINCT ON (person) person, user_id, true AS existing
FROM (
    SELECT i.person, a.user_id, 1 AS rule
    FROM import_identities AS i
    INNER JOIN auth_accounts AS a ON a.provider = i.provider AND a.provider_account_id = i.account
    UNION ALL
    SELECT p.person, u.id, 2 FROM import_people AS p INNER JOIN users AS u ON u.email = p.email
    UNION ALL
    SELECT p.person, u.id, 3 FROM import_people AS p INNER JOIN users AS u ON u.id = p.old_id
) AS matches
ORDER BY person, rule;

INSERT INTO import_owners (person, user_id, existing)
SELECT p.person, coalesce(p.old_id, uuidv7()), false
FROM import_people AS p
WHERE NOT EXISTS (SELECT 1 FROM import_owners AS o WHERE o.person = p.person);
ANALYZE import_owners;
"""

# Old id -> user: what the other files of a store refer to.
_OLD_IDS = """
CREATE TEMPORARY TABLE import_user_map ON COMMIT DROP AS
SELECT DISTINCT ON (s.id) s.id AS old_id, o.user_id
FROM import_users AS s INNER JOIN import_owners AS o ON o.person = s.person
WHERE s.id IS NOT NULL;
ANALYZE import_user_map;
"""

_MERGE = """
UPDATE users AS u SET
    display_name = coalesce(u.display_name, p.display_name),
    image = coalesce(u.image, p.image),
    created_at = least(u.created_at, coalesce(p.created_at, u.created_at)),
    last_seen_at = greatest(u.last_seen_at, p.last_seen_at),
    is_internal = u.is_internal OR p.is_internal,
    plan_override = coalesce(u.plan_override, p.plan_override),
    updated_at = now()
FROM import_people AS p INNER JOIN import_owners AS o ON o.person = p.person AND o.existing
WHERE o.user_id = u.id AND (
    (u.display_name IS NULL AND p.display_name IS NOT NULL)
    OR (u.image IS NULL AND p.image IS NOT NULL)
    OR p.created_at < u.created_at
    OR p.last_seen_at > u.last_seen_at OR (u.last_seen_at IS NULL AND p.last_seen_at IS NOT NULL)
    OR (p.is_internal AND NOT u.is_internal)
    OR (u.plan_override IS NULL AND p.plan_override IS NOT NULL))
"""

_INSERT = """
INSERT INTO users (id, email, display_name, image, created_at, last_seen_at, is_internal, plan_override)
SELECT o.user_id, p.email, p.display_name, p.image, coalesce(p.created_at, now()), p.last_seen_at, p.is_internal,
       p.plan_override
FROM import_people AS p INNER JOIN import_owners AS o ON o.person = p.person AND NOT o.existing
"""

_IDENTITIES = """
INSERT INTO auth_accounts (user_id, provider, provider_account_id)
SELECT o.user_id, i.provider, i.account
FROM import_identities AS i INNER JOIN import_owners AS o ON o.person = i.person
ON CONFLICT (provider, provider_account_id) DO NOTHING
"""


def stage_people(conn, rows) -> None:
    """COPY rows shaped like STAGED_COLUMNS (providers as a list of "provider:account") into the staging table."""
    conn.execute(_STAGING)
    with conn.cursor().copy(f"COPY import_users ({', '.join(STAGED_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row[:-1], SEPARATOR.join(row[-1])))
    conn.execute("ANALYZE import_users")


def merge_people(conn) -> tuple[int, int]:
    """Resolve people to users, then (users merged, users inserted)."""
    for statement in _PEOPLE.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    merged = conn.execute(_MERGE).rowcount
    return merged, conn.execute(_INSERT).rowcount


def map_old_ids(conn) -> None:
    """import_user_map: each staged old id and the user it now belongs to."""
    conn.execute(_OLD_IDS)


def add_identities(conn) -> int:
    """The staged provider identities, each linked to its person's user; existing ones stay, and an
    identity two people claim goes to the first (DO NOTHING also settles duplicates within the statement)."""
    return conn.execute(_IDENTITIES).rowcount
