package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/payrun/payrun/state"
	"github.com/payrun/payrun/submit"
	"github.com/payrun/payrun/submit/sandbox"
)

const reconBeneficiary = `{"type": "individual", "country": "DE", "external_ref": "emp-3001",
 "individual": {"first_name": "Mia", "last_name": "Vogel", "email": "mia.vogel@example.com",
  "phone": "+4915112340000", "date_of_birth": "1985-03-02", "nationality": "DE",
  "address": {"street_line_1": "Ringstrasse 3", "city": "Munich", "postal_code": "80331", "country": "DE"}}}`

const reconInstrument = `{"method": "iban", "currency": "EUR", "country": "DE",
 "credentials": {"account_holder_name": "Mia Vogel", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}`

var reconKeys atomic.Int64

func reconKey() string { return "recon-cli-" + strconv.FormatInt(reconKeys.Add(1), 10) }

// reconSandbox is a sandbox merchant with one payee, and a client for it.
type reconSandbox struct {
	srv      *sandbox.Server
	key      string
	client   *submit.Client
	ben, ins string
}

func newReconSandbox(t *testing.T, srv *sandbox.Server, key string) *reconSandbox {
	t.Helper()
	auth, err := submit.NewBearerKey(key)
	if err != nil {
		t.Fatal(err)
	}
	client, err := submit.NewClient(submit.Config{BaseURL: srv.URL(), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ben, _, err := client.CreateBeneficiary(ctx, reconKey(), []byte(reconBeneficiary))
	if err != nil {
		t.Fatalf("create beneficiary: %v", err)
	}
	ins, _, err := client.CreateInstrument(ctx, reconKey(), ben.ID, []byte(reconInstrument))
	if err != nil {
		t.Fatalf("create instrument: %v", err)
	}
	return &reconSandbox{srv: srv, key: key, client: client, ben: ben.ID, ins: ins.ID}
}

func (s *reconSandbox) payout(t *testing.T, reference string) *submit.Payout {
	t.Helper()
	body, _ := json.Marshal(submit.PayoutRequest{BeneficiaryID: s.ben, InstrumentID: s.ins, SourceAmount: "10.00",
		DestAmount: "10.00", DestCurrency: "EUR", Method: "sepa", Purpose: "contractor_payment", Reference: reference})
	p, _, err := s.client.CreatePayout(context.Background(), reconKey(), body)
	if err != nil {
		t.Fatalf("create payout %s: %v", reference, err)
	}
	return p
}

// advance moves the sandbox clock, which runs every lifecycle step due.
func (s *reconSandbox) advance(t *testing.T, d string) {
	t.Helper()
	resp, err := http.Post(s.srv.URL()+"/_sandbox/clock", "application/json", strings.NewReader(`{"advance":"`+d+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance clock: status %d", resp.StatusCode)
	}
}

// reconLedger creates a ledger at path with one file, and records payouts as
// its submitted rows.
func reconLedger(t *testing.T, path string, payouts ...*submit.Payout) {
	t.Helper()
	ctx := context.Background()
	led, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if err := led.StartRun(ctx, "run-1", "run"); err != nil {
		t.Fatal(err)
	}
	totals := fmt.Sprintf(`{"EUR":"%d.00"}`, 10*len(payouts))
	err = led.InsertFile(ctx, &state.File{ID: "aaaaaaaaaaaa", SHA256: "aaaaaaaaaaaa-sha", Source: "p.csv",
		Name: "p.csv", Format: "csv", Status: state.FileActive, RunID: "run-1", Totals: totals,
		TotalRows: len(payouts), ValidRows: len(payouts)})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range payouts {
		r := &state.Row{FileID: "aaaaaaaaaaaa", RowNum: i + 2, LineNum: i + 2, Reference: p.Reference,
			State: state.Pending, Key: "payrun-" + p.Reference, ContentHash: "h-" + p.Reference,
			AmountMinor: 1000, Currency: "EUR"}
		if err := led.RecordRows(ctx, []*state.Row{r}); err != nil {
			t.Fatal(err)
		}
		err := led.MarkSubmitted(ctx, r.ID, &state.Payout{ID: p.ID, Reference: p.Reference, Status: p.Status,
			CreatedAt: p.CreatedAt, AntonUpdatedAt: p.UpdatedAt})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// ledgerStatus reads a payout's status through a connection of its own, as
// another process would.
func ledgerStatus(t *testing.T, path, payoutID string) string {
	t.Helper()
	led, err := state.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	p, err := led.PayoutByID(context.Background(), payoutID)
	if err != nil || p == nil {
		t.Fatalf("payout %s: %v", payoutID, err)
	}
	return p.Status
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeLoopbackAddr returns a loopback address that was free a moment ago.
// The sandbox needs the receiver's URL before the receiver starts, because
// the receiver needs the secret of the subscription to that URL.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServeCommand runs payrun webhooks serve until the test cancels it. It
// returns the URL of the first stdout line.
func startServeCommand(t *testing.T, args ...string) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	reader, writer := io.Pipe()
	a := newApp(writer, io.Discard)
	cmd := a.root()
	cmd.SetArgs(append([]string{"webhooks", "serve"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		writer.Close()
		done <- err
	}()
	t.Cleanup(cancel)

	out := bufio.NewReader(reader)
	first, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("read first line: %v (exit %d)", err, exitCode(<-done))
	}
	go io.Copy(io.Discard, out)
	url, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if !ok {
		t.Fatalf("first line = %q, want listening on URL", first)
	}
	return url, cancel, done
}

func TestWebhooksServe_SandboxDeliveries(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "payrun.db")
	metricsPath := filepath.Join(dir, "webhooks.prom")
	srv := startSandbox(t, sandbox.Options{TimeScale: 1e-3})
	sb := newReconSandbox(t, srv, os.Getenv("ANTON_API_KEY"))

	addr := freeLoopbackAddr(t)
	sub, err := sb.client.CreateWebhook(context.Background(), reconKey(),
		&submit.WebhookRequest{URL: "http://" + addr + "/hooks", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	paid, failed := sb.payout(t, "CLI-HOOK-1"), sb.payout(t, "FAIL-CLI-HOOK-2")
	reconLedger(t, ledgerPath, paid, failed)
	t.Setenv(envWebhookSecret, sub.Secret)
	t.Setenv(envWebhookSecretPrevious, "")

	url, cancel, done := startServeCommand(t, "--addr", addr, "--path", "/hooks", "--ledger", ledgerPath,
		"--metrics-file", metricsPath, "--metrics-interval", "1h")
	if url != "http://"+addr+"/hooks" {
		t.Errorf("listening on %s, want http://%s/hooks", url, addr)
	}
	sb.advance(t, "2h")
	waitUntil(t, "payout completed", func() bool { return ledgerStatus(t, ledgerPath, paid.ID) == "completed" })
	waitUntil(t, "payout failed", func() bool { return ledgerStatus(t, ledgerPath, failed.ID) == "failed" })

	forged, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"id":"evt_x","type":"payout.returned","data":{"id":"`+paid.ID+`"}}`))
	forged.Header.Set(submit.HeaderWebhookTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	forged.Header.Set(submit.HeaderWebhookSignature, "v1="+strings.Repeat("0", 64))
	resp, err := http.DefaultClient.Do(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged delivery: status %d, want 401", resp.StatusCode)
	}
	if got := ledgerStatus(t, ledgerPath, paid.ID); got != "completed" {
		t.Errorf("after the forged delivery the payout is %s, want completed", got)
	}

	health, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: status %d, want 200", health.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after SIGINT: %v, want a clean stop", err)
	}
	assertServeMetrics(t, metricsPath)
}

// assertServeMetrics parses the metrics file written at shutdown.
func assertServeMetrics(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("metrics file: %v", err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("metrics file is not Prometheus text format: %v", err)
	}
	deliveries := families["payrun_webhook_deliveries_total"]
	if deliveries == nil || len(deliveries.GetMetric()) != 1 {
		t.Fatalf("no payrun_webhook_deliveries_total in the metrics file")
	}
	m := deliveries.GetMetric()[0]
	if m.GetCounter().GetValue() < 3 {
		t.Errorf("deliveries %v, want at least 3", m.GetCounter().GetValue())
	}
	if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != "webhooks_serve" {
		t.Errorf("labels %v, want command=webhooks_serve", m.GetLabel())
	}
	rejected := families["payrun_webhook_rejected_total"]
	if rejected == nil || rejected.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("payrun_webhook_rejected_total missing or not 1: %v", rejected)
	}
}

func TestWebhooksServe_UsageErrors(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "payrun.db")
	reconLedger(t, ledgerPath)
	cert, key := writeTestCertificate(t, dir)
	tests := []struct {
		name   string
		secret string
		args   []string
		want   string
	}{
		{"missing secret", "", []string{"--addr", "127.0.0.1:0"}, "ANTON_WEBHOOK_SECRET is not set"},
		{"plain HTTP on all interfaces", "whsec_x", []string{"--addr", ":0"}, "not a loopback address"},
		{"plain HTTP on a LAN address", "whsec_x", []string{"--addr", "192.0.2.10:8090"}, "not a loopback address"},
		{"certificate without key", "whsec_x", []string{"--addr", ":0", "--tls-cert", cert}, "go together"},
		{"unreadable certificate", "whsec_x", []string{"--addr", ":0", "--tls-cert", key, "--tls-key", key}, "load TLS certificate"},
		{"relative path", "whsec_x", []string{"--addr", "127.0.0.1:0", "--path", "hooks"}, "invalid --path"},
		{"missing ledger", "whsec_x", []string{"--addr", "127.0.0.1:0", "--ledger", filepath.Join(dir, "none.db")}, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envWebhookSecret, tt.secret)
			args := append([]string{"webhooks", "serve", "--ledger", ledgerPath}, tt.args...)
			cmd := newApp(io.Discard, io.Discard).root()
			cmd.SetArgs(args)
			err := cmd.ExecuteContext(context.Background())
			if code := exitCode(err); code != exitUsage {
				t.Errorf("exit %d, want 2 (error %v)", code, err)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestWebhooksServe_TLS(t *testing.T) {
	dir := t.TempDir()
	ledgerPath := filepath.Join(dir, "payrun.db")
	reconLedger(t, ledgerPath)
	certFile, keyFile := writeTestCertificate(t, dir)
	t.Setenv(envWebhookSecret, "whsec_tls")

	url, cancel, done := startServeCommand(t, "--addr", "127.0.0.1:0", "--ledger", ledgerPath,
		"--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("listening on %s, want https://127.0.0.1:PORT", url)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(strings.TrimSuffix(url, "/webhooks/anton") + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: status %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after SIGINT: %v", err)
	}
}

// writeTestCertificate writes a self-signed certificate for 127.0.0.1.
func writeTestCertificate(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "payrun test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

func TestWebhooksRegister_PrintsSecretOnce(t *testing.T) {
	dir := t.TempDir()
	srv := startSandbox(t, sandbox.Options{})
	target := "http://127.0.0.1:9/webhooks/anton"

	code, stdout, stderr := runPayrun(t, dir, "webhooks", "register", target, "--events", "payout.*")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "secret: whsec_") {
		t.Errorf("stdout has no secret line:\n%s", stdout)
	}
	if !strings.Contains(stdout, "ANTON_WEBHOOK_SECRET") {
		t.Errorf("stdout does not say where to store the secret:\n%s", stdout)
	}
	if strings.Contains(stderr, "whsec_") {
		t.Errorf("the secret reached the log:\n%s", stderr)
	}
	if !strings.Contains(stdout, "payout.completed") || strings.Contains(stdout, "beneficiary.") {
		t.Errorf("events line does not list exactly the payout events:\n%s", stdout)
	}

	// Repeating the command replays the first answer instead of subscribing twice.
	code, again, _ := runPayrun(t, dir, "webhooks", "register", target, "--events", "payout.*")
	if code != exitOK || firstLine(again) != firstLine(stdout) {
		t.Errorf("second register: exit %d, first line %q, want 0 and %q", code, firstLine(again), firstLine(stdout))
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/v1/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+os.Getenv("ANTON_API_KEY"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list submit.List[submit.WebhookSubscription]
	json.NewDecoder(resp.Body).Decode(&list)
	if len(list.Data) != 1 {
		t.Errorf("sandbox has %d subscriptions, want 1", len(list.Data))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestWebhooksRegister_InvalidInput(t *testing.T) {
	dir := t.TempDir()
	startSandbox(t, sandbox.Options{})
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown event type", []string{"https://example.com/hooks", "--events", "payout.paid"}, exitUsage},
		{"pattern without match", []string{"https://example.com/hooks", "--events", "payment.*"}, exitUsage},
		{"not a URL", []string{"example.com/hooks"}, exitUsage},
		{"URL Anton rejects", []string{"http://example.com/hooks"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runPayrun(t, dir, append([]string{"webhooks", "register"}, tt.args...)...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.want, stderr)
			}
		})
	}
}

func TestExpandEvents_Patterns(t *testing.T) {
	got, err := expandEvents([]string{"payout.completed", "payout.*", " payout.failed "})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Errorf("payout.* expanded to %d types, want the 10 payout event types: %v", len(got), got)
	}
	all, err := expandEvents([]string{"payout.completed", "*"})
	if err != nil || len(all) != 1 || all[0] != "*" {
		t.Errorf("expandEvents with * = %v, %v; want [*]", all, err)
	}
}
