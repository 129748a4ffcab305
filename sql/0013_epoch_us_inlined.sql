-- once: once_epoch_us declared STABLE, as extract() from a timestamptz is.
-- Declared IMMUTABLE (0002) it was never inlined into the statements that
-- call it (PostgreSQL inlines an immutable SQL function only when its body is
-- immutable too), so each call parsed and planned its body again: twice per
-- intent record read, a measurable share of a repeat's server CPU.
CREATE OR REPLACE FUNCTION ${schema}.once_epoch_us(t timestamptz) RETURNS bigint
  LANGUAGE sql STABLE AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;
