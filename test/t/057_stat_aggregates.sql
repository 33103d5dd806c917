-- Multiclass log_loss, average_precision, spearman and corr_matrix(x, options) equal scikit-learn
-- 1.2.1 / scipy 1.10.1 / R 4.2.2 on shipped data (test/data/reference_rankstats.json, made by
-- test/scripts/reference_rankstats.py and .R) to 1e-12 relative, serially and under a forced
-- parallel plan; their errors; zero rows give NULL.
BEGIN;
SELECT plan(69);
SET LOCAL search_path = modelmgr, public;

CREATE FUNCTION pg_temp.close(got float8, want float8) RETURNS boolean LANGUAGE sql AS $$
    SELECT got IS NOT NULL AND abs(got - want) <= 1e-12 * abs(want)
$$;
-- a d x d result against a row-major reference (NULL where the reference is NULL)
CREATE FUNCTION pg_temp.close_matrix(got float8[], want float8[]) RETURNS boolean LANGUAGE sql AS $$
    SELECT array_ndims(got) = 2 AND cardinality(got) = cardinality(want) AND
           bool_and(CASE WHEN w IS NULL THEN g IS NULL ELSE pg_temp.close(g, w) END)
    FROM unnest(got, want) AS u(g, w)
$$;
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;

-- the reference values (test/data/reference_rankstats.json)
CREATE TEMP TABLE ref(name text PRIMARY KEY, v float8);
INSERT INTO ref VALUES
 ('log_loss_iris', 0.38167490360077705), ('log_loss_all', 0.6163076229245846), ('log_loss_edge', 7.65528920263881),
 ('log_loss_binary_column', 0.42518589482466096),
 ('ap_radius_rounded_malignant', 0.8965055687658997), ('ap_radius_malignant', 0.9229245946968343),
 ('ap_texture_rounded_benign', 0.8436442063380107),
 ('spearman_mpg_hp', -0.89466464574996252), ('spearman_mpg_cyl', -0.91080131086247873),
 ('spearman_cyl_gear', -0.56431047470171647), ('spearman_disp_wt', 0.89770643712997977),
 ('spearman_qsec_carb', -0.65871813877119367), ('spearman_ozone_solar', 0.34818646995676311);
CREATE TEMP TABLE ref_m(name text PRIMARY KEY, v float8[]);
INSERT INTO ref_m VALUES
 ('pairwise', ARRAY[1.0, 0.3483416929936027, -0.6015465298889502, 0.6983603421509319, 0.1645193143804131, -0.013225646554046998, 0.3483416929936027, 1.0, -0.0567916657698467, 0.27584027134080463, -0.0753007638859408, -0.15027497924098485, -0.6015465298889502, -0.0567916657698467, 1.0, -0.45798787910483296, -0.17829257921768996, 0.027180902809146, 0.6983603421509319, 0.27584027134080463, -0.45798787910483296, 1.0, 0.4209472522662217, -0.13059317515927765, 0.1645193143804131, -0.0753007638859408, -0.17829257921768996, 0.4209472522662217, 1.0, -0.00796176260045312, -0.013225646554046998, -0.15027497924098485, 0.027180902809146, -0.13059317515927765, -0.00796176260045312, 1.0]::float8[]),
 ('complete', ARRAY[1.0, 0.34834169299360274, -0.6124965763142117, 0.6985414096486391, 0.14288516784143493, -0.0051897694853129585, 0.34834169299360274, 1.0, -0.12718345349796045, 0.2940876437245135, -0.07406668339591603, -0.05775380099791737, -0.6124965763142117, -0.12718345349796045, 1.0, -0.497189716134619, -0.194495804102741, 0.04987101701402587, 0.6985414096486391, 0.2940876437245135, -0.497189716134619, 1.0, 0.4039717092108446, -0.09654579963051729, 0.14288516784143493, -0.07406668339591603, -0.194495804102741, 0.4039717092108446, 1.0, -0.009001078753920679, -0.0051897694853129585, -0.05775380099791737, 0.04987101701402587, -0.09654579963051729, -0.009001078753920679, 1.0]::float8[]);

