package submit

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the limiter. Anton allows 1,000 requests per minute per
// merchant on its base tier, counted over a rolling 60-second window.
const (
	DefaultRatePerMinute = 1000
	DefaultHeadroom      = 0.95
)

// AIMD tuning: after a 429 the rate halves, and after every increaseWindow
// without one it grows by increaseStep of the ceiling. The floor keeps a cut
// rate from reaching zero.
// NOTE: these values are estimates, tried only against payrun's sandbox with
// injected 429 bursts, not against Anton's production limiter.
const (
	increaseWindow = 5 * time.Second
	increaseStep   = 0.05
	floorFraction  = 1.0 / 32
	minRate        = 1.0

	// lowRemaining is the share of the limit below which X-RateLimit-Remaining
	// counts as low, so the limiter spreads what is left until the reset.
	lowRemaining = 0.10
	// maxResetWait caps how far ahead an X-RateLimit-Reset may throttle or
	// pause, since the window is one minute.
	maxResetWait = time.Minute
)

// Limiter is the process-wide token bucket that every request of the process
// passes through, so concurrent workers never add up to more than the
// merchant's limit. It pauses every waiter after a 429, halves the rate and
// adds it back step by step (AIMD), and it slows down ahead of the limit when
// the X-RateLimit-Remaining header runs low. It is safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	bucket *rate.Limiter

	headroom float64
	apiLimit float64 // requests per minute that Anton allows
	maxRate  float64 // operator's cap in requests per minute, 0 for none
	ceiling  float64 // min(apiLimit*headroom, maxRate)
	current  float64 // AIMD rate in requests per minute, at most ceiling

	throttle      float64 // rate from low X-RateLimit-Remaining, 0 for none
	throttleUntil time.Time
	pausedUntil   time.Time
	cutUntil      time.Time // end of the pause that caused the last cut
	lastChange    time.Time // last cut or increase of current
	applied       float64   // requests per minute the bucket runs at
}

// NewLimiter returns a limiter for perMinute requests per minute, of which it
// uses the fraction headroom (for example 0.95) to stay clear of the limit.
// A perMinute of 0 or less means DefaultRatePerMinute; a headroom outside
// (0, 1] means DefaultHeadroom.
func NewLimiter(perMinute int, headroom float64) *Limiter {
	if perMinute <= 0 {
		perMinute = DefaultRatePerMinute
	}
	if headroom <= 0 || headroom > 1 {
		headroom = DefaultHeadroom
	}
	l := &Limiter{headroom: headroom, apiLimit: float64(perMinute)}
	l.ceiling = l.computeCeiling()
	l.current = l.ceiling
	l.applied = l.current
	l.bucket = rate.NewLimiter(perSecond(l.current), burstFor(l.current))
	return l
}

// SetLimit sets the limit Anton allows, as GET /v1/merchant reports it in
// rate_limit_per_minute. A rate cut by earlier 429s keeps its share of the
// new ceiling. Values of 0 or less are ignored.
func (l *Limiter) SetLimit(perMinute int) {
	if perMinute <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()

	l.apiLimit = float64(perMinute)
	l.rescaleLocked()
}

// SetMaxRate caps the rate at perMinute requests per minute whatever Anton
// allows, for the operator's --rate. 0 or less removes the cap.
func (l *Limiter) SetMaxRate(perMinute int) {
	l.mu.Lock()
	defer l.mu.Unlock()

	l.maxRate = max(float64(perMinute), 0)
	l.rescaleLocked()
}

func (l *Limiter) rescaleLocked() {
	share := l.current / l.ceiling
	l.ceiling = l.computeCeiling()
	l.current = max(l.floor(), min(l.ceiling, share*l.ceiling))
	l.applyLocked(time.Now())
}

func (l *Limiter) computeCeiling() float64 {
	c := l.apiLimit * l.headroom
	if l.maxRate > 0 {
		c = min(c, l.maxRate)
	}
	return max(c, minRate)
}

func (l *Limiter) floor() float64 { return max(minRate, l.ceiling*floorFraction) }

// Rate returns the rate requests are let through now, in requests per minute.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()

	return l.effectiveLocked(time.Now())
}

// Wait blocks until a request may be sent: until any pause has ended and the
// bucket has a token. It returns early with an error when ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := l.waitPause(ctx); err != nil {
			return err
		}

		l.mu.Lock()
		l.applyLocked(time.Now())
		l.mu.Unlock()
		if err := l.bucket.Wait(ctx); err != nil {
			return err
		}

		// A 429 may have paused everyone while this caller waited for its token.
		l.mu.Lock()
		paused := time.Now().Before(l.pausedUntil)
		l.mu.Unlock()
		if !paused {
			return nil
		}
	}
}

