#!/usr/bin/env bash
# upgrade.sh: ALTER EXTENSION modelmgr UPDATE from the 0.1.0 release (git commit b9df736) to this
# tree. Builds 0.1.0 from git into a temp dir, installs it into a private copy of the PostgreSQL
# installation that PG_CONFIG names (the tree `make install` wrote to is not touched), starts a
# cluster on the copy, creates modelmgr 0.1.0, trains, registers and deploys models (least
# squares, ridge, SGD and L-BFGS logistic, multinomial with text classes, one-hot with imputation,
# SVM, linreg_fit) with a deployment history, evaluations and drift history, and records their
# predictions as exact text. Then the cluster switches to this tree's build (the library and the
# scripts `make install` put into PG_CONFIG's tree), runs ALTER EXTENSION modelmgr UPDATE and
# checks: the version is 0.2.0; every registry row and every prediction is unchanged (by model
# bytes and by name, bit for bit); the upgraded schema equals a fresh install's (pg_dump
# --schema-only of both, with the extension's members released in scratch copies so that pg_dump
# writes them out, plus membership, configuration tables and initial privileges); the 0.2.0
# functions work on the upgraded registry (audit, signing, read-only evaluate, the owner role);
# deploy and rollback of the old models work under the new rules. A 0.1.0 registry with a row
# 0.2.0 would refuse is not upgraded (23514) and stays at 0.1.0.
# Needs `make install` of this tree first (make test does it) and a git checkout with b9df736.
# Later releases: add the previous release's commit and script the same way (see README,
# Upgrading).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OLD_COMMIT=b9df736
OLD_VERSION=0.1.0
NEW_VERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" modelmgr.control)
PG_CONFIG=${PG_CONFIG:-pg_config}

if ! git -C "$ROOT" rev-parse -q --verify "$OLD_COMMIT^{commit}" >/dev/null 2>&1; then
    echo "ok: SKIPPED: no git history with release $OLD_VERSION ($OLD_COMMIT) here (a tarball?); CI runs this on a git clone"
    exit 0
fi

BINDIR=$("$PG_CONFIG" --bindir); SHAREDIR=$("$PG_CONFIG" --sharedir); PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
for f in "$PKGLIBDIR/modelmgr.so" "$SHAREDIR/extension/modelmgr.control" \
         "$SHAREDIR/extension/modelmgr--$NEW_VERSION.sql" "$SHAREDIR/extension/modelmgr--$OLD_VERSION--$NEW_VERSION.sql"; do
    [ -e "$f" ] || { echo "FAIL: $f is missing: run make install first" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/modelmgr-upgrade-tree.XXXXXX)
chmod 755 "$TMP"   # the server runs as the postgres OS user and reads the private tree
PGBIN=$TMP/pg$BINDIR
. test/scripts/cluster.sh
trap 'cluster_stop_all; rm -rf "$TMP"' EXIT

fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1" >&2; fail=1; }
check() {  # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (expected '$2', got '$3')"; fi
}
q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# the SQLSTATE of the last statement of SQL, or its output
state() {
    local db=$1 sql=$2
    "$PGBIN/psql" -X -q -At -d "$db" -v VERBOSITY=sqlstate "${@:3}" 2>&1 <<SQL | tail -n 1 | sed 's/^ERROR:  //'
SET client_min_messages = warning;
$sql
SQL
}

# --- 0.1.0, built from git --------------------------------------------------------------------
mkdir -p "$TMP/v010"
git -C "$ROOT" archive "$OLD_COMMIT" | tar -x -C "$TMP/v010" || { echo "FAIL: git archive $OLD_COMMIT" >&2; exit 1; }
make -C "$TMP/v010" -j2 with_llvm=no PG_CONFIG="$PG_CONFIG" >"$TMP/v010.log" 2>&1 \
    || { cat "$TMP/v010.log" >&2; echo "FAIL: build of $OLD_VERSION" >&2; exit 1; }
