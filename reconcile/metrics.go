package reconcile

import (
	"context"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/state"
)

// Metrics are the monitoring figures payrun writes in Prometheus text format
// at the end of a command, for node_exporter's textfile collector or any
// scraper that reads files.
type Metrics struct {
	reg *prometheus.Registry

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
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.Rows = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_rows",
		Help: "Ledger rows by state."}, []string{"state"})
	m.Amounts = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_amount",
		Help: "Sum of destination amounts of ledger rows, in major units, by currency and state."},
		[]string{"currency", "state"})
	m.PayoutsByStat = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_payouts",
		Help: "Recorded payouts by Anton status."}, []string{"status"})
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_api_requests_total",
		Help: "HTTP attempts to Anton in this command, by status code (0 = no response)."}, []string{"code"})
	m.RateLimited = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_api_rate_limited_total",
		Help: "Attempts answered 429 in this command."})
	m.Retries = prometheus.NewCounter(prometheus.CounterOpts{Name: "payrun_api_retries_total",
		Help: "Attempts after the first of a request in this command."})
	m.Webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payrun_webhook_events_total",
		Help: "Webhook deliveries received, by outcome (applied, duplicate, rejected)."}, []string{"outcome"})
	m.Balance = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payrun_balance_available",
		Help: "Available Anton balance by currency, in major units."}, []string{"currency"})
	m.RunDuration = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_run_duration_seconds",
		Help: "Duration of the last command."})
	m.LastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_last_success_timestamp_seconds",
		Help: "Unix time of the last run that exited 0."})
	m.LastExitCode = prometheus.NewGauge(prometheus.GaugeOpts{Name: "payrun_last_exit_code",
		Help: "Exit code of the last command."})
	m.reg.MustRegister(m.Rows, m.Amounts, m.PayoutsByStat, m.Requests, m.RateLimited, m.Retries,
		m.Webhooks, m.Balance, m.RunDuration, m.LastSuccess, m.LastExitCode)
	return m
}

// LoadLedger sets the row, amount and payout gauges from the ledger.
func (m *Metrics) LoadLedger(ctx context.Context, led *state.Ledger) error {
	rows, err := led.ReportRows(ctx, state.ReportFilter{})
	if err != nil {
		return err
	}
	for _, s := range state.AllStates {
		m.Rows.WithLabelValues(string(s)).Set(0)
	}
	sums := map[[2]string]int64{}
	for _, r := range rows {
		m.Rows.WithLabelValues(string(r.State)).Inc()
		if r.Currency != "" {
			sums[[2]string{r.Currency, string(r.State)}] += r.AmountMinor
		}
		if r.PayoutID != "" && r.State == state.Submitted {
			m.PayoutsByStat.WithLabelValues(r.AntonStatus).Inc()
		}
	}
	for k, minor := range sums {
		m.Amounts.WithLabelValues(k[0], k[1]).Set(majorUnits(payrun.FormatMinor(minor, k[0])))
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
	if err := prometheus.WriteToTextfile(path, m.reg); err != nil {
		return fmt.Errorf("write metrics file %s: %w", path, err)
	}
	return nil
}
