-- lbfgs and gd stop on max |gradient| <= tol (the mean loss + penalty in the solver's standardised
-- coordinates) or on the iteration limit (epochs); "converged" in the training facts says which, next
-- to the final max |gradient| and the tol it was held to.
BEGIN;
SELECT plan(10);
SET LOCAL client_min_messages = warning;
SET LOCAL modelmgr.progress_every = 0;

CREATE TEMP TABLE fits AS
SELECT 'default' AS k, t.training FROM modelmgr.train('conv_pima', 'pima_tr', 'type', NULL, 'logistic_regression',
    '{"solver": "lbfgs"}') t
UNION ALL
SELECT 'limit', t.training FROM modelmgr.train('conv_pima', 'pima_tr', 'type', NULL, 'logistic_regression',
    '{"solver": "lbfgs", "epochs": 2}') t
UNION ALL
SELECT 'loose', t.training FROM modelmgr.train('conv_pima', 'pima_tr', 'type', NULL, 'logistic_regression',
    '{"solver": "lbfgs", "tol": 1e-3}') t
UNION ALL
SELECT 'tight', t.training FROM modelmgr.train('conv_pima', 'pima_tr', 'type', NULL, 'logistic_regression',
    '{"solver": "lbfgs", "tol": 1e-9}') t
UNION ALL
SELECT 'gd_longley', t.training FROM modelmgr.train('conv_longley', 'longley', 'employed', NULL, 'linear_regression',
    '{"solver": "gd"}') t
UNION ALL
SELECT 'lbfgs_longley', t.training FROM modelmgr.train('conv_longley', 'longley', 'employed', NULL, 'linear_regression',
    '{"solver": "lbfgs"}') t;

SELECT ok((training->>'converged')::boolean AND (training->>'gradient')::float8 <= (training->>'tol')::float8
          AND (training->>'tol')::float8 = 1e-7,
    'a well-posed lbfgs fit converges: max |gradient| <= the default tol 1e-7') FROM fits WHERE k = 'default';
SELECT ok(NOT (training->>'converged')::boolean AND (training->>'epochs')::int = 2
          AND (training->>'gradient')::float8 > (training->>'tol')::float8,
    'the iteration limit (epochs = 2) stops the run unconverged, its gradient above tol') FROM fits WHERE k = 'limit';
SELECT ok((l.training->>'gradient')::float8 <= 1e-3 AND (t.training->>'gradient')::float8 <= 1e-9
          AND (l.training->>'gradient')::float8 > 1e-9,
    'tol sets the stopping point: each run stops within its own tol, the loose one above the tight one''s')
FROM fits l, fits t WHERE l.k = 'loose' AND t.k = 'tight';
SELECT cmp_ok((t.training->>'epochs')::int, '>', (l.training->>'epochs')::int, 'a tighter tol takes more iterations')
FROM fits l, fits t WHERE l.k = 'loose' AND t.k = 'tight';
SELECT is((training->>'converged')::boolean, (training->>'gradient')::float8 <= (training->>'tol')::float8,
    'gd on longley (ill-conditioned) reports converged exactly when its gradient criterion holds') FROM fits WHERE k = 'gd_longley';
SELECT ok(NOT (training->>'converged')::boolean AND (training->>'epochs')::int = 1000,
    'gd on longley does not reach its default tol 1e-5 in 1000 iterations, and says so') FROM fits WHERE k = 'gd_longley';
SELECT ok((training->>'converged')::boolean AND (training->>'gradient')::float8 <= 1e-7,
    'lbfgs on longley converges to tol') FROM fits WHERE k = 'lbfgs_longley';
SELECT is((SELECT training->>'converged' FROM modelmgr.models WHERE name = 'conv_pima' AND version = 2), 'false',
    'the registry row records converged = false');
SELECT ok((modelmgr.model_info(model)->'training'->>'gradient')::float8 > 0 AND NOT (modelmgr.model_info(model)->'training'->>'converged')::boolean,
    'the model''s own training facts carry converged and the gradient') FROM modelmgr.models WHERE name = 'conv_pima' AND version = 2;
SELECT ok((training->>'converged')::boolean AND (training->>'gradient')::float8 <= 1e-5 AND (training->>'tol')::float8 = 1e-5,
    'gd converges where the problem is well conditioned (default tol 1e-5)')
FROM modelmgr.train('conv_gd', 'pima_tr', 'type', NULL, 'logistic_regression', '{"solver": "gd"}');

SELECT * FROM finish();
ROLLBACK;