if cmp -s "$TMP/v010/sql/modelmgr--$OLD_VERSION.sql" "sql/modelmgr--$OLD_VERSION.sql"; then
    ok "sql/modelmgr--$OLD_VERSION.sql is byte-identical to the install script $OLD_COMMIT builds"
else
    bad "sql/modelmgr--$OLD_VERSION.sql differs from the install script $OLD_COMMIT builds"
fi

# the private PostgreSQL tree: its own bin (the server finds share and lib relative to its
# binary), share and lib (links to the originals but for modelmgr's files)
for d in "$BINDIR" "$SHAREDIR"; do mkdir -p "$TMP/pg$d" && cp -a "$d/." "$TMP/pg$d/"; done
mkdir -p "$TMP/pg$PKGLIBDIR" && cp -as "$PKGLIBDIR/." "$TMP/pg$PKGLIBDIR/"
install_build() {  # install_build LIBRARY SCRIPT...: modelmgr's library and scripts in the private tree
    local lib=$1; shift
    rm -rf "$TMP/pg$PKGLIBDIR/modelmgr.so" "$TMP/pg$PKGLIBDIR/bitcode/modelmgr" "$TMP/pg$PKGLIBDIR/bitcode/modelmgr.index.bc" \
           "$TMP/pg$SHAREDIR"/extension/modelmgr*
    cp "$lib" "$TMP/pg$PKGLIBDIR/modelmgr.so" && cp "$@" "$TMP/pg$SHAREDIR/extension/"
}
install_build "$TMP/v010/modelmgr.so" "$TMP/v010/modelmgr.control" "$TMP/v010/sql/modelmgr--$OLD_VERSION.sql" || exit 1

# a free port can be taken by another test's cluster before this one binds it: three tries
for try in 1 2 3; do
    cluster_start upgrade "jit = off" >"$TMP/cluster.log" 2>&1 && break
    [ $try = 3 ] && { cat "$TMP/cluster.log" >&2; echo "FAIL: cluster" >&2; exit 1; }
    sleep 1
done
DATA=$PGHOST/data

q -c "CREATE DATABASE up" && q -d up -c "CREATE EXTENSION modelmgr VERSION '$OLD_VERSION'" || exit 1
q -c "CREATE ROLE u_trainer LOGIN IN ROLE modelmgr_trainer" -c "CREATE ROLE u_reader LOGIN IN ROLE modelmgr_reader" || exit 1
check "modelmgr $OLD_VERSION installed" "$OLD_VERSION" "$(q -d up -c "SELECT extversion FROM pg_extension WHERE extname = 'modelmgr'")"
q -d up -f test/scripts/load_data.sql >/dev/null || exit 1

q -d up >/dev/null <<'SQL' || { echo "FAIL: training under 0.1.0" >&2; exit 1; }
SET client_min_messages = warning;
SET modelmgr.progress_every = 0;
CREATE VIEW iris_named AS
SELECT id, sepal_length, sepal_width, petal_length, petal_width,
       (ARRAY['setosa', 'versicolor', 'virginica'])[target + 1] AS species
FROM iris;
-- a number, a text and a boolean category, NULLs for the imputation
CREATE TABLE visits AS
SELECT g AS id, 18 + (g * 7) % 50 AS age,
       CASE WHEN g % 11 = 0 THEN NULL ELSE (ARRAY['basic', 'pro', 'team'])[1 + g % 3] END AS plan,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END AS mobile,
       CASE WHEN g % 7 = 0 THEN NULL ELSE round((10 + (g * 37) % 90)::numeric, 1) END AS spend,
       CASE WHEN (g * 37) % 90 + (g * 7) % 50 > 70 THEN 'yes' ELSE 'no' END AS churned
FROM generate_series(1, 120) g;
GRANT SELECT ON diabetes, breast_cancer, iris, iris_named, visits TO PUBLIC;

