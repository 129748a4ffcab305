-- once: retention. Deletes up to p_batch expired intent records in one short
-- transaction and returns how many. SKIP LOCKED lets several purgers (cron on
-- many hosts) and live claims work side by side without waiting on each other.
CREATE FUNCTION ${schema}.once_purge_expired_intents(p_batch integer)
  RETURNS integer
  LANGUAGE sql AS $$
  WITH doomed AS (
    SELECT ctid FROM ${schema}.once_intents
     WHERE expires_at <= now()
     ORDER BY expires_at
     LIMIT p_batch
       FOR UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM ${schema}.once_intents i USING doomed WHERE i.ctid = doomed.ctid RETURNING 1
  )
  SELECT count(*)::integer FROM deleted;
$$;
