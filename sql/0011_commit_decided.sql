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

  SELECT a.version INTO stored_version
    FROM ${schema}.once_aggregates a
   WHERE a.tenant = p_tenant AND a.aggregate_type = p_aggregate_type AND a.aggregate_id = p_aggregate_id;
  IF coalesce(stored_version, 0) <> p_expected_version THEN
    RETURN QUERY SELECT * FROM ${schema}.once_aggregate_answer('moved', p_tenant, p_aggregate_type, p_aggregate_id);
    RETURN;
  END IF;

  -- Under both locks, on the version checked: the writes of once_commit (its locks are ours already).
  PERFORM ${schema}.once_commit(p_tenant, p_scope, p_key, p_command_type, p_fingerprint, p_aggregate_type,
                                p_aggregate_id, p_aggregate_version, p_status, p_result, p_created_at, p_expires_at,
                                p_state, p_expected_version, p_outbox, p_in_flight_ms, p_aggregate_ms);
  RETURN QUERY SELECT 'committed'::text, NULL::text, NULL::text, NULL::text, NULL::text, p_aggregate_version,
                      NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text;
END;
$$;
