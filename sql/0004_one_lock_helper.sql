-- once: the intent and aggregate locks taken in one place, and every
-- timestamp leaving through once_epoch_us. Migrations 0001-0003 are released
-- and never edited; this one replaces the functions whose bodies repeated
-- these steps, with the same signatures and the same behaviour.

-- Takes the intent's lock for the current transaction, waiting at most
-- p_in_flight_ms for a twin that holds it. False when the twin still holds
-- it then (the intent is in flight); true when the lock is ours.
CREATE FUNCTION ${schema}.once_lock_intent(p_tenant text, p_scope text, p_key text, p_in_flight_ms integer)
  RETURNS boolean
  LANGUAGE plpgsql AS $$
DECLARE
  intent_lock constant bigint := ${schema}.once_intent_lock(p_tenant, p_scope, p_key);
BEGIN
  IF pg_try_advisory_xact_lock(intent_lock) THEN
    RETURN true;
  END IF;
  PERFORM set_config('lock_timeout', p_in_flight_ms || 'ms', true);
  BEGIN
    PERFORM pg_advisory_xact_lock(intent_lock);
  EXCEPTION WHEN lock_not_available THEN
    RETURN false;
  END;
  RETURN true;
END;
$$;

-- Takes the aggregate's lock for the current transaction (existing or not
-- yet created), waiting at most p_aggregate_ms; past it, lock_not_available (55P03).
CREATE FUNCTION ${schema}.once_lock_aggregate(
    p_tenant text, p_aggregate_type text, p_aggregate_id text, p_aggregate_ms integer)
  RETURNS void
  LANGUAGE plpgsql AS $$
DECLARE
  aggregate_lock constant bigint := ${schema}.once_aggregate_lock(p_tenant, p_aggregate_type, p_aggregate_id);
BEGIN
  IF NOT pg_try_advisory_xact_lock(aggregate_lock) THEN
    PERFORM set_config('lock_timeout', p_aggregate_ms || 'ms', true);
    PERFORM pg_advisory_xact_lock(aggregate_lock);
  END IF;
END;
$$;

-- As in 0002: claims an intent for the current transaction (serialising mode).
CREATE OR REPLACE FUNCTION ${schema}.once_claim(
    p_tenant text, p_scope text, p_key text,
    p_aggregate_type text, p_aggregate_id text,
    p_now timestamptz, p_in_flight_ms integer, p_aggregate_ms integer)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE plpgsql AS $$
BEGIN
  -- One transaction per intent at a time; a twin waits here until the first commits or rolls back.
  IF NOT ${schema}.once_lock_intent(p_tenant, p_scope, p_key, p_in_flight_ms) THEN
    RETURN QUERY SELECT 'in_flight'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
                        NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
    RETURN;
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
  PERFORM ${schema}.once_lock_aggregate(p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_ms);
  RETURN QUERY SELECT * FROM ${schema}.once_aggregate_answer('claimed', p_tenant, p_aggregate_type, p_aggregate_id);
END;
$$;

-- As in 0002: writes one command's effects (aggregate, intent record, outbox rows) or nothing.
CREATE OR REPLACE FUNCTION ${schema}.once_commit(
    p_tenant text, p_scope text, p_key text, p_command_type text, p_fingerprint text,
    p_aggregate_type text, p_aggregate_id text, p_aggregate_version bigint,
    p_status text, p_result json, p_created_at timestamptz, p_expires_at timestamptz,
    p_state jsonb, p_expected_version bigint, p_outbox json,
    p_in_flight_ms integer, p_aggregate_ms integer)
  RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  -- The same locks as once_claim, in the same order (already held in serialising mode).
  IF NOT ${schema}.once_lock_intent(p_tenant, p_scope, p_key, p_in_flight_ms) THEN
    RAISE EXCEPTION 'intent % % % is still in flight', p_tenant, p_scope, p_key
      USING ERRCODE = 'serialization_failure';
  END IF;
  PERFORM ${schema}.once_lock_aggregate(p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_ms);

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

-- As in 0002: a live intent record, expiry judged at p_now or the server's now().
CREATE OR REPLACE FUNCTION ${schema}.once_find_intent(p_tenant text, p_scope text, p_key text,
                                                       p_now timestamptz DEFAULT NULL)
  RETURNS TABLE (command_type text, fingerprint text, aggregate_type text, aggregate_id text,
                 aggregate_version bigint, status text, result text, created_at_us bigint,
                 expires_at_us bigint)
  LANGUAGE plpgsql STABLE AS $$  -- plpgsql: its plan is cached per connection
BEGIN
  RETURN QUERY
  SELECT i.command_type, i.fingerprint, i.aggregate_type, i.aggregate_id, i.aggregate_version, i.status,
         i.result::text, ${schema}.once_epoch_us(i.created_at), ${schema}.once_epoch_us(i.expires_at)
    FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key
     AND (i.expires_at IS NULL OR i.expires_at > coalesce(p_now, now()));
END;
$$;
