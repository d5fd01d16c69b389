package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Server is an Anton-compatible sandbox. Create it with New, then either call
// Start to listen, or mount Handler in a server of your own.
type Server struct {
	opts     Options
	balances []startingBalance
	logger   *slog.Logger

	mu      sync.Mutex // guards everything below and the whole state
	state   *state
	faults  Faults
	rng     *mathrand.Rand
	entropy *ulid.MonotonicEntropy
	stats   requestStats
	dirty   bool
	// retryAfterForm rotates Retry-After through the three HTTP-date forms.
	retryAfterForm int

	sched    *scheduler
	sender   *webhookSender
	handler  http.Handler
	listener net.Listener
	httpSrv  *http.Server
	saveMu   sync.Mutex // serialises writes of the state file
	stop     chan struct{}
	done     sync.WaitGroup
	closed   bool
}

// requestStats counts the responses to /v1/* requests since the server started.
type requestStats struct {
	total    int
	byStatus map[int]int
}

// New builds a sandbox from opts and loads opts.StateFile if it exists. The
// background scheduler runs from New on, so lifecycles advance even when the
// caller only mounts Handler.
func New(opts Options) (*Server, error) {
	opts, balances, err := opts.normalize()
	if err != nil {
		return nil, err
	}

	seed := opts.Seed
	if seed == 0 {
		seed = mathrand.Int64()
	}
	s := &Server{
		opts:     opts,
		balances: balances,
		logger:   opts.Logger,
		state:    &state{Version: stateVersion, Merchants: map[string]*merchant{}},
		faults:   opts.Faults,
		rng:      mathrand.New(mathrand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		entropy:  ulid.Monotonic(rand.Reader, 0),
		stats:    requestStats{byStatus: map[int]int{}},
		stop:     make(chan struct{}),
	}
	s.sched = newScheduler(s)
	s.sender = newWebhookSender(s)
	s.handler = s.routes()

	if opts.StateFile != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}

	s.done.Add(2)
	go s.sched.run()
	go s.saveLoop()
	return s, nil
}

// Start listens on Options.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", s.opts.Addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}

	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("sandbox server stopped", "error", err)
		}
	}()
	s.logger.Info("sandbox listening", "url", s.URL())
	return nil
}

// URL returns the base URL of the listener, such as http://127.0.0.1:8080,
// or "" before Start.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Handler returns the HTTP handler of the sandbox API.
func (s *Server) Handler() http.Handler { return s.handler }

// SetFaults replaces the injected faults. Invalid rates or durations are
// ignored and logged; POST /_sandbox/faults reports them to the caller.
func (s *Server) SetFaults(f Faults) {
	if err := f.Validate(); err != nil {
		s.logger.Warn("sandbox faults rejected", "error", err)
		return
	}
	s.mu.Lock()
	s.faults = f.withDefaults()
	s.mu.Unlock()
}

// Close stops the listener, the scheduler and webhook deliveries, and saves
// the state file. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	var errs []error
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: shut down listener: %w", err))
			s.httpSrv.Close()
		}
		cancel()
	}
	close(s.stop)
	s.sender.close()
	s.done.Wait()

	if s.opts.StateFile != "" {
		if err := s.save(); err != nil {
			errs = append(errs, err)
		}
	}
	s.logger.Info("sandbox stopped")
	return errors.Join(errs...)
}

// NewTestKey returns a random sandbox API key: "ak_test_" and 32 hex digits.
func NewTestKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	return "ak_test_" + hex.EncodeToString(b[:])
}

// now returns the sandbox clock: the wall clock plus every clock advance.
// The caller holds s.mu.
func (s *Server) now() time.Time {
	return time.Now().UTC().Add(s.state.ClockOffset)
}

// scaled divides a lifecycle or retry delay by the time scale.
func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.opts.TimeScale)
}

// newID returns prefix_ULID. ULIDs from one monotonic source sort in creation
// order, which lists and cursors rely on. The caller holds s.mu.
func (s *Server) newID(prefix string) string {
	id := ulid.MustNew(ulid.Timestamp(s.now()), s.entropy)
	return prefix + "_" + id.String()
}

// chance reports whether a fault with probability rate fires. The caller
// holds s.mu.
func (s *Server) chance(rate float64) bool {
	return rate > 0 && s.rng.Float64() < rate
}

// merchant returns the merchant of an API key, creating it on first use. The
// caller holds s.mu.
func (s *Server) merchant(key string) *merchant {
	id := merchantID(key)
	m := s.state.Merchants[id]
	if m == nil {
		m = newMerchant(id, s.now(), s.balances)
		s.state.Merchants[id] = m
		s.dirty = true
		s.logger.Info("sandbox merchant created", "merchant_id", id)
	}
	return m
}

// markDirty records a change for the next save. The caller holds s.mu.
func (s *Server) markDirty() { s.dirty = true }

// timestamp formats a sandbox time as Anton does: RFC 3339 UTC with
// nanoseconds.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
