-- once: the framework's tables. ${schema} is replaced by the migrator with the
-- target schema (a validated identifier); nothing else is substituted.

CREATE SCHEMA IF NOT EXISTS ${schema};

CREATE TABLE ${schema}.once_schema_version (
  version     integer     PRIMARY KEY,
  name        text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Aggregate state: one row per aggregate instance, optimistic version.
-- Aggregates belong to a tenant, like the intents that act on them.
CREATE TABLE ${schema}.once_aggregates (
  tenant         text        NOT NULL,
  aggregate_type text        NOT NULL,
  aggregate_id   text        NOT NULL,
  version        bigint      NOT NULL CHECK (version > 0),
  state          jsonb       NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, aggregate_type, aggregate_id)
);

-- The command log: one durable intent record per (tenant, scope, key).
-- result is canonical JSON kept verbatim (json, not jsonb) so a replay
-- returns the very bytes the first attempt answered.
CREATE TABLE ${schema}.once_intents (
  tenant            text        NOT NULL,
  scope             text        NOT NULL,
  key               text        NOT NULL,
  command_type      text        NOT NULL,
  fingerprint       text        NOT NULL,
  aggregate_type    text        NOT NULL,
  aggregate_id      text        NOT NULL,
  aggregate_version bigint      NOT NULL,
  status            text        NOT NULL CHECK (status IN ('applied', 'rejected')),
  result            json        NOT NULL,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz,
  PRIMARY KEY (tenant, scope, key)
);
CREATE INDEX once_intents_expiry ON ${schema}.once_intents (expires_at) WHERE expires_at IS NOT NULL;

-- The outbox: events written with the state change, relayed afterwards.
-- txid lets a relay read only rows below the oldest running transaction
-- (ids are taken before commit, so "id > last seen" alone would skip rows).
CREATE TABLE ${schema}.once_outbox (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id        text        NOT NULL UNIQUE,
  tenant            text        NOT NULL,
  aggregate_type    text        NOT NULL,
  aggregate_id      text        NOT NULL,
  aggregate_version bigint      NOT NULL,
  event_type        text        NOT NULL,
  topic             text        NOT NULL,
  message_key       text        NOT NULL,
  payload           json        NOT NULL,  -- the event's canonical JSON, byte for byte
  headers           jsonb       NOT NULL DEFAULT '[]',
  txid              xid8        NOT NULL DEFAULT pg_current_xact_id(),
  created_at        timestamptz NOT NULL DEFAULT now(),
  published_at      timestamptz
);
CREATE INDEX once_outbox_unpublished ON ${schema}.once_outbox (id) WHERE published_at IS NULL;

-- The inbox: messages a consumer has processed, written in the same
-- transaction as the consumer's state change.
CREATE TABLE ${schema}.once_inbox (
  consumer     text        NOT NULL,
  message_id   text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_id)
);
