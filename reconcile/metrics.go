package reconcile

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// Metrics are the monitoring figures payrun writes in Prometheus text format,
// for node_exporter's textfile collector or any scraper that reads files. A
// one-shot command writes them at its end, and webhooks serve also writes them
// periodically. All methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	// registerer adds the command label, if any, to every collector.
	registerer prometheus.Registerer
	// mu keeps Write from reading the ledger gauges while LoadLedger resets
	// and refills them.
	mu sync.Mutex

	Rows          *prometheus.GaugeVec
	Amounts       *prometheus.GaugeVec
	Requests      *prometheus.CounterVec
	RateLimited   prometheus.Counter
	Retries       prometheus.Counter
	Webhooks      *prometheus.CounterVec
	Balance       *prometheus.GaugeVec
	RunDuration   prometheus.Gauge
	LastSuccess   prometheus.Gauge
	LastExitCode  prometheus.Gauge
	PayoutsByStat *prometheus.GaugeVec

	// Webhook receiver figures, registered by RegisterWebhookMetrics.
	WebhookDeliveries prometheus.Counter
	WebhookRejected   *prometheus.CounterVec
	WebhookLastEvent  prometheus.Gauge

	// Status sync figures, registered by RegisterSyncMetrics.
	SyncChecked  prometheus.Counter
	SyncChanged  *prometheus.CounterVec
	SyncFailures prometheus.Counter
	LastSync     prometheus.Gauge
}

// NewMetrics returns empty metrics as payrun run writes them: without a
// command label, with the ledger, API and end-of-command figures, and the
// webhook outcome counter.
func NewMetrics() *Metrics {
	m := newMetrics("")
	m.registerer.MustRegister(m.Webhooks, m.LastSuccess)
	m.RegisterAPIMetrics()
	m.RegisterCommandEndMetrics()
	return m
}

// NewCommandMetrics returns empty metrics with the ledger figures only, whose
// series all carry the label command="<command>" (for example "sync"). The
// label lets the files of several commands share one textfile-collector
// directory without duplicate series. The Register methods add the other
// figures a command writes.
func NewCommandMetrics(command string) *Metrics {
	return newMetrics(command)
}

func newMetrics(command string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.registerer = m.reg
	if command != "" {
		m.registerer = prometheus.WrapRegistererWith(prometheus.Labels{"command": command}, m.reg)
	}
	m.Rows = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_rows",
		Help: "Ledger rows by state."}, []string{"state"})
	m.Amounts = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_amount",
		Help: "Sum of destination amounts of ledger rows, in major units, by currency and state."},
		[]string{"currency", "state"})
	m.PayoutsByStat = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_payouts",
		Help: "Recorded payouts by Anton status."}, []string{"status"})
	m.registerer.MustRegister(m.Rows, m.Amounts, m.PayoutsByStat)

	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_api_requests_total",
		Help: "HTTP attempts to Anton in this command, by status code (0 = no response)."}, []string{"code"})
	m.RateLimited = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_api_rate_limited_total",
		Help: "Attempts answered 429 in this command."})
	m.Retries = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_api_retries_total",
		Help: "Attempts after the first of a request in this command."})
	m.Balance = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_balance_available",
		Help: "Available Anton balance by currency, in major units."}, []string{"currency"})
	m.RunDuration = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_run_duration_seconds",
		Help: "Duration of the last command."})
	m.LastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_last_success_timestamp_seconds",
		Help: "Unix time of the last run that exited 0."})
	m.LastExitCode = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_last_exit_code",
		Help: "Exit code of the last command."})
	m.Webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_webhook_events_total",
		Help: "Webhook deliveries by outcome: applied, unchanged, stale, unknown_payout, ignored, duplicate, rejected or failed."},
		[]string{"outcome"})
	m.newWebhookCollectors()
	m.newSyncCollectors()
	return m
}

// RegisterAPIMetrics adds the figures of requests to Anton: attempts by
// status code, 429 responses, retries and balances.
func (m *Metrics) RegisterAPIMetrics() {
	m.registerer.MustRegister(m.Requests, m.RateLimited, m.Retries, m.Balance)
}

