// Package pgscript runs end-to-end CLI scripts (testdata/script/*.txtar)
// against a throwaway PostgreSQL database per script: the scripts' profiles
// read PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE, which each
// script's setup points at its own database.
package pgscript
