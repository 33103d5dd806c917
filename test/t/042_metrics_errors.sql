-- Metric aggregates: edge cases and errors (zero rows, NULLs, single class, NaN, bad labels,
-- mismatched and corrupted states).
BEGIN;
SELECT plan(48);
SET LOCAL search_path = modelmgr, public;

CREATE TEMP TABLE empty_t (p float8, a float8, t text);

-- zero rows -> NULL
SELECT is((SELECT accuracy(p, a) FROM empty_t), NULL, 'accuracy over zero rows is NULL');
SELECT is((SELECT f1_macro(t, t) FROM empty_t), NULL, 'f1_macro over zero rows is NULL');
SELECT is((SELECT confusion_matrix(p, a) FROM empty_t), NULL, 'confusion_matrix over zero rows is NULL');
SELECT is((SELECT roc_auc(p, a) FROM empty_t), NULL, 'roc_auc over zero rows is NULL');
SELECT is((SELECT mse(p, a) FROM empty_t), NULL, 'mse over zero rows is NULL');
SELECT is((SELECT accuracy_partial(p, a) FROM empty_t), NULL, 'accuracy_partial over zero rows is NULL');
SELECT is((SELECT accuracy_merge(s) FROM (SELECT NULL::bytea) v(s)), NULL, 'accuracy_merge of NULL states is NULL');

-- NULL inputs are skipped and counted
SELECT is((SELECT accuracy(p, a) FROM (VALUES (1.0, 1.0), (NULL, 0.0), (0.0, NULL), (0.0, 0.0)) v(p, a)), 1.0::float8,
          'rows with a NULL are skipped');
SELECT is((SELECT confusion_matrix(p, a)->'skipped_nulls' FROM (VALUES (1.0, 1.0), (NULL, 0.0), (0.0, NULL)) v(p, a)),
          '2'::jsonb, 'confusion_matrix reports skipped_nulls');
SELECT is((SELECT metric_state_info(roc_auc_partial(p, a))->'skipped_nulls' FROM (VALUES (0.5, 1.0), (NULL, 0.0)) v(p, a)),
          '1'::jsonb, 'metric_state_info reports skipped_nulls of a partial state');
SELECT is((SELECT accuracy(p, a) FROM (VALUES (NULL::float8, 1.0), (1.0, NULL)) v(p, a)), NULL,
          'only NULL rows: NULL');
SELECT is((SELECT mse(p, a) FROM (VALUES (NULL::float8, 1.0), (2.0, 4.0)) v(p, a)), 4.0::float8, 'mse skips NULL rows');

-- zero_division and undefined values
SELECT is((SELECT modelmgr.precision(p, a) FROM (VALUES (0.0, 1.0), (0.0, 0.0)) v(p, a)), 0.0::float8,
          'precision without predicted positives is 0 (zero_division)');
SELECT is((SELECT f1(p, a) FROM (VALUES (0.0, 0.0), (0.0, 0.0)) v(p, a)), 0.0::float8,
          'f1 without any positives is 0');
SELECT is((SELECT roc_auc(s, a) FROM (VALUES (0.1, 1.0), (0.7, 1.0)) v(s, a)), NULL, 'roc_auc with one class only is NULL');
SELECT is((SELECT roc_curve(s, a) FROM (VALUES (0.1, 0.0), (0.7, 0.0)) v(s, a)), NULL, 'roc_curve with one class only is NULL');
SELECT is((SELECT pr_curve(s, a) FROM (VALUES (0.1, 0.0), (0.7, 0.0)) v(s, a)), NULL, 'pr_curve without positives is NULL');
SELECT is((SELECT roc_auc(s, a) FROM (VALUES (0.5, 1.0), (0.5, 0.0), (0.5, 1.0)) v(s, a)), 0.5::float8,
          'roc_auc with all scores tied is 0.5');
