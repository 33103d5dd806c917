-- predict(name, row) on a table's row: the planner support function passes the model's feature
-- columns instead of a composite value per row (_predict_columns). Same results, NULLs and errors
-- as the row itself; a redeploy under a cached plan is either followed or refused clearly.
BEGIN;
SELECT plan(36);
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.run_q() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    v float8;
BEGIN
    EXECUTE 'EXECUTE pc_q' INTO v;
    RETURN v;
END $$;

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
    out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
        out := out || r || E'\n';
    END LOOP;
    RETURN out;
END $$;

SELECT modelmgr.register_model('pc_diab', modelmgr.linreg_fit(x, target), features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'])
FROM diabetes;
SELECT modelmgr.deploy('pc_diab', 1);
SELECT modelmgr.train('pc_iris', 'iris', 'target',
                      ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], 'multinomial_logistic_regression',
                      '{"solver": "lbfgs", "auto_deploy": true}');

-- the rewrite happens, for all three forms
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict('pc_diab', d) FROM diabetes d$$),
               '_predict_columns\(''pc_diab''::text, ''\{age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\}''::text\[\], true, age, sex, bmi',
               'predict(name, table row) is planned as _predict_columns(name, features, true, columns...)');
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict_label('pc_iris', i) FROM iris i$$),
               '_predict_label_columns\(', 'predict_label(name, table row) too');
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict_proba('pc_iris', i) FROM iris i$$),
               '_predict_proba_columns\(', 'predict_proba(name, table row) too');
-- ... and not where it cannot apply: a subquery's row, a name that is not a constant
SELECT doesnt_match(pg_temp.plan_of($$SELECT modelmgr.predict('pc_diab', s) FROM (SELECT * FROM diabetes OFFSET 0) s$$),
                    '_predict_columns', 'a subquery''s row is passed as a row');
SELECT doesnt_match(pg_temp.plan_of($$SELECT modelmgr.predict(n, d) FROM diabetes d, (SELECT 'pc_diab'::text AS n OFFSET 0) k$$),
                    '_predict_columns', 'a model name that is not a constant: no rewrite');

-- its planner cost: two operators per feature column plus ten, per row (so large scans get JIT)
CREATE FUNCTION pg_temp.plan_cost(q text) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
    RETURN ARRAY[(j->0->'Plan'->>'Total Cost')::float8, (j->0->'Plan'->>'Plan Rows')::float8];
END $$;
SELECT is(round((((pg_temp.plan_cost($$SELECT modelmgr.predict('pc_diab', d) FROM diabetes d$$))[1]
                   - (pg_temp.plan_cost('SELECT d.id FROM diabetes d'))[1])
                  / ((pg_temp.plan_cost('SELECT d.id FROM diabetes d'))[2] * current_setting('cpu_operator_cost')::float8))::numeric, 6),
          30.000000, 'the per-row cost of a 10-feature prediction is 2 * 10 + 10 operators');

-- same results as the row itself (the subquery row is not rewritten)
SELECT is((SELECT count(*) FROM diabetes d JOIN (SELECT * FROM diabetes OFFSET 0) s USING (id)
           WHERE modelmgr.predict('pc_diab', d) IS DISTINCT FROM modelmgr.predict('pc_diab', s)),
          0::bigint, 'predict: columns == row on every row');
SELECT is((SELECT count(*) FROM diabetes d WHERE modelmgr.predict('pc_diab', d) IS DISTINCT FROM modelmgr.predict('pc_diab', d.x)),
          0::bigint, 'predict: columns == feature array on every row');
SELECT is((SELECT count(*) FROM iris i JOIN (SELECT * FROM iris OFFSET 0) s USING (id)
           WHERE modelmgr.predict_label('pc_iris', i) IS DISTINCT FROM modelmgr.predict_label('pc_iris', s)
              OR modelmgr.predict_proba('pc_iris', i) IS DISTINCT FROM modelmgr.predict_proba('pc_iris', s)),
          0::bigint, 'predict_label and predict_proba: columns == row on every row');

