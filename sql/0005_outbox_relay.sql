-- once: what the outbox relay needs. Its lease (one relay publishes a
-- schema's outbox at a time, without session state, so that PgBouncer's
-- transaction pooling works) and a notification when rows arrive (a relay
-- on a direct connection wakes at once; behind a pooler it polls).

-- The relay that may publish, until expires_at. A relay takes the lease when
-- it is free or expired, renews it while it runs, and marks rows published
-- only in a statement that checks it still holds it (its epoch), so that a
-- relay that lost the lease while paused cannot mark anything.
CREATE TABLE ${schema}.once_relay_lease (
  name       text        PRIMARY KEY,
  holder     text        NOT NULL,
  epoch      bigint      NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Takes or renews the lease `p_name` for `p_holder` for p_ttl_ms; returns
-- the lease's epoch when p_holder holds it now (a new epoch when it was
-- someone else's), no row when another relay holds it.
CREATE FUNCTION ${schema}.once_take_relay_lease(p_name text, p_holder text, p_ttl_ms integer)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  taken bigint;
BEGIN
  INSERT INTO ${schema}.once_relay_lease AS l (name, holder, epoch, expires_at)
  VALUES (p_name, p_holder, 1, clock_timestamp() + make_interval(secs => p_ttl_ms / 1000.0))
  ON CONFLICT (name) DO UPDATE
     SET holder = excluded.holder,
         epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END,
         expires_at = excluded.expires_at
   WHERE l.holder = excluded.holder OR l.expires_at < clock_timestamp()
  RETURNING l.epoch INTO taken;
  RETURN taken;
END;
$$;

-- Marks rows published, if p_holder still holds the lease at p_epoch; returns
-- how many rows it marked, or -1 when the lease was lost (nothing is marked).
CREATE FUNCTION ${schema}.once_mark_published(p_name text, p_holder text, p_epoch bigint, p_ids bigint[])
  RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  marked integer;
BEGIN
  PERFORM 1 FROM ${schema}.once_relay_lease
    WHERE name = p_name AND holder = p_holder AND epoch = p_epoch AND expires_at > clock_timestamp()
    FOR UPDATE;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  UPDATE ${schema}.once_outbox SET published_at = clock_timestamp()
   WHERE id = ANY (p_ids) AND published_at IS NULL;
  GET DIAGNOSTICS marked = ROW_COUNT;
  RETURN marked;
END;
$$;

-- One notification per inserting statement, on the channel once_outbox_<schema>.
CREATE FUNCTION ${schema}.once_outbox_notify() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('once_outbox_${schema}', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER once_outbox_inserted AFTER INSERT ON ${schema}.once_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.once_outbox_notify();