SELECT is((SELECT roc_auc(s, a) FROM (VALUES (-0.0, 1.0), (0.0, 0.0)) v(s, a)), 0.5::float8, '-0 and 0 scores tie');
SELECT is((SELECT r2(p, a) FROM (VALUES (3.0, 3.0), (3.0, 3.0)) v(p, a)), 1.0::float8, 'r2 with constant actual, perfect fit: 1');
SELECT is((SELECT r2(p, a) FROM (VALUES (2.0, 3.0), (3.0, 3.0)) v(p, a)), 0.0::float8, 'r2 with constant actual, imperfect: 0');
SELECT is((SELECT r2(p, a) FROM (VALUES (2.0, 3.0)) v(p, a)), NULL, 'r2 of one row is NULL');
SELECT is((SELECT accuracy(p, a) FROM (VALUES (-0.0, 0.0)) v(p, a)), 1.0::float8, '-0 and 0 labels are one class');

-- bad data
SELECT throws_ok($$SELECT accuracy(p, a) FROM (VALUES (1.0, 'NaN'::float8)) v(p, a)$$, '22000', NULL, 'NaN label: ERROR');
SELECT throws_ok($$SELECT roc_auc(s, a) FROM (VALUES ('NaN'::float8, 1.0)) v(s, a)$$, '22000', NULL, 'NaN score: ERROR');
SELECT throws_ok($$SELECT mse(p, a) FROM (VALUES ('Infinity'::float8, 1.0)) v(p, a)$$, '22000', NULL, 'infinite prediction: ERROR');
SELECT throws_ok($$SELECT log_loss(p, a) FROM (VALUES ('NaN'::float8, 1.0)) v(p, a)$$, '22000', NULL, 'NaN probability: ERROR');
SELECT throws_ok($$SELECT roc_auc(s, a) FROM (VALUES (0.3, 2.0)) v(s, a)$$, '22000', NULL, 'roc_auc actual not 0/1: ERROR');
SELECT throws_ok($$SELECT log_loss(p, a) FROM (VALUES (1.5, 1.0)) v(p, a)$$, '22000', NULL, 'probability over 1: ERROR');
SELECT throws_ok($$SELECT f1(p, a) FROM (VALUES ('x', 'y'), ('z', 'x')) v(p, a)$$, '22000', NULL,
                 'text f1 without positive and three labels: ERROR');
SELECT throws_ok($$SELECT f1(p, a, NULL) FROM (VALUES (1.0, 1.0)) v(p, a)$$, '22004', NULL, 'NULL positive: ERROR');
SELECT throws_ok($$SELECT accuracy(i, i) FROM generate_series(1, 1001) i$$, '54000', NULL, 'more than 1000 labels: ERROR');

-- mismatched states
CREATE TEMP TABLE st AS
SELECT (SELECT accuracy_partial(p, a) FROM (VALUES (1.0, 1.0), (0.0, 1.0)) v(p, a)) AS acc,
       (SELECT accuracy_partial(p, a) FROM (VALUES ('x', 'x')) v(p, a)) AS acc_text,
       (SELECT f1_partial(p, a) FROM (VALUES (1.0, 1.0)) v(p, a)) AS f1_pos1,
       (SELECT f1_partial(p, a, 0) FROM (VALUES (1.0, 1.0)) v(p, a)) AS f1_pos0,
       (SELECT roc_auc_partial(s, a) FROM (VALUES (0.2, 1.0), (0.1, 0.0)) v(s, a)) AS auc,
       (SELECT mse_partial(p, a) FROM (VALUES (1.0, 2.0)) v(p, a)) AS mse,
       (SELECT r2_partial(p, a) FROM (VALUES (1.0, 2.0), (3.0, 2.5)) v(p, a)) AS r2,
       (SELECT confusion_matrix_partial(p, a) FROM (VALUES ('x', 'yy'), ('zzz', 'x'), ('yy', NULL)) v(p, a)) AS cm_text;
