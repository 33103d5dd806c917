-- Scale-out: training across shards. The shards run the *_partial aggregates next to their
-- data; the coordinator merges the states (see README, Scaling, and docs/scaling.md).

CREATE FUNCTION _sgd_reduce_eta(model bytea) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sgd_reduce_eta' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _sgd_reduce_eta(bytea) IS
    'internal: the model with its adaptive learning rate divided by 5, or NULL once it is at most 1e-6 (scikit-learn''s adaptive rule)';

CREATE FUNCTION _sgd_publish(model bytea, training jsonb, features text[]) RETURNS bytea
AS 'MODULE_PATHNAME', 'mm_sgd_publish' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _sgd_publish(bytea, jsonb, text[]) IS
    'internal: the published form of a trained SGD model: optimizer state dropped, training facts and feature names stored';

CREATE FUNCTION _shard_fn(fn regprocedure, what text, nargs int) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE p pg_catalog.pg_proc;
BEGIN
    SELECT * INTO p FROM pg_catalog.pg_proc WHERE oid = fn;
    IF p.pronargs <> nargs OR (nargs = 1 AND p.proargtypes[0] <> 'bytea'::regtype)
       OR p.prorettype <> 'bytea'::regtype OR NOT p.proretset THEN
        RAISE EXCEPTION '% % must return SETOF bytea and take %', what, fn,
                        CASE nargs WHEN 1 THEN 'one bytea argument (the current model)' ELSE 'no arguments' END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'See README, Scaling: on the coordinator it is usually a PL/Proxy function RUN ON ALL.';
    END IF;
    RETURN format('%I.%I', (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = p.pronamespace), p.proname);
END $$;
COMMENT ON FUNCTION _shard_fn(regprocedure, text, int) IS
    'internal: checks a shard function''s signature for train_sharded and returns its qualified name';

-- The shard functions are the caller's code: they run with the caller's search_path (passed in
-- by the wrapper train_sharded below); everything else runs under the pinned one.
CREATE FUNCTION _train_sharded(model_name text, epoch_fn regprocedure, describe_fn regprocedure,
                               algorithm text, options jsonb, label text, features text[], source text,
                               caller_search_path text)
RETURNS models LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    opts jsonb := coalesce(_train_sharded.options, '{}');
    init_opts jsonb := '{}';
    k text;
    v jsonb;
    max_epochs int := 1000;
    tol float8 := 1e-3;
    n_iter_no_change int := 5;
    standardize boolean := true;
    do_deploy boolean := false;
    n_features int;
    epoch_call text;
    stats jsonb;
    model bytea;
    next bytea;
    shards bigint;
    info jsonb;
    loss float8;
    best_loss float8 := 'Infinity';
    no_improve int := 0;
    n_epoch int := 0;
    converged boolean := false;
    losses float8[] := '{}';
    n_rows float8;
    progress int := coalesce(nullif(current_setting('modelmgr.progress_every', true), ''), '1')::int;
    t0 timestamptz := clock_timestamp();
    facts jsonb;