// RegisterCommandEndMetrics adds the duration and exit code of a command
// that ends.
func (m *Metrics) RegisterCommandEndMetrics() {
	m.registerer.MustRegister(m.RunDuration, m.LastExitCode)
}

func (m *Metrics) newWebhookCollectors() {
	m.WebhookDeliveries = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_webhook_deliveries_total",
		Help: "Webhook deliveries received, verified or not."})
	m.WebhookRejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_webhook_rejected_total",
		Help: "Webhook deliveries rejected without a ledger change, by reason: signature, timestamp, malformed, too_large, method or read."},
		[]string{"reason"})
	m.WebhookLastEvent = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_webhook_last_event_timestamp_seconds",
		Help: "Unix time of the last verified webhook event."})
}

func (m *Metrics) newSyncCollectors() {
	m.SyncChecked = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_sync_payouts_checked_total",
		Help: "Payouts whose status sync read from Anton."})
	m.SyncChanged = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_sync_status_changes_total",
		Help: "Payout status changes that sync recorded, by new status."}, []string{"status"})
	m.SyncFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_sync_lookup_failures_total",
		Help: "Payouts whose status sync could not read, including payouts Anton does not find."})
	m.LastSync = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_last_sync_timestamp_seconds",
		Help: "Unix time at which the last sync finished."})
}

// RegisterWebhookMetrics adds the webhook receiver figures.
func (m *Metrics) RegisterWebhookMetrics() {
	m.registerer.MustRegister(m.Webhooks, m.WebhookDeliveries, m.WebhookRejected, m.WebhookLastEvent)
}

// RegisterSyncMetrics adds the status sync figures.
func (m *Metrics) RegisterSyncMetrics() {
	m.registerer.MustRegister(m.SyncChecked, m.SyncChanged, m.SyncFailures, m.LastSync)
}

// The count methods below accept a nil *Metrics, so code paths without
// --metrics-file need no checks.

func (m *Metrics) countDelivery() {
	if m != nil {
		m.WebhookDeliveries.Inc()
	}
}

func (m *Metrics) countWebhook(outcome string) {
	if m != nil {
		m.Webhooks.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) countRejected(reason string) {
	if m != nil {
		m.Webhooks.WithLabelValues(WebhookRejected).Inc()
		m.WebhookRejected.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) markWebhookEvent(at time.Time) {
	if m != nil {
		m.WebhookLastEvent.Set(float64(at.Unix()))
	}
}

// LoadLedger sets the row, amount and payout gauges from the ledger. Each
// call replaces the previous figures, so it can run repeatedly.
func (m *Metrics) LoadLedger(ctx context.Context, led *state.Ledger) error {
	totals, err := led.RowTotals(ctx)
	if err != nil {
		return err
	}
	payouts, err := led.PayoutStatusCounts(ctx)
	if err != nil {
		return err
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.Rows.Reset()
	m.Amounts.Reset()
	m.PayoutsByStat.Reset()
	for _, s := range state.AllStates {
		m.Rows.WithLabelValues(string(s)).Set(0)
	}
	for _, t := range totals {
		m.Rows.WithLabelValues(string(t.State)).Add(float64(t.Rows))
		if t.Currency != "" {
			m.Amounts.WithLabelValues(t.Currency, string(t.State)).Set(majorUnits(payrun.FormatMinor(t.AmountMinor, t.Currency)))
		}
	}
	for status, n := range payouts {
		m.PayoutsByStat.WithLabelValues(status).Set(float64(n))
	}
	return nil
}

// SetBalance records an available balance given as a decimal string.
func (m *Metrics) SetBalance(currency, available string) {
	m.Balance.WithLabelValues(currency).Set(majorUnits(available))
}

// majorUnits converts a decimal string for a metric sample. Prometheus
// samples are float64 by definition; nothing computes with the result.
func majorUnits(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return v
}

// Write writes the metrics to path in Prometheus text format. The client
// library writes a temporary file and renames it, so scrapers never read a
// partial file.
func (m *Metrics) Write(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := prometheus.WriteToTextfile(path, m.reg); err != nil {
		return fmt.Errorf("write metrics file %s: %w", path, err)
	}
	return nil
}
