package submit

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestAuthNewBearerKey(t *testing.T) {
	cases := []struct {
		key, env string
		ok       bool
	}{
		{"ak_test_abc123", EnvTest, true},
		{"ak_live_abc123", EnvLive, true},
		{"  ak_test_abc123\n", EnvTest, true},
		{"ak_test_", "", false},
		{"ak_live_", "", false},
		{"ak_prod_abc", "", false},
		{"sk_test_abc", "", false},
		{"AK_TEST_abc", "", false},
		{"", "", false},
		{"ak_test_ab c", "", false},
	}
	for _, tc := range cases {
		k, err := NewBearerKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("NewBearerKey(%q) error = %v, want ok %v", tc.key, err, tc.ok)
			continue
		}
		if tc.ok && k.Environment() != tc.env {
			t.Errorf("NewBearerKey(%q).Environment() = %q, want %q", tc.key, k.Environment(), tc.env)
		}
	}
}

func TestAuthBearerKeyMasked(t *testing.T) {
	const raw = "ak_live_secretsecret9f3c"
	k, err := NewBearerKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.String(), "ak_live_****9f3c"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("key", "api_key", k)
	forms := map[string]string{
		"%v": fmt.Sprintf("%v", k), "%+v": fmt.Sprintf("%+v", k), "%#v": fmt.Sprintf("%#v", k),
		"%s": fmt.Sprintf("%s", k), "%q": fmt.Sprintf("%q", k), "slog": logs.String(),
		"struct %+v": fmt.Sprintf("%+v", struct{ Auth *BearerKey }{k}),
	}
	for name, out := range forms {
		if strings.Contains(out, "secretsecret") {
			t.Errorf("%s form leaks the key: %s", name, out)
		}
	}

	short, _ := NewBearerKey("ak_test_abc")
	if got := short.String(); got != "ak_test_****" {
		t.Errorf("short key String() = %q, want ak_test_****", got)
	}
}

func TestAuthAuthorizeSetsBearer(t *testing.T) {
	k, _ := NewBearerKey("ak_test_abc123")
	req, _ := http.NewRequest("GET", "http://127.0.0.1/v1/merchant", nil)
	if err := k.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer ak_test_abc123" {
		t.Errorf("Authorization = %q, want Bearer ak_test_abc123", got)
	}
}

func TestAuthDefaultBaseURL(t *testing.T) {
	cases := map[string]string{
		"ak_test_abc": "https://api.antonpayments.dev",
		"ak_live_abc": "https://api.antonpayments.com",
		"other":       "",
	}
	for key, want := range cases {
		if got := DefaultBaseURL(key); got != want {
			t.Errorf("DefaultBaseURL(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestEndpointCheck(t *testing.T) {
	cases := []struct {
		env, url string
		ok       bool
	}{
		{EnvLive, "https://api.antonpayments.com", true},
		{EnvLive, "https://api.antonpayments.com/", true},
		{EnvLive, "https://API.AntonPayments.com", true},
		{EnvLive, "https://api.antonpayments.com.", true},
		{EnvLive, "https://api.antonpayments.com:443", true},
		{EnvLive, "http://api.antonpayments.com", false},
		{EnvLive, "https://api.antonpayments.dev", false},
		{EnvLive, "http://127.0.0.1:8080", false},
		{EnvLive, "https://api.antonpayments.com.evil.example", false},
		{EnvLive, "https://evil.example/api.antonpayments.com", false},
		{EnvTest, "https://api.antonpayments.dev", true},
		{EnvTest, "http://127.0.0.1:8080", true},
		{EnvTest, "http://127.5.0.1:8080", true},
		{EnvTest, "http://[::1]:8080", true},
		{EnvTest, "http://localhost:8080", true},
		{EnvTest, "http://LOCALHOST:8080", true},
		{EnvTest, "https://staging.example", true},
		{EnvTest, "https://api.antonpayments.com", false},
		{EnvTest, "https://api.antonpayments.com.", false},
		{EnvTest, "http://api.antonpayments.dev", false},
		{EnvTest, "http://10.0.0.1:8080", false},
		{EnvTest, "http://localhost.evil.example", false},
		{EnvTest, "http://0.0.0.0:8080", false},
		{EnvTest, "ftp://127.0.0.1", false},
		{EnvTest, "127.0.0.1:8080", false},
		{EnvTest, "https://user:pw@api.antonpayments.dev", false},
		{EnvTest, "https://api.antonpayments.dev?x=1", false},
		{EnvTest, "https://", false},
		{"staging", "https://api.antonpayments.dev", false},
	}
	for _, tc := range cases {
		err := CheckEndpoint(tc.env, tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("CheckEndpoint(%q, %q) = %v, want ok %v", tc.env, tc.url, err, tc.ok)
		}
	}
}

func TestEndpointNewClientChecks(t *testing.T) {
	live, _ := NewBearerKey("ak_live_abc123")
	if _, err := NewClient(Config{Auth: live, BaseURL: "http://127.0.0.1:9"}); err == nil {
		t.Error("NewClient accepted a live key against loopback")
	}

	c, err := NewClient(Config{Auth: live})
	if err != nil {
		t.Fatalf("NewClient with the default base URL: %v", err)
	}
	if c.base != ProductionBaseURL {
		t.Errorf("default base URL = %q, want %q", c.base, ProductionBaseURL)
	}

	if _, err := NewClient(Config{}); err == nil {
		t.Error("NewClient accepted a config without Auth")
	}
}

// countingAuth is a per-request scheme like DPoP that counts its calls.
type countingAuth struct{ calls int }

func (a *countingAuth) Authorize(req *http.Request) error {
	a.calls++
	req.Header.Set("Authorization", fmt.Sprintf("DPoP token-%d", a.calls))
	return nil
}

func TestAuthCustomAuthenticator(t *testing.T) {
	s := newScriptedServer(t, respondJSON(500, `{"error":{"message":"internal server error"}}`),
		respondJSON(201, testPayoutJSON))
	auth := &countingAuth{}
	c := newScriptedClient(t, s, func(cfg *Config) { cfg.Auth = auth })

	if _, _, err := c.CreatePayout(context.Background(), "payrun-dpop", testPayoutBody); err != nil {
		t.Fatal(err)
	}
	got := s.received()
	if auth.calls != 2 || got[0].Auth != "DPoP token-1" || got[1].Auth != "DPoP token-2" {
		t.Errorf("calls %d, headers %q %q; want a fresh header per attempt", auth.calls,
			got[0].Auth, got[1].Auth)
	}

	if _, err := NewClient(Config{Auth: auth, BaseURL: "http://10.0.0.1:8080"}); err == nil {
		t.Error("NewClient allowed plain http:// beyond loopback")
	}
	if _, err := NewClient(Config{Auth: auth}); err == nil {
		t.Error("NewClient accepted no base URL for an authenticator without environment")
	}
}
