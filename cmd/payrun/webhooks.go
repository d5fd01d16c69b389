package main

import (
	"context"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/reconcile"
	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
	"github.com/payrun/payrun/submit/sandbox"
)

// Environment variables of the webhook secrets. They are never flags, so a
// secret never appears in a process list or shell history.
const (
	envWebhookSecret         = "ANTON_WEBHOOK_SECRET"
	envWebhookSecretPrevious = "ANTON_WEBHOOK_SECRET_PREVIOUS"
)

// shutdownGrace bounds how long webhooks serve waits for deliveries in
// progress after SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

func (a *app) webhooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Receive Anton webhooks, or create the webhook subscription",
	}
	cmd.AddCommand(a.webhooksServeCmd(), a.webhooksRegisterCmd())
	return cmd
}

// serveOptions are the flags of payrun webhooks serve.
type serveOptions struct {
	lo              ledgerOptions
	addr            string
	path            string
	tlsCert         string
	tlsKey          string
	metrics         string
	metricsInterval time.Duration
}

func (a *app) webhooksServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive Anton webhook deliveries and record payout statuses in the ledger",
		Long: `Serve receives Anton's webhook deliveries on --path. Each delivery is verified
before anything else: X-Webhook-Signature must hold a v1 HMAC-SHA256 of
X-Webhook-Timestamp + "." + the raw body under ANTON_WEBHOOK_SECRET (or, during
a secret rotation, ANTON_WEBHOOK_SECRET_PREVIOUS), and the timestamp must be
within 5 minutes of this machine's clock. Unverified deliveries get 401 (400
when malformed) and change nothing.

Each event id is recorded once, in the same ledger transaction as the payout
status it carries, and the 200 response follows the commit. A repeated event
gets 200 and changes nothing. A late event never moves a payout backwards.
Events of payouts the ledger does not know are recorded and acknowledged.

Plain HTTP is allowed only on a loopback address (for a local TLS proxy or
tests); any other address needs --tls-cert and --tls-key. It runs beside
payrun run and payrun sync. SIGINT or SIGTERM stops it after the deliveries
in progress, and it then exits 0. GET /healthz returns 200 while the ledger
is reachable.`,
		Example: `  ANTON_WEBHOOK_SECRET=whsec_... payrun webhooks serve --addr 127.0.0.1:8090
  payrun webhooks serve --addr :8443 --tls-cert /etc/payrun/tls.crt --tls-key /etc/payrun/tls.key \
      --metrics-file /var/lib/node_exporter/payrun-webhooks.prom`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.webhooksServe(cmd.Context(), o)
		},
	}
	o.lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address, host:port")
	f.StringVar(&o.path, "path", "/webhooks/anton", "URL path that receives the deliveries")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM), required on addresses that are not loopback")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM) of --tls-cert")
	f.StringVar(&o.metrics, "metrics-file", "", "write Prometheus text-format metrics to this file periodically and at shutdown")
	f.DurationVar(&o.metricsInterval, "metrics-interval", time.Minute, "how often to write --metrics-file")
	return cmd
}

// webhookVerifier reads the secrets from the environment.
func webhookVerifier() (*reconcile.Verifier, error) {
	current := strings.TrimSpace(os.Getenv(envWebhookSecret))
	if current == "" {
		return nil, usageError("%s is not set: set it to the secret that 'payrun webhooks register' printed (during a rotation, put the old one in %s)",
			envWebhookSecret, envWebhookSecretPrevious)
	}
	v, err := reconcile.NewVerifier(current, os.Getenv(envWebhookSecretPrevious))
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return v, nil
}

