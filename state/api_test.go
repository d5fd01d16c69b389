package state

import (
	"context"
	"testing"
)

func TestClaimAPI_FirstUseWins(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()

	recorded, err := l.RecordedAPI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if recorded != "" {
		t.Errorf("RecordedAPI of a new ledger = %q, want none", recorded)
	}

	got, err := l.ClaimAPI(ctx, APISandbox)
	if err != nil {
		t.Fatal(err)
	}
	if got != APISandbox {
		t.Errorf("first ClaimAPI(sandbox) = %q, want sandbox", got)
	}
	got, err = l.ClaimAPI(ctx, APIAnton)
	if err != nil {
		t.Fatal(err)
	}
	if got != APISandbox {
		t.Errorf("ClaimAPI(anton) on a sandbox ledger = %q, want the recorded sandbox", got)
	}
	if recorded, _ := l.RecordedAPI(ctx); recorded != APISandbox {
		t.Errorf("RecordedAPI after both claims = %q, want sandbox", recorded)
	}
}

func TestClaimAPI_SurvivesReopen(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	if _, err := l.ClaimAPI(ctx, APIAnton); err != nil {
		t.Fatal(err)
	}
	path := l.Path()
	l.Close()

	reopened, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if recorded, _ := reopened.RecordedAPI(ctx); recorded != APIAnton {
		t.Errorf("RecordedAPI after reopen = %q, want anton", recorded)
	}
}

func TestClaimAPI_UnknownAPI(t *testing.T) {
	l := openTest(t)
	if _, err := l.ClaimAPI(context.Background(), "live"); err == nil {
		t.Errorf("ClaimAPI(live) succeeded, want an error")
	}
	if _, err := l.DB().Exec(`INSERT INTO ledger_api (id, api, recorded_at) VALUES (2, 'anton', 'x')`); err == nil {
		t.Errorf("a second ledger_api row was accepted, want the id = 1 check to reject it")
	}
}

func TestHasData_NewAndUsedLedger(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	used, err := l.HasData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if used {
		t.Errorf("HasData of a new ledger = true, want false")
	}

	addFile(t, l, "aaaaaaaaaaaa")
	used, err = l.HasData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !used {
		t.Errorf("HasData after adding a file = false, want true")
	}
}