SELECT modelmgr.train('u_linreg', 'diabetes', 'target', ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                      'linear_regression', '{"solver": "normal_equations"}');
SELECT modelmgr.train('u_linreg', 'diabetes', 'target', ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                      'linear_regression', '{"l2": 0.1}');
SELECT modelmgr.train('u_logreg_sgd', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'logistic_regression',
    '{"seed": 42, "epochs": 20}');
SELECT modelmgr.train('u_logreg_lbfgs', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'logistic_regression',
    '{"solver": "lbfgs", "l2": 0.001}');
SELECT modelmgr.train('u_multinomial', 'iris_named', 'species',
    ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], 'logistic_regression', '{"solver": "lbfgs"}');
SELECT modelmgr.train('u_onehot', 'visits', 'churned', ARRAY['age', 'plan', 'mobile', 'spend'], 'logistic_regression',
                      '{"impute": "median", "seed": 7, "epochs": 10}');
SELECT modelmgr.train('u_svm', 'breast_cancer', 'target',
    ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'], 'svm', '{"seed": 5, "epochs": 8}');
SELECT modelmgr.register_model('u_fit', modelmgr.linreg_fit(ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]::float8[], target::float8),
                               features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                               label => 'target', source => 'diabetes', auto_deploy => true)
FROM diabetes;
-- a history: u_linreg 1 -> 2 -> rolled back to 1; everything else deployed at its latest version
SELECT modelmgr.deploy('u_linreg', 1);
SELECT modelmgr.deploy('u_linreg', 2);
SELECT modelmgr.rollback('u_linreg');
SELECT modelmgr.deploy(n) FROM unnest(ARRAY['u_logreg_sgd', 'u_logreg_lbfgs', 'u_multinomial', 'u_onehot', 'u_svm']) n;
-- monitoring history
INSERT INTO modelmgr.monitor_settings (name, psi_warn) VALUES ('u_logreg_sgd', 0.05);
SELECT modelmgr.evaluate('u_logreg_sgd', 'breast_cancer');
SELECT modelmgr.evaluate('u_linreg', 'SELECT * FROM diabetes WHERE id <= 200');
SELECT * FROM modelmgr.drift('u_logreg_sgd', 'SELECT * FROM breast_cancer WHERE mean_radius > 15');
SQL
# a version the trainer registered under 0.1.0 (created_by, deployed_by are theirs)
q -d up -U u_trainer -c "SET client_min_messages = warning" \
  -c "SELECT modelmgr.register_model('u_fit', modelmgr.model('u_fit', 1), features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'])" \
  -c "SELECT modelmgr.deploy('u_fit', 2)" >/dev/null || bad "the trainer registers and deploys under $OLD_VERSION"

# Everything that must survive the upgrade, as exact text: the registry and history rows, and
# predictions by bytes (predict(model, x)) and by name (predict(name, row), the deployed version).
cat >"$TMP/snapshot.sql" <<'SQL'
SET extra_float_digits = 3;
SET client_min_messages = warning;
SELECT 'names', n.* FROM modelmgr.model_names n ORDER BY n.name;
SELECT 'models', m.id, m.name, m.version, m.algorithm, m.label, m.features, m.classes, m.options, m.metrics, m.training,
       m.lineage, m.source, m.created_at, m.created_by, encode(sha256(m.model), 'hex')
FROM modelmgr.models m ORDER BY m.id;
SELECT 'deployments', d.* FROM modelmgr.deployments d ORDER BY d.id;
SELECT 'evaluations', e.* FROM modelmgr.evaluations e ORDER BY e.id;
SELECT 'drift', h.* FROM modelmgr.drift_history h ORDER BY h.id;
SELECT 'alerts', a.* FROM modelmgr.alerts a ORDER BY a.id;
SELECT 'settings', s.* FROM modelmgr.monitor_settings s ORDER BY s.name;
-- every version, by its bytes
SELECT 'bytes', m.name, m.version, d.id, modelmgr.predict(m.model, ARRAY[d.age, d.sex, d.bmi, d.bp, d.s1, d.s2, d.s3, d.s4, d.s5, d.s6]::float8[])
FROM modelmgr.models m, diabetes d WHERE m.source = 'diabetes' AND d.id <= 60 ORDER BY 2, 3, 4;
SELECT 'bytes', m.name, m.version, b.id, modelmgr.predict(m.model, b.x), modelmgr.predict_label(m.model, b.x),
       CASE WHEN m.algorithm <> 'svm' THEN modelmgr.predict_proba(m.model, b.x) END
