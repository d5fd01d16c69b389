package submit

import "context"

type attemptRowKey struct{}

// withAttemptRow tags a request's context with the ledger row it is for, so
// the attempt log can name the row.
func withAttemptRow(ctx context.Context, rowID int64) context.Context {
	return context.WithValue(ctx, attemptRowKey{}, rowID)
}

// AttemptRow returns the ledger row id a request was made for, or 0.
func AttemptRow(ctx context.Context) int64 {
	id, _ := ctx.Value(attemptRowKey{}).(int64)
	return id
}
