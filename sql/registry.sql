-- The model registry: register versions, deploy, predict by name, roll back, export/import.
SET extra_float_digits = 0;
SET client_min_messages = notice;
CREATE TABLE houses (id int, rooms float8, age float8, price float8);
INSERT INTO houses SELECT i, 1 + i % 5, (i * 7) % 30, 50 + 20 * (1 + i % 5) - 0.5 * ((i * 7) % 30) FROM generate_series(1, 40) i;

-- register two versions; the first is deployed automatically (nothing was deployed yet)
WITH fit AS (SELECT modelmgr.linreg_fit(ARRAY[rooms, age], price) AS m FROM houses)
SELECT r.version, r.algorithm, r.features, r.metrics
FROM fit, modelmgr.register_model('price', fit.m, source => 'houses', label => 'price', features => ARRAY['rooms', 'age'],
                                  metrics => '{"score": 0.98}', auto_deploy => true) r;
WITH fit AS (SELECT modelmgr.linreg_fit(ARRAY[rooms, age], price, '{"l2": 10}') AS m FROM houses)
SELECT r.version, r.metrics
FROM fit, modelmgr.register_model('price', fit.m, features => ARRAY['rooms', 'age'], metrics => '{"score": 0.95}',
                                  auto_deploy => true) r;
SELECT name, deployed_version, algorithm, versions, latest_version FROM modelmgr.model_overview;

-- predict by name: from an array, or from a whole row (columns picked by name)
SELECT round(modelmgr.predict('price', ARRAY[3, 10]::float8[])::numeric, 6) AS from_array;
SELECT id, round(modelmgr.predict('price', h)::numeric, 6) AS from_row FROM houses h WHERE id <= 3 ORDER BY id;

-- deploy a version, a strategy, the latest; roll back walks back through the history
SELECT modelmgr.deploy('price', 2);
SELECT round(modelmgr.predict('price', ARRAY[3, 10]::float8[])::numeric, 6) AS version_2;
SELECT modelmgr.deploy('price', 'best_score');
SELECT modelmgr.deploy('price');
-- the history is now 1, 2, 1, 2: each rollback returns to the deployment before the live one
-- (1), then to the one before that (2), and so on back to the first
SELECT modelmgr.rollback('price');
SELECT modelmgr.rollback('price');
SELECT version, action, strategy, previous_version FROM modelmgr.deployments WHERE name = 'price' ORDER BY id;
SELECT version, is_deployed, score FROM modelmgr.model_versions WHERE name = 'price' ORDER BY version;

-- weights, with feature names
SELECT class, feature, round(weight::numeric, 6) AS weight FROM modelmgr.weights('price', 1);

-- export / import: a byte-identical copy under another name
SELECT d->>'format' AS format, d->>'format_version' AS format_version, d->>'name' AS name, d->>'version' AS version,
       (d->>'model_size')::int = octet_length(modelmgr.model('price', 1)) AS size_ok, length(d->>'model_sha256') AS sha256_hex_length
FROM (SELECT modelmgr.export_model('price', 1) AS d) s;
SELECT modelmgr.import_model('price_copy', modelmgr.export_model('price', 1));
SELECT modelmgr.model('price_copy', 1) = modelmgr.model('price', 1) AS identical;

-- errors
\set SHOW_CONTEXT never
SELECT modelmgr.predict('nope', ARRAY[1, 2]::float8[]);
SELECT modelmgr.predict('price_copy', ARRAY[1, 2]::float8[]);
SELECT modelmgr.drop_model('price', 2);
SELECT modelmgr.predict('price', t) FROM (SELECT 1 AS rooms) t;
SELECT modelmgr.predict('price', t) FROM (SELECT 1 AS rooms, 'old'::text AS age) t;
SELECT modelmgr.import_model('bad', jsonb_set(modelmgr.export_model('price', 1), '{model_sha256}', '"00"'));
SELECT modelmgr.drop_model('price', 1);
SELECT modelmgr.deploy('price', 1);

-- clean up
SELECT modelmgr.drop_model('price', force => true);
SELECT modelmgr.drop_model('price_copy');
SELECT count(*) FROM modelmgr.models;
DROP TABLE houses;
