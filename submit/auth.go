package submit

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Authenticator adds credentials to an outgoing API request. The client calls
// it once per HTTP attempt, so a scheme with per-request proofs (OAuth2 with
// DPoP) can sign every retry afresh.
type Authenticator interface {
	Authorize(req *http.Request) error
}

// API key prefixes and the environments they select.
const (
	testKeyPrefix = "ak_test_"
	liveKeyPrefix = "ak_live_"

	// EnvTest is the environment of ak_test_ keys: the sandbox and local servers.
	EnvTest = "test"
	// EnvLive is the environment of ak_live_ keys: production only.
	EnvLive = "live"
)

// Base URLs of Anton's two environments.
const (
	ProductionBaseURL = "https://api.antonpayments.com"
	SandboxBaseURL    = "https://api.antonpayments.dev"

	productionHost = "api.antonpayments.com"
)

// BearerKey is a static Anton API key sent as "Authorization: Bearer ak_…".
// Its String, GoString, Format and LogValue forms are masked.
type BearerKey struct{ key string }

var _ Authenticator = (*BearerKey)(nil)

// NewBearerKey checks that key starts with ak_test_ or ak_live_ and has more
// after the prefix. Surrounding whitespace, as a key file often has, is removed.
func NewBearerKey(key string) (*BearerKey, error) {
	key = strings.TrimSpace(key)
	if keyEnvironment(key) == "" {
		return nil, errors.New("invalid Anton API key: it must start with ak_test_ or ak_live_; " +
			"copy the key from the Anton dashboard into ANTON_API_KEY or the --api-key-file file")
	}
	if strings.ContainsAny(key, " \t\r\n") {
		return nil, errors.New("invalid Anton API key: it contains whitespace; " +
			"check that the key file holds the key on one line")
	}
	return &BearerKey{key: key}, nil
}

// keyEnvironment returns EnvTest or EnvLive for a key with a known prefix and
// a non-empty rest, else "".
func keyEnvironment(key string) string {
	switch {
	case strings.HasPrefix(key, testKeyPrefix) && len(key) > len(testKeyPrefix):
		return EnvTest
	case strings.HasPrefix(key, liveKeyPrefix) && len(key) > len(liveKeyPrefix):
		return EnvLive
	}
	return ""
}

// Authorize sets the Authorization header.
func (k *BearerKey) Authorize(req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+k.key)
	return nil
}

// Environment returns EnvTest ("test") or EnvLive ("live").
func (k *BearerKey) Environment() string { return keyEnvironment(k.key) }

// String returns the key's prefix and its last four characters, for example
// "ak_test_****9f3c".
func (k *BearerKey) String() string {
	prefix := testKeyPrefix
	if k.Environment() == EnvLive {
		prefix = liveKeyPrefix
	}
	rest := k.key[len(prefix):]
	if len(rest) < 12 {
		return prefix + "****"
	}
	return prefix + "****" + rest[len(rest)-4:]
}

// GoString returns the masked key, so %#v does not print it.
func (k *BearerKey) GoString() string { return k.String() }

// Format prints the masked key for every verb.
func (k *BearerKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, k.String()) }

// LogValue returns the masked key for log/slog.
func (k *BearerKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// DefaultBaseURL returns the base URL of the environment a key belongs to:
// the sandbox for ak_test_ keys and production for ak_live_ keys. It returns
// "" for a key with neither prefix.
func DefaultBaseURL(key string) string {
	switch keyEnvironment(strings.TrimSpace(key)) {
	case EnvTest:
		return SandboxBaseURL
	case EnvLive:
		return ProductionBaseURL
	}
	return ""
}

// CheckEndpoint rejects base URLs that a key of environment env (EnvTest or
// EnvLive) must not be sent to. A live key goes only to
// https://api.antonpayments.com, and a test key never goes there. Plain
// http:// is allowed only to loopback (127.0.0.0/8, ::1, localhost). Base
// URLs with credentials, a query or a fragment are rejected too.
func CheckEndpoint(env, baseURL string) error {
	u, err := checkBaseURL(baseURL)
	if err != nil {
		return err
	}

	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	switch env {
	case EnvLive:
		if host != productionHost || u.Scheme != "https" {
			return fmt.Errorf("refusing to send a live key (ak_live_) to %s: live keys go "+
				"only to %s; use an ak_test_ key for the sandbox or a local server", baseURL,
				ProductionBaseURL)
		}
	case EnvTest:
		if host == productionHost {
			return fmt.Errorf("refusing to send a test key (ak_test_) to production %s: "+
				"use an ak_live_ key there, or %s for tests", baseURL, SandboxBaseURL)
		}
	default:
		return fmt.Errorf("unknown API environment %q: expected %q or %q", env, EnvTest, EnvLive)
	}
	return nil
}

// checkBaseURL parses a base URL and rejects a malformed one, or plain
// http:// to a host that is not loopback.
func checkBaseURL(baseURL string) (*url.URL, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("invalid Anton base URL %q: %w; set ANTON_BASE_URL to a URL "+
			"such as %s", baseURL, err, SandboxBaseURL)
	}
	if err := checkURLShape(u, baseURL); err != nil {
		return nil, err
	}

	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if u.Scheme == "http" && !isLoopbackHost(host) {
		return nil, fmt.Errorf("refusing plain http:// to %s: the API key would travel "+
			"unencrypted; use https://, or http:// only for a server on loopback", host)
	}
	return u, nil
}

// checkURLShape rejects base URLs that are not plain http(s)://host[:port][/path].
func checkURLShape(u *url.URL, raw string) error {
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("invalid Anton base URL %q: the scheme must be https:// "+
			"(or http:// for loopback)", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("invalid Anton base URL %q: the host is missing", raw)
	}
	if u.User != nil {
		return fmt.Errorf("invalid Anton base URL %q: remove the user name and password; "+
			"the API key comes from ANTON_API_KEY", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("invalid Anton base URL %q: remove the query and fragment", raw)
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback IP address.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
