-- Monitoring: drift baselines and PSI, evaluation snapshots, drift history, anomaly checks and
-- alerts (NOTIFY modelmgr_alerts), Prometheus exposition and BI views. See docs/monitoring.md.

-- Baselines and PSI (C aggregates) ----------------------------------------------------------

CREATE FUNCTION model_with_baseline_sfunc(state bytea, model bytea, x float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION model_with_baseline_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION model_with_baseline_final(state bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_baseline_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE model_with_baseline(model bytea, x float8[]) (
    SFUNC = model_with_baseline_sfunc, STYPE = bytea, FINALFUNC = model_with_baseline_final,
    COMBINEFUNC = model_with_baseline_combine, PARALLEL = SAFE
);
COMMENT ON FUNCTION model_with_baseline_sfunc(bytea, bytea, float8[]) IS 'internal: transition of model_with_baseline (bounded row sample)';
COMMENT ON FUNCTION model_with_baseline_combine(bytea, bytea) IS 'internal: combine of model_with_baseline (merges two samples)';
COMMENT ON FUNCTION model_with_baseline_final(bytea) IS 'internal: final of model_with_baseline (builds the baseline, returns the model)';
COMMENT ON AGGREGATE model_with_baseline(bytea, float8[]) IS
'the model with a drift baseline (10 quantile bins per feature) built from the rows x (a deterministic sample of at most 20000 rows); NULL rows are skipped, zero rows give NULL';

CREATE FUNCTION drift_psi_sfunc(state bytea, model bytea, x float8[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_drift_psi_sfunc' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION drift_psi_combine(a bytea, b bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_drift_psi_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION drift_psi_final(state bytea) RETURNS float8[]
AS 'MODULE_PATHNAME', 'mm_drift_psi_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE drift_psi(model bytea, x float8[]) (
    SFUNC = drift_psi_sfunc, STYPE = bytea, FINALFUNC = drift_psi_final,
    COMBINEFUNC = drift_psi_combine, PARALLEL = SAFE
);
COMMENT ON FUNCTION drift_psi_sfunc(bytea, bytea, float8[]) IS 'internal: transition of drift_psi (counts per baseline bin)';
COMMENT ON FUNCTION drift_psi_combine(bytea, bytea) IS 'internal: combine of drift_psi (adds counts)';
COMMENT ON FUNCTION drift_psi_final(bytea) IS 'internal: final of drift_psi (PSI per feature)';
COMMENT ON AGGREGATE drift_psi(bytea, float8[]) IS
'per-feature population stability index of the rows x against the model''s drift baseline, in model feature order; NULL elements are skipped (a feature with no value gets NULL); zero rows give NULL';

CREATE FUNCTION baseline_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'mm_baseline_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION baseline_info(bytea) IS 'the drift baseline stored in a model: rows summarised, bins asked for, per feature its bin edges and fractions; NULL when the model has none';

CREATE FUNCTION _source_sql(source text) RETURNS text
AS 'MODULE_PATHNAME', 'mm_source_sql' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION _source_sql(text) IS 'internal: a table or view name (resolved and quoted) or a single SELECT in parentheses, usable as FROM <source> AS s';
CREATE FUNCTION _feature_sql(model bytea, features text[], source_sql text) RETURNS text
AS 'MODULE_PATHNAME', 'mm_feature_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION _feature_sql(bytea, text[], text) IS 'internal: the model''s feature vector over source row s as a float8[] SQL expression; ERROR naming a missing column';

-- Tables ------------------------------------------------------------------------------------

CREATE TABLE monitor_settings (
    name         text PRIMARY KEY REFERENCES model_names (name) ON DELETE CASCADE,
    psi_warn     float8 NOT NULL DEFAULT 0.1 CHECK (psi_warn >= 0),
    psi_alert    float8 NOT NULL DEFAULT 0.25,
    metric       text,
    metric_floor float8,
    k_sigma      float8 NOT NULL DEFAULT 3 CHECK (k_sigma > 0),
    min_history  int NOT NULL DEFAULT 3 CHECK (min_history >= 2),
    CHECK (psi_alert >= psi_warn)
);
COMMENT ON TABLE monitor_settings IS 'per-model monitoring thresholds (optional: a model without a row gets the defaults)';
COMMENT ON COLUMN monitor_settings.name IS 'model name';
COMMENT ON COLUMN monitor_settings.psi_warn IS 'PSI at or above which drift() says warn (default 0.1)';
COMMENT ON COLUMN monitor_settings.psi_alert IS 'PSI at or above which drift() says alert and monitor() raises a drift alert (default 0.25)';
COMMENT ON COLUMN monitor_settings.metric IS 'the metric monitor() checks (NULL: accuracy for classifiers, r2 for regression)';
COMMENT ON COLUMN monitor_settings.metric_floor IS 'monitor() alerts when the metric is worse than this (below it; above it for log_loss, mse, rmse, mae); NULL: no floor';
COMMENT ON COLUMN monitor_settings.k_sigma IS 'monitor() alerts when the metric is worse than the mean of the earlier evaluations of the version by more than k_sigma standard deviations (default 3)';
COMMENT ON COLUMN monitor_settings.min_history IS 'earlier evaluations needed before the k_sigma check applies (default 3)';

CREATE TABLE evaluations (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    version      int NOT NULL,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    rows         bigint NOT NULL CHECK (rows >= 0),
    metrics      jsonb NOT NULL CHECK (jsonb_typeof(metrics) = 'object'),
    source       text,
    evaluated_by name NOT NULL DEFAULT current_user,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX evaluations_name_version ON evaluations (name, version, id);
COMMENT ON TABLE evaluations IS 'metric snapshots: one row per evaluate() (and monitor()) call';
COMMENT ON COLUMN evaluations.id IS 'increasing: the latest evaluation of a version has the highest id';
COMMENT ON COLUMN evaluations.name IS 'model name';
COMMENT ON COLUMN evaluations.version IS 'the version evaluated';
COMMENT ON COLUMN evaluations.evaluated_at IS 'when (transaction time)';
COMMENT ON COLUMN evaluations.rows IS 'rows scored (rows with a NULL label or feature are skipped)';
COMMENT ON COLUMN evaluations.metrics IS 'metric name -> value (JSON null when undefined, e.g. over zero rows)';
COMMENT ON COLUMN evaluations.source IS 'the table, view or query evaluated on, as given';
COMMENT ON COLUMN evaluations.evaluated_by IS 'who';

CREATE TABLE drift_history (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    version     int NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    feature     text NOT NULL,
    psi         float8,
    status      text NOT NULL CHECK (status IN ('ok', 'warn', 'alert', 'no_data')),
    rows        bigint NOT NULL,
    source      text,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX drift_history_name_feature ON drift_history (name, feature, id);
COMMENT ON TABLE drift_history IS 'per-feature PSI, one row per feature per drift() (and monitor()) call';
COMMENT ON COLUMN drift_history.name IS 'model name';
COMMENT ON COLUMN drift_history.version IS 'the deployed version whose baseline was compared against';
COMMENT ON COLUMN drift_history.measured_at IS 'when (transaction time)';
COMMENT ON COLUMN drift_history.feature IS 'feature name (model order)';
COMMENT ON COLUMN drift_history.psi IS 'population stability index (NULL: the feature had no non-NULL value)';
COMMENT ON COLUMN drift_history.status IS 'ok, warn (psi >= psi_warn), alert (psi >= psi_alert) or no_data';
COMMENT ON COLUMN drift_history.rows IS 'rows of the source';
COMMENT ON COLUMN drift_history.source IS 'the table, view or query measured, as given';

CREATE TABLE alerts (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    version     int NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind IN ('drift', 'metric_drop', 'metric_floor')),
    detail      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    resolved_at timestamptz,
    FOREIGN KEY (name, version) REFERENCES models (name, version) ON DELETE CASCADE
);
CREATE INDEX alerts_open ON alerts (name) WHERE resolved_at IS NULL;
COMMENT ON TABLE alerts IS 'alerts raised by monitor(); open while resolved_at is NULL (see resolve_alerts)';
COMMENT ON COLUMN alerts.name IS 'model name';
COMMENT ON COLUMN alerts.version IS 'the version monitored';
COMMENT ON COLUMN alerts.raised_at IS 'when (transaction time)';
COMMENT ON COLUMN alerts.kind IS 'drift (a feature''s PSI reached psi_alert), metric_drop (k_sigma below the history) or metric_floor';
COMMENT ON COLUMN alerts.detail IS 'facts: feature and psi, or metric, value, mean, stddev, floor; subject names the feature or metric';
COMMENT ON COLUMN alerts.resolved_at IS 'when resolved; NULL while open';

SELECT pg_catalog.pg_extension_config_dump('monitor_settings', '');
SELECT pg_catalog.pg_extension_config_dump('evaluations', '');
SELECT pg_catalog.pg_extension_config_dump('evaluations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('drift_history', '');
SELECT pg_catalog.pg_extension_config_dump('drift_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alerts', '');
SELECT pg_catalog.pg_extension_config_dump('alerts_id_seq', '');

-- Helpers -----------------------------------------------------------------------------------

CREATE FUNCTION _settings(model_name text) RETURNS monitor_settings LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT s FROM modelmgr.monitor_settings s WHERE s.name = _settings.model_name),
                    ROW(_settings.model_name, 0.1, 0.25, NULL, NULL, 3, 3)::modelmgr.monitor_settings)
$$;
COMMENT ON FUNCTION _settings(text) IS 'internal: the monitor_settings row of a model, or the defaults';

CREATE FUNCTION _lower_is_better(metric text) RETURNS boolean LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT metric IN ('log_loss', 'mse', 'rmse', 'mae')
$$;
COMMENT ON FUNCTION _lower_is_better(text) IS 'internal: true for error metrics (log_loss, mse, rmse, mae)';

-- The writes of evaluate(), drift() and monitor(): those read the caller's source with the
-- caller's rights; only these SECURITY DEFINER functions (owner modelmgr_owner, see the end of
-- this file) write the monitoring tables.
CREATE FUNCTION _record_evaluation(model_name text, version int, rows bigint, metrics jsonb, source text)
RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    eid bigint;
BEGIN
    INSERT INTO modelmgr.evaluations AS e (name, version, rows, metrics, source, evaluated_by)
    VALUES (model_name, _record_evaluation.version, _record_evaluation.rows, _record_evaluation.metrics,
            _record_evaluation.source, modelmgr._actor())
    RETURNING e.id INTO eid;
    RETURN eid;
END $$;
COMMENT ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text) IS 'internal: records an evaluate() snapshot (evaluated_by: the acting role)';

CREATE FUNCTION _record_drift(model_name text, version int, feature text, psi float8, status text, rows bigint, source text)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO modelmgr.drift_history (name, version, feature, psi, status, rows, source)
    VALUES (model_name, version, feature, psi, status, rows, source)
$$;
COMMENT ON FUNCTION _record_drift(text, int, text, float8, text, bigint, text) IS 'internal: records one drift() measurement';

-- evaluate ----------------------------------------------------------------------------------

-- The source is read with the caller's rights and names: the SQL wrappers evaluate(), drift() and
-- monitor() resolve it (modelmgr._source_sql, under the caller's search_path) before the pinned
-- functions that do the work run; they name nothing but schema-qualified functions, so they need
-- no pinned search_path themselves (test/sh/hostile_search_path.sh shows it).
-- The source runs read-only: through these helpers, which raise transaction_read_only for the
-- one query that reads it (a source whose functions write fails with 25006).
CREATE FUNCTION _read_only_type(q text) RETURNS regtype
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
DECLARE t regtype;
BEGIN
    EXECUTE q INTO t;
    RETURN t;
END $$;
COMMENT ON FUNCTION _read_only_type(text) IS 'internal: runs a query over a user source read-only, returning its one regtype';
CREATE FUNCTION _read_only_metrics(q text, model bytea, flag boolean, OUT n bigint, OUT skipped bigint, OUT m jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
BEGIN
    EXECUTE q INTO n, skipped, m USING model, flag;
END $$;
COMMENT ON FUNCTION _read_only_metrics(text, bytea, boolean) IS 'internal: runs evaluate()''s metric query over a user source read-only';
CREATE FUNCTION _read_only_psi(q text, model bytea, OUT psis float8[], OUT n bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET transaction_read_only = on
SET modelmgr.reading_source = on AS $$
BEGIN
    EXECUTE q INTO psis, n USING model;
END $$;
COMMENT ON FUNCTION _read_only_psi(text, bytea) IS 'internal: runs drift()''s PSI query over a user source read-only';

CREATE FUNCTION evaluate(model_name text, source text, version int DEFAULT NULL) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT modelmgr._evaluate(model_name, source, modelmgr._source_sql(source), version)
$$;

CREATE FUNCTION _evaluate(model_name text, source text, src text, version int) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    fx text;
    ltype regtype;
    ncls int;
    pexpr text;
    aexpr text;
    pos text;
    m jsonb;
    n bigint;
    skipped bigint;
    eid bigint;
    q text;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, _evaluate.version);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _evaluate.model_name AND mo.version = v;
    IF r.label IS NULL THEN
        RAISE EXCEPTION 'model "%" version % has no registered label column', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Register the model with label => ''column'' to evaluate it on a table.';
    END IF;
    fx := modelmgr._feature_sql(r.model, r.features, src);
    BEGIN
        ltype := modelmgr._read_only_type(format('SELECT pg_typeof(s.%I) FROM (SELECT * FROM %s AS s LIMIT 0) s RIGHT JOIN (SELECT 1) one ON true',
                       r.label, src));
    EXCEPTION WHEN undefined_column THEN
        RAISE EXCEPTION 'source has no label column "%"', r.label
            USING ERRCODE = 'undefined_column',
                  DETAIL = format('Model "%s" version %s was trained on label "%s".', model_name, v, r.label);
    END;
    ncls := coalesce(cardinality(r.classes), 0);
    -- rows with a NULL label or feature are skipped; predictions come from the version's own bytes
    q := format('SELECT %s AS x, s.%I AS y FROM %s AS s', fx, r.label, src);
    IF r.algorithm = 'linear_regression' THEN
        SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                jsonb_build_object('r2', modelmgr.r2(p, a) FILTER (WHERE ok), 'mse', modelmgr.mse(p, a) FILTER (WHERE ok),
                                   'rmse', modelmgr.rmse(p, a) FILTER (WHERE ok), 'mae', modelmgr.mae(p, a) FILTER (WHERE ok))
            FROM (SELECT CASE WHEN ok THEN modelmgr.predict($1, x) END AS p, y::float8 AS a, ok
                  FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%s) q0) q1) q2$q$, q), r.model, NULL);
    ELSE
        -- text labels compare class names; numeric and boolean labels compare class values
        IF ltype IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype, 'name'::regtype) THEN
            pexpr := 'modelmgr.predict_label($1, x)';
            aexpr := 'y::text';
            pos := quote_literal(r.classes[ncls]) || '::text';
        ELSIF ltype = 'boolean'::regtype THEN
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::int::float8';
            pos := '1::float8';
        ELSE
            pexpr := 'modelmgr.predict($1, x)';
            aexpr := 'y::float8';
            pos := quote_literal(r.classes[ncls]) || '::float8';
        END IF;
        IF ncls = 2 THEN
            SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'precision', modelmgr.precision(p, a, %2$s) FILTER (WHERE ok),
                        'recall', modelmgr.recall(p, a, %2$s) FILTER (WHERE ok),
                        'f1', modelmgr.f1(p, a, %2$s) FILTER (WHERE ok),
                        'roc_auc', CASE WHEN count(DISTINCT a) FILTER (WHERE ok) = 2
                                        THEN modelmgr.roc_auc(pr, a = %2$s) FILTER (WHERE ok) END,
                        'log_loss', CASE WHEN $2 THEN modelmgr.log_loss(pr, a = %2$s) FILTER (WHERE ok) END)
                FROM (SELECT CASE WHEN ok THEN %3$s END AS p,
                             CASE WHEN ok THEN (modelmgr.predict_proba($1, x))[2] END AS pr, %4$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pos, pexpr, aexpr), r.model, r.algorithm <> 'svm');
        ELSE
            SELECT * INTO n, skipped, m FROM modelmgr._read_only_metrics(format($q$SELECT count(*) FILTER (WHERE ok), count(*) FILTER (WHERE NOT ok),
                    jsonb_build_object(
                        'accuracy', modelmgr.accuracy(p, a) FILTER (WHERE ok),
                        'f1_macro', modelmgr.f1_macro(p, a) FILTER (WHERE ok),
                        'f1_weighted', modelmgr.f1_weighted(p, a) FILTER (WHERE ok))
                FROM (SELECT CASE WHEN ok THEN %2$s END AS p, %3$s AS a, ok
                      FROM (SELECT x, y, y IS NOT NULL AND array_position(x, NULL) IS NULL AS ok FROM (%1$s) q0) q1) q2$q$,
                q, pexpr, aexpr), r.model, NULL);
        END IF;
    END IF;
    eid := modelmgr._record_evaluation(model_name, v, n, m, _evaluate.source);
    RETURN jsonb_build_object('name', model_name, 'version', v, 'evaluation_id', eid, 'rows', n,
                              'rows_skipped', skipped, 'metrics', m);
