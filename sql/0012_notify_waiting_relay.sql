-- once: a commit notifies the outbox relay only while a relay waits for rows.
-- A transaction that has called NOTIFY holds one lock of the whole server
-- from its queue entry to the end of its commit, the commit record's flush
-- included, so notifying on every outbox insert made all commands commit
-- one at a time (once_pg_bench: half the throughput at 16 clients). A relay
-- registers here before it sleeps and removes itself when it wakes; while it
-- works through rows it reads them without being told.
CREATE UNLOGGED TABLE ${schema}.once_outbox_waiting (
  listener integer PRIMARY KEY,      -- backend pid of the relay's LISTENing connection
  until    timestamptz NOT NULL      -- a relay that died asleep is no longer told after this
);

CREATE OR REPLACE FUNCTION ${schema}.once_outbox_notify() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ${schema}.once_outbox_waiting w WHERE w.until > clock_timestamp()) THEN
    PERFORM pg_notify('once_outbox_${schema}', '');
  END IF;
  RETURN NULL;
END;
$$;