BEGIN
    IF model_name IS NULL OR epoch_fn IS NULL OR algorithm IS NULL THEN
        RAISE EXCEPTION 'train_sharded: model_name, epoch_fn and algorithm must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(opts) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF algorithm NOT IN ('logistic_regression', 'multinomial_logistic_regression', 'linear_regression', 'svm') THEN
        RAISE EXCEPTION 'unknown algorithm "%"', algorithm USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use logistic_regression, linear_regression or svm; for exact least squares merge linreg_fit_partial states (README, Scaling).';
    END IF;

    -- the driver's options; the rest (learning_rate, eta0, power_t, batch_size, l1, l2,
    -- fit_intercept, classes, mean, scale) go to sgd_init, which checks them
    FOR k, v IN SELECT * FROM jsonb_each(opts) LOOP
        CASE k
        WHEN 'epochs', 'n_iter_no_change', 'n_features' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
               OR v::text::numeric < 1 OR v::text::numeric > 1000000 THEN
                RAISE EXCEPTION 'option "%" must be a positive integer', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            CASE k
            WHEN 'epochs' THEN max_epochs := v::text::int;
            WHEN 'n_iter_no_change' THEN n_iter_no_change := v::text::int;
            ELSE n_features := v::text::int;
            END CASE;
        WHEN 'tol' THEN
            IF jsonb_typeof(v) <> 'number' OR v::text::float8 < 0 THEN
                RAISE EXCEPTION 'option "tol" must be a number >= 0' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            tol := v::text::float8;
        WHEN 'standardize', 'auto_deploy' THEN
            IF jsonb_typeof(v) <> 'boolean' THEN
                RAISE EXCEPTION 'option "%" must be a boolean', k USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF k = 'standardize' THEN standardize := v::text::boolean; ELSE do_deploy := v::text::boolean; END IF;
        WHEN 'solver', 'shuffle', 'seed', 'early_stopping', 'validation_fraction', 'test_fraction',
             'class_weight', 'impute', 'mode' THEN
            RAISE EXCEPTION 'option "%" is not supported by train_sharded', k USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Each shard decides its rows, their order and their split in its epoch function.';
        ELSE
            init_opts := init_opts || jsonb_build_object(k, v);
        END CASE;
    END LOOP;

    epoch_call := format('SELECT modelmgr.sgd_epoch_merge(s), pg_catalog.count(s) FROM %s($1) s',
                         modelmgr._shard_fn(epoch_fn, 'epoch_fn', 1));

    -- standardisation from the shards' describe_partial states, merged exactly
    IF describe_fn IS NOT NULL THEN
        PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
        EXECUTE format('SELECT modelmgr.describe_merge(s) FROM %s() s', modelmgr._shard_fn(describe_fn, 'describe_fn', 0))
            INTO stats;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF stats IS NULL THEN
            RAISE EXCEPTION 'describe_fn returned no rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        IF n_features IS NOT NULL AND n_features <> jsonb_array_length(stats->'features') THEN
            RAISE EXCEPTION 'option "n_features" is %, but the shards have % features', n_features,
                            jsonb_array_length(stats->'features') USING ERRCODE = 'invalid_parameter_value';
        END IF;
        n_features := jsonb_array_length(stats->'features');
        IF standardize AND NOT init_opts ? 'mean' THEN
            IF EXISTS (SELECT 1 FROM jsonb_array_elements(stats->'features') f WHERE jsonb_typeof(f->'mean') <> 'number') THEN
                RAISE EXCEPTION 'a feature has no values on any shard' USING ERRCODE = 'data_exception';
            END IF;
            init_opts := init_opts || jsonb_build_object(
                'mean', (SELECT jsonb_agg(f->'mean' ORDER BY i) FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)),
                'scale', (SELECT jsonb_agg(CASE WHEN (f->>'std')::float8 > 0 THEN f->'std' ELSE '1' END ORDER BY i)
                          FROM jsonb_array_elements(stats->'features') WITH ORDINALITY t(f, i)));
        END IF;
    ELSIF n_features IS NULL THEN
        RAISE EXCEPTION 'train_sharded needs describe_fn or the "n_features" option' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'describe_fn returns describe_partial(x) from every shard; it also gives the standardisation.';
    ELSIF standardize AND NOT init_opts ? 'mean' THEN
        RAISE EXCEPTION 'standardisation needs describe_fn' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass describe_fn, "mean" and "scale", or {"standardize": false}.';
    END IF;

    model := modelmgr.sgd_init(algorithm, n_features, init_opts);

    -- epochs: every shard runs one sgd_epoch pass from the same model; the states are merged
    -- (rows-weighted average); scikit-learn's stopping rule on the mean training loss
    WHILE n_epoch < max_epochs LOOP
        n_epoch := n_epoch + 1;
        PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
        EXECUTE epoch_call INTO next, shards USING model;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF next IS NULL THEN
            RAISE EXCEPTION 'epoch_fn returned no training rows from any shard' USING ERRCODE = 'data_exception';
        END IF;
        model := next;
        info := modelmgr.model_info(model)->'training';
        loss := (info->>'epoch_loss')::float8;
        n_rows := (info->>'epoch_rows')::float8;
        losses := losses || loss;
        IF progress > 0 AND n_epoch % progress = 0 THEN
            RAISE NOTICE 'train_sharded "%": epoch %, loss %, % shards, % s', model_name, n_epoch, round(loss::numeric, 6),
                shards, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 3);
        END IF;
        IF loss > best_loss - tol THEN
            no_improve := no_improve + 1;
        ELSE
            no_improve := 0;
        END IF;
        best_loss := least(best_loss, loss);
        IF no_improve >= n_iter_no_change THEN
            next := CASE WHEN init_opts->>'learning_rate' = 'adaptive' THEN modelmgr._sgd_reduce_eta(model) END;
            IF next IS NULL THEN
                converged := true;
                EXIT;
            END IF;
            model := next;
            no_improve := 0;
        END IF;
    END LOOP;
    IF NOT converged THEN
        RAISE NOTICE 'train_sharded "%": stopped after % epochs without converging', model_name, n_epoch
            USING HINT = 'Raise "epochs" or "tol", or check the learning rate.';
    END IF;

    facts := jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch, 'converged', converged,
                                'seconds', extract(epoch FROM clock_timestamp() - t0),
                                'rows', jsonb_build_object('train', n_rows), 'shards', shards,
                                'standardized', init_opts ? 'mean', 'features', n_features,
                                'epoch_loss', to_jsonb(losses));
    model := modelmgr._sgd_publish(model, jsonb_build_object('solver', 'sgd', 'mode', 'sharded', 'epochs', n_epoch,
                                                             'converged', converged, 'n_rows', n_rows,
                                                             'standardized', init_opts ? 'mean'),
                                   _train_sharded.features);
    RETURN modelmgr.register_model(model_name, model, source, label, _train_sharded.features, opts, '{}', facts, do_deploy,
                                   jsonb_build_object('sharded', jsonb_build_object('epoch_fn', epoch_fn::text,
                                                                                    'describe_fn', describe_fn::text)));
END $$;
COMMENT ON FUNCTION _train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text, text) IS
    'internal: train_sharded''s work, the shard functions called with the caller''s search_path';

CREATE FUNCTION train_sharded(model_name text, epoch_fn regprocedure, describe_fn regprocedure DEFAULT NULL,
                              algorithm text DEFAULT 'logistic_regression', options jsonb DEFAULT '{}',
                              label text DEFAULT NULL, features text[] DEFAULT NULL, source text DEFAULT NULL)
RETURNS models LANGUAGE sql VOLATILE AS $$
    SELECT * FROM modelmgr._train_sharded(model_name, epoch_fn, describe_fn, algorithm, options, label, features,
                                          source, pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text) IS
    'trains an SGD model on data spread over shards: epoch_fn(model bytea) returns one sgd_epoch_partial state per shard (e.g. a PL/Proxy function RUN ON ALL), describe_fn() their describe_partial states; registers the result (see README, Scaling)';

GRANT EXECUTE ON FUNCTION train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text),
    _train_sharded(text, regprocedure, regprocedure, text, jsonb, text, text[], text, text) TO modelmgr_trainer;