END $$;
COMMENT ON FUNCTION _evaluate(text, text, text, int) IS 'internal: evaluate() of a resolved source';
COMMENT ON FUNCTION evaluate(text, text, int) IS
'scores a version (NULL: the deployed one) on a table, view or SELECT with the metric aggregates, against the model''s registered label column; records the snapshot in evaluations and returns {name, version, evaluation_id, rows, rows_skipped, metrics}';

-- drift -------------------------------------------------------------------------------------

CREATE FUNCTION drift(model_name text, source text) RETURNS TABLE (feature text, psi float8, status text)
LANGUAGE sql VOLATILE AS $$
    SELECT * FROM modelmgr._drift(model_name, source, modelmgr._source_sql(source))
$$;

CREATE FUNCTION _drift(model_name text, source text, src text) RETURNS TABLE (feature text, psi float8, status text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    info jsonb;
    fx text;
    psis float8[];
    names text[];
    n bigint;
    st modelmgr.monitor_settings;
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _drift.model_name AND mo.version = v;
    info := modelmgr.model_info(r.model);
    IF NOT coalesce((info->>'has_baseline')::boolean, false) THEN
        RAISE EXCEPTION 'model "%" version % has no drift baseline', model_name, v
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Models trained by modelmgr.train() carry one; add one to another model with the aggregate modelmgr.model_with_baseline(model, x) and register the result.';
    END IF;
    fx := modelmgr._feature_sql(r.model, r.features, src);
    SELECT * INTO psis, n FROM modelmgr._read_only_psi(format('SELECT modelmgr.drift_psi($1, %s), pg_catalog.count(*) FROM %s AS s', fx, src), r.model);
    IF info ? 'features' THEN
        names := ARRAY(SELECT jsonb_array_elements_text(info->'features'));
    ELSE
        names := coalesce(r.features, ARRAY(SELECT 'x' || i FROM generate_series(1, (info->>'n_features')::int) i));
    END IF;
    st := modelmgr._settings(model_name);
    FOR i IN 1 .. cardinality(names) LOOP
        feature := names[i];
        psi := psis[i];
        status := CASE WHEN psi IS NULL THEN 'no_data' WHEN psi >= st.psi_alert THEN 'alert'
                       WHEN psi >= st.psi_warn THEN 'warn' ELSE 'ok' END;
        PERFORM modelmgr._record_drift(model_name, v, names[i], psis[i], status, n, _drift.source);
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION _drift(text, text, text) IS 'internal: drift() of a resolved source';
COMMENT ON FUNCTION drift(text, text) IS
'per-feature PSI of a table, view or SELECT against the drift baseline of the deployed version of model_name, with status ok / warn / alert (thresholds from monitor_settings, default 0.1 / 0.25); recorded in drift_history';

-- alerts and monitor ------------------------------------------------------------------------

-- Records an alert unless the same one (name, version, kind, subject) is open; NOTIFYs new ones.
CREATE FUNCTION _raise_alert(model_name text, version int, kind text, detail jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    aid bigint;
    payload jsonb;
BEGIN
    SELECT a.id INTO aid FROM modelmgr.alerts a
    WHERE a.name = _raise_alert.model_name AND a.version = _raise_alert.version AND a.kind = _raise_alert.kind
      AND a.resolved_at IS NULL AND a.detail->>'subject' IS NOT DISTINCT FROM _raise_alert.detail->>'subject'
    ORDER BY a.id LIMIT 1;
    IF aid IS NOT NULL THEN
        RETURN jsonb_build_object('id', aid, 'kind', kind, 'new', false, 'detail', detail);
    END IF;
    INSERT INTO modelmgr.alerts AS a (name, version, kind, detail)
    VALUES (model_name, _raise_alert.version, _raise_alert.kind, _raise_alert.detail) RETURNING a.id INTO aid;
    payload := jsonb_build_object('id', aid, 'name', model_name, 'version', _raise_alert.version,
                                  'kind', _raise_alert.kind, 'detail', _raise_alert.detail);
    PERFORM pg_catalog.pg_notify('modelmgr_alerts', payload::text);
    RETURN jsonb_build_object('id', aid, 'kind', kind, 'new', true, 'detail', detail);
END $$;
COMMENT ON FUNCTION _raise_alert(text, int, text, jsonb) IS 'internal: records an alert (unless the same one is open) and sends it with NOTIFY modelmgr_alerts';

CREATE FUNCTION resolve_alerts(model_name text, kind text DEFAULT NULL) RETURNS int
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    PERFORM modelmgr._check_name(model_name);
    UPDATE modelmgr.alerts a SET resolved_at = now()
    WHERE a.name = resolve_alerts.model_name AND a.resolved_at IS NULL
      AND (resolve_alerts.kind IS NULL OR a.kind = resolve_alerts.kind);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION resolve_alerts(text, text) IS 'marks the open alerts of a model (of one kind, or all: NULL) resolved; returns how many';

CREATE FUNCTION monitor(model_name text, source text) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT modelmgr._monitor(model_name, source, modelmgr._source_sql(source))
$$;

CREATE FUNCTION _monitor(model_name text, source text, src text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v int;
    r modelmgr.models;
    ev jsonb;
    st modelmgr.monitor_settings;
    met text;
    val float8;
    hmean float8;
    hsd float8;
    hcount int;
    low boolean;
    raised jsonb := '[]';
    dr jsonb;
    d record;
BEGIN
    v := modelmgr._resolve(model_name, NULL);
    SELECT mo.* INTO r FROM modelmgr.models mo WHERE mo.name = _monitor.model_name AND mo.version = v;
    ev := modelmgr._evaluate(model_name, source, src, v);
    st := modelmgr._settings(model_name);
    met := coalesce(st.metric, CASE WHEN r.algorithm = 'linear_regression' THEN 'r2' ELSE 'accuracy' END);
    IF NOT (ev->'metrics') ? met THEN
        RAISE EXCEPTION 'monitor_settings.metric "%" is not a metric of model "%"', met, model_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('evaluate() reports: %s.', (SELECT string_agg(k, ', ') FROM jsonb_object_keys(ev->'metrics') k));
    END IF;
    IF jsonb_typeof(ev->'metrics'->met) = 'number' THEN
        val := (ev->'metrics'->>met)::float8;
    END IF;
    low := modelmgr._lower_is_better(met);
    SELECT count(*), avg(h.x), stddev_samp(h.x) INTO hcount, hmean, hsd
    FROM (SELECT (e.metrics->>met)::float8 AS x FROM modelmgr.evaluations e
          WHERE e.name = _monitor.model_name AND e.version = v AND e.id < (ev->>'evaluation_id')::bigint
            AND jsonb_typeof(e.metrics->met) = 'number') h;
    IF val IS NOT NULL THEN
        IF hcount >= st.min_history
           AND (CASE WHEN low THEN val - hmean ELSE hmean - val END) > st.k_sigma * coalesce(hsd, 0)
           AND abs(val - hmean) > 1e-12 * greatest(1, abs(hmean)) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_drop', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'mean', hmean, 'stddev', hsd,
                'k_sigma', st.k_sigma, 'history', hcount, 'evaluation_id', ev->'evaluation_id'));
        END IF;
        IF st.metric_floor IS NOT NULL AND (CASE WHEN low THEN val > st.metric_floor ELSE val < st.metric_floor END) THEN
            raised := raised || modelmgr._raise_alert(model_name, v, 'metric_floor', jsonb_build_object(
                'subject', met, 'metric', met, 'value', val, 'floor', st.metric_floor,
                'evaluation_id', ev->'evaluation_id'));
        END IF;
    END IF;
    IF coalesce((modelmgr.model_info(r.model)->>'has_baseline')::boolean, false) THEN
        dr := '[]';
        FOR d IN SELECT * FROM modelmgr._drift(model_name, source, src) LOOP
            dr := dr || jsonb_build_object('feature', d.feature, 'psi', d.psi, 'status', d.status);
            IF d.status = 'alert' THEN
                raised := raised || modelmgr._raise_alert(model_name, v, 'drift', jsonb_build_object(
                    'subject', d.feature, 'feature', d.feature, 'psi', d.psi, 'psi_alert', st.psi_alert));
            END IF;
        END LOOP;
    END IF;
    RETURN jsonb_build_object(
        'name', model_name, 'version', v,
        'status', CASE WHEN jsonb_array_length(raised) > 0 THEN 'alert' ELSE 'ok' END,
        'metric', met, 'value', val,
        'history', jsonb_build_object('evaluations', hcount, 'mean', hmean, 'stddev', hsd),
        'evaluation', ev, 'drift', dr, 'alerts', raised);
END $$;
COMMENT ON FUNCTION _monitor(text, text, text) IS 'internal: monitor() of a resolved source';
COMMENT ON FUNCTION monitor(text, text) IS
'evaluate() + drift() of the deployed version of model_name on a table, view or SELECT, and an anomaly check of the monitored metric against the version''s evaluation history (k_sigma) and floor; alerts are recorded in alerts and sent with NOTIFY modelmgr_alerts (JSON payload); returns a summary';

-- Views -------------------------------------------------------------------------------------

CREATE VIEW evaluation_history AS
SELECT e.id, e.name, e.version, e.evaluated_at, e.rows,
       CASE WHEN jsonb_typeof(e.metrics->'accuracy') = 'number' THEN (e.metrics->>'accuracy')::float8 END AS accuracy,
       CASE WHEN jsonb_typeof(e.metrics->'precision') = 'number' THEN (e.metrics->>'precision')::float8 END AS "precision",
       CASE WHEN jsonb_typeof(e.metrics->'recall') = 'number' THEN (e.metrics->>'recall')::float8 END AS recall,
       CASE WHEN jsonb_typeof(e.metrics->'f1') = 'number' THEN (e.metrics->>'f1')::float8 END AS f1,
       CASE WHEN jsonb_typeof(e.metrics->'roc_auc') = 'number' THEN (e.metrics->>'roc_auc')::float8 END AS roc_auc,
       CASE WHEN jsonb_typeof(e.metrics->'log_loss') = 'number' THEN (e.metrics->>'log_loss')::float8 END AS log_loss,
       CASE WHEN jsonb_typeof(e.metrics->'f1_macro') = 'number' THEN (e.metrics->>'f1_macro')::float8 END AS f1_macro,
       CASE WHEN jsonb_typeof(e.metrics->'f1_weighted') = 'number' THEN (e.metrics->>'f1_weighted')::float8 END AS f1_weighted,
       CASE WHEN jsonb_typeof(e.metrics->'r2') = 'number' THEN (e.metrics->>'r2')::float8 END AS r2,
       CASE WHEN jsonb_typeof(e.metrics->'mse') = 'number' THEN (e.metrics->>'mse')::float8 END AS mse,
       CASE WHEN jsonb_typeof(e.metrics->'rmse') = 'number' THEN (e.metrics->>'rmse')::float8 END AS rmse,
       CASE WHEN jsonb_typeof(e.metrics->'mae') = 'number' THEN (e.metrics->>'mae')::float8 END AS mae,
       e.metrics, e.source, e.evaluated_by
FROM evaluations e;
COMMENT ON VIEW evaluation_history IS 'one row per evaluation with the common metrics as columns (NULL where the model type has no such metric), for BI dashboards';
COMMENT ON COLUMN evaluation_history.rows IS 'rows scored';
COMMENT ON COLUMN evaluation_history.metrics IS 'all metrics as JSON';

CREATE VIEW latest_evaluation_metrics AS
SELECT e.name, e.version, k.metric, (e.metrics->>k.metric)::float8 AS value, e.rows, e.evaluated_at, e.id AS evaluation_id
FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM evaluations x ORDER BY x.name, x.version, x.id DESC) e
CROSS JOIN LATERAL jsonb_object_keys(e.metrics) AS k(metric)
WHERE jsonb_typeof(e.metrics->k.metric) = 'number';
COMMENT ON VIEW latest_evaluation_metrics IS 'the latest evaluation of each model version in long form: one row per metric (what Prometheus exports as modelmgr_evaluation_metric)';
COMMENT ON COLUMN latest_evaluation_metrics.metric IS 'metric name, e.g. accuracy, roc_auc, r2';
COMMENT ON COLUMN latest_evaluation_metrics.value IS 'metric value';