-- one output (a binary classifier on 30 columns: four at a time and a tail of two): the score is
-- taken straight from the column arguments, with the same bits as from the row and the array
SELECT modelmgr.train('pc_bc', 'breast_cancer', 'target',
                      (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
                       WHERE attrelid = 'breast_cancer'::regclass AND attnum > 1 AND attname NOT IN ('target', 'x')
                         AND NOT attisdropped),
                      'logistic_regression', '{"solver": "lbfgs", "auto_deploy": true}');
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict('pc_bc', b) FROM breast_cancer b$$), '_predict_columns',
               'the binary classifier''s row form is planned as _predict_columns');
SELECT is((SELECT count(*) FROM breast_cancer b JOIN (SELECT * FROM breast_cancer OFFSET 0) s USING (id)
           WHERE modelmgr.predict('pc_bc', b) IS DISTINCT FROM modelmgr.predict('pc_bc', s)
              OR modelmgr.predict_label('pc_bc', b) IS DISTINCT FROM modelmgr.predict_label('pc_bc', s)
              OR modelmgr.predict_proba('pc_bc', b) IS DISTINCT FROM modelmgr.predict_proba('pc_bc', s)),
          0::bigint, 'binary classifier: predict, predict_label and predict_proba from the columns == from the row');
SELECT is((SELECT count(*) FROM breast_cancer b
           WHERE modelmgr.predict_proba('pc_bc', b) IS DISTINCT FROM modelmgr.predict_proba('pc_bc', b.x)),
          0::bigint, 'binary classifier: columns == feature array on every row');
CREATE TEMP TABLE pc_bc_bad AS SELECT * FROM breast_cancer WHERE id <= 3;
UPDATE pc_bc_bad SET worst_symmetry = 'Infinity' WHERE id = 3;
SELECT throws_ok($$SELECT modelmgr.predict('pc_bc', b) FROM pc_bc_bad b$$, '22000', 'feature column "worst_symmetry" must be finite',
                 'binary classifier: an infinite column in the tail is named');

-- a NULL row (outer join) gives NULL, as the STRICT row form does
SELECT is((SELECT modelmgr.predict('pc_diab', d) FROM (VALUES (1)) v(i) LEFT JOIN diabetes d ON false), NULL::float8,
          'the NULL row of an outer join: NULL');
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict('pc_diab', d) FROM (VALUES (1)) v(i) LEFT JOIN diabetes d ON false$$),
               '_predict_columns\([^)]*text\[\], d\.ctid, d\.age', '... through the rewritten call, with the row''s ctid');
SELECT is((SELECT count(*) FROM diabetes a LEFT JOIN diabetes d ON d.id = a.id AND a.id % 2 = 0
           WHERE modelmgr.predict('pc_diab', d) IS DISTINCT FROM CASE WHEN a.id % 2 = 0 THEN modelmgr.predict('pc_diab', a.x) END),
          0::bigint, 'a LEFT JOIN: predictions for matched rows, NULL for the others');
-- grouping sets null the row in rolled-up rows: not rewritten
SELECT doesnt_match(pg_temp.plan_of($$SELECT modelmgr.predict('pc_diab', d) FROM diabetes d GROUP BY ROLLUP (d)$$),
                    '_predict_columns', 'grouping sets: no rewrite');
SELECT is((SELECT count(*) FILTER (WHERE p IS NULL) FROM (SELECT modelmgr.predict('pc_diab', d) AS p FROM diabetes d GROUP BY ROLLUP (d)) s),
          1::bigint, 'ROLLUP''s total row: NULL');
SELECT is((SELECT count(*) FROM (SELECT d.x, modelmgr.predict('pc_diab', d) AS p FROM diabetes d GROUP BY d, d.x) s
           WHERE p IS DISTINCT FROM modelmgr.predict('pc_diab', s.x)),
          0::bigint, 'GROUP BY the row: every group''s prediction is its row''s');