// waitPause sleeps until the current pause ends. A pause only ever grows, so
// a sleeper that wakes early rechecks it on the next loop.
func (l *Limiter) waitPause(ctx context.Context) error {
	for {
		l.mu.Lock()
		until := l.pausedUntil
		l.mu.Unlock()

		wait := time.Until(until)
		if wait <= 0 {
			return ctx.Err()
		}
		if err := sleepContext(ctx, wait); err != nil {
			return err
		}
	}
}

// Pause blocks every waiter until the given time, as after a 429, and halves
// the rate. 429s that arrive while an earlier pause still runs extend the
// pause but cut the rate only once.
func (l *Limiter) Pause(until time.Time) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()

	if !now.Before(l.cutUntil) {
		l.current = max(l.floor(), l.current/2)
		l.lastChange = now
	}
	if until.After(l.cutUntil) {
		l.cutUntil = until
	}
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	l.applyLocked(now)
}

// Paused reports whether a pause is in force and when it ends.
func (l *Limiter) Paused() (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()

	return l.pausedUntil, time.Now().Before(l.pausedUntil)
}

// Observe reads an API response: any response below 500 other than 429 counts
// toward adding rate back, and a low X-RateLimit-Remaining spreads the
// remaining requests until X-RateLimit-Reset (no requests left: pause until
// then). Observe does not cut the rate on a 429: the client calls Pause.
func (l *Limiter) Observe(resp *http.Response) {
	if resp == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()

	if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		l.increaseLocked(now)
	}
	l.observeRemainingLocked(resp.Header, now)
	l.applyLocked(now)
}

func (l *Limiter) increaseLocked(now time.Time) {
	if l.current >= l.ceiling || now.Sub(l.lastChange) < increaseWindow {
		return
	}
	l.current = min(l.ceiling, l.current+l.ceiling*increaseStep)
	l.lastChange = now
}

// observeRemainingLocked throttles or pauses ahead of the limit. Anton sends
// X-RateLimit-Reset in Unix seconds; a small value is taken as seconds from
// now, which some servers send instead.
func (l *Limiter) observeRemainingLocked(h http.Header, now time.Time) {
	remaining, okRemaining := headerInt(h, HeaderRateLimitRemaining)
	reset, okReset := headerInt(h, HeaderRateLimitReset)
	if !okRemaining || !okReset {
		return
	}

	resetAt := time.Unix(reset, 0)
	if reset < 1_000_000_000 {
		resetAt = now.Add(time.Duration(reset) * time.Second)
	}
	resetAt = minTime(resetAt, now.Add(maxResetWait))
	if !resetAt.After(now) {
		return
	}

	limit, ok := headerInt(h, HeaderRateLimitLimit)
	if !ok || limit <= 0 {
		limit = int64(l.apiLimit)
	}
	switch {
	case remaining <= 0:
		if resetAt.After(l.pausedUntil) {
			l.pausedUntil = resetAt
		}
	case float64(remaining) <= float64(limit)*lowRemaining:
		spread := float64(remaining) / resetAt.Sub(now).Minutes()
		if spread < l.current && (l.throttle == 0 || spread < l.throttle ||
			resetAt.After(l.throttleUntil)) {
			l.throttle = max(spread, minRate)
			l.throttleUntil = resetAt
		}
	}
}

// effectiveLocked returns the AIMD rate, lowered by an active throttle.
func (l *Limiter) effectiveLocked(now time.Time) float64 {
	if l.throttle > 0 && now.Before(l.throttleUntil) {
		return min(l.current, l.throttle)
	}
	return l.current
}

// applyLocked moves the bucket to the effective rate.
func (l *Limiter) applyLocked(now time.Time) {
	if l.throttle > 0 && !now.Before(l.throttleUntil) {
		l.throttle = 0
	}
	eff := l.effectiveLocked(now)
	if eff == l.applied {
		return
	}
	l.applied = eff
	l.bucket.SetLimitAt(now, perSecond(eff))
	l.bucket.SetBurstAt(now, burstFor(eff))
}

// perSecond converts requests per minute to the bucket's unit.
func perSecond(perMinute float64) rate.Limit { return rate.Limit(perMinute / 60) }

// burstFor allows a tenth of a second of requests at once, at least one.
func burstFor(perMinute float64) int {
	return max(1, int(math.Floor(perMinute/60/10)))
}

func headerInt(h http.Header, name string) (int64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sleepContext sleeps for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
