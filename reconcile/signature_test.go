package reconcile

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVerifier_Cases(t *testing.T) {
	const current, previous = "whsec_current", "whsec_previous"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"payout.completed","data":{"id":"pay_1"}}`)
	at := func(offset time.Duration) string { return strconv.FormatInt(now.Add(offset).Unix(), 10) }
	ts := at(0)

	changed := append([]byte(nil), body...)
	changed[len(changed)-3] = '2'

	tests := []struct {
		name      string
		secrets   []string
		timestamp string
		signature string
		body      []byte
		want      error
	}{
		{"valid", []string{current}, ts, signature(current, ts, body), body, nil},
		{"300 s old is inside", []string{current}, at(-300 * time.Second), signature(current, at(-300*time.Second), body), body, nil},
		{"301 s old", []string{current}, at(-301 * time.Second), signature(current, at(-301*time.Second), body), body, ErrTimestampOutside},
		{"301 s ahead", []string{current}, at(301 * time.Second), signature(current, at(301*time.Second), body), body, ErrTimestampOutside},
		{"rotation, second entry matches", []string{current}, ts,
			signature(previous, ts, body) + "," + signature(current, ts, body), body, nil},
		{"rotation, receiver has the previous secret only", []string{previous}, ts,
			signature(current, ts, body) + ", " + signature(previous, ts, body), body, nil},
		{"previous secret configured beside the current", []string{current, previous}, ts,
			signature(previous, ts, body), body, nil},
		{"body changed by one byte", []string{current}, ts, signature(current, ts, body), changed, ErrSignatureMismatch},
		{"wrong secret", []string{current}, ts, signature("whsec_other", ts, body), body, ErrSignatureMismatch},
		{"signed with another timestamp", []string{current}, ts, signature(current, at(-1*time.Second), body), body, ErrSignatureMismatch},
		{"missing signature", []string{current}, ts, "", body, ErrMissingSignature},
		{"missing timestamp", []string{current}, "", signature(current, ts, body), body, ErrMissingSignature},
		{"timestamp not a number", []string{current}, "12a4", signature(current, ts, body), body, ErrMalformedSignature},
		{"negative timestamp", []string{current}, "-" + ts, signature(current, ts, body), body, ErrMalformedSignature},
		{"no v1 entry", []string{current}, ts, "v0=" + strings.Repeat("ab", 32), body, ErrMalformedSignature},
		{"v1 entry not hex", []string{current}, ts, "v1=zz", body, ErrMalformedSignature},
		{"unknown version beside a valid entry", []string{current}, ts,
			"v2=abc," + signature(current, ts, body), body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			v.Now = func() time.Time { return now }
			err = v.Verify(tt.timestamp, tt.signature, tt.body)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify: %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewVerifier_NoSecret(t *testing.T) {
	if _, err := NewVerifier("", "  "); err == nil {
		t.Fatal("NewVerifier without secrets: err = nil, want an error")
	}
}
