-- The baseline a user would write by hand with libpqxx and no framework:
-- an intent table, an aggregate table with a version, an outbox.
CREATE TABLE ${schema}.naive_intents (
  key        text PRIMARY KEY,
  result     text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${schema}.naive_aggregates (
  id      text PRIMARY KEY,
  version bigint NOT NULL,
  state   jsonb NOT NULL
);
CREATE TABLE ${schema}.naive_outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  aggregate_id text NOT NULL,
  version      bigint NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
