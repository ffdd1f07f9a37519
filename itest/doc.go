//go:build integration

// Package itest holds Casework's integration tests: they run against a real Temporal
// server and a real PostgreSQL (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and DATABASE_URL, as
// `make test` sets them from .dev/test-env), with a worker started in the test process.
// They build only with the tag integration (`go test -tags integration ./itest/`): a plain
// `go test ./...` runs the unit, replay and fuzz-seed tests with no services. Built with the
// tag, a missing stack is a failure, never a skip.
package itest
