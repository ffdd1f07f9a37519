package main

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/store"
)

// withDB runs f with the database (DATABASE_URL).
func withDB(ctx context.Context, f func(*pgxpool.Pool) error) error {
	db, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer db.Close()
	return f(db)
}

// caseStatus asks the case for its status.
func caseStatus(ctx context.Context, id string) (*contract.Status, error) {
	tc, err := platform.DialTemporalQuiet()
	if err != nil {
		return nil, err
	}
	defer tc.Close()
	return backoffice.Status(ctx, tc, caseID(id))
}