-- every value, as one row (run serially and in parallel below)
CREATE TEMP VIEW q_ref AS
SELECT
 (SELECT ARRAY[
    log_loss(ARRAY[p_setosa, p_versicolor, p_virginica], target) FILTER (WHERE edge = 0),
    log_loss(ARRAY[p_setosa, p_versicolor, p_virginica], species, ARRAY['setosa', 'versicolor', 'virginica']) FILTER (WHERE edge = 0),
    log_loss(ARRAY[p_setosa, p_versicolor, p_virginica], target::float8, ARRAY[0, 1, 2]::float8[]) FILTER (WHERE edge = 0),
    -- another class order: the probabilities follow the labels
    log_loss(ARRAY[p_virginica, p_setosa, p_versicolor], species, ARRAY['virginica', 'setosa', 'versicolor']) FILTER (WHERE edge = 0),
    log_loss(ARRAY[p_setosa, p_versicolor, p_virginica], target),
    log_loss(ARRAY[p_setosa, p_versicolor, p_virginica], species, ARRAY['setosa', 'versicolor', 'virginica']) FILTER (WHERE edge = 1),
    log_loss(ARRAY[p_virginica / (p_versicolor + p_virginica)], (target = 2)::int) FILTER (WHERE target > 0 AND edge = 0)]
  FROM iris_proba) AS ll,
 (SELECT ARRAY[average_precision(round(mean_radius), target = 0),
               average_precision(round(mean_radius), (target = 0)::int::float8),
               average_precision(mean_radius, target = 0),
               average_precision(-round(mean_texture), target = 1)]
  FROM breast_cancer) AS ap,
 (SELECT ARRAY[spearman(mpg, hp), spearman(mpg, cyl), spearman(cyl, gear), spearman(disp, wt), spearman(qsec, carb)]
  FROM mtcars) AS sp,
 (SELECT spearman(ozone, solar_r) FROM airquality) AS sp_na,
 (SELECT corr_matrix(ARRAY[ozone, solar_r, wind, temp, month, day], '{"nulls": "pairwise"}') FROM airquality) AS pw,
 (SELECT corr_matrix(ARRAY[ozone, solar_r, wind, temp, month, day], '{"nulls": "complete"}') FROM airquality) AS cc;

