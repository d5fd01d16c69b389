package submit

import (
	"context"
	"log/slog"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// logThrottle rate-limits repeated log lines, such as one per retry during a
// 429 storm, and reports how many lines it dropped in the next line it lets
// through.
type logThrottle struct {
	limit      *rate.Limiter
	suppressed atomic.Int64
}

// Up to 5 lines a second, with bursts of 10.
func newLogThrottle() *logThrottle {
	return &logThrottle{limit: rate.NewLimiter(5, 10)}
}

// log writes the line if the throttle allows it, else counts it as suppressed.
func (t *logThrottle) log(logger *slog.Logger, level slog.Level, msg string, args ...any) {
	if !logger.Enabled(context.Background(), level) {
		return
	}
	if !t.limit.Allow() {
		t.suppressed.Add(1)
		return
	}
	if n := t.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", n)
	}
	logger.Log(context.Background(), level, msg, args...)
}
