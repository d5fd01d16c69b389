package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/payrun/payrun"
)

// DefaultAddr is the listen address when Options.Addr is empty: a free
// loopback port.
const DefaultAddr = "127.0.0.1:0"

// DefaultRateLimit is Anton's base limit in requests per minute per merchant.
const DefaultRateLimit = 1000

// DefaultSlowDelay is the delay of a slow response when Faults.SlowRate is set
// and Faults.SlowDelay is zero.
const DefaultSlowDelay = 2 * time.Second

// DefaultBalances are the starting balances of every new merchant.
var DefaultBalances = map[string]string{"USD": "1000000.00", "EUR": "1000000.00", "GBP": "1000000.00"}

// Options configure a Server. The zero value is a loopback sandbox with the
// default balances and limits and no faults.
type Options struct {
	// Addr is the listen address; default 127.0.0.1:0, a free loopback port.
	Addr string
	// AllowRemote permits a listener on a non-loopback address.
	AllowRemote bool
	// StateFile, if set, is loaded by New and saved atomically with mode 0600
	// shortly after each change and at Close.
	StateFile string
	// Balances are the starting balances of each new merchant, currency code to
	// decimal string; default USD, EUR and GBP at 1000000.00.
	Balances map[string]string
	// RateLimit is the advertised and enforced limit in requests per minute per
	// merchant; default 1000.
	RateLimit int
	// HiddenRateLimit, if above zero, is the enforced limit in requests per
	// minute, while the headers and GET /v1/merchant still advertise RateLimit.
	HiddenRateLimit int
	// TimeScale divides the payout lifecycle and webhook retry delays: 10 runs
	// them ten times faster, 0.01 a hundred times slower. Default 1.
	TimeScale float64
	// Faults are the injected failures at start.
	Faults Faults
	// Seed seeds the random source of the faults; 0 picks a random seed.
	Seed int64
	// Logger receives the sandbox's logs; default discards them.
	Logger *slog.Logger
}

// Range is a duration range. Min equal to Max is a fixed duration; the text
// form is "50ms" or "20ms-80ms".
type Range struct {
	Min time.Duration
	Max time.Duration
}

// ParseRange parses "50ms" (fixed) or "20ms-80ms" (uniform range). An empty
// string is the zero range.
func ParseRange(text string) (Range, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Range{}, nil
	}

	low, high, isRange := strings.Cut(text, "-")
	lowDur, err := time.ParseDuration(strings.TrimSpace(low))
	if err != nil {
		return Range{}, fmt.Errorf("invalid duration %q: use a Go duration such as 50ms or a range such as 20ms-80ms", text)
	}
	highDur := lowDur
	if isRange {
		highDur, err = time.ParseDuration(strings.TrimSpace(high))
		if err != nil {
			return Range{}, fmt.Errorf("invalid duration range %q: use two Go durations such as 20ms-80ms", text)
		}
	}

	r := Range{Min: lowDur, Max: highDur}
	if r.Min < 0 || r.Max < r.Min {
		return Range{}, fmt.Errorf("invalid duration range %q: need 0 <= min <= max", text)
	}
	return r, nil
}

// String returns the text form: "" for zero, "50ms" or "20ms-80ms".
func (r Range) String() string {
	switch {
	case r.Min == 0 && r.Max == 0:
		return ""
	case r.Min == r.Max:
		return r.Min.String()
	}
	return r.Min.String() + "-" + r.Max.String()
}

// MarshalText implements encoding.TextMarshaler.
func (r Range) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Range) UnmarshalText(text []byte) error {
	parsed, err := ParseRange(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// Faults are the failures the sandbox injects into /v1/* requests. Rates are
// probabilities from 0 to 1 per request. The JSON form, which
// POST /_sandbox/faults accepts, uses snake_case names and duration strings:
// {"latency": "20ms-80ms", "error_rate": 0.05, "slow_delay": "2s"}.
type Faults struct {
	// Latency delays every routed request by a fixed duration or one drawn
	// uniformly from a range, while its idempotency key is in flight.
	Latency Range
	// ErrorRate responds 500 internal_error before doing anything.
	ErrorRate float64
	// DropAfterRate does the work of a POST and then closes the connection
	// without a response.
	DropAfterRate float64
	// SlowRate does the work and sends the response only after SlowDelay.
	SlowRate float64
	// SlowDelay is the delay of a slow response; default 2s.
	SlowDelay time.Duration
	// ThrottleRate starts a one-second burst of 429 responses for the merchant.
	ThrottleRate float64
	// IdempotencyUnavailableRate responds 503 idempotency_unavailable to
	// requests that carry or need an Idempotency-Key.
	IdempotencyUnavailableRate float64
	// RetryAfterHTTPDate sends Retry-After as an HTTP date, rotating through
	// the IMF-fixdate, RFC 850 and asctime forms, instead of seconds.
	RetryAfterHTTPDate bool
	// WebhookDuplicateRate delivers a webhook event a second time.
	WebhookDuplicateRate float64
	// WebhookReorder delays each delivery by a random part of the lifecycle
	// step, so events of one payout can arrive out of order.
	WebhookReorder bool
}

type faultsJSON struct {
	Latency                    Range   `json:"latency"`
	ErrorRate                  float64 `json:"error_rate"`
	DropAfterRate              float64 `json:"drop_after_rate"`
	SlowRate                   float64 `json:"slow_rate"`
	SlowDelay                  string  `json:"slow_delay"`
	ThrottleRate               float64 `json:"throttle_rate"`
	IdempotencyUnavailableRate float64 `json:"idempotency_unavailable_rate"`
	RetryAfterHTTPDate         bool    `json:"retry_after_http_date"`
	WebhookDuplicateRate       float64 `json:"webhook_duplicate_rate"`
	WebhookReorder             bool    `json:"webhook_reorder"`
}

// MarshalJSON encodes the faults with duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	out := faultsJSON{
		Latency:                    f.Latency,
		ErrorRate:                  f.ErrorRate,
		DropAfterRate:              f.DropAfterRate,
		SlowRate:                   f.SlowRate,
		ThrottleRate:               f.ThrottleRate,
		IdempotencyUnavailableRate: f.IdempotencyUnavailableRate,
		RetryAfterHTTPDate:         f.RetryAfterHTTPDate,
		WebhookDuplicateRate:       f.WebhookDuplicateRate,
		WebhookReorder:             f.WebhookReorder,
	}
	if f.SlowDelay != 0 {
		out.SlowDelay = f.SlowDelay.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes the JSON form and rejects unknown fields.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var in faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}

	var slow time.Duration
	if in.SlowDelay != "" {
		var err error
		slow, err = time.ParseDuration(in.SlowDelay)
		if err != nil {
			return fmt.Errorf("invalid slow_delay %q: use a Go duration such as 2s", in.SlowDelay)
		}
	}
	*f = Faults{
		Latency:                    in.Latency,
		ErrorRate:                  in.ErrorRate,
		DropAfterRate:              in.DropAfterRate,
		SlowRate:                   in.SlowRate,
		SlowDelay:                  slow,
		ThrottleRate:               in.ThrottleRate,
		IdempotencyUnavailableRate: in.IdempotencyUnavailableRate,
		RetryAfterHTTPDate:         in.RetryAfterHTTPDate,
		WebhookDuplicateRate:       in.WebhookDuplicateRate,
		WebhookReorder:             in.WebhookReorder,
	}
	return nil
}