CREATE FUNCTION pg_temp.check_ref(label text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE r record; ref_v float8[];
BEGIN
    SELECT * INTO r FROM q_ref;
    RETURN NEXT ok(pg_temp.close(r.ll[1], (SELECT v FROM ref WHERE name = 'log_loss_iris')), label || 'log_loss(float8[], int) = sklearn log_loss on iris probabilities');
    RETURN NEXT ok(pg_temp.close(r.ll[2], (SELECT v FROM ref WHERE name = 'log_loss_iris')), label || 'log_loss(float8[], text, text[]) = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ll[3], (SELECT v FROM ref WHERE name = 'log_loss_iris')), label || 'log_loss(float8[], float8, float8[]) = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ll[4], (SELECT v FROM ref WHERE name = 'log_loss_iris')), label || 'log_loss with another label order (probabilities in that order) = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ll[5], (SELECT v FROM ref WHERE name = 'log_loss_all')), label || 'log_loss with clipped and renormalised edge rows = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ll[6], (SELECT v FROM ref WHERE name = 'log_loss_edge')), label || 'log_loss of the edge rows alone (zeros clipped to 1e-15, rows not summing to 1) = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ll[7], (SELECT v FROM ref WHERE name = 'log_loss_binary_column')), label || 'log_loss of a one-element P(class 1) array = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ap[1], (SELECT v FROM ref WHERE name = 'ap_radius_rounded_malignant')), label || 'average_precision(float8, boolean) with ties = sklearn average_precision_score');
    RETURN NEXT ok(pg_temp.close(r.ap[2], (SELECT v FROM ref WHERE name = 'ap_radius_rounded_malignant')), label || 'average_precision(float8, float8) with ties = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ap[3], (SELECT v FROM ref WHERE name = 'ap_radius_malignant')), label || 'average_precision without rounding = sklearn');
    RETURN NEXT ok(pg_temp.close(r.ap[4], (SELECT v FROM ref WHERE name = 'ap_texture_rounded_benign')), label || 'average_precision, negated rounded scores = sklearn');
    RETURN NEXT ok(pg_temp.close(r.sp[1], (SELECT v FROM ref WHERE name = 'spearman_mpg_hp')), label || 'spearman(mpg, hp) on mtcars = R / scipy');
    RETURN NEXT ok(pg_temp.close(r.sp[2], (SELECT v FROM ref WHERE name = 'spearman_mpg_cyl')), label || 'spearman(mpg, cyl) (heavy ties) = R / scipy');
    RETURN NEXT ok(pg_temp.close(r.sp[3], (SELECT v FROM ref WHERE name = 'spearman_cyl_gear')), label || 'spearman(cyl, gear) (ties on both sides) = R / scipy');
    RETURN NEXT ok(pg_temp.close(r.sp[4], (SELECT v FROM ref WHERE name = 'spearman_disp_wt')), label || 'spearman(disp, wt) = R / scipy');
    RETURN NEXT ok(pg_temp.close(r.sp[5], (SELECT v FROM ref WHERE name = 'spearman_qsec_carb')), label || 'spearman(qsec, carb) = R / scipy');
    RETURN NEXT ok(pg_temp.close(r.sp_na, (SELECT v FROM ref WHERE name = 'spearman_ozone_solar')), label || 'spearman leaves out rows with a NULL (R use = "complete.obs")');
    RETURN NEXT ok(pg_temp.close_matrix(r.pw, (SELECT v FROM ref_m WHERE name = 'pairwise')), label || 'corr_matrix(x, {"nulls": "pairwise"}) on airquality = R cor(use = "pairwise.complete.obs")');
    RETURN NEXT ok(pg_temp.close_matrix(r.cc, (SELECT v FROM ref_m WHERE name = 'complete')), label || 'corr_matrix(x, {"nulls": "complete"}) on airquality = R cor(use = "complete.obs")');
END $$;

SELECT * FROM pg_temp.check_ref('');

-- corr_matrix(x, options) without NULLs is corr_matrix(x)
SELECT ok(pg_temp.close_matrix((SELECT corr_matrix(x, '{}') FROM iris), (SELECT array_agg(e) FROM unnest((SELECT corr_matrix(x) FROM iris)) e)),
    'corr_matrix(x, ''{}'') equals corr_matrix(x) on iris');

-- a larger synthetic table: parallel equals serial, and the merge of partial states too
CREATE TABLE par_r AS
SELECT i, (i * 7919 % 1000) / 100.0 AS s, (i % 3 = 0) AS yb, round(sin(i) * 5) AS a, round(cos(i * 0.7) * 5 + sin(i) * 3) AS b,
       ARRAY[(i * 7919 % 1000) / 1000.0 * 0.6, 0.3, 0.1 + (i % 7) / 70.0] AS p, (i % 3) AS t,
       ARRAY[CASE WHEN i % 11 = 0 THEN NULL ELSE sin(i) END, cos(i * 0.3), CASE WHEN i % 13 = 0 THEN NULL ELSE sin(i) + 0.5 * cos(i * 0.3) END] AS x
FROM generate_series(1, 60000) i;
ANALYZE par_r;
CREATE TEMP VIEW q_par AS
SELECT ARRAY[log_loss(p, t), log_loss(p, 'c' || t, ARRAY['c0', 'c1', 'c2']), average_precision(s, yb), spearman(a, b), spearman(s, a)] AS v,
       corr_matrix(x, '{"nulls": "pairwise"}') AS pw, corr_matrix(x, '{"nulls": "complete"}') AS cc
FROM par_r;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT * FROM q_par;
CREATE TEMP TABLE merged AS
SELECT log_loss_merge(l) AS ll, average_precision_merge(ap) AS ap
FROM (SELECT i % 7 AS g, log_loss_partial(p, t) AS l, average_precision_partial(s, yb) AS ap FROM par_r GROUP BY 1) s;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL force_parallel_mode = on;
SELECT matches(pg_temp.plan_text('SELECT * FROM q_par'), 'Partial Aggregate', 'the new aggregates run as partial aggregates in parallel workers');
CREATE TEMP TABLE par AS SELECT * FROM q_par;
SELECT ok(pg_temp.close(p.v[k], s.v[k]), 'parallel ' || name || ' equals serial')
FROM par p, serial s,
     unnest(ARRAY['log_loss index', 'log_loss text', 'average_precision', 'spearman ties', 'spearman']) WITH ORDINALITY AS t(name, k)
ORDER BY k;
SELECT ok(pg_temp.close_matrix(p.pw, (SELECT array_agg(e) FROM unnest(s.pw) e)), 'parallel pairwise corr_matrix equals serial') FROM par p, serial s;
SELECT ok(pg_temp.close_matrix(p.cc, (SELECT array_agg(e) FROM unnest(s.cc) e)), 'parallel complete-case corr_matrix equals serial') FROM par p, serial s;
SELECT ok(pg_temp.close(m.ll, s.v[1]) AND pg_temp.close(m.ap, s.v[3]), 'log_loss_merge and average_precision_merge of partial states equal the aggregates') FROM merged m, serial s;
-- the reference data sets under the parallel plan
SELECT * FROM pg_temp.check_ref('parallel: ');
RESET force_parallel_mode; RESET parallel_leader_participation; RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size; RESET parallel_tuple_cost; RESET parallel_setup_cost;

-- zero rows, or only NULL rows: NULL
SELECT ok((SELECT log_loss(p, t) FROM par_r WHERE false) IS NULL AND (SELECT average_precision(s, yb) FROM par_r WHERE false) IS NULL
      AND (SELECT spearman(a, b) FROM par_r WHERE false) IS NULL AND (SELECT corr_matrix(x, '{"nulls": "pairwise"}') FROM par_r WHERE false) IS NULL
      AND (SELECT spearman(NULL::float8, a) FROM par_r) IS NULL AND (SELECT log_loss(NULL::float8[], t) FROM par_r) IS NULL,
    'zero rows (or only NULL rows) give NULL');
SELECT ok((SELECT spearman(1, a) FROM par_r) IS NULL AND (SELECT spearman(a, b) FROM par_r WHERE i = 1) IS NULL,
    'spearman of a constant or of one row is NULL');
SELECT ok((SELECT average_precision(s, false) FROM par_r) IS NULL, 'average_precision without positives is NULL');

-- errors
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[0.2, 0.8]::float8[], 2)$$, '22000', 'log_loss: class index 2 is out of range for 2 probabilities', 'a class index out of range');
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[0.2, 0.8]::float8[], 'z', ARRAY['x', 'y'])$$, '22000', 'log_loss: actual "z" is not among the labels', 'a label not among the labels');
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[0.2, 0.3, 0.5]::float8[], 'x', ARRAY['x', 'y'])$$, '22000', 'log_loss: 3 probabilities for 2 labels', 'probabilities and labels of different lengths');
SELECT throws_ok($$SELECT modelmgr.log_loss(p, 0) FROM (VALUES (ARRAY[0.2, 0.8]::float8[]), (ARRAY[0.2, 0.3, 0.5])) v(p)$$, '22000', 'log_loss: every row needs the same classes', 'rows with different numbers of classes');
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[0.2, 1.5]::float8[], 0)$$, '22000', 'log_loss: probability must be between 0 and 1, got 1.5', 'a probability above 1');
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[0.2, 0.8]::float8[], 'x', ARRAY['x', 'x'])$$, '22023', 'log_loss: labels must be distinct', 'duplicate labels');
SELECT throws_ok($$SELECT modelmgr.log_loss(ARRAY[1]::float8[], 'x', ARRAY['x'])$$, '22023', 'log_loss: labels must name 2 to 1000 classes, got 1', 'a single label');
SELECT throws_ok($$SELECT modelmgr.log_loss_merge(s) FROM (SELECT modelmgr.log_loss_partial(ARRAY[0.2, 0.8]::float8[], 0) UNION ALL SELECT modelmgr.log_loss_partial(ARRAY[0.2, 0.3, 0.5]::float8[], 0)) v(s)$$,
    '22000', NULL, 'merging log_loss states of different classes is an ERROR');
