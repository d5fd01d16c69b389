package reconcile

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureTolerance is the maximum distance, either way, between a
// delivery's X-Webhook-Timestamp and the receiver's clock. Anton's signing
// guide rejects deliveries outside five minutes.
const SignatureTolerance = 300 * time.Second

// Errors of Verifier.Verify. ErrMalformedSignature means the headers cannot be
// read at all (HTTP 400); the others mean the delivery is not authentic or too
// old (HTTP 401).
var (
	ErrMalformedSignature = errors.New("malformed webhook signature headers")
	ErrMissingSignature   = errors.New("missing webhook signature")
	ErrTimestampOutside   = errors.New("webhook timestamp outside the allowed window")
	ErrSignatureMismatch  = errors.New("no webhook signature matches a configured secret")
)

// Verifier checks Anton's webhook signatures: X-Webhook-Signature holds one
// or more comma-separated "v1=<hex>" entries, each the HMAC-SHA256 of
// X-Webhook-Timestamp + "." + the raw body, keyed with the full secret string
// (whsec_… as bytes). A delivery is authentic when any entry matches any
// secret, which covers a secret rotation from either side.
type Verifier struct {
	secrets [][]byte
	// Now is the receiver's clock; nil means time.Now.
	Now func() time.Time
	// Tolerance is the allowed clock distance; zero means SignatureTolerance.
	Tolerance time.Duration
}

// NewVerifier returns a Verifier for the current secret and, during a
// rotation, the previous one. Empty secrets are left out; at least one must
// remain.
func NewVerifier(secrets ...string) (*Verifier, error) {
	v := &Verifier{}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	if len(v.secrets) == 0 {
		return nil, errors.New("no webhook secret: set ANTON_WEBHOOK_SECRET to the secret that 'payrun webhooks register' printed")
	}
	return v, nil
}

// Verify checks the timestamp and signature headers of a delivery against
// its raw body. The body must be the bytes as received: decoding and
// re-encoding JSON changes them and breaks the signature.
func (v *Verifier) Verify(timestamp, signature string, body []byte) error {
	if timestamp == "" || signature == "" {
		return fmt.Errorf("%w: X-Webhook-Timestamp and X-Webhook-Signature are both required", ErrMissingSignature)
	}
	sent, err := parseUnixSeconds(timestamp)
	if err != nil {
		return err
	}
	candidates, err := parseSignatures(signature)
	if err != nil {
		return err
	}

	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	tolerance := v.Tolerance
	if tolerance == 0 {
		tolerance = SignatureTolerance
	}
	if skew := now.Sub(sent); skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: timestamp %s is %s from the receiver's clock, more than %s; check both clocks",
			ErrTimestampOutside, timestamp, skew.Round(time.Second), tolerance)
	}

	for _, secret := range v.secrets {
		expected := sign(secret, timestamp, body)
		for _, c := range candidates {
			if hmac.Equal(expected, c) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: check ANTON_WEBHOOK_SECRET (and ANTON_WEBHOOK_SECRET_PREVIOUS during a rotation)",
		ErrSignatureMismatch)
}

// sign returns the raw HMAC-SHA256 of timestamp + "." + body.
func sign(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// parseUnixSeconds parses X-Webhook-Timestamp: decimal Unix seconds.
func parseUnixSeconds(s string) (time.Time, error) {
	for _, r := range s {
		if r < '0' || r > '9' {
			return time.Time{}, fmt.Errorf("%w: X-Webhook-Timestamp %q is not Unix seconds", ErrMalformedSignature, truncate(s, 20))
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: X-Webhook-Timestamp %q is not Unix seconds", ErrMalformedSignature, truncate(s, 20))
	}
	return time.Unix(n, 0), nil
}

// parseSignatures returns the decoded v1 entries of X-Webhook-Signature.
// Entries of other versions and entries that are not 32 bytes of hex are
// skipped; at least one v1 entry must remain.
func parseSignatures(header string) ([][]byte, error) {
	var out [][]byte
	for _, entry := range strings.Split(header, ",") {
		version, value, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok || version != "v1" {
			continue
		}
		raw, err := hex.DecodeString(value)
		if err != nil || len(raw) != sha256.Size {
			continue
		}
		out = append(out, raw)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: X-Webhook-Signature has no v1=<64 hex digits> entry", ErrMalformedSignature)
	}
	return out, nil
}

// truncate shortens untrusted header values for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
