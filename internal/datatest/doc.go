// Package datatest plans and runs ingot's tests. It returns results; it
// never prints.
//
// # Planning (Add)
//
// Add turns the project's tests into compile.Node values of Kind "test"
// before the graph is built:
//
//   - Generic tests from property yml, on models, seeds and source tables,
//     per column or per node: not_null, unique, accepted_values (values,
//     quote), relationships (to, field), expression_is_true (expression),
//     unique_combination_of_columns (combination_of_columns),
//     accepted_range (min_value, max_value, inclusive), not_empty and
//     recency (field, datepart, interval). A macro {{ define "test_<name>" }}
//     (or an engine version of it) makes <name> usable the same way: its dot
//     is a dict with model (the tested relation), column_name and the
//     test's arguments, ref("x") / source("s","t") arguments turned into
//     relations. A project macro named like a built-in (test_not_null)
//     replaces the built-in. Names are dbt's, <test>_<model>[_<column>]
//     (source_<test>_<source>_<table>[_<column>] for sources); a second test
//     with the same generated name gets a hash of its arguments appended;
//     name: sets it. ID "test.<name>", TestType "generic", AttachedTo and
//     DependsOn the tested node (and relationships' to).
//   - Singular tests: tests/**/<name>.sql, templated like models; they pass
//     when they return no rows. ID "test.<name>", TestType "singular",
//     DependsOn what they ref.
//   - Unit tests (unit_tests: in yml): ID "unit_test.<model>.<name>",
//     TestType "unit", AttachedTo the model, no DependsOn.
//
// Test config (under config:, or beside the arguments as older dbt wrote
// it): severity (error|warn), warn_if / error_if (">10", "!=0", ">=5";
// both default "!=0"), where (filters the tested relation), limit,
// store_failures (failing rows kept in <schema>.<test name>, schema
// "audit" unless config schema is set, table named by alias if set), tags,
// enabled, meta. Unknown tests, arguments and config keys are errors at
// the yml line, with a suggestion.
//
// A model's RunAfter lists its unit tests and the data tests of its parents
// (through ephemeral parents), except a test that reads the model itself;
// compile.Manifest.BuildRunGraph adds those edges for build, so a model is
// skipped when one of them fails.
//
// # Running (Tester)
//
// A data test counts the rows of its query (select count(*) over it), then
// decides: an error-severity test fails when error_if holds, otherwise it
// warns when warn_if holds; a warn-severity test never fails. A failure or
// warning shows up to 5 failing rows.
//
// A unit test runs the model's SQL against fixture tables created in a
// schema of its own: in an in-memory DuckDB shared by the run's unit tests
// (no warehouse file), or in a scratch schema of the target that is dropped
// afterwards. Rows are given as a list of mappings (format dict, the
// default), CSV text with a header (format csv; an empty cell or null is
// NULL) or a SELECT (format sql). An input that is not given is an empty
// table. Every input is shaped like the real relation: a seed's columns and
// types are read from its file, a model's by compiling it against empty
// inputs of its own and describing the result, a source's from the columns
// (data_type) its yml declares; declared data_type always wins. Given values
// are cast to those types, so "2019-12-01" is a DATE where the input has a
// DATE; a given column the input does not have is an error. When an input's
// columns cannot be found, given columns are typed from their values
// (integers, decimals, booleans, dates, timestamps, else text).
//
// overrides.vars set vars, overrides.macros.is_incremental (or
// overrides.is_incremental) renders the model incrementally, and the rows
// of {{ this }} come from an input named this (or overrides.this); without
// them this is an empty table shaped like the model.
//
// Only the expected columns are compared, as a multiset unless the expect
// block says ordered: true. Values compare by meaning across types: 10,
// 10.0, "10" and DECIMAL 10.00 are equal, as are "2024-05-28" and a DATE,
// true and "TRUE"; a missing key in an expected row is NULL. A failure's
// Detail is a table of the rows marked - (expected only) and + (actual
// only), with the matching rows unmarked.
package datatest