SELECT throws_ok($$SELECT modelmgr.average_precision(0.5, 2::float8)$$, '22000', 'average_precision: actual must be 0 or 1, got 2', 'average_precision needs 0/1 labels');
SELECT throws_ok($$SELECT modelmgr.spearman('NaN'::float8, 1)$$, '22000', 'spearman: x must be finite, not NaN', 'spearman rejects NaN');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(ARRAY[1, 2]::float8[], '{"nulls": "pairwise", "bogus": 1}')$$, '22023', 'unknown option "bogus" for corr_matrix', 'an unknown option key is an ERROR naming it');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(ARRAY[1, 2]::float8[], '{"nulls": "drop"}')$$, '22023', NULL, 'an unknown "nulls" value is an ERROR');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(ARRAY[1, NULL]::float8[], '{}')$$, '22004', 'corr_matrix: feature array must not contain NULL elements', 'a NULL element without the pairwise option is an ERROR');
SELECT throws_ok($$SELECT modelmgr.corr_matrix(x, '{"nulls": "pairwise"}') FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3])) v(x)$$, '22000', 'corr_matrix: feature arrays have different lengths', 'arrays of different lengths');
SELECT throws_ok($$SELECT modelmgr.spearman_final('\x00112233'::bytea)$$, 'XX001', NULL, 'spearman_final refuses a state it did not build');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_pairwise_final('\x4d4d505701000600ffffffff'::bytea)$$, 'XX001', NULL, 'corr_matrix_pairwise_final refuses a forged state');

-- spearman keeps its pairs: the growing state is counted against the memory budget
SET LOCAL modelmgr.train_memory_budget = '1MB';
SELECT throws_ok($$SELECT modelmgr.spearman(i, -i) FROM generate_series(1, 200000) i$$, '53200', 'a spearman state would exceed modelmgr.train_memory_budget', 'spearman over the memory budget is ERROR 53200');
RESET modelmgr.train_memory_budget;
SELECT is((SELECT spearman(i, -i) FROM generate_series(1, 200000) i), -1::float8, 'within the budget the same query works (rho = -1)');

SELECT * FROM finish();
ROLLBACK;
