-- once: commands with an external step (docs/external-calls.md) and the
-- exception queue. An intent with an external step is `pending` from its
-- claim until its outcome is recorded, or `unknown` when the call's outcome
-- could not be known; its step row says who may call and until when.

ALTER TABLE ${schema}.once_intents DROP CONSTRAINT once_intents_status_check;
ALTER TABLE ${schema}.once_intents
  ADD CONSTRAINT once_intents_status_check CHECK (status IN ('applied', 'rejected', 'pending', 'unknown'));

-- One row per intent with an external step. attempt grows with each
-- take-over; only the holder of the current attempt may write (a fencing
-- token), so a holder that was presumed dead cannot record over recovery.
CREATE TABLE ${schema}.once_external_steps (
  tenant         text        NOT NULL,
  scope          text        NOT NULL,
  key            text        NOT NULL,
  command_type   text        NOT NULL,
  fingerprint    text        NOT NULL,
  aggregate_type text        NOT NULL,
  aggregate_id   text        NOT NULL,
  reference      text        NOT NULL,
  command        json        NOT NULL,  -- what recovery calls and concludes from
  status         text        NOT NULL CHECK (status IN ('pending', 'unknown', 'concluded', 'needs_review')),
  attempt        bigint      NOT NULL,
  holder         text        NOT NULL,
  lease_until    timestamptz NOT NULL,  -- the holder sends no call after this
  last_sent_by   timestamptz NOT NULL,  -- the latest moment the last call can have been sent
  calls          integer     NOT NULL,
  next_check_at  timestamptz NOT NULL,  -- when recovery may take it (pending or unknown only)
  created_at     timestamptz NOT NULL DEFAULT now(),
  concluded_at   timestamptz,
  PRIMARY KEY (tenant, scope, key)
);
CREATE INDEX once_external_steps_due ON ${schema}.once_external_steps (next_check_at)
  WHERE status IN ('pending', 'unknown');
CREATE INDEX once_external_steps_reference ON ${schema}.once_external_steps (reference);

-- What an operator has to look at: double bookings, calls that never settled,
-- reconciliation mismatches. One open entry per (tenant, reason, subject):
-- finding the same thing again updates last_seen.
CREATE TABLE ${schema}.once_exceptions (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant       text        NOT NULL,
  reason       text        NOT NULL,
  subject      text        NOT NULL,  -- what it is about: the reference, or the other side's record id
  evidence     jsonb       NOT NULL,  -- ids, references, numbers; no personal data
  scope        text,                  -- the intent, when there is one
  key          text,
  status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  note         text,
  first_seen   timestamptz NOT NULL DEFAULT now(),
  last_seen    timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  UNIQUE (tenant, reason, subject)
);
CREATE INDEX once_exceptions_open ON ${schema}.once_exceptions (first_seen) WHERE status = 'open';

-- Records an exception, or that it was seen again.
CREATE FUNCTION ${schema}.once_record_exception(p_tenant text, p_reason text, p_subject text, p_evidence jsonb,
                                                p_scope text, p_key text)
  RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO ${schema}.once_exceptions AS e (tenant, reason, subject, evidence, scope, key)
  VALUES (p_tenant, p_reason, p_subject, p_evidence, p_scope, p_key)
  ON CONFLICT (tenant, reason, subject) DO UPDATE SET last_seen = now(), evidence = excluded.evidence
$$;

-- Written by the statement that commits a pending intent (beside once_commit).
-- A row left by an expired record of the same intent is replaced, with the
-- next attempt, so that its old holder can no longer write (the new holder
-- then finds the step is not its own and leaves it to recovery).
CREATE FUNCTION ${schema}.once_start_step(
    p_tenant text, p_scope text, p_key text, p_command_type text, p_fingerprint text,
    p_aggregate_type text, p_aggregate_id text, p_reference text, p_command json,
    p_holder text, p_lease_until timestamptz)
  RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO ${schema}.once_external_steps (tenant, scope, key, command_type, fingerprint, aggregate_type,
                                             aggregate_id, reference, command, status, attempt, holder,
                                             lease_until, last_sent_by, calls, next_check_at)
  VALUES (p_tenant, p_scope, p_key, p_command_type, p_fingerprint, p_aggregate_type, p_aggregate_id, p_reference,
          p_command, 'pending', 1, p_holder, p_lease_until, p_lease_until, 1, p_lease_until)
  ON CONFLICT (tenant, scope, key) DO UPDATE
     SET command_type = excluded.command_type, fingerprint = excluded.fingerprint,
         aggregate_type = excluded.aggregate_type, aggregate_id = excluded.aggregate_id,
         reference = excluded.reference, command = excluded.command, status = 'pending',
         attempt = once_external_steps.attempt + 1, holder = excluded.holder, lease_until = excluded.lease_until,
         last_sent_by = excluded.last_sent_by, calls = 1, next_check_at = excluded.next_check_at,
         created_at = now(), concluded_at = NULL
$$;

