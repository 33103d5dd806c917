-- Memory and streaming training give the same model bytes for every kind of SGD run: memory mode
-- steps through standardised rows in a loop of its own (pending updates, four lanes where the CPU
-- has AVX2) or, for the other cases, row by row like sgd_epoch, and must match streaming mode's
-- sgd_epoch aggregate bit for bit whatever the loss, schedule, shuffle, penalty and classes.
BEGIN;
SELECT plan(12);
SET LOCAL modelmgr.progress_every = 0;
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE cfg (name text, src text, label text, algorithm text, options jsonb);
INSERT INTO cfg VALUES
    ('logistic, early stopping', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"early_stopping": true, "validation_fraction": 0.2, "epochs": 30, "n_iter_no_change": 3}'),
    ('logistic, test set held out', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"test_fraction": 0.25, "epochs": 6}'),
    ('logistic, shuffle once', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"shuffle": "once", "epochs": 6}'),
    ('logistic, no shuffle', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"shuffle": "none", "epochs": 6}'),
    ('logistic, balanced class weights, invscaling schedule', 'SELECT * FROM breast_cancer', 'target',
     'logistic_regression', '{"class_weight": "balanced", "learning_rate": "invscaling", "eta0": 0.05, "epochs": 6}'),
    ('logistic, l1 (the row-by-row path)', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"l1": 0.001, "epochs": 6}'),
    ('logistic, mini-batches of 16 (the row-by-row path)', 'SELECT * FROM breast_cancer', 'target',
     'logistic_regression', '{"batch_size": 16, "epochs": 6}'),
    ('logistic, not standardised', 'SELECT * FROM breast_cancer', 'target', 'logistic_regression',
     '{"standardize": false, "epochs": 6}'),
    ('linear SVM (hinge loss)', 'SELECT * FROM breast_cancer', 'target', 'svm', '{"epochs": 6}'),
    ('linear regression by SGD', 'SELECT * FROM diabetes', 'target', 'linear_regression',
     '{"solver": "sgd", "epochs": 6}'),
    ('multinomial logistic (three classes, the row-by-row path)', 'SELECT * FROM iris', 'target',
     'logistic_regression', '{"epochs": 6}');

CREATE TEMP TABLE runs AS
SELECT c.name, m.mode, r.model, r.training
FROM cfg c, (VALUES ('memory'), ('streaming')) m(mode),
     LATERAL modelmgr.train('modes_' || md5(c.name), c.src, c.label, ARRAY['x'], c.algorithm,
                            c.options || jsonb_build_object('mode', m.mode, 'seed', 3)) r;

SELECT is(a.model, b.model, 'memory = streaming, byte for byte: ' || a.name)
FROM runs a JOIN runs b ON a.name = b.name AND a.mode = 'memory' AND b.mode = 'streaming'
JOIN cfg c ON c.name = a.name
WHERE a.training ->> 'mode' = 'memory' AND b.training ->> 'mode' = 'streaming'
ORDER BY c.name;

-- a shuffled streaming epoch whose sort spills to temporary files (569 rows of 30 features are
-- ~170 kB) keeps memory mode's order too
SET LOCAL work_mem = '64kB';
SELECT is((modelmgr.train('modes_spill', 'SELECT * FROM breast_cancer', 'target', ARRAY['x'], 'logistic_regression',
                          '{"mode": "streaming", "epochs": 4, "seed": 11}')).model,
          (modelmgr.train('modes_spill', 'SELECT * FROM breast_cancer', 'target', ARRAY['x'], 'logistic_regression',
                          '{"mode": "memory", "epochs": 4, "seed": 11}')).model,
          'memory = streaming, byte for byte, when the shuffled epochs sort on disk (work_mem 64kB)');

SELECT * FROM finish();
ROLLBACK;
