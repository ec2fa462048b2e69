"""The shop's schema as numbered migrations: a new file gets them all, an older file the ones
it lacks, each in its own transaction (``Store._migrate``). Never edit a released migration:
add a new one."""

from __future__ import annotations

# Each migration is (version, name, statements). Never edit a released migration: add a new one.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "initial schema: customers, products, events, reviews, imports, rejections",
        [
            """CREATE TABLE customers (
                customer_key      VARCHAR PRIMARY KEY,  -- keyed hash of the shop's customer id
                country           VARCHAR,
                region            VARCHAR,
                city              VARCHAR,
                lat               DOUBLE,               -- rounded to 2 decimals (~1 km)
                lon               DOUBLE,
                first_seen        TIMESTAMP,
                consent_profiling BOOLEAN NOT NULL DEFAULT TRUE,
                age_band          VARCHAR,
                gender            VARCHAR,
                import_id         INTEGER
            )""",
            """CREATE TABLE products (
                product_id  VARCHAR PRIMARY KEY,
                title       VARCHAR,
                category    VARCHAR,
                brand       VARCHAR,
                price       DOUBLE,
                description VARCHAR,
                image_path  VARCHAR,
                active      BOOLEAN NOT NULL DEFAULT TRUE,
                is_product  BOOLEAN NOT NULL DEFAULT TRUE,  -- false: postage, fees, adjustments
                import_id   INTEGER
            )""",
            """CREATE TABLE events (
                customer_key VARCHAR,             -- NULL: a guest (counted in revenue only)
                session_id   VARCHAR,
                ts           TIMESTAMP NOT NULL,
                event_type   VARCHAR NOT NULL
                             CHECK (event_type IN ('view', 'cart', 'purchase', 'return')),
                product_id   VARCHAR NOT NULL,
                quantity     INTEGER NOT NULL CHECK (quantity > 0),
                unit_price   DOUBLE,
                order_id     VARCHAR,
                device       VARCHAR,
                channel      VARCHAR,
                region       VARCHAR,
                country      VARCHAR,
                import_id    INTEGER
            )""",
            """CREATE TABLE reviews (
                customer_key VARCHAR,
                product_id   VARCHAR,
                ts           TIMESTAMP,
                rating       INTEGER CHECK (rating BETWEEN 1 AND 5),
                text         VARCHAR,
                import_id    INTEGER
            )""",
            """CREATE TABLE imports (
                import_id   INTEGER PRIMARY KEY,
                started_at  TIMESTAMP,
                finished_at TIMESTAMP,
                source      VARCHAR,   -- file names, without folders
                fingerprint VARCHAR,   -- sha256 of the files' bytes
                preset      VARCHAR,
                kind        VARCHAR,
                lines_read  BIGINT,
                accepted    BIGINT,
                fixed       BIGINT,
                rejected    BIGINT,
                returns     BIGINT,
                inserted    BIGINT,
                duplicates  BIGINT,
                report      VARCHAR    -- the whole validation report as JSON
            )""",
            """CREATE TABLE rejections (
                import_id   INTEGER,
                file        VARCHAR,
                row_number  BIGINT,
                column_name VARCHAR,
                value       VARCHAR,
                rule        VARCHAR,
                suggestion  VARCHAR
            )""",
        ],
    ),
    (
        2,
        "products: optional stock level (NULL = not tracked)",
        ["ALTER TABLE products ADD COLUMN stock INTEGER"],
    ),
    (
        3,
        "privacy: suppression list, audit log, settings",
        [
            """CREATE TABLE suppressed (
                token     VARCHAR PRIMARY KEY,  -- keyed hash of an erased customer's key, never the key
                erased_at TIMESTAMP NOT NULL
            )""",
            """CREATE TABLE audit_log (
                ts        TIMESTAMP NOT NULL,
                action    VARCHAR NOT NULL,      -- erase, consent, retention, purge, export
                customers BIGINT,                -- how many customers it concerned (never who)
                rows      BIGINT,                -- rows removed or changed
                details   VARCHAR                -- JSON without personal data
            )""",
            "CREATE TABLE settings (name VARCHAR PRIMARY KEY, value VARCHAR)",
        ],
    ),
    (
        4,
        "privacy: objections of customers the shop does not hold yet",
        ["""CREATE TABLE objections (
                token       VARCHAR PRIMARY KEY,  -- keyed hash of the customer's key, never the key
                recorded_at TIMESTAMP NOT NULL
            )"""],
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
DATA_TABLES = ("customers", "products", "events", "reviews")