-- The outbox rows of one statement, in the events' order.
CREATE FUNCTION ${schema}.once_append_outbox(p_tenant text, p_outbox json)
  RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO ${schema}.once_outbox (message_id, tenant, aggregate_type, aggregate_id, aggregate_version,
                                     event_type, topic, message_key, payload, headers, created_at)
  SELECT e.item->>'message_id', p_tenant, e.item->>'aggregate_type', e.item->>'aggregate_id',
         (e.item->>'aggregate_version')::bigint, e.item->>'event_type', e.item->>'topic',
         e.item->>'message_key', e.item->'payload', (e.item->'headers')::jsonb, (e.item->>'created_at')::timestamptz
    FROM json_array_elements(p_outbox) WITH ORDINALITY AS e(item, ordinal)
   ORDER BY e.ordinal
$$;

-- The second transaction of an external step: the outcome's state, intent
-- record and outbox rows, if the step is still open at p_attempt. False, and
-- nothing written, when it is not.
CREATE FUNCTION ${schema}.once_conclude_step(
    p_tenant text, p_scope text, p_key text, p_attempt bigint, p_step_status text, p_next_check_at timestamptz,
    p_status text, p_result json, p_aggregate_version bigint,
    p_aggregate_type text, p_aggregate_id text, p_state jsonb, p_expected_version bigint, p_outbox json,
    p_exception_reason text, p_exception_evidence jsonb, p_aggregate_ms integer)
  RETURNS boolean
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM ${schema}.once_external_steps s
    WHERE s.tenant = p_tenant AND s.scope = p_scope AND s.key = p_key
      AND s.attempt = p_attempt AND s.status IN ('pending', 'unknown')
    FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;

  IF p_state IS NOT NULL THEN
    PERFORM ${schema}.once_lock_aggregate(p_tenant, p_aggregate_type, p_aggregate_id, p_aggregate_ms);
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

  UPDATE ${schema}.once_intents
     SET status = p_status, result = p_result, aggregate_version = p_aggregate_version
   WHERE tenant = p_tenant AND scope = p_scope AND key = p_key;
  IF p_outbox IS NOT NULL THEN
    PERFORM ${schema}.once_append_outbox(p_tenant, p_outbox);
  END IF;
  UPDATE ${schema}.once_external_steps
     SET status = p_step_status, next_check_at = p_next_check_at,
         concluded_at = CASE WHEN p_step_status IN ('concluded', 'needs_review') THEN now() END
   WHERE tenant = p_tenant AND scope = p_scope AND key = p_key;
  IF p_exception_reason IS NOT NULL THEN
    PERFORM ${schema}.once_record_exception(p_tenant, p_exception_reason, s.reference, p_exception_evidence,
                                            p_scope, p_key)
       FROM ${schema}.once_external_steps s
      WHERE s.tenant = p_tenant AND s.scope = p_scope AND s.key = p_key;
  END IF;
  RETURN true;
END;
$$;

-- Takes up to p_limit due steps for p_holder: the next attempt, a lease to p_now + p_lease_ms.
CREATE FUNCTION ${schema}.once_take_over_steps(p_holder text, p_now timestamptz, p_lease_ms integer,
                                               p_limit integer)
  RETURNS TABLE (tenant text, scope text, key text, command_type text, fingerprint text, aggregate_type text,
                 aggregate_id text, reference text, command text, status text, attempt bigint,
                 lease_until_us bigint, last_sent_by_us bigint, calls integer, created_at_us bigint)
  LANGUAGE sql AS $$
  WITH due AS (
    SELECT d.tenant, d.scope, d.key FROM ${schema}.once_external_steps d
     WHERE d.status IN ('pending', 'unknown') AND d.next_check_at <= p_now
     ORDER BY d.next_check_at
     LIMIT p_limit
       FOR UPDATE SKIP LOCKED
  )
  UPDATE ${schema}.once_external_steps s
     SET attempt = s.attempt + 1, holder = p_holder,
         lease_until = p_now + make_interval(secs => p_lease_ms / 1000.0),
         next_check_at = p_now + make_interval(secs => p_lease_ms / 1000.0)
    FROM due
   WHERE s.tenant = due.tenant AND s.scope = due.scope AND s.key = due.key
  RETURNING s.tenant, s.scope, s.key, s.command_type, s.fingerprint, s.aggregate_type, s.aggregate_id, s.reference,
            s.command::text, s.status, s.attempt, ${schema}.once_epoch_us(s.lease_until),
            ${schema}.once_epoch_us(s.last_sent_by), s.calls, ${schema}.once_epoch_us(s.created_at)
$$;

-- Retention: an intent whose step is still open is not purged, whatever its expiry.
CREATE OR REPLACE FUNCTION ${schema}.once_purge_expired_intents(p_batch integer)
  RETURNS integer
  LANGUAGE sql AS $$
  WITH doomed AS (
    SELECT ctid, tenant, scope, key FROM ${schema}.once_intents
     WHERE expires_at <= now() AND status IN ('applied', 'rejected')
     ORDER BY expires_at
     LIMIT p_batch
       FOR UPDATE SKIP LOCKED
  ), steps AS (
    DELETE FROM ${schema}.once_external_steps s USING doomed
     WHERE s.tenant = doomed.tenant AND s.scope = doomed.scope AND s.key = doomed.key
  ), deleted AS (
    DELETE FROM ${schema}.once_intents i USING doomed WHERE i.ctid = doomed.ctid RETURNING 1
  )
  SELECT count(*)::integer FROM deleted;
$$;