FROM modelmgr.models m,
     (SELECT id, ARRAY[mean_radius, mean_texture, mean_smoothness, worst_area, worst_concavity]::float8[] AS x FROM breast_cancer WHERE id <= 60) b
WHERE m.source = 'breast_cancer' ORDER BY 2, 3, 4;
SELECT 'bytes', m.name, m.version, i.id, modelmgr.predict_label(m.model, i.x), modelmgr.predict_proba(m.model, i.x)
FROM modelmgr.models m, (SELECT id, ARRAY[sepal_length, sepal_width, petal_length, petal_width]::float8[] AS x FROM iris) i
WHERE m.source = 'iris_named' ORDER BY 2, 3, 4;
-- by name and row (the deployed versions; the one-hot model's text, boolean and NULL inputs)
SELECT 'name', d.id, modelmgr.predict('u_linreg', d), modelmgr.predict('u_fit', d) FROM diabetes d WHERE d.id <= 60 ORDER BY d.id;
SELECT 'name', b.id, modelmgr.predict('u_logreg_sgd', b), modelmgr.predict_proba('u_logreg_lbfgs', b),
       modelmgr.predict_label('u_svm', b), modelmgr.predict('u_svm', b)
FROM breast_cancer b WHERE b.id <= 60 ORDER BY b.id;
SELECT 'name', i.id, modelmgr.predict_label('u_multinomial', i), modelmgr.predict_proba('u_multinomial', i)
FROM iris_named i ORDER BY i.id;
SELECT 'name', v.id, modelmgr.predict_label('u_onehot', v), modelmgr.predict_proba('u_onehot', v)
FROM visits v ORDER BY v.id;
SELECT 'name', -1, modelmgr.predict_proba('u_onehot', r)
FROM (SELECT 30 AS age, 'enterprise'::text AS plan, NULL::boolean AS mobile, NULL::numeric AS spend) r;
SQL
q -d up -f "$TMP/snapshot.sql" >"$TMP/before.txt" || { echo "FAIL: snapshot under $OLD_VERSION" >&2; exit 1; }
check "models recorded under $OLD_VERSION" 9 "$(grep -c '^models|' "$TMP/before.txt")"

# a registry 0.2.0 would refuse: a trainer wrote a row with bytes that are not a model directly
# (0.1.0 let trainers write the tables)
q -c "CREATE DATABASE refused" && q -d refused -c "SET client_min_messages = warning" -c "CREATE EXTENSION modelmgr VERSION '$OLD_VERSION'" \
    -c "SELECT modelmgr.register_model('ok', modelmgr.linreg_fit(ARRAY[g::float8], 2 * g::float8)) FROM generate_series(1, 10) g" >/dev/null || exit 1
q -d refused -U u_trainer -c "INSERT INTO modelmgr.models (name, version, algorithm, model) VALUES ('ok', 5, 'svm', '\\x00')" \
    || bad "a trainer wrote the models table directly under $OLD_VERSION"

# --- switch the cluster to this tree's build ---------------------------------------------------
as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || exit 1
install_build "$PKGLIBDIR/modelmgr.so" "$SHAREDIR"/extension/modelmgr.control "$SHAREDIR"/extension/modelmgr--*.sql || exit 1
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$PGHOST/server.log" -w -t 60 start >/dev/null || { cat "$PGHOST/server.log" >&2; exit 1; }

check "a registry with a version 0.2.0 refuses is not upgraded (23514)" 23514 \
    "$(state refused "ALTER EXTENSION modelmgr UPDATE;")"
check "... its extension stays at $OLD_VERSION" "$OLD_VERSION" "$(q -d refused -c "SELECT extversion FROM pg_extension WHERE extname = 'modelmgr'")"
check "... and its DETAIL names the version and what is wrong" \
    'DETAIL:  "ok" version 5: its bytes are not a model; "ok" version 5: above model_names.last_version (1)' \
    "$("$PGBIN/psql" -X -q -d refused -c "ALTER EXTENSION modelmgr UPDATE" 2>&1 | grep '^DETAIL')"

q -d up -c "ALTER EXTENSION modelmgr UPDATE" || bad "ALTER EXTENSION modelmgr UPDATE"
check "ALTER EXTENSION modelmgr UPDATE reaches $NEW_VERSION" "$NEW_VERSION" \
    "$(q -d up -c "SELECT extversion FROM pg_extension WHERE extname = 'modelmgr'")"
# the upgrade made the new roles (the fresh install below would otherwise make them)
check "the upgrade created modelmgr_owner (NOLOGIN, no attributes, no members) and modelmgr_signer" "f|f|f|f|0|t" \
    "$(q -c "SELECT rolcanlogin, rolsuper, rolcreaterole, rolinherit, (SELECT count(*) FROM pg_auth_members WHERE roleid = r.oid),
                    EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'modelmgr_signer') FROM pg_roles r WHERE rolname = 'modelmgr_owner'")"

