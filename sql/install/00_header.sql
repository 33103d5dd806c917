-- modelmgr install script, assembled by the Makefile from sql/install/*.sql (one file per SQL surface).
\echo Use "CREATE EXTENSION modelmgr" to load this file. \quit

-- The final function of the *_partial aggregates: their state with a CRC-32C in front, checked
-- by the *_merge aggregates (a state changed on its way from one node to another is an ERROR).
CREATE FUNCTION _seal_state(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_seal_state' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _seal_state(bytea) IS 'internal: final function of the *_partial aggregates (the state, sealed with a checksum)';
