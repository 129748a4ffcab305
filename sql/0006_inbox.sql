-- once: the inbox consumer's records. A handled message's receipt is written
-- by the same statement as its command's effects (once_record_receipt beside
-- once_commit); a message that could not be handled is recorded as an
-- exception when it goes to the dead-letter topic.

-- Records that `p_consumer` received `p_message_id`; a second time is no change.
CREATE FUNCTION ${schema}.once_record_receipt(p_consumer text, p_message_id text) RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO ${schema}.once_inbox (consumer, message_id) VALUES (p_consumer, p_message_id)
  ON CONFLICT (consumer, message_id) DO NOTHING
$$;

-- Messages a consumer sent to the dead-letter topic, with why.
CREATE TABLE ${schema}.once_inbox_exceptions (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer    text        NOT NULL,
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  "offset"    bigint      NOT NULL,
  message_id  text,                     -- its event-id, when it had one
  event_type  text,
  error       text        NOT NULL,     -- the reason, without the message's content
  attempts    integer     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consumer, topic, partition, "offset")
);
