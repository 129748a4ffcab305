-- once: reconciliation (docs/external-calls.md). A job compares the intents
-- of one command type with an external step against the other system's
-- listing for a time window; `once-admin reconcile --job NAME` runs it.

-- A registered job: whose intents, where the other side lists its records,
-- and where the compared fields are on each side (JSON paths with dots).
CREATE TABLE ${schema}.once_reconciliation_jobs (
  name          text        PRIMARY KEY,
  command_type  text        NOT NULL,
  listing_url   text        NOT NULL,  -- {from} and {to} are replaced by the window's bounds (ISO 8601)
  fields        jsonb       NOT NULL,  -- {"ours": {...}, "theirs": {...}}: see docs/external-calls.md
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- The last runs, for operators and metrics.
CREATE TABLE ${schema}.once_reconciliation_runs (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job             text        NOT NULL,
  window_from     timestamptz NOT NULL,
  window_to       timestamptz NOT NULL,
  matched         integer     NOT NULL,
  missing_theirs  integer     NOT NULL,
  missing_ours    integer     NOT NULL,
  mismatched      integer     NOT NULL,
  unresolved      integer     NOT NULL,
  finished_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX once_reconciliation_runs_job ON ${schema}.once_reconciliation_runs (job, finished_at);
