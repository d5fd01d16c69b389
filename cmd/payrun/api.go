package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
	"github.com/payrun/payrun/submit/sandbox"
)

// apiOptions are the flags of every command that talks to Anton.
type apiOptions struct {
	sandbox     bool
	apiKeyFile  string
	rate        int
	concurrency int
	namespace   string
	retryBudget int
	// sandboxState is the sandbox state file; empty means beside the ledger.
	sandboxState string
}

func (o *apiOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.sandbox, "sandbox", false,
		"run against the built-in sandbox (in-process on a loopback port, state in payrun-sandbox.state beside the ledger). The ledger is payrun-sandbox.db in the working directory unless --ledger is given: PAYRUN_LEDGER and the config file's ledger are not used")
	f.StringVar(&o.apiKeyFile, "api-key-file", "",
		"read the Anton API key from this file instead of ANTON_API_KEY")
	f.IntVar(&o.rate, "rate", 0,
		"maximum requests per minute to Anton (default: the merchant's rate_limit_per_minute, less 2%)")
	f.IntVar(&o.concurrency, "concurrency", 8, "number of payouts sent at the same time")
	f.StringVar(&o.namespace, "key-namespace", "",
		"idempotency key namespace (default: the API environment: live, test or sandbox)")
	f.IntVar(&o.retryBudget, "retry-budget", 2000, "maximum retries of all requests in one run")
}

// apiSession is a configured Anton client, with the sandbox it runs against
// when --sandbox is set.
type apiSession struct {
	client    *submit.Client
	clock     *submit.AntonClock
	namespace string
	sandbox   *sandbox.Server
	baseURL   string
}

func (s *apiSession) Close() {
	if s.sandbox != nil {
		s.sandbox.Close()
	}
}

// inProcessSandboxRate is the rate limit of the sandbox that --sandbox starts.
const inProcessSandboxRate = 5000

// metaSandboxKey is the ledger meta key of the sandbox API key, so every run
// against one sandbox ledger is the same sandbox merchant.
const metaSandboxKey = "sandbox_api_key"

// openAPI builds the client: against an in-process sandbox, or against the
// URL and key from the environment. A ledger, when given, must belong to the
// same kind of API (see claimLedgerAPI).
func (a *app) openAPI(ctx context.Context, o *apiOptions, led *state.Ledger, observe func(submit.Attempt)) (*apiSession, error) {
	if led != nil {
		if err := a.claimLedgerAPI(ctx, led, o.sandbox); err != nil {
			return nil, err
		}
	}

	s := &apiSession{clock: submit.NewAntonClock()}
	key, baseURL, err := a.apiEndpoint(ctx, o, led, s)
	if err != nil {
		return nil, err
	}
	auth, err := submit.NewBearerKey(key)
	if err != nil {
		s.Close()
		return nil, withCode(exitUsage, err)
	}
	s.namespace = o.namespace
	if s.namespace == "" {
		s.namespace = auth.Environment()
		if o.sandbox {
			s.namespace = "sandbox"
		}
	}
	// 2% under the limit: Anton counts a rolling 60-second window, and the
	// bucket's burst of a tenth of a second's requests stays inside it.
	limiter := submit.NewLimiter(1000, 0.98)
	if o.rate > 0 {
		limiter.SetMaxRate(o.rate)
	}
	s.client, err = submit.NewClient(submit.Config{
		BaseURL: baseURL,
		Auth:    auth,
		Limiter: limiter,
		Retry:   submit.RetryPolicy{Budget: submit.NewRetryBudget(o.retryBudget)},
		Breaker: submit.NewBreaker(10),
		Logger:  a.logger,
		Observe: func(at submit.Attempt) {
			s.clock.Observe(at.Date)
			if observe != nil {
				observe(at)
			}
		},
	})
	if err != nil {
		s.Close()
		return nil, withCode(exitUsage, err)
	}
	s.baseURL = baseURL
	return s, nil
}

func (a *app) apiEndpoint(ctx context.Context, o *apiOptions, led *state.Ledger, s *apiSession) (key, baseURL string, err error) {
	if o.sandbox {
		if os.Getenv("ANTON_BASE_URL") != "" {
			return "", "", usageError("ANTON_BASE_URL is set together with --sandbox: unset ANTON_BASE_URL to use the built-in sandbox, or drop --sandbox to use that URL")
		}
		return a.startSandbox(ctx, o, led, s)
	}
	key, err = apiKey(o.apiKeyFile)
	if err != nil {
		return "", "", withCode(exitUsage, err)
	}
	baseURL = os.Getenv("ANTON_BASE_URL")
	if baseURL == "" {
		baseURL = submit.DefaultBaseURL(key)
	}
	return key, strings.TrimRight(baseURL, "/"), nil
}

func (a *app) startSandbox(ctx context.Context, o *apiOptions, led *state.Ledger, s *apiSession) (string, string, error) {
	key, err := led.GetMeta(ctx, metaSandboxKey)
	if err != nil {
		return "", "", err
	}
	if key == "" {
		key = sandbox.NewTestKey()
		if err := led.SetMeta(ctx, metaSandboxKey, key); err != nil {
			return "", "", err
		}
	}
	statePath := o.sandboxState
	if statePath == "" {
		statePath = filepath.Join(filepath.Dir(led.Path()), "payrun-sandbox.state")
	}
	// The in-process sandbox is a merchant of Anton's 5x tier (5,000 requests a
	// minute), so demos do not wait on the base tier's pacing. payrun still
	// paces itself by the limit that GET /v1/merchant reports.
	srv, err := sandbox.New(sandbox.Options{Addr: "127.0.0.1:0", StateFile: statePath,
		RateLimit: inProcessSandboxRate, Logger: a.logger.With("component", "sandbox")})
	if err != nil {
		return "", "", fmt.Errorf("start the built-in sandbox: %w", err)
	}
	if err := srv.Start(); err != nil {
		return "", "", fmt.Errorf("start the built-in sandbox: %w", err)
	}
	s.sandbox = srv
	a.logger.Info("sandbox started", "url", srv.URL(), "state_file", statePath)
	return key, srv.URL(), nil
}

// apiKey reads the API key from --api-key-file or ANTON_API_KEY. There is no
// key flag, so a key never appears in a process list or shell history.
func apiKey(file string) (string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read API key file: %w", err)
		}
		key := strings.TrimSpace(string(data))
		if key == "" {
			return "", fmt.Errorf("API key file %s is empty: put the ak_test_ or ak_live_ key in it", file)
		}
		return key, nil
	}
	key := strings.TrimSpace(os.Getenv("ANTON_API_KEY"))
	if key == "" {
		return "", errors.New("no Anton API key: set ANTON_API_KEY (ak_test_… or ak_live_…), pass --api-key-file, or use --sandbox")
	}
	return key, nil
}

// sizeRateLimit sets the limiter from GET /v1/merchant unless --rate is set.
func sizeRateLimit(ctx context.Context, s *apiSession, o *apiOptions, log *slog.Logger) error {
	m, err := s.client.Merchant(ctx)
	if err != nil {
		return err
	}
	if o.rate == 0 && m.RateLimitPerMinute > 0 {
		s.client.Limiter().SetLimit(m.RateLimitPerMinute)
	}
	log.Info("merchant", "merchant_id", m.ID, "status", m.Status,
		"rate_limit_per_minute", m.RateLimitPerMinute, "pacing_per_minute", int(s.client.Limiter().Rate()))
	return nil
}

// stampNow returns the current UTC time in RFC 3339.
func stampNow() string { return time.Now().UTC().Format(time.RFC3339) }
