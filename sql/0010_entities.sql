-- once: entities kept beside an aggregate's root (once/domain/entities.hpp).
-- An aggregate whose state grows with its history keeps that part as entries
-- of their own: a command reads the root and the entries it looks at, and its
-- commit writes the root and the entries it changed. Entries are written only
-- in the statement that writes their root, so the root's version check
-- (once_commit, once_conclude_step) covers them.

CREATE TABLE ${schema}.once_entities (
  tenant         text        NOT NULL,
  aggregate_type text        NOT NULL,
  aggregate_id   text        NOT NULL,
  collection     text        NOT NULL,  -- the state's member that holds the entries
  entity_id      text        NOT NULL,
  state          jsonb       NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, aggregate_type, aggregate_id, collection, entity_id)
);

-- Writes the entries of p_entities, a JSON array of {"collection", "id",
-- "state"}: adds or replaces each, or deletes it when its state is null.
-- Called beside once_commit in the same statement, or after
-- once_conclude_step when that wrote the root. True.
CREATE FUNCTION ${schema}.once_write_entities(p_tenant text, p_aggregate_type text, p_aggregate_id text,
                                              p_entities json)
  RETURNS boolean
  LANGUAGE plpgsql AS $$
DECLARE
  removed json;
BEGIN
  -- One primary-key lookup per removed entry: a join with the array could be
  -- planned as a scan of all the aggregate's entries, which is what entities avoid.
  FOR removed IN SELECT item FROM json_array_elements(p_entities) AS item WHERE json_typeof(item->'state') = 'null'
  LOOP
    DELETE FROM ${schema}.once_entities e
     WHERE e.tenant = p_tenant AND e.aggregate_type = p_aggregate_type AND e.aggregate_id = p_aggregate_id
       AND e.collection = removed->>'collection' AND e.entity_id = removed->>'id';
  END LOOP;
  INSERT INTO ${schema}.once_entities AS e (tenant, aggregate_type, aggregate_id, collection, entity_id, state)
  SELECT p_tenant, p_aggregate_type, p_aggregate_id, item->>'collection', item->>'id', (item->'state')::jsonb
    FROM json_array_elements(p_entities) AS item
   WHERE json_typeof(item->'state') <> 'null'
  ON CONFLICT (tenant, aggregate_type, aggregate_id, collection, entity_id)
  DO UPDATE SET state = excluded.state, updated_at = now();
  RETURN true;
END;
$$;

-- One entry as last committed (or as the caller's transaction sees it), or no row.
CREATE FUNCTION ${schema}.once_read_entity(p_tenant text, p_aggregate_type text, p_aggregate_id text,
                                           p_collection text, p_entity_id text)
  RETURNS TABLE (state text)
  LANGUAGE plpgsql STABLE AS $$  -- plpgsql: its plan is cached per connection
BEGIN
  RETURN QUERY
  SELECT e.state::text
    FROM ${schema}.once_entities e
   WHERE e.tenant = p_tenant AND e.aggregate_type = p_aggregate_type AND e.aggregate_id = p_aggregate_id
     AND e.collection = p_collection AND e.entity_id = p_entity_id;
END;
$$;