-- an outer query's row
SELECT is((SELECT sum((SELECT modelmgr.predict('pc_diab', d))) FROM diabetes d), (SELECT sum(modelmgr.predict('pc_diab', d.x)) FROM diabetes d),
          'a row of the outer query');

-- ON CONFLICT's EXCLUDED row (no ctid) and RETURNING
CREATE TABLE pc_upsert AS SELECT * FROM diabetes WHERE id <= 5;
ALTER TABLE pc_upsert ADD PRIMARY KEY (id), ADD COLUMN pred float8;
INSERT INTO pc_upsert SELECT *, NULL FROM diabetes WHERE id <= 5
ON CONFLICT (id) DO UPDATE SET pred = modelmgr.predict('pc_diab', excluded);
SELECT is((SELECT count(*) FROM pc_upsert u WHERE pred IS DISTINCT FROM modelmgr.predict('pc_diab', u.x)), 0::bigint,
          'ON CONFLICT DO UPDATE with the EXCLUDED row');
CREATE TEMP TABLE pc_ret AS
WITH ins AS (INSERT INTO pc_upsert SELECT *, NULL FROM diabetes WHERE id = 6 RETURNING modelmgr.predict('pc_diab', pc_upsert) AS p)
SELECT p FROM ins;
SELECT is((SELECT p FROM pc_ret), (SELECT modelmgr.predict('pc_diab', x) FROM diabetes WHERE id = 6), 'RETURNING the inserted row');

-- other numeric column types, a partitioned table, a materialized view
CREATE TABLE pc_types AS SELECT id, round(age * 1000)::int4 AS age, round(sex * 1000)::int8 AS sex, bmi::numeric AS bmi, bp::float4 AS bp,
    s1, s2, s3, s4, s5, s6 FROM diabetes;
SELECT is((SELECT count(*) FROM pc_types t WHERE modelmgr.predict('pc_diab', t)
               IS DISTINCT FROM modelmgr.predict('pc_diab', ARRAY[t.age, t.sex, t.bmi, t.bp, t.s1, t.s2, t.s3, t.s4, t.s5, t.s6]::float8[])),
          0::bigint, 'int4, int8, numeric and float4 columns convert as in the row form');
CREATE TABLE pc_part (LIKE diabetes) PARTITION BY RANGE (id);
CREATE TABLE pc_part_1 PARTITION OF pc_part FOR VALUES FROM (MINVALUE) TO (200);
CREATE TABLE pc_part_2 PARTITION OF pc_part FOR VALUES FROM (200) TO (MAXVALUE);
INSERT INTO pc_part SELECT * FROM diabetes;
SELECT is((SELECT count(*) FROM pc_part p WHERE modelmgr.predict('pc_diab', p) IS DISTINCT FROM modelmgr.predict('pc_diab', p.x)),
          0::bigint, 'a partitioned table');
CREATE MATERIALIZED VIEW pc_mv AS SELECT * FROM diabetes WHERE id < 100;
SELECT is((SELECT count(*) FROM pc_mv m WHERE modelmgr.predict('pc_diab', m) IS DISTINCT FROM modelmgr.predict('pc_diab', m.x)),
          0::bigint, 'a materialized view');

-- a model trained from numeric columns with imputation: NULLs take the stored fills, as in the row form
CREATE TABLE pc_imp AS SELECT id, CASE WHEN id % 7 = 0 THEN NULL ELSE bmi END AS bmi, CASE WHEN id % 5 = 0 THEN NULL ELSE bp END AS bp,
    s5, target FROM diabetes;