CREATE VIEW latest_drift AS
SELECT DISTINCT ON (h.name, h.feature) h.name, h.version, h.feature, h.psi, h.status, h.rows, h.measured_at, h.source
FROM drift_history h
ORDER BY h.name, h.feature, h.id DESC;
COMMENT ON VIEW latest_drift IS 'the latest drift measurement of each (model, feature)';
COMMENT ON COLUMN latest_drift.version IS 'the deployed version measured';
COMMENT ON COLUMN latest_drift.psi IS 'population stability index (NULL: no data)';
COMMENT ON COLUMN latest_drift.status IS 'ok, warn, alert or no_data';

CREATE VIEW open_alerts AS
SELECT a.id, a.name, a.version, a.raised_at, a.kind, a.detail->>'subject' AS subject, a.detail,
       extract(epoch FROM now() - a.raised_at)::float8 AS age_seconds
FROM alerts a
WHERE a.resolved_at IS NULL;
COMMENT ON VIEW open_alerts IS 'alerts not yet resolved';
COMMENT ON COLUMN open_alerts.subject IS 'the feature (drift) or metric (metric_drop, metric_floor) alerted on';
COMMENT ON COLUMN open_alerts.age_seconds IS 'seconds since raised';

-- Prometheus --------------------------------------------------------------------------------

