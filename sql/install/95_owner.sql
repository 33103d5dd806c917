-- Ownership and the installing role (runs last).
--
-- Views are owned by modelmgr_owner like the tables they read, so no view runs with the rights
-- of whoever ran CREATE EXTENSION (for a trusted install the bootstrap superuser owns every
-- object the script does not hand over).
--
-- The role that ran CREATE EXTENSION (pg_extension.extowner: for a trusted install, the
-- database owner) gets the privileges modelmgr_trainer and modelmgr_reader have on this
-- database's modelmgr objects, as object grants: they apply in this database only. Role
-- membership would apply in every database of the cluster where modelmgr is installed, so the
-- install never grants a role; an administrator does (see README, Security). The role name is
-- looked up in the catalog, never substituted into the script text.
DO $$
DECLARE
    owner_oid oid := (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'modelmgr');
    grantees oid[] := ARRAY['modelmgr_trainer'::pg_catalog.regrole, 'modelmgr_reader'::pg_catalog.regrole]::oid[];
    r record;
BEGIN
    FOR r IN SELECT c.oid::pg_catalog.regclass AS v FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'modelmgr'::pg_catalog.regnamespace AND c.relkind = 'v' LOOP
        EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO modelmgr_owner', r.v);
    END LOOP;
    IF (SELECT a.rolsuper FROM pg_catalog.pg_roles a WHERE a.oid = owner_oid) THEN
        RETURN;
    END IF;
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA modelmgr TO %I', pg_catalog.pg_get_userbyid(owner_oid));
    FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass AS obj, x.privilege_type AS priv
             FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) x
             WHERE c.relnamespace = 'modelmgr'::pg_catalog.regnamespace AND x.grantee = ANY (grantees) LOOP
        EXECUTE pg_catalog.format('GRANT %s ON TABLE %s TO %I', r.priv, r.obj, pg_catalog.pg_get_userbyid(owner_oid));
    END LOOP;
    FOR r IN SELECT DISTINCT p.oid::pg_catalog.regprocedure AS fn
             FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) x
             WHERE p.pronamespace = 'modelmgr'::pg_catalog.regnamespace AND x.grantee = ANY (grantees) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', r.fn, pg_catalog.pg_get_userbyid(owner_oid));
    END LOOP;
END $$;
