package reconcile

import (
	"context"
	"net/http"
	"testing"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
)

func TestSync_RepairsMissedWebhook(t *testing.T) {
	e := startSandbox(t)
	ben, ins := e.payee()
	led := openLedger(t)
	addFile(t, led, "bbbbbbbbbbbb", `{}`, 0, 0)
	// No webhook subscription exists, so only sync can learn the outcomes.
	paid := e.payout(ben, ins, "SYNC-1", "10.00")
	failed := e.payout(ben, ins, "FAIL-SYNC-2", "10.00")
	recordPayout(t, led, "bbbbbbbbbbbb", 2, paid)
	recordPayout(t, led, "bbbbbbbbbbbb", 3, failed)
	e.advance("2h")

	m := NewCommandMetrics("sync")
	m.RegisterSyncMetrics()
	s := &Syncer{Ledger: led, Client: e.client, Metrics: m}
	res, err := s.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if res.Checked != 2 || res.Changed != 2 {
		t.Errorf("checked %d, changed %d; want 2 and 2", res.Checked, res.Changed)
	}
	if res.ByStatus["completed"] != 1 || res.ByStatus["failed"] != 1 {
		t.Errorf("by status %v, want one completed and one failed", res.ByStatus)
	}
	if got := payoutStatus(t, led, paid.ID); got != "completed" {
		t.Errorf("payout %s status %s, want completed", paid.ID, got)
	}
	if got := payoutStatus(t, led, failed.ID); got != "failed" {
		t.Errorf("payout %s status %s, want failed", failed.ID, got)
	}
	p, _ := led.PayoutByID(context.Background(), failed.ID)
	if p.StatusSource != "sync" || p.FailureMessage == "" {
		t.Errorf("failed payout: source %q, message %q; want sync and Anton's reason", p.StatusSource, p.FailureMessage)
	}
	if got := metricValue(m.SyncChanged.WithLabelValues("completed")); got != 1 {
		t.Errorf("sync changes{status=completed} = %v, want 1", got)
	}

	again, err := s.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Checked != 0 {
		t.Errorf("second sync checked %d payouts, want 0: both are terminal", again.Checked)
	}
}

func TestSync_ListOrLookups(t *testing.T) {
	tests := []struct {
		name       string
		payouts    int
		wantListed bool
	}{
		{"one payout is looked up", 1, false},
		{"three payouts fit one page", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startSandbox(t)
			ben, ins := e.payee()
			led := openLedger(t)
			addFile(t, led, "bbbbbbbbbbbb", `{}`, 0, 0)
			var ids []string
			for i := range tt.payouts {
				p := e.payout(ben, ins, "LIST-"+string(rune('A'+i)), "10.00")
				recordPayout(t, led, "bbbbbbbbbbbb", i+2, p)
				ids = append(ids, p.ID)
			}
			e.advance("2h")

			res, err := (&Syncer{Ledger: led, Client: e.client}).Sync(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Listed != tt.wantListed {
				t.Errorf("listed %v, want %v", res.Listed, tt.wantListed)
			}
			if res.Changed != tt.payouts {
				t.Errorf("changed %d, want %d", res.Changed, tt.payouts)
			}
			for _, id := range ids {
				if got := payoutStatus(t, led, id); got != "completed" {
					t.Errorf("payout %s status %s, want completed", id, got)
				}
			}
		})
	}
}

func TestSync_PayoutMissingInAnton(t *testing.T) {
	e := startSandbox(t)
	led := openLedger(t)
	_, err := led.AdoptPayout(context.Background(), &state.Payout{ID: "pay_01HX8ZNOTINSANDBOX", Reference: "GONE-1",
		Status: "processing", CreatedAt: "2026-05-01T10:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Syncer{Ledger: led, Client: e.client}).Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if res.Missing != 1 || res.Checked != 0 {
		t.Errorf("missing %d, checked %d; want 1 and 0", res.Missing, res.Checked)
	}
	if got := payoutStatus(t, led, "pay_01HX8ZNOTINSANDBOX"); got != "processing" {
		t.Errorf("status %s, want processing (unchanged)", got)
	}
}

func TestSync_StopsOnRevokedKey(t *testing.T) {
	e := startSandbox(t)
	ben, ins := e.payee()
	led := openLedger(t)
	addFile(t, led, "bbbbbbbbbbbb", `{}`, 0, 0)
	recordPayout(t, led, "bbbbbbbbbbbb", 2, e.payout(ben, ins, "REVOKE-1", "10.00"))
	e.call(http.MethodPost, "/_sandbox/keys/revoke", "", map[string]string{"key": e.key}, nil)

	_, err := (&Syncer{Ledger: led, Client: e.client}).Sync(context.Background())
	if submit.Classify(err) != submit.OutcomeStopRun {
		t.Fatalf("Sync with a revoked key: err = %v, want an authentication error", err)
	}
}
