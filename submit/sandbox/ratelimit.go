package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/payrun/payrun/submit"
)

// fxRateLimit is Anton's own limit of GET /v1/fx/rate in requests per minute.
const fxRateLimit = 30

// rateWindow is the length of Anton's rolling rate-limit window.
const rateWindow = time.Minute

// throttleBurst is how long a ThrottleRate burst responds 429.
const throttleBurst = time.Second

// slidingWindow holds the times of the requests of the last minute, oldest
// first.
type slidingWindow struct {
	times []time.Time
}

func (w *slidingWindow) prune(now time.Time) {
	cut := now.Add(-rateWindow)
	i := sort.Search(len(w.times), func(i int) bool { return w.times[i].After(cut) })
	w.times = w.times[i:]
}

func (w *slidingWindow) add(now time.Time) {
	if n := len(w.times); n > 0 && now.Before(w.times[n-1]) {
		now = w.times[n-1]
	}
	w.times = append(w.times, now)
}

// freeAt returns when the oldest request leaves the window.
func (w *slidingWindow) freeAt(now time.Time) time.Time {
	if len(w.times) == 0 {
		return now.Add(rateWindow)
	}
	return w.times[0].Add(rateWindow)
}

// checkRateLimit counts the request in the merchant's rolling window and
// returns the X-RateLimit-* headers, plus a 429 reply when a limit is
// reached. Rejected requests are not counted. The caller holds s.mu.
func (s *Server) checkRateLimit(m *merchant, now time.Time, isFX bool) (http.Header, *reply) {
	advertised := s.opts.RateLimit
	enforced := advertised
	if s.opts.HiddenRateLimit > 0 {
		enforced = s.opts.HiddenRateLimit
	}

	m.window.prune(now)
	headers := func() http.Header {
		remaining := max(advertised-len(m.window.times), 0)
		return http.Header{
			submit.HeaderRateLimitLimit:     {strconv.Itoa(advertised)},
			submit.HeaderRateLimitRemaining: {strconv.Itoa(remaining)},
			submit.HeaderRateLimitReset:     {formatUnix(m.window.freeAt(now))},
		}
	}

	if now.Before(m.throttled) {
		return headers(), s.tooManyRequests(m.throttled.Sub(now), now)
	}
	if s.chance(s.faults.ThrottleRate) {
		m.throttled = now.Add(throttleBurst)
		return headers(), s.tooManyRequests(throttleBurst, now)
	}
	if len(m.window.times) >= enforced {
		return headers(), s.tooManyRequests(m.window.freeAt(now).Sub(now), now)
	}

	if isFX {
		m.fxWindow.prune(now)
		if len(m.fxWindow.times) >= fxRateLimit {
			return headers(), s.tooManyRequests(m.fxWindow.freeAt(now).Sub(now), now)
		}
		m.fxWindow.add(now)
	}
	m.window.add(now)
	return headers(), nil
}

// idleLimitHeaders are the X-RateLimit-* headers of a request that has no
// merchant, such as one with a bad key.
func (s *Server) idleLimitHeaders(now time.Time) http.Header {
	return http.Header{
		submit.HeaderRateLimitLimit:     {strconv.Itoa(s.opts.RateLimit)},
		submit.HeaderRateLimitRemaining: {strconv.Itoa(s.opts.RateLimit)},
		submit.HeaderRateLimitReset:     {formatUnix(now.Add(rateWindow))},
	}
}

// retryAfterLayouts are the three HTTP-date forms of RFC 9110 section 5.6.7:
// IMF-fixdate, the obsolete RFC 850 form and asctime.
var retryAfterLayouts = []string{
	http.TimeFormat,
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

// tooManyRequests is 429 rate_limit_exceeded with Retry-After in whole
// seconds, rounded up and at least 1, or as an HTTP date on the sandbox clock.
// The caller holds s.mu.
func (s *Server) tooManyRequests(wait time.Duration, now time.Time) *reply {
	seconds := max(int(math.Ceil(wait.Seconds())), 1)
	rep := errorReply(http.StatusTooManyRequests, submit.CodeRateLimitExceeded,
		fmt.Sprintf("Rate limit exceeded. Retry after %d seconds.", seconds))

	value := strconv.Itoa(seconds)
	if s.faults.RetryAfterHTTPDate {
		at := now.Add(time.Duration(seconds) * time.Second).Truncate(time.Second).Add(time.Second).UTC()
		value = at.Format(retryAfterLayouts[s.retryAfterForm%len(retryAfterLayouts)])
		s.retryAfterForm++
	}
	rep.header = http.Header{submit.HeaderRetryAfter: {value}}
	return rep
}
