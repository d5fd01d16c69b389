package submit

import "sync"

// DefaultBreakerThreshold is the number of consecutive failed attempts that
// opens a Breaker.
const DefaultBreakerThreshold = 10

// Breaker is a circuit breaker shared by all workers. It counts consecutive
// failed attempts (5xx responses and network errors) across every request and
// opens when the count reaches its threshold. Once open it stays open until
// Reset, because a run stops when the breaker opens. Any response below 500
// other than 429 resets the count. It is safe for concurrent use.
type Breaker struct {
	mu        sync.Mutex
	threshold int
	failures  int
	open      bool
}

// NewBreaker returns a closed breaker that opens after threshold consecutive
// failures; threshold 0 or less means DefaultBreakerThreshold.
func NewBreaker(threshold int) *Breaker {
	if threshold <= 0 {
		threshold = DefaultBreakerThreshold
	}
	return &Breaker{threshold: threshold}
}

// Allow returns ErrBreakerOpen when the breaker is open, else nil.
func (b *Breaker) Allow() error {
	if b.Open() {
		return ErrBreakerOpen
	}
	return nil
}

// Open reports whether the breaker is open.
func (b *Breaker) Open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.open
}

// Success resets the count of consecutive failures. It does not close an
// open breaker.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.failures = 0
}

// Failure counts a failed attempt and reports whether this failure opened the
// breaker, so the caller can log the opening once.
func (b *Breaker) Failure() (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.failures++
	if !b.open && b.failures >= b.threshold {
		b.open = true
		return true
	}
	return false
}

// Reset closes the breaker and clears its count.
func (b *Breaker) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.failures = 0
	b.open = false
}