// Validate checks that every rate is within 0..1 and no duration is negative.
func (f Faults) Validate() error {
	rates := []struct {
		name  string
		value float64
	}{
		{"error_rate", f.ErrorRate},
		{"drop_after_rate", f.DropAfterRate},
		{"slow_rate", f.SlowRate},
		{"throttle_rate", f.ThrottleRate},
		{"idempotency_unavailable_rate", f.IdempotencyUnavailableRate},
		{"webhook_duplicate_rate", f.WebhookDuplicateRate},
	}
	for _, r := range rates {
		if r.value < 0 || r.value > 1 || r.value != r.value {
			return fmt.Errorf("invalid %s %v: use a probability from 0 to 1", r.name, r.value)
		}
	}
	if f.Latency.Min < 0 || f.Latency.Max < f.Latency.Min {
		return fmt.Errorf("invalid latency %q: need 0 <= min <= max", f.Latency.String())
	}
	if f.SlowDelay < 0 {
		return fmt.Errorf("invalid slow_delay %s: must not be negative", f.SlowDelay)
	}
	return nil
}

// withDefaults fills the delay of slow responses.
func (f Faults) withDefaults() Faults {
	if f.SlowRate > 0 && f.SlowDelay == 0 {
		f.SlowDelay = DefaultSlowDelay
	}
	return f
}

// startingBalance is one parsed starting balance in minor units.
type startingBalance struct {
	currency string
	minor    int64
}

// normalize fills defaults and checks the options.
func (o Options) normalize() (Options, []startingBalance, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if !o.AllowRemote && !IsLoopbackAddr(o.Addr) {
		return o, nil, fmt.Errorf("sandbox: listen address %q is not loopback: use 127.0.0.1 or [::1], or allow remote listeners explicitly", o.Addr)
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateLimit < 0 || o.HiddenRateLimit < 0 {
		return o, nil, fmt.Errorf("sandbox: rate limits must not be negative (got %d and %d requests per minute)", o.RateLimit, o.HiddenRateLimit)
	}
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if o.TimeScale < 0 || o.TimeScale != o.TimeScale {
		return o, nil, fmt.Errorf("sandbox: invalid time scale %v: use a positive factor such as 1 or 100", o.TimeScale)
	}
	if err := o.Faults.Validate(); err != nil {
		return o, nil, fmt.Errorf("sandbox: %w", err)
	}
	o.Faults = o.Faults.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}

	if o.Balances == nil {
		o.Balances = DefaultBalances
	}
	balances, err := parseBalances(o.Balances)
	if err != nil {
		return o, nil, err
	}
	return o, balances, nil
}

// parseBalances converts the starting balances to minor units.
func parseBalances(in map[string]string) ([]startingBalance, error) {
	out := make([]startingBalance, 0, len(in))
	for code, text := range in {
		scale, ok := payrun.CurrencyScale(code)
		if !ok {
			return nil, fmt.Errorf("sandbox: starting balance currency %q is not an ISO 4217 code such as EUR", code)
		}
		value, err := decimal.NewFromString(text)
		if err != nil || value.IsNegative() || value.Exponent() < -int32(scale) {
			return nil, fmt.Errorf("sandbox: starting balance %s %q is not a non-negative amount with at most %d decimals", code, text, scale)
		}
		minor, err := payrun.Amount{Value: value, Currency: code}.Minor()
		if err != nil {
			return nil, fmt.Errorf("sandbox: starting balance %s %q: %w", code, text, err)
		}
		out = append(out, startingBalance{currency: code, minor: minor})
	}
	return out, nil
}

// IsLoopbackAddr reports whether a host:port listen address is on loopback:
// 127.0.0.0/8, ::1 or localhost. An empty host (all interfaces) is not.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
