-- modelmgr install script, assembled by the Makefile from sql/install/*.sql (one file per SQL surface).
\echo Use "CREATE EXTENSION modelmgr" to load this file. \quit
