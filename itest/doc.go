// Package itest holds Casework's integration tests: they run against a real Temporal
// server and a real PostgreSQL (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DATABASE_URL, as
// `make test` sets them from .dev/test-env), with a worker started in the test process.
// Without those settings the tests skip, unless CASEWORK_REQUIRE_STACK=1 makes that a
// failure (as `make test` does).
package itest