q -d up -f "$TMP/snapshot.sql" >"$TMP/after.txt" || bad "snapshot after the upgrade"
if cmp -s "$TMP/before.txt" "$TMP/after.txt"; then
    ok "registry rows and $(grep -c -E '^(bytes|name)\|' "$TMP/after.txt") prediction rows (by bytes and by name) identical after the upgrade"
else
    bad "registry rows or predictions changed by the upgrade:"; diff "$TMP/before.txt" "$TMP/after.txt" | cut -c1-300 | head -40 >&2
fi

# --- the upgraded schema is a fresh install's ---------------------------------------------------
# pg_dump writes an extension's members as CREATE EXTENSION only, so each database is copied and
# the copy's members are released (ALTER EXTENSION ... DROP); pg_dump --schema-only then writes
# every table, function, aggregate, view, trigger, comment, owner and privilege. Membership, the
# configuration tables (pg_extension_config_dump) and pg_init_privs, which releasing clears, are
# listed from the database itself. Left out: the schema public, which holds the test data of the
# upgraded database (the extension's schema is modelmgr). Nothing is filtered out of the dumps.
schema_of() {  # schema_of DB OUTFILE
    local db=$1 out=$2
    q -d "$db" >"$out" <<'SQL' || return 1
SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
FROM pg_depend d JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'modelmgr' AND d.deptype = 'e' ORDER BY 1;
SELECT 'config ' || c::regclass::text || ' ' || coalesce(w, '<null>')
FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, w) WHERE e.extname = 'modelmgr' ORDER BY 1;
SELECT 'extension ' || extname || ' ' || extversion || ' ' || extrelocatable || ' ' || extnamespace::regnamespace::text
FROM pg_extension WHERE extname = 'modelmgr';
SELECT 'initprivs ' || pg_describe_object(p.classoid, p.objoid, p.objsubid) || ' ' || p.privtype::text || ' ' || p.initprivs::text
FROM pg_init_privs p WHERE p.privtype = 'e' ORDER BY 1;
SQL
    q -c "CREATE DATABASE ${db}_released TEMPLATE $db" || return 1
    q -d "${db}_released" <<'SQL' || return 1
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT i.type, i.identity
             FROM pg_depend d JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid,
                  LATERAL pg_identify_object(d.classid, d.objid, d.objsubid) i
             WHERE e.extname = 'modelmgr' AND d.deptype = 'e' LOOP
        EXECUTE format('ALTER EXTENSION modelmgr DROP %s %s', r.type, r.identity);
    END LOOP;