SELECT modelmgr.train('pc_imp', 'pc_imp', 'target', ARRAY['bmi', 'bp', 's5'], 'linear_regression', '{"impute": "mean", "auto_deploy": true}');
SELECT matches(pg_temp.plan_of($$SELECT modelmgr.predict('pc_imp', t) FROM pc_imp t$$), '_predict_columns',
               'a model with imputation over numeric columns is rewritten');
SELECT is((SELECT count(*) FROM pc_imp t JOIN (SELECT * FROM pc_imp OFFSET 0) s USING (id)
           WHERE modelmgr.predict('pc_imp', t) IS DISTINCT FROM modelmgr.predict('pc_imp', s)),
          0::bigint, '... and NULL columns take the fills exactly as the row form does');

-- errors are the row form's
CREATE TABLE pc_bad AS SELECT * FROM diabetes WHERE id <= 3;
UPDATE pc_bad SET bmi = NULL WHERE id = 2;
SELECT throws_ok($$SELECT modelmgr.predict('pc_diab', b) FROM pc_bad b$$, '22004', 'feature column "bmi" is NULL',
                 'a NULL feature column: the row form''s error');
UPDATE pc_bad SET bmi = 'NaN' WHERE id = 2;
SELECT throws_ok($$SELECT modelmgr.predict('pc_diab', b) FROM pc_bad b$$, '22000', 'feature column "bmi" must be finite',
                 'a NaN feature column: the row form''s error');
CREATE TABLE pc_missing AS SELECT id, age, sex FROM diabetes;
SELECT throws_ok($$SELECT modelmgr.predict('pc_diab', m) FROM pc_missing m$$, '42703', 'row has no column "bmi"',
                 'a missing column: not rewritten, the row form''s error');
CREATE TABLE pc_text AS SELECT id, age, sex, bmi::text AS bmi, bp, s1, s2, s3, s4, s5, s6 FROM diabetes;
SELECT throws_ok($$SELECT modelmgr.predict('pc_diab', t) FROM pc_text t$$, '42804', NULL,
                 'a text column: not rewritten, the row form''s error');

-- a cached plan across redeploys
SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE pc_q AS SELECT sum(modelmgr.predict('pc_diab', d)) FROM diabetes d;
SELECT matches(pg_temp.plan_of('EXECUTE pc_q'), '_predict_columns', 'the prepared statement''s generic plan passes the columns');
SELECT is(pg_temp.run_q(), (SELECT sum(modelmgr.predict('pc_diab', d.x)) FROM diabetes d), 'prepared: version 1');
-- version 2: the same columns in another order and a ridge penalty
SELECT modelmgr.register_model('pc_diab', modelmgr.linreg_fit(ARRAY[s6, s5, s4, s3, s2, s1, bp, bmi, sex, age]::float8[], target, '{"l2": 1}'),
                               features => ARRAY['s6','s5','s4','s3','s2','s1','bp','bmi','sex','age'])
FROM diabetes;
SELECT modelmgr.deploy('pc_diab', 2);
SELECT is(pg_temp.run_q(), (SELECT sum(modelmgr.predict('pc_diab', ARRAY[s6, s5, s4, s3, s2, s1, bp, bmi, sex, age]::float8[])) FROM diabetes),
          'prepared, after deploying a version with the columns reordered: the new version''s predictions');
-- version 3 reads a column the plan does not pass
SELECT modelmgr.register_model('pc_diab', modelmgr.linreg_fit(ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target]::float8[], target, '{"l2": 1}'),
                               features => ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6','target'])
FROM diabetes;
SELECT modelmgr.deploy('pc_diab', 3);
SELECT throws_ok('SELECT pg_temp.run_q()', '55000', NULL, 'prepared, after deploying a version that reads another column: a clear error');
DEALLOCATE pc_q;
SELECT is((SELECT sum(modelmgr.predict('pc_diab', d)) FROM diabetes d), (SELECT sum(modelmgr.predict('pc_diab', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, target]::float8[])) FROM diabetes),
          'planned again: the new version reads its extra column');

SELECT * FROM finish();
ROLLBACK;
