package main

import (
	"strings"
	"testing"
)

func TestS3Report_CommandWritesToBucket(t *testing.T) {
	e := newS3Env(t)
	e.upload(t, "inbox/june.csv", "june.csv", true)
	if code, stdout, stderr := e.run(t, "s3://payouts/inbox/"); code != exitOK {
		t.Fatalf("run exit=%d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr := runPayrun(t, e.dir, "report", "--ledger", e.ledger, "--format", "csv,xlsx",
		"--out", "s3://payouts/finance/", "--s3-endpoint", e.srv.URL)
	if code != exitOK {
		t.Fatalf("report exit=%d\n%s\n%s", code, stdout, stderr)
	}
	keys := e.keys(t, "finance/")
	if len(keys) != 2 {
		t.Fatalf("report keys = %v, want one csv and one xlsx", keys)
	}
	for _, k := range keys {
		if !strings.Contains(stdout, k) {
			t.Errorf("output does not name %s:\n%s", k, stdout)
		}
	}
}