END $$;
SQL
    "$PGBIN/pg_dump" --schema-only --exclude-schema=public "${db}_released" >>"$out" || return 1
    q -c "DROP DATABASE ${db}_released"
}
q -c "CREATE DATABASE fresh" && q -d fresh -c "CREATE EXTENSION modelmgr" || bad "CREATE EXTENSION modelmgr in a fresh database"
if schema_of up "$TMP/schema_upgraded.sql" && schema_of fresh "$TMP/schema_fresh.sql"; then
    # pg_dump brackets its output with \restrict KEY ... \unrestrict KEY, KEY random per run
    sed -i -E '/^\\(un)?restrict [A-Za-z0-9]+$/d' "$TMP/schema_fresh.sql" "$TMP/schema_upgraded.sql"
    if diff -u "$TMP/schema_fresh.sql" "$TMP/schema_upgraded.sql" >"$TMP/schema.diff"; then
        ok "the upgraded schema equals a fresh $NEW_VERSION install ($(wc -l <"$TMP/schema_fresh.sql") lines of pg_dump --schema-only and catalog)"
    else
        bad "the upgraded schema differs from a fresh $NEW_VERSION install (- fresh, + upgraded; sql/modelmgr--$OLD_VERSION--$NEW_VERSION.sql misses it):"
        tail -n +3 "$TMP/schema.diff" | cut -c1-240 | head -150 >&2
    fi
else
    bad "schema dumps"
fi

# --- 0.2.0 on the upgraded registry -------------------------------------------------------------
check "the audit starts empty and verify_audit() finds it intact" "0|0" \
    "$(q -d up -c "SELECT (SELECT count(*) FROM modelmgr.audit), (SELECT count(*) FROM modelmgr.verify_audit())")"
check "the trainer deploys and rolls back an old model (2, then 1)" "2
1" "$(q -d up -U u_trainer -c "SET client_min_messages = warning" -c "SELECT modelmgr.deploy('u_linreg', 2)" -c "SELECT modelmgr.rollback('u_linreg')")"
check "the old model predicts as before after the deploy and rollback" \
    "$(grep -m1 '^name|1|' "$TMP/before.txt")" \
    "$(q -d up -c "SET extra_float_digits = 3" -c "SELECT 'name', d.id, modelmgr.predict('u_linreg', d), modelmgr.predict('u_fit', d) FROM diabetes d WHERE d.id = 1")"
check "a rollback walks on through the 0.1.0 history (u_fit: 2 -> 1)" 1 \
    "$(q -d up -U u_trainer -c "SET client_min_messages = warning" -c "SELECT modelmgr.rollback('u_fit')")"
check "the audit has the deploy and the rollbacks, acting role u_trainer, chain intact" "deploy:u_linreg:2:1,rollback:u_linreg:1:2,rollback:u_fit:1:2|u_trainer|0" \
    "$(q -d up -c "SELECT string_agg(concat_ws(':', action, model_name, version, from_version), ',' ORDER BY id), string_agg(DISTINCT acting_role, ','),
                          (SELECT count(*) FROM modelmgr.verify_audit()) FROM modelmgr.audit")"
check "deployed_by of the new rows is the acting role" "u_trainer|3" \
    "$(q -d up -c "SELECT string_agg(DISTINCT deployed_by, ','), count(*) FROM modelmgr.deployments WHERE id > (SELECT max(id) - 3 FROM modelmgr.deployments)")"
check "the trainer can no longer write the registry tables directly (42501)" 42501 \
    "$(state up "UPDATE modelmgr.deployments SET reason = 'x';" -U u_trainer)"
check "nor the history tables (42501)" 42501 \
    "$(state up "DELETE FROM modelmgr.evaluations;" -U u_trainer)"
