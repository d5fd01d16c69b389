package state

import (
	"context"
	"testing"
)

// submittedPayout records a pending row and its payout in status.
func submittedPayout(t *testing.T, l *Ledger, payoutID, status, updatedAt string) *Row {
	t.Helper()
	addFile(t, l, "cccccccccccc")
	r := pendingRow("cccccccccccc", 2, "INV-"+payoutID, "h-"+payoutID)
	record(t, l, r)
	err := l.MarkSubmitted(context.Background(), r.ID, &Payout{ID: payoutID, Reference: r.Reference,
		Status: status, CreatedAt: updatedAt, AntonUpdatedAt: updatedAt})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestApplyWebhookEvent_Outcomes(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	submittedPayout(t, l, "pay_1", "pending_screening", "2026-05-01T10:00:00Z")

	steps := []struct {
		name    string
		ev      WebhookEvent
		want    string
		wantNow string
	}{
		{"sent applies", WebhookEvent{ID: "evt_1", Type: "payout.sent",
			Update: &StatusUpdate{PayoutID: "pay_1", Status: "sent", AntonUpdatedAt: "2026-05-01T10:00:05Z"}},
			UpdateApplied, "sent"},
		{"same id again", WebhookEvent{ID: "evt_1", Type: "payout.sent",
			Update: &StatusUpdate{PayoutID: "pay_1", Status: "failed", AntonUpdatedAt: "2026-05-01T10:00:09Z"}},
			UpdateDuplicate, "sent"},
		{"older processing", WebhookEvent{ID: "evt_2", Type: "payout.processing",
			Update: &StatusUpdate{PayoutID: "pay_1", Status: "processing", AntonUpdatedAt: "2026-05-01T10:00:04Z"}},
			UpdateStale, "sent"},
		{"completed", WebhookEvent{ID: "evt_3", Type: "payout.completed",
			Update: &StatusUpdate{PayoutID: "pay_1", Status: "completed", AntonUpdatedAt: "2026-05-01T10:00:06Z"}},
			UpdateApplied, "completed"},
		{"failed after completed", WebhookEvent{ID: "evt_4", Type: "payout.failed",
			Update: &StatusUpdate{PayoutID: "pay_1", Status: "failed", AntonUpdatedAt: "2026-05-01T10:00:07Z"}},
			UpdateUnchanged, "completed"},
		{"unknown payout", WebhookEvent{ID: "evt_5", Type: "payout.completed",
			Update: &StatusUpdate{PayoutID: "pay_other", Status: "completed"}},
			UpdateUnknownPayout, "completed"},
		{"not a payout event", WebhookEvent{ID: "evt_6", Type: "beneficiary.created"},
			UpdateIgnored, "completed"},
	}
	for _, s := range steps {
		got, err := l.ApplyWebhookEvent(ctx, s.ev)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: outcome %s, want %s", s.name, got, s.want)
		}
		p, _ := l.PayoutByID(ctx, "pay_1")
		if p.Status != s.wantNow {
			t.Errorf("%s: payout status %s, want %s", s.name, p.Status, s.wantNow)
		}
	}

	var events int
	if err := l.DB().QueryRow(`SELECT COUNT(*) FROM webhook_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 6 {
		t.Errorf("webhook_events has %d rows, want 6 (the duplicate is not stored)", events)
	}
	var outcome string
	if err := l.DB().QueryRow(`SELECT outcome FROM webhook_events WHERE id = 'evt_5'`).Scan(&outcome); err != nil {
		t.Fatal(err)
	}
	if outcome != UpdateUnknownPayout {
		t.Errorf("stored outcome of evt_5 = %s, want %s", outcome, UpdateUnknownPayout)
	}
}

func TestApplyWebhookEvent_EmptyID(t *testing.T) {
	l := openTest(t)
	if _, err := l.ApplyWebhookEvent(context.Background(), WebhookEvent{Type: "test"}); err == nil {
		t.Fatal("ApplyWebhookEvent with an empty id: err = nil, want an error")
	}
}

func TestApplyPayoutUpdate_CompletedToReturned(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	r := submittedPayout(t, l, "pay_2", "completed", "2026-05-01T10:00:00Z")

	got, err := l.ApplyPayoutUpdate(ctx, StatusUpdate{PayoutID: "pay_2", Status: "returned",
		FailureMessage: "returned by bank", AntonUpdatedAt: "2026-05-02T10:00:00Z", Source: "sync"})
	if err != nil {
		t.Fatal(err)
	}
	if got != UpdateApplied {
		t.Errorf("outcome %s, want %s", got, UpdateApplied)
	}
	p, _ := l.PayoutByID(ctx, "pay_2")
	if p.Status != "returned" || p.StatusSource != "sync" || p.FailureMessage != "returned by bank" {
		t.Errorf("payout = %s from %s (%q), want returned from sync with the message", p.Status, p.StatusSource, p.FailureMessage)
	}
	row, _ := l.Row(ctx, r.ID)
	if row.AntonStatus != "returned" {
		t.Errorf("row anton_status = %s, want returned", row.AntonStatus)
	}
}

func TestPayoutsToSync_SkipsTerminal(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	for _, p := range []struct{ id, status, created string }{
		{"pay_b", "sent", "2026-05-02T00:00:00Z"},
		{"pay_a", "processing", "2026-05-01T00:00:00Z"},
		{"pay_c", "completed", "2026-05-03T00:00:00Z"},
	} {
		if _, err := l.AdoptPayout(ctx, &Payout{ID: p.id, Reference: "R-" + p.id, Status: p.status, CreatedAt: p.created}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.PayoutsToSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "pay_a" || got[1].ID != "pay_b" {
		t.Fatalf("PayoutsToSync = %+v, want pay_a then pay_b", got)
	}
	n, err := l.CountPayoutsCreatedSince(ctx, "2026-05-02T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("CountPayoutsCreatedSince = %d, want 2", n)
	}
}

func TestRowTotals_ByStateAndCurrency(t *testing.T) {
	ctx := context.Background()
	l := openTest(t)
	addFile(t, l, "dddddddddddd")
	a := pendingRow("dddddddddddd", 2, "A", "ha")
	b := pendingRow("dddddddddddd", 3, "B", "hb")
	bad := &Row{FileID: "dddddddddddd", RowNum: 4, LineNum: 4, Reference: "C", State: Invalid}
	record(t, l, a, b, bad)

	totals, err := l.RowTotals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[State]RowTotal{
		Pending: {State: Pending, Currency: "EUR", Rows: 2, AmountMinor: 2500},
		Invalid: {State: Invalid, Currency: "", Rows: 1, AmountMinor: 0},
	}
	if len(totals) != len(want) {
		t.Fatalf("RowTotals = %+v, want %d entries", totals, len(want))
	}
	for _, got := range totals {
		if got != want[got.State] {
			t.Errorf("RowTotals entry %+v, want %+v", got, want[got.State])
		}
	}
}
