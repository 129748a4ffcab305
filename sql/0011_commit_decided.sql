-- once: a new intent decided and committed in one statement.
-- The caller decides on the aggregate as it last saw it (its version, or
-- "absent": version 0) and sends the effects; this function commits them if
-- the intent is new and the aggregate is still at that version, and otherwise
-- answers what it found instead, writing nothing:
--   outcome 'committed' : the aggregate, the intent record and the outbox rows are written
--   outcome 'repeat'    : the live intent record (its columns), as once_look answers it
--   outcome 'in_flight' : another transaction held the intent past p_in_flight_ms
--   outcome 'moved'     : the aggregate is not at p_expected_version: its version and
--                         state as they are (nulls if it does not exist), to decide again on
-- Unlike once_commit, the version is checked for every decision, a rejection
-- or a decision without events included: an answer decided on a state the
-- caller remembered must not be stored once that state has moved on.
CREATE FUNCTION ${schema}.once_commit_decided(
    p_tenant text, p_scope text, p_key text, p_command_type text, p_fingerprint text,
    p_aggregate_type text, p_aggregate_id text, p_aggregate_version bigint,
    p_status text, p_result json, p_created_at timestamptz, p_expires_at timestamptz,
    p_state jsonb, p_expected_version bigint, p_outbox json,
    p_in_flight_ms integer, p_aggregate_ms integer)
  RETURNS SETOF ${schema}.once_answer
  LANGUAGE plpgsql AS $$
DECLARE
  stored_version bigint;
BEGIN
  -- The same locks as once_claim and once_commit, in the same order.
  IF NOT ${schema}.once_lock_intent(p_tenant, p_scope, p_key, p_in_flight_ms) THEN
    RETURN QUERY SELECT 'in_flight'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
                        NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM ${schema}.once_repeat_answer(p_tenant, p_scope, p_key, p_created_at);
  IF FOUND THEN
    RETURN;
  END IF;
  PERFORM ${schema}.once_lock_aggregate(p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_ms);

  -- The aggregate first, checking its version: when it moved, nothing has been written.
  IF p_state IS NOT NULL AND p_expected_version = 0 THEN
    INSERT INTO ${schema}.once_aggregates (tenant, aggregate_type, aggregate_id, version, state)
    VALUES (p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_version, p_state)
    ON CONFLICT DO NOTHING;
  ELSIF p_state IS NOT NULL THEN
    UPDATE ${schema}.once_aggregates
       SET version = p_aggregate_version, state = p_state, updated_at = now()
     WHERE tenant = p_tenant AND aggregate_type = p_aggregate_type AND aggregate_id = p_aggregate_id
       AND version = p_expected_version;
  ELSE
    SELECT a.version INTO stored_version
      FROM ${schema}.once_aggregates a
     WHERE a.tenant = p_tenant AND a.aggregate_type = p_aggregate_type AND a.aggregate_id = p_aggregate_id;
    PERFORM 1 WHERE coalesce(stored_version, 0) = p_expected_version;
  END IF;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM ${schema}.once_aggregate_answer('moved', p_tenant, p_aggregate_type, p_aggregate_id);
    RETURN;
  END IF;

  -- An expired record of this intent makes room for the new one. The rows below
  -- are written as once_commit writes them, inline: a nested call of once_commit
  -- would take the locks and read the aggregate again (~60 µs of server CPU per
  -- command, measured by once_pg_bench).
  DELETE FROM ${schema}.once_intents i
   WHERE i.tenant = p_tenant AND i.scope = p_scope AND i.key = p_key AND i.expires_at <= p_created_at;
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
  RETURN QUERY SELECT 'committed'::text, NULL::text, NULL::text, NULL::text, NULL::text, p_aggregate_version,
                      NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
END;
$$;
