-- once: the command path as server-side functions.
--
-- Optimistic (the first attempt): "SELECT * FROM once_look(...)" answers a
-- repeat or returns the aggregate, with no transaction left open; the
-- dispatcher decides; "SELECT once_commit(...)" writes everything in one
-- autocommit statement, which is the atomic step: it takes the intent and
-- aggregate locks, and fails with 23505/40001 if a twin committed first or the
-- aggregate moved. A repeat costs one round trip, a new intent two.
--
-- Serialising (retries after a conflict): "BEGIN; SELECT * FROM once_claim(...)"
-- takes the same locks and holds them while the dispatcher decides, then
-- "SELECT once_commit(...); COMMIT". Hot aggregates queue instead of racing.
--
-- PL/pgSQL prepares and caches the plans of the statements inside; the client
-- keeps no session state (no protocol prepared statements, no session locks),
-- so PgBouncer transaction pooling works.

-- Timestamps leave the database as microseconds since the Unix epoch, so the
-- client never depends on the session's DateStyle or TimeZone.
CREATE FUNCTION ${schema}.once_epoch_us(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;

-- The advisory lock keys of an intent and of an aggregate. Advisory locks are
-- per database, not per schema: the schema's name is part of the key, so that
-- services on their own schemas of one database never wait for each other.
CREATE FUNCTION ${schema}.once_intent_lock(p_tenant text, p_scope text, p_key text) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$
  SELECT hashtextextended('${schema}' || chr(31) || p_tenant || chr(31) || p_scope || chr(31) || p_key, 7)
$$;
CREATE FUNCTION ${schema}.once_aggregate_lock(p_tenant text, p_aggregate_type text, p_aggregate_id text)
  RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$
  SELECT hashtextextended('${schema}' || chr(31) || p_tenant || chr(31) || p_aggregate_type || chr(31) ||
                          p_aggregate_id, 11)
$$;

-- What once_look and once_claim answer: an outcome and, per outcome, the
-- intent record's columns or the target aggregate's version and state.
CREATE TYPE ${schema}.once_answer AS (
    outcome text, command_type text, fingerprint text, aggregate_type text, aggregate_id text,
    aggregate_version bigint, status text, result text, created_at_us bigint, expires_at_us bigint,
    state text
);

-- A live intent record as a 'repeat' answer; no row when there is none.
CREATE FUNCTION ${schema}.once_repeat_answer(p_tenant text, p_scope text, p_key text, p_now timestamptz)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE sql STABLE AS $$
  SELECT 'repeat'::text, i.command_type, i.fingerprint, i.aggregate_type, i.aggregate_id, i.aggregate_version,
         i.status, i.result::text, ${schema}.once_epoch_us(i.created_at), ${schema}.once_epoch_us(i.expires_at),
         NULL::text
    FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key
     AND (i.expires_at IS NULL OR i.expires_at > p_now)
$$;

-- The target aggregate as a p_outcome answer: its version and state, or nulls if it does not exist.
CREATE FUNCTION ${schema}.once_aggregate_answer(
    p_outcome text, p_tenant text, p_aggregate_type text, p_aggregate_id text)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE sql STABLE AS $$
  SELECT p_outcome, NULL::text, NULL::text, NULL::text, NULL::text, a.version,
         NULL::text, NULL::text, NULL::bigint, NULL::bigint, a.state::text
    FROM (SELECT 1) AS one
    LEFT JOIN ${schema}.once_aggregates a
      ON a.tenant = p_tenant AND a.aggregate_type = p_aggregate_type AND a.aggregate_id = p_aggregate_id
$$;

-- Looks an intent up and, if it is new, reads its aggregate. No lock is kept.
--   outcome 'repeat' : the live intent record (its columns)
--   outcome 'absent' : aggregate_version and state of the target (nulls if it does not exist)
CREATE FUNCTION ${schema}.once_look(
    p_tenant text, p_scope text, p_key text, p_aggregate_type text, p_aggregate_id text, p_now timestamptz)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY SELECT * FROM ${schema}.once_repeat_answer(p_tenant, p_scope, p_key, p_now);
  IF FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM ${schema}.once_aggregate_answer('absent', p_tenant, p_aggregate_type, p_aggregate_id);
END;
$$;

-- Claims an intent for the current transaction (serialising mode).
--   outcome 'repeat'    : the intent record exists and has not expired (its columns are
--                         returned); this transaction holds the intent lock: end it at once
--   outcome 'in_flight' : another transaction held the intent past p_in_flight_ms
--   outcome 'claimed'   : the intent is ours until commit or rollback, and so is the
--                         target aggregate (its version and state are returned, or nulls)
-- Waiting for the aggregate past p_aggregate_ms raises lock_not_available (55P03).
CREATE FUNCTION ${schema}.once_claim(
    p_tenant text, p_scope text, p_key text,
    p_aggregate_type text, p_aggregate_id text,
    p_now timestamptz, p_in_flight_ms integer, p_aggregate_ms integer)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE plpgsql AS $$
DECLARE
  intent_lock constant bigint := ${schema}.once_intent_lock(p_tenant, p_scope, p_key);
  aggregate_lock constant bigint := ${schema}.once_aggregate_lock(p_tenant, p_aggregate_type, p_aggregate_id);
BEGIN
  -- One transaction per intent at a time; a twin waits here until the first commits or rolls back.
  IF NOT pg_try_advisory_xact_lock(intent_lock) THEN
    PERFORM set_config('lock_timeout', p_in_flight_ms || 'ms', true);
    BEGIN
      PERFORM pg_advisory_xact_lock(intent_lock);
    EXCEPTION WHEN lock_not_available THEN
      RETURN QUERY SELECT 'in_flight'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
                          NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
      RETURN;
    END;
  END IF;

  -- The caller looked before (once_look); look again under the lock: a twin
  -- we waited for may have committed meanwhile.
  RETURN QUERY SELECT * FROM ${schema}.once_repeat_answer(p_tenant, p_scope, p_key, p_now);
  IF FOUND THEN
    RETURN;
  END IF;
  -- An expired record, if any, frees the key.
  DELETE FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key AND i.expires_at <= p_now;

  -- Serialise commands on one aggregate, existing or not yet created.
  IF NOT pg_try_advisory_xact_lock(aggregate_lock) THEN
    PERFORM set_config('lock_timeout', p_aggregate_ms || 'ms', true);
    PERFORM pg_advisory_xact_lock(aggregate_lock);
  END IF;

  RETURN QUERY SELECT * FROM ${schema}.once_aggregate_answer('claimed', p_tenant, p_aggregate_type, p_aggregate_id);
END;
$$;

-- Writes one command's effects: the aggregate (version check), the intent
-- record and the outbox rows. A moved version, or a twin still in flight past
-- p_in_flight_ms, raises serialization_failure (40001); an intent committed
-- by a twin raises unique_violation (23505). Either way nothing is written.
-- p_outbox is a JSON array of objects with the outbox columns (json, not
-- jsonb, so that payloads keep their canonical bytes).
CREATE FUNCTION ${schema}.once_commit(
    p_tenant text, p_scope text, p_key text, p_command_type text, p_fingerprint text,
    p_aggregate_type text, p_aggregate_id text, p_aggregate_version bigint,
    p_status text, p_result json, p_created_at timestamptz, p_expires_at timestamptz,
    p_state jsonb, p_expected_version bigint, p_outbox json,
    p_in_flight_ms integer, p_aggregate_ms integer)
  RETURNS void
  LANGUAGE plpgsql AS $$
DECLARE
  intent_lock constant bigint := ${schema}.once_intent_lock(p_tenant, p_scope, p_key);
  aggregate_lock constant bigint := ${schema}.once_aggregate_lock(p_tenant, p_aggregate_type, p_aggregate_id);
BEGIN
  -- The same locks as once_claim, in the same order (already held in serialising mode).
  IF NOT pg_try_advisory_xact_lock(intent_lock) THEN
    PERFORM set_config('lock_timeout', p_in_flight_ms || 'ms', true);
    BEGIN
      PERFORM pg_advisory_xact_lock(intent_lock);
    EXCEPTION WHEN lock_not_available THEN
      RAISE EXCEPTION 'intent % % % is still in flight', p_tenant, p_scope, p_key
        USING ERRCODE = 'serialization_failure';
    END;
  END IF;
  IF NOT pg_try_advisory_xact_lock(aggregate_lock) THEN
    PERFORM set_config('lock_timeout', p_aggregate_ms || 'ms', true);
    PERFORM pg_advisory_xact_lock(aggregate_lock);
  END IF;

  -- An expired record of this intent makes room; a live one makes the insert below fail (23505).
  DELETE FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key AND i.expires_at <= p_created_at;

  IF p_state IS NOT NULL THEN
    IF p_expected_version = 0 THEN
      INSERT INTO ${schema}.once_aggregates (tenant, aggregate_type, aggregate_id, version, state)
      VALUES (p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_version, p_state);
    ELSE
      UPDATE ${schema}.once_aggregates
         SET version = p_aggregate_version, state = p_state, updated_at = now()
       WHERE tenant = p_tenant AND aggregate_type = p_aggregate_type AND aggregate_id = p_aggregate_id
         AND version = p_expected_version;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'aggregate % % is no longer at version %', p_aggregate_type, p_aggregate_id,
          p_expected_version USING ERRCODE = 'serialization_failure';
      END IF;
    END IF;
  END IF;

  INSERT INTO ${schema}.once_intents (tenant, scope, key, command_type, fingerprint, aggregate_type,
                                      aggregate_id, aggregate_version, status, result, created_at, expires_at)
  VALUES (p_tenant, p_scope, p_key, p_command_type, p_fingerprint, p_aggregate_type,
          p_aggregate_id, p_aggregate_version, p_status, p_result, p_created_at, p_expires_at);

  IF p_outbox IS NOT NULL THEN
    INSERT INTO ${schema}.once_outbox (message_id, tenant, aggregate_type, aggregate_id, aggregate_version,
                                       event_type, topic, message_key, payload, headers, created_at)
    SELECT e.item->>'message_id', p_tenant, e.item->>'aggregate_type', e.item->>'aggregate_id',
           (e.item->>'aggregate_version')::bigint, e.item->>'event_type', e.item->>'topic',
           e.item->>'message_key', e.item->'payload', (e.item->'headers')::jsonb, (e.item->>'created_at')::timestamptz
      FROM json_array_elements(p_outbox) WITH ORDINALITY AS e(item, ordinal)
     ORDER BY e.ordinal;  -- identity ids follow the events' order
  END IF;
END;
$$;

-- Reads for the store port: an aggregate as last committed, a live intent record
-- (expiry judged at p_now, the caller's clock, or the server's now()).
CREATE FUNCTION ${schema}.once_read_aggregate(p_tenant text, p_aggregate_type text, p_aggregate_id text)
  RETURNS TABLE (version bigint, state text)
  LANGUAGE sql STABLE AS $$
  SELECT a.version, a.state::text FROM ${schema}.once_aggregates a
   WHERE a.tenant = p_tenant AND a.aggregate_type = p_aggregate_type AND a.aggregate_id = p_aggregate_id;
$$;

CREATE FUNCTION ${schema}.once_find_intent(p_tenant text, p_scope text, p_key text,
                                            p_now timestamptz DEFAULT NULL)
  RETURNS TABLE (command_type text, fingerprint text, aggregate_type text, aggregate_id text,
                 aggregate_version bigint, status text, result text, created_at_us bigint,
                 expires_at_us bigint)
  LANGUAGE plpgsql STABLE AS $$  -- plpgsql: its plan is cached per connection
BEGIN
  RETURN QUERY
  SELECT i.command_type, i.fingerprint, i.aggregate_type, i.aggregate_id, i.aggregate_version, i.status,
         i.result::text, (extract(epoch FROM i.created_at) * 1000000)::bigint,
         (extract(epoch FROM i.expires_at) * 1000000)::bigint
    FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key
     AND (i.expires_at IS NULL OR i.expires_at > coalesce(p_now, now()));
END;
$$;