// check validates the flags and loads the TLS certificate, if any.
func (o *serveOptions) check() (*tls.Config, error) {
	if !strings.HasPrefix(o.path, "/") || o.path == "/healthz" {
		return nil, usageError("invalid --path %q: use an absolute path such as /webhooks/anton (not /healthz)", o.path)
	}
	if o.metrics != "" && o.metricsInterval <= 0 {
		return nil, usageError("invalid --metrics-interval %s: use a positive duration such as 1m", o.metricsInterval)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, usageError("--tls-cert and --tls-key go together: pass both, or neither on a loopback address")
	}
	if o.tlsCert == "" {
		if !sandbox.IsLoopbackAddr(o.addr) {
			return nil, usageError("--addr %s is not a loopback address, so plain HTTP would carry payout data unencrypted: pass --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS proxy", o.addr)
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, usageError("load TLS certificate %s and key %s: %v", o.tlsCert, o.tlsKey, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func (a *app) webhooksServe(ctx context.Context, o *serveOptions) error {
	verifier, err := webhookVerifier()
	if err != nil {
		return err
	}
	tlsConfig, err := o.check()
	if err != nil {
		return err
	}
	led, err := o.lo.open(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	log := a.logger.With("component", "webhooks")
	m := reconcile.NewCommandMetrics("webhooks_serve")
	m.RegisterWebhookMetrics()
	srv := newWebhookServer(led, reconcile.NewWebhookHandler(led, verifier, log, m), o.path, tlsConfig, log)

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usageError("listen on %s: %v: choose another --addr", o.addr, err)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	fmt.Fprintf(a.stdout, "listening on %s://%s%s\n", scheme, ln.Addr(), o.path)
	log.Info("webhook receiver started", "addr", ln.Addr().String(), "path", o.path, "tls", tlsConfig != nil,
		"ledger", led.Path(), "previous_secret", os.Getenv(envWebhookSecretPrevious) != "")
	every := time.Duration(0)
	if o.metrics != "" {
		every = o.metricsInterval
	}
	writeMetrics := func() { writeServeMetrics(ctx, led, m, o.metrics, log) }
	return serveUntilDone(ctx, srv, ln, tlsConfig != nil, every, writeMetrics, log)
}

// newWebhookServer routes the delivery path and /healthz. The timeouts bound
// slow clients; Anton itself gives up on a delivery after 30 seconds.
func newWebhookServer(led *state.Ledger, h http.Handler, path string, tlsConfig *tls.Config, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := led.DB().PingContext(r.Context()); err != nil {
			log.Error("health check failed: ledger not reachable", "error", err)
			http.Error(w, "ledger not reachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves until ctx ends (SIGINT or SIGTERM), then shuts down
// gracefully. It calls writeMetrics every interval (never when every is
// zero) and once at the end.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, useTLS bool, every time.Duration, writeMetrics func(), log *slog.Logger) error {
	served := make(chan error, 1)
	go func() {
		if useTLS {
			served <- srv.ServeTLS(ln, "", "")
			return
		}
		served <- srv.Serve(ln)
	}()

	var tick <-chan time.Time
	if every > 0 {
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case <-tick:
			writeMetrics()
		case err := <-served:
			writeMetrics()
			return fmt.Errorf("webhook receiver on %s stopped: %w", ln.Addr(), err)
		case <-ctx.Done():
			log.Info("webhook receiver shutting down", "grace", shutdownGrace.String())
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			err := srv.Shutdown(shutdownCtx)
			cancel()
			writeMetrics()
			if err != nil {
				log.Warn("deliveries still in progress at shutdown were cut off; Anton delivers them again", "error", err)
			}
			log.Info("webhook receiver stopped")
			return nil
		}
	}
}

// writeServeMetrics writes the metrics file at path, if one is set.
func writeServeMetrics(ctx context.Context, led *state.Ledger, m *reconcile.Metrics, path string, log *slog.Logger) {
	if path == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := m.LoadLedger(ctx, led); err != nil {
		log.Error("metrics not written", "path", path, "error", err)
		return
	}
	if err := m.Write(path); err != nil {
		log.Error("metrics not written", "path", path, "error", err)
	}
}

// webhookEventTypes is Anton's webhook event type enum, for expanding
// patterns such as payout.* in --events.
var webhookEventTypes = []string{
	"payout.created", "payout.approved", "payout.processing", "payout.sent", "payout.completed",
	"payout.failed", "payout.cancelled", "payout.returned", "payout.screening_failed",
	"payout.velocity_blocked", "beneficiary.created", "beneficiary.updated", "beneficiary.deleted",
	"beneficiary.blocked", "instrument.created", "instrument.updated", "instrument.deleted",
	"batch.uploaded", "batch.completed", "batch.failed", "fx.quote.created", "fx.exchange.created",
	"fx.exchange.completed", "fx.exchange.failed", "funding.credit", "screening.hit", "balance.low", "test",
}

// registerOptions are the flags of payrun webhooks register.
type registerOptions struct {
	apiKeyFile string
	events     []string
}

func (a *app) webhooksRegisterCmd() *cobra.Command {
	o := &registerOptions{}
	cmd := &cobra.Command{
		Use:   "register URL",
		Short: "Create the Anton webhook subscription for URL and print its secret once",
		Long: `Register sends POST /v1/webhooks for URL, the public https address of payrun
webhooks serve, and prints the subscription id and the signing secret. Anton
shows the secret only in this response, so store it in ANTON_WEBHOOK_SECRET
where payrun webhooks serve runs.

--events takes event types or patterns: payout.* expands to every payout event
type, * subscribes to all events. The Idempotency-Key is derived from the URL
and the events, so repeating the command within 24 hours returns the same
subscription instead of creating a second one.

It talks to ANTON_BASE_URL (default from the key) with ANTON_API_KEY or
--api-key-file, like payrun run without --sandbox.`,
		Example: `  ANTON_API_KEY=ak_live_... payrun webhooks register https://payrun.example.com/webhooks/anton
  payrun webhooks register https://payrun.example.com/webhooks/anton --events payout.completed,payout.failed,payout.returned`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.webhooksRegister(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.apiKeyFile, "api-key-file", "", "read the Anton API key from this file instead of ANTON_API_KEY")
	f.StringSliceVar(&o.events, "events", []string{"payout.*"}, "event types or patterns to subscribe to, comma-separated")
	return cmd
}

func (a *app) webhooksRegister(ctx context.Context, o *registerOptions, target string) error {
	if err := checkWebhookURL(target); err != nil {
		return err
	}
	events, err := expandEvents(o.events)
	if err != nil {
		return err
	}
	api, err := a.openAPI(ctx, &apiOptions{apiKeyFile: o.apiKeyFile, retryBudget: 10}, nil, nil)
	if err != nil {
		return err
	}
	defer api.Close()

	sub, err := api.client.CreateWebhook(ctx, webhookKey(target, events), &submit.WebhookRequest{URL: target, Events: events})
	if err != nil {
		return registerError(err)
	}
	a.logger.Info("webhook subscription created", "webhook_id", sub.ID, "url", sub.URL, "events", len(sub.Events))

	fmt.Fprintf(a.stdout, "webhook subscription %s (%s) for %s\n", sub.ID, sub.Status, sub.URL)
	fmt.Fprintf(a.stdout, "events: %s\n", strings.Join(sub.Events, ", "))
	if sub.Secret == "" {
		fmt.Fprintln(a.stdout, "Anton returned no secret: rotate it with POST /v1/webhooks/"+sub.ID+"/secret/rotate to get one")
		return withCode(exitStopped, nil)
	}
	fmt.Fprintf(a.stdout, "secret: %s\n", sub.Secret)
	fmt.Fprintf(a.stdout, "Store this secret now in %s where 'payrun webhooks serve' runs; Anton does not show it again.\n", envWebhookSecret)
	return nil
}

// checkWebhookURL rejects a URL that is not absolute http or https. Anton
// itself requires a public https URL and rejects the rest with a 400.
func checkWebhookURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageError("invalid webhook URL %q: use the public https URL of payrun webhooks serve, such as https://payrun.example.com/webhooks/anton", target)
	}
	return nil
}

// expandEvents expands patterns such as payout.* and removes duplicates.
// "*" stays as it is, since Anton accepts it for all events.
func expandEvents(patterns []string) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			continue
		case p == "*":
			return []string{"*"}, nil
		case strings.HasSuffix(p, ".*"):
			prefix := strings.TrimSuffix(p, "*")
			n := 0
			for _, t := range webhookEventTypes {
				if strings.HasPrefix(t, prefix) {
					seen[t], n = true, n+1
				}
			}
			if n == 0 {
				return nil, usageError("--events pattern %q matches no Anton event type: use payout.*, * or types such as payout.completed", p)
			}
		case slices.Contains(webhookEventTypes, p):
			seen[p] = true
		default:
			return nil, usageError("unknown event type %q in --events: use payout.*, * or types such as payout.completed", p)
		}
	}
	if len(seen) == 0 {
		return nil, usageError("--events is empty: use payout.* for every payout event")
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// webhookKey derives the Idempotency-Key of a subscription from its URL and
// sorted events, so Anton replays the first response to a repeated register.
func webhookKey(target string, events []string) string {
	sum := payrun.HashParts(append([]string{"webhook", target}, events...)...)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return "payrun-webhook-" + strings.ToLower(enc.EncodeToString(sum[:20]))
}

// registerError maps a failed POST /v1/webhooks to an exit code. A URL or
// event list that Anton rejects is a usage error (2), and anything else
// stops (4).
func registerError(err error) error {
	switch submit.Classify(err) {
	case submit.OutcomeRejected:
		return withCode(exitUsage, fmt.Errorf("create webhook subscription: %w", err))
	case submit.OutcomeOK:
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return withCode(exitInterrupted, errors.New("create webhook subscription: interrupted"))
	}
	return withCode(exitStopped, fmt.Errorf("create webhook subscription: %w", err))
}
