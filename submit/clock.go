package submit

import (
	"sync"
	"time"
)

// AntonClock estimates Anton's current time from the Date headers of its
// responses. The age of a submitting row is measured on it, so a local clock
// that runs fast or slow cannot make payrun trust an idempotency key that
// Anton has already forgotten.
type AntonClock struct {
	mu    sync.Mutex
	skew  time.Duration
	known bool
	local func() time.Time
}

// NewAntonClock returns a clock that reads the local time until it receives a
// Date header.
func NewAntonClock() *AntonClock { return &AntonClock{local: time.Now} }

// Observe records the Date header of a response received now. Date has a
// resolution of one second, so the estimate is within about a second.
func (c *AntonClock) Observe(date time.Time) {
	if date.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew = date.Sub(c.local())
	c.known = true
}

// Now returns the estimate of Anton's current time.
func (c *AntonClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local().Add(c.skew).UTC()
}

// Known reports whether a Date header has been seen.
func (c *AntonClock) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.known
}