SELECT is((SELECT accuracy_merge(s) FROM st, LATERAL (VALUES (acc), (acc)) v(s)), 0.5::float8, 'accuracy_merge of two states');
SELECT throws_ok($$SELECT accuracy_merge(f1_pos1) FROM st$$, '22000', NULL, 'accuracy_merge of an f1 state: ERROR');
SELECT throws_ok($$SELECT accuracy_merge(s) FROM st, LATERAL (VALUES (acc), (acc_text)) v(s)$$, '22000', NULL,
                 'merging float8 and text label states: ERROR');
SELECT throws_ok($$SELECT f1_merge(s) FROM st, LATERAL (VALUES (f1_pos1), (f1_pos0)) v(s)$$, '22000', NULL,
                 'merging states with different positive classes: ERROR');
SELECT throws_ok($$SELECT roc_auc_merge(s) FROM st, LATERAL (VALUES (auc), (mse)) v(s)$$, '22000', NULL,
                 'merging a roc_auc and an mse state: ERROR');
SELECT throws_ok($$SELECT roc_auc_merge(mse) FROM st$$, '22000', NULL, 'roc_auc_merge of an mse state: ERROR');

-- corrupted states
SELECT throws_ok($$SELECT accuracy_merge('\x00'::bytea)$$, 'XX001', NULL, 'a one-byte state: ERROR');
SELECT throws_ok($$SELECT accuracy_merge(substr(acc, 1, length(acc) - 1)) FROM st$$, 'XX001', NULL, 'a truncated state: ERROR');
SELECT throws_ok($$SELECT accuracy_merge(set_byte(acc, 0, 0)) FROM st$$, 'XX001', NULL, 'bad magic: ERROR');
SELECT throws_ok($$SELECT accuracy_merge(set_byte(acc, 16, 9)) FROM st$$, 'XX001', NULL, 'row count that does not match the counts: ERROR');
SELECT throws_ok($$SELECT roc_auc_merge(set_byte(set_byte(auc, 71, 255), 70, 255)) FROM st$$, 'XX001', NULL, 'a NaN score inside a state: ERROR');
SELECT throws_ok($$SELECT mse_merge(set_byte(mse, 39, 255)) FROM st$$, 'XX001', NULL, 'NaN moments: ERROR');
SELECT throws_ok($$SELECT accuracy_final('\xdeadbeef'::bytea)$$, 'XX001', NULL, 'final function on garbage: ERROR');
SELECT throws_ok($$SELECT * FROM roc_curve_points('\x4d4d4d54'::bytea)$$, 'XX001', NULL, 'roc_curve_points on garbage: ERROR');
SELECT throws_ok($$SELECT metric_state_info(set_byte(acc_text, 6, 2)) FROM st$$, 'XX001', NULL, 'wrong family byte: ERROR');

-- every single-byte corruption of a state is rejected or harmless, never a crash
CREATE FUNCTION pg_temp.flip_all(s bytea, q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE bad int := 0; x bytea;
BEGIN
    FOR i IN 0 .. length(s) - 1 LOOP
        FOREACH x IN ARRAY ARRAY[set_byte(s, i, get_byte(s, i) # 1), set_byte(s, i, get_byte(s, i) # 128),
                                 set_byte(s, i, 255)] LOOP
            BEGIN
                EXECUTE q USING x;
            EXCEPTION WHEN data_corrupted OR data_exception THEN NULL;
                      WHEN OTHERS THEN bad := bad + 1;
            END;
        END LOOP;
    END LOOP;
    RETURN bad;
END $$;
SELECT is(pg_temp.flip_all(cm_text, 'SELECT confusion_matrix_merge(s) FROM (VALUES ($1), ($1)) v(s)')
          + pg_temp.flip_all(auc, 'SELECT roc_curve_points($1)')
          + pg_temp.flip_all(f1_pos0, 'SELECT f1_merge(s) FROM (VALUES ($1), ($1)) v(s)')
          + pg_temp.flip_all(r2, 'SELECT r2_merge(s) FROM (VALUES ($1), ($1)) v(s)')
          + pg_temp.flip_all(acc, 'SELECT accuracy_final($1)'),
          0, 'byte flips in states give only SQLSTATE 22000 / XX001 errors') FROM st;

SELECT * FROM finish();
ROLLBACK;