CREATE FUNCTION _prom_label(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT replace(replace(replace(v, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n')
$$;
COMMENT ON FUNCTION _prom_label(text) IS 'internal: escapes a Prometheus label value';

CREATE FUNCTION _prom_value(v float8) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN v = 'Infinity'::float8 THEN '+Inf' WHEN v = '-Infinity'::float8 THEN '-Inf'
                WHEN v = 'NaN'::float8 THEN 'NaN' ELSE v::text END
$$;
COMMENT ON FUNCTION _prom_value(float8) IS 'internal: a sample value in the Prometheus text format';

CREATE FUNCTION prometheus_metrics() RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
SELECT concat_ws(E'\n',
    '# HELP modelmgr_model_versions Number of registered versions of a model.',
    '# TYPE modelmgr_model_versions gauge',
    (SELECT string_agg(format('modelmgr_model_versions{model="%s"} %s', modelmgr._prom_label(c.name), c.n), E'\n' ORDER BY c.name)
     FROM (SELECT x.name, count(*) AS n FROM modelmgr.models x GROUP BY x.name) c),
    '# HELP modelmgr_model_deployed_version The deployed version of a model (absent when none is).',
    '# TYPE modelmgr_model_deployed_version gauge',
    (SELECT string_agg(format('modelmgr_model_deployed_version{model="%s"} %s', modelmgr._prom_label(o.name), o.deployed_version), E'\n' ORDER BY o.name)
     FROM modelmgr.model_overview o WHERE o.deployed_version IS NOT NULL),
    '# HELP modelmgr_evaluation_metric Metric of the latest evaluation of a model version.',
    '# TYPE modelmgr_evaluation_metric gauge',
    (SELECT string_agg(format('modelmgr_evaluation_metric{model="%s",version="%s",metric="%s"} %s',
                              modelmgr._prom_label(l.name), l.version, modelmgr._prom_label(l.metric), modelmgr._prom_value(l.value)),
                       E'\n' ORDER BY l.name, l.version, l.metric)
     FROM modelmgr.latest_evaluation_metrics l),
    '# HELP modelmgr_evaluation_rows Rows scored by the latest evaluation of a model version.',
    '# TYPE modelmgr_evaluation_rows gauge',
    (SELECT string_agg(format('modelmgr_evaluation_rows{model="%s",version="%s"} %s', modelmgr._prom_label(e.name), e.version, e.rows),
                       E'\n' ORDER BY e.name, e.version)
     FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM modelmgr.evaluations x ORDER BY x.name, x.version, x.id DESC) e),
    '# HELP modelmgr_evaluation_timestamp_seconds When the latest evaluation of a model version ran (Unix time).',
    '# TYPE modelmgr_evaluation_timestamp_seconds gauge',
    (SELECT string_agg(format('modelmgr_evaluation_timestamp_seconds{model="%s",version="%s"} %s', modelmgr._prom_label(e.name), e.version,
                              extract(epoch FROM e.evaluated_at)::float8),
                       E'\n' ORDER BY e.name, e.version)
     FROM (SELECT DISTINCT ON (x.name, x.version) x.* FROM modelmgr.evaluations x ORDER BY x.name, x.version, x.id DESC) e),
    '# HELP modelmgr_drift_psi Latest population stability index of a feature against the deployed version''s baseline.',
    '# TYPE modelmgr_drift_psi gauge',
    (SELECT string_agg(format('modelmgr_drift_psi{model="%s",version="%s",feature="%s"} %s', modelmgr._prom_label(d.name), d.version,
                              modelmgr._prom_label(d.feature), modelmgr._prom_value(d.psi)),
                       E'\n' ORDER BY d.name, d.feature)
     FROM modelmgr.latest_drift d WHERE d.psi IS NOT NULL),
    '# HELP modelmgr_alerts_open Number of open (unresolved) alerts of a model.',
    '# TYPE modelmgr_alerts_open gauge',
    (SELECT string_agg(format('modelmgr_alerts_open{model="%s"} %s', modelmgr._prom_label(n.name),
                              (SELECT count(*) FROM modelmgr.alerts a WHERE a.name = n.name AND a.resolved_at IS NULL)),
                       E'\n' ORDER BY n.name)
     FROM modelmgr.model_names n)
) || E'\n'
$$;
COMMENT ON FUNCTION prometheus_metrics() IS 'the registry and monitoring state in the Prometheus text exposition format (modelmgr_* gauges, labels model, version, metric, feature)';

-- Privileges --------------------------------------------------------------------------------

GRANT SELECT ON monitor_settings, evaluations, drift_history, alerts,
    evaluation_history, latest_evaluation_metrics, latest_drift, open_alerts TO modelmgr_reader;
-- Trainers configure thresholds directly (monitor_settings); the history tables are written
-- only by the functions below.
GRANT INSERT, UPDATE, DELETE ON monitor_settings TO modelmgr_trainer;
ALTER TABLE monitor_settings OWNER TO modelmgr_owner;
ALTER TABLE evaluations OWNER TO modelmgr_owner;
ALTER TABLE drift_history OWNER TO modelmgr_owner;
ALTER TABLE alerts OWNER TO modelmgr_owner;
REVOKE EXECUTE ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text),
    _record_drift(text, int, text, float8, text, bigint, text), _raise_alert(text, int, text, jsonb),
    resolve_alerts(text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _record_evaluation(text, int, bigint, jsonb, text),
    _record_drift(text, int, text, float8, text, bigint, text), _raise_alert(text, int, text, jsonb),
    resolve_alerts(text, text)
TO modelmgr_trainer;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'modelmgr._record_evaluation(text, int, bigint, jsonb, text)',
        'modelmgr._record_drift(text, int, text, float8, text, bigint, text)',
        'modelmgr._raise_alert(text, int, text, jsonb)', 'modelmgr.resolve_alerts(text, text)']::regprocedure[] LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO modelmgr_owner', f);
    END LOOP;
END $$;
