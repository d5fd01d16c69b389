package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseMetricsFile parses a metrics file as Prometheus text format.
func parseMetricsFile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file is not Prometheus text format: %v", err)
	}
	return families
}

// sample returns the value of the series of a family whose labels include
// want, or -1.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	fam := families[name]
	if fam == nil {
		return -1
	}
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return -1
}

func TestMetrics_WebhookFileParses(t *testing.T) {
	e := newHandlerEnv(t)
	e.send(t, "evt_1", "payout.completed", payoutData("pay_1", "completed", "2026-05-01T10:05:00Z"))
	e.send(t, "evt_1", "payout.completed", payoutData("pay_1", "completed", "2026-05-01T10:05:00Z"))
	serve(e.handler, signedRequest("evt_2", "payout.failed", "1", "v1=00", []byte("{}")))

	// Loading the ledger twice must not count anything twice.
	for range 2 {
		if err := e.metrics.LoadLedger(context.Background(), e.led); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "payrun.prom")
	if err := e.metrics.Write(path); err != nil {
		t.Fatal(err)
	}
	families := parseMetricsFile(t, path)

	cmd := map[string]string{"command": "webhooks_serve"}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"payrun_webhook_deliveries_total", nil, 3},
		{"payrun_webhook_events_total", map[string]string{"outcome": "applied"}, 1},
		{"payrun_webhook_events_total", map[string]string{"outcome": "duplicate"}, 1},
		{"payrun_webhook_events_total", map[string]string{"outcome": "rejected"}, 1},
		{"payrun_webhook_rejected_total", map[string]string{"reason": "malformed"}, 1},
		{"payrun_payouts", map[string]string{"status": "completed"}, 1},
		{"payrun_rows", map[string]string{"state": "submitted"}, 1},
		{"payrun_rows", map[string]string{"state": "pending"}, 0},
		{"payrun_amount", map[string]string{"currency": "EUR", "state": "submitted"}, 10},
	}
	for _, c := range checks {
		labels := map[string]string{"command": "webhooks_serve"}
		for k, v := range c.labels {
			labels[k] = v
		}
		if got := sample(families, c.name, labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, labels, got, c.want)
		}
	}
	if got := sample(families, "payrun_webhook_last_event_timestamp_seconds", cmd); got <= 0 {
		t.Errorf("last event timestamp %v, want a Unix time", got)
	}
	for _, name := range []string{"payrun_sync_payouts_checked_total", "payrun_last_success_timestamp_seconds",
		"payrun_last_exit_code", "payrun_api_retries_total"} {
		if _, ok := families[name]; ok {
			t.Errorf("%s present in the webhook receiver's file", name)
		}
	}
}

func TestMetrics_RunFileHasNoCommandLabel(t *testing.T) {
	led, _ := reportLedger(t)
	m := NewMetrics()
	if err := m.LoadLedger(context.Background(), led); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.prom")
	if err := m.Write(path); err != nil {
		t.Fatal(err)
	}
	families := parseMetricsFile(t, path)
	if got := sample(families, "payrun_rows", map[string]string{"state": "invalid"}); got != 1 {
		t.Errorf("payrun_rows{state=invalid} = %v, want 1", got)
	}
	for _, l := range families["payrun_rows"].GetMetric()[0].GetLabel() {
		if l.GetName() == "command" {
			t.Errorf("run metrics carry a command label")
		}
	}
	if _, ok := families["payrun_webhook_deliveries_total"]; ok {
		t.Error("webhook receiver metrics present in the run's file")
	}
	for _, name := range []string{"payrun_last_success_timestamp_seconds", "payrun_last_exit_code", "payrun_api_retries_total"} {
		if _, ok := families[name]; !ok {
			t.Errorf("%s missing from the run's file", name)
		}
	}
}
