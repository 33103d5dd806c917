-- The *_partial aggregates return their state sealed with a CRC-32C; the *_merge aggregates
-- check it, so a state changed on its way between nodes is an ERROR (XX001), not a wrong
-- result. Unsealed states (PostgreSQL's and Citus' own partial aggregation) merge as before.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE pts AS
SELECT i, ARRAY[i % 7, (i * 3) % 11, sin(i)]::float8[] AS x, (i % 7) * 0.5 + (i % 3)::float8 AS y,
       ((i * 7) % 10 > 4)::int::float8 AS label, ((i * 3) % 10 > 4)::int::float8 AS pred
FROM generate_series(1, 300) i;

CREATE TEMP TABLE parts AS
SELECT (SELECT modelmgr.linreg_fit_partial(x, y) FROM pts) AS lin,
       (SELECT modelmgr.sgd_epoch_partial(modelmgr.sgd_init('logistic_regression', 3), x, label) FROM pts) AS sgd,
       (SELECT modelmgr.describe_partial(x) FROM pts) AS des,
       (SELECT modelmgr.corr_matrix_partial(x) FROM pts) AS cor,
       (SELECT modelmgr.accuracy_partial(pred, label) FROM pts) AS acc;

SELECT ok(substring(lin FROM 1 FOR 4) = 'MMPS'::bytea AND substring(sgd FROM 1 FOR 4) = 'MMPS'::bytea AND
          substring(des FROM 1 FOR 4) = 'MMPS'::bytea AND substring(cor FROM 1 FOR 4) = 'MMPS'::bytea AND
          substring(acc FROM 1 FOR 4) = 'MMPS'::bytea, 'every *_partial state comes sealed') FROM parts;

-- sealed states merge to what the whole aggregate gives
SELECT is((SELECT modelmgr.linreg_fit_merge(lin) FROM parts), (SELECT modelmgr.linreg_fit(x, y) FROM pts),
          'linreg_fit_merge of a sealed state = linreg_fit');
SELECT is((SELECT modelmgr.sgd_epoch_merge(sgd) FROM parts),
          (SELECT modelmgr.sgd_epoch(modelmgr.sgd_init('logistic_regression', 3), x, label) FROM pts),
          'sgd_epoch_merge of a sealed state = sgd_epoch');
SELECT is((SELECT modelmgr.describe_merge(des) FROM parts), (SELECT modelmgr.describe(x) FROM pts),
          'describe_merge of a sealed state = describe');
SELECT is((SELECT modelmgr.corr_matrix_merge(cor) FROM parts), (SELECT modelmgr.corr_matrix(x) FROM pts),
          'corr_matrix_merge of a sealed state = corr_matrix');
SELECT is((SELECT modelmgr.accuracy_merge(acc) FROM parts), (SELECT modelmgr.accuracy(pred, label) FROM pts),
          'accuracy_merge of a sealed state = accuracy');
SELECT is((SELECT (modelmgr.metric_state_info(acc) ->> 'rows')::int FROM parts), 300, 'metric_state_info reads a sealed state');

-- one changed bit anywhere in the state: the checksum catches it
SELECT throws_ok($$SELECT modelmgr.linreg_fit_merge(set_byte(lin, 200, get_byte(lin, 200) # 1)) FROM parts$$,
                 'XX001', 'linreg_fit state is corrupted: its checksum does not match', 'linreg_fit: a flipped bit');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(set_byte(sgd, 100, get_byte(sgd, 100) # 16)) FROM parts$$,
                 'XX001', 'sgd_epoch state is corrupted: its checksum does not match', 'sgd_epoch: a flipped bit in a scalar');
SELECT throws_ok($$SELECT modelmgr.describe_merge(set_byte(des, 60, get_byte(des, 60) # 2)) FROM parts$$,
                 'XX001', 'describe state is corrupted: its checksum does not match', 'describe: a flipped bit');
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(set_byte(cor, 40, get_byte(cor, 40) # 4)) FROM parts$$,
                 'XX001', 'corr_matrix state is corrupted: its checksum does not match', 'corr_matrix: a flipped bit');
SELECT throws_ok($$SELECT modelmgr.accuracy_merge(set_byte(acc, 20, get_byte(acc, 20) # 1)) FROM parts$$,
                 'XX001', 'metric state is corrupted: its checksum does not match', 'accuracy: a flipped bit');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(set_byte(sgd, 5, get_byte(sgd, 5) # 1)) FROM parts$$,
                 'XX001', 'sgd_epoch state is corrupted: its checksum does not match', 'a flipped bit in the checksum itself');
SELECT throws_ok($$SELECT modelmgr.describe_merge(substring(des FROM 1 FOR length(des) - 8)) FROM parts$$,
                 'XX001', 'describe state is corrupted: its checksum does not match', 'a truncated sealed state');

-- without the seal (the 8 bytes of magic and checksum) a state is validated as before
SELECT is((SELECT modelmgr.linreg_fit_merge(substring(lin FROM 9)) FROM parts), (SELECT modelmgr.linreg_fit(x, y) FROM pts),
          'an unsealed state still merges');
SELECT throws_ok($$SELECT modelmgr.sgd_epoch_merge(set_byte(sgd, 1, 0)) FROM parts$$, 'XX001', 'not an sgd_epoch state',
                 'a broken seal magic: read as an unsealed state, which it is not');

-- a state sealed twice is no state
SELECT throws_ok($$SELECT modelmgr.corr_matrix_merge(modelmgr._seal_state(cor)) FROM parts$$, 'XX001', NULL,
                 'a state sealed twice is refused');

SELECT * FROM finish();
ROLLBACK;