check "the registry tables belong to modelmgr_owner" "modelmgr_owner" \
    "$(q -d up -c "SELECT string_agg(DISTINCT relowner::regrole::text, ',') FROM pg_class WHERE relnamespace = 'modelmgr'::regnamespace AND relkind IN ('r', 'v')")"
check "register with a new version number continues (u_linreg 3), audited with the model's sha256" "3
t" \
    "$(q -d up -U u_trainer -c "SET client_min_messages = warning" \
         -c "SELECT (modelmgr.register_model('u_linreg', modelmgr.model('u_linreg', 1), features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'])).version" \
         -c "SELECT (SELECT details->>'model_sha256' = encode(sha256(modelmgr.model('u_linreg', 1)), 'hex') FROM modelmgr.audit WHERE action = 'register')")"
check "evaluate() on an old model gives the metrics it gave under 0.1.0 and records the evaluator" "t
u_trainer" \
    "$(q -d up -U u_trainer -c "SET client_min_messages = warning" \
         -c "SELECT (modelmgr.evaluate('u_logreg_sgd', 'breast_cancer')->'metrics') = (SELECT metrics FROM modelmgr.evaluations ORDER BY id LIMIT 1)" \
         -c "SELECT (SELECT evaluated_by FROM modelmgr.evaluations ORDER BY id DESC LIMIT 1)")"
check "a source that writes is refused by evaluate() (25006)" 25006 \
    "$(state up "CREATE SEQUENCE useq; SELECT modelmgr.evaluate('u_linreg', 'SELECT d.* FROM diabetes d WHERE nextval(''useq'') > 0');")"
check "sign an old model with a generated key: signed, valid, trusted; it predicts the same" "t|k1|t|t|t" \
    "$(q -d up -c "SET client_min_messages = warning" -c "SET extra_float_digits = 3" -c "
        CREATE TEMP TABLE k AS SELECT modelmgr.generate_signing_key('k1') AS priv;
        CREATE TEMP TABLE s AS SELECT modelmgr.sign_model(modelmgr.model('u_svm', 1), priv) AS m FROM k;
        SELECT x.signed, x.key_id, x.valid, x.trusted,
               (SELECT bool_and(modelmgr.predict(s.m, ARRAY[b.mean_radius, b.mean_texture, b.mean_smoothness, b.worst_area, b.worst_concavity])
                                = modelmgr.predict(modelmgr.model('u_svm', 1), ARRAY[b.mean_radius, b.mean_texture, b.mean_smoothness, b.worst_area, b.worst_concavity]))
                FROM s, breast_cancer b)
        FROM s, modelmgr.model_signature(s.m) x")"
check "under require_signed_models an unsigned old model is not deployed (42501)" 42501 \
    "$(state up "SET modelmgr.require_signed_models = on; SELECT modelmgr.deploy('u_linreg', 2);")"
check "... and a signed one is" "2
2" \
    "$(q -d up -c "SET client_min_messages = warning" -c "
        SELECT (modelmgr.register_model('u_svm', modelmgr.sign_model(modelmgr.model('u_svm', 1), modelmgr.generate_signing_key('k2')),
                                       features => ARRAY['mean_radius', 'mean_texture', 'mean_smoothness', 'worst_area', 'worst_concavity'])).version" \
        -c "SET modelmgr.require_signed_models = on" -c "SELECT modelmgr.deploy('u_svm', 2)")"
check "verify_audit() after all that: intact" 0 "$(q -d up -c "SELECT count(*) FROM modelmgr.verify_audit()")"
check "the reader predicts by name on the upgraded registry, as before" \
    "$(grep -m1 '^name|1|' "$TMP/before.txt")" \
    "$(q -d up -U u_reader -c "SET extra_float_digits = 3" -c "SELECT 'name', d.id, modelmgr.predict('u_linreg', d), modelmgr.predict('u_fit', d) FROM diabetes d WHERE d.id = 1")"

exit $fail
