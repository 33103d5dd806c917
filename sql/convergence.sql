-- lbfgs / gd: hitting the iteration limit before max |gradient| <= tol is a NOTICE with the
-- gradient, the tolerance and a HINT; the training facts say converged = false.
SET modelmgr.progress_every = 0;
CREATE TABLE conv_rows AS
SELECT i AS id, (i % 7)::float8 AS a, ((i * 3) % 11)::float8 AS b,
       CASE WHEN (i % 7) + ((i * 3) % 11) * 0.5 + (i % 5) > 8 THEN 'yes' ELSE 'no' END AS label
FROM generate_series(1, 60) i;
SELECT training->>'converged' AS converged, training->>'epochs' AS epochs
FROM modelmgr.train('conv_notice', 'SELECT a, b, label FROM conv_rows', 'label', NULL, 'logistic_regression',
                    '{"solver": "lbfgs", "epochs": 1}');
SELECT training->>'converged' AS converged, training->>'epochs' AS epochs
FROM modelmgr.train('conv_notice', 'SELECT a, b, label FROM conv_rows', 'label', NULL, 'logistic_regression',
                    '{"solver": "gd", "epochs": 3, "tol": 1e-12}');
SELECT training->>'converged' AS converged, (training->>'gradient')::float8 <= 1e-7 AS within_tol
FROM modelmgr.train('conv_notice', 'SELECT a, b, label FROM conv_rows', 'label', NULL, 'logistic_regression',
                    '{"solver": "lbfgs"}');
SELECT modelmgr.drop_model('conv_notice', force => true);
DROP TABLE conv_rows;
