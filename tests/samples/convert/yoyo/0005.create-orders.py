"""Orders, one per purchase."""
from yoyo import step

__depends__ = {"0004.account-notes"}

steps = [
    step(
        """CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    total numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)""",
        "DROP TABLE orders",
    ),
]
