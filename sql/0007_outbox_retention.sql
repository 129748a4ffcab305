-- once: published outbox rows are kept for a while (to inspect, or to
-- publish again by hand) and then deleted in short batches, like expired
-- intents (0003). Unpublished rows are never deleted.
CREATE FUNCTION ${schema}.once_purge_published_outbox(p_batch integer, p_kept_seconds bigint)
  RETURNS integer
  LANGUAGE sql AS $$
  WITH doomed AS (
    SELECT id FROM ${schema}.once_outbox
     WHERE published_at IS NOT NULL
       AND published_at <= now() - make_interval(secs => p_kept_seconds)
     ORDER BY id
     LIMIT p_batch
       FOR UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM ${schema}.once_outbox o USING doomed WHERE o.id = doomed.id RETURNING 1
  )
  SELECT count(*)::integer FROM deleted;
$$;
