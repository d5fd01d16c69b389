// Command submitbench measures payout submission against the sandbox in one
// run: payrun itself (a real process) at the advertised limit and under a
// lower hidden limit, beside a sequential client and a naive 32-worker pool
// that retries with a fresh key. It prints a Markdown table.
//
// Usage: go run ./internal/submitbench -payrun /path/to/payrun [-rows 12000]
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payrun/payrun/submit/sandbox"
)

type result struct {
	name     string
	rows     int
	elapsed  time.Duration
	requests int
	rpm      float64
	limit    int
	r429     int
	r429Late int
	payouts  int
	dups     int
	exitCode int
	active   time.Duration
	note     string
}

func main() {
	bin := flag.String("payrun", "", "payrun binary to measure (required)")
	rows := flag.Int("rows", 12000, "rows of payrun's file at the advertised limit")
	hiddenRows := flag.Int("hidden-rows", 6000, "rows of payrun's file under the hidden limit")
	naiveRows := flag.Int("naive-rows", 3000, "payouts of the naive pool")
	seqRows := flag.Int("seq-rows", 600, "payouts of the sequential client")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "submitbench: -payrun is required")
		os.Exit(2)
	}
	var out []result
	out = append(out, runPayrun(*bin, "payrun, limit 6000/min", *rows, 0))
	out = append(out, runPayrun(*bin, "payrun, hidden limit 3000/min", *hiddenRows, 3000))
	out = append(out, runClient("sequential client", *seqRows, 1, false))
	out = append(out, runClient("naive 32-worker pool", *naiveRows, 32, true))
	printTable(out)
}

// newSandbox starts a sandbox with the benchmark's conditions: 6000/min,
// 50 ms latency, 1% of payouts created and then their connection dropped.
func newSandbox(hidden int) *sandbox.Server {
	srv, err := sandbox.New(sandbox.Options{
		RateLimit: 6000, HiddenRateLimit: hidden, Seed: 1,
		Balances: map[string]string{"EUR": "100000000.00", "USD": "100000000.00", "GBP": "100000000.00"},
		Faults:   sandbox.Faults{Latency: sandbox.Range{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond}, DropAfterRate: 0.01},
	})
	must(err)
	must(srv.Start())
	return srv
}

// sampler polls the sandbox's request counts every second, so 429s can be
// split into the first minute and the rest.
type sampler struct {
	srv   *sandbox.Server
	start time.Time
	base  int
	mu    sync.Mutex
	// at60 is the 429 count one minute after the first request, or -1.
	at60 int
	// first and last are when the request count first and last changed; the
	// rate is measured between them, so start-up, ingest and reports of the
	// payrun process do not count.
	first, last time.Time
	lastN       int
	stopped     chan struct{}
}

func startSampler(srv *sandbox.Server) *sampler {
	base := srv.Stats().Requests.Total
	s := &sampler{srv: srv, start: time.Now(), base: base, lastN: base, at60: -1, stopped: make(chan struct{})}
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				s.sample(now)
			case <-s.stopped:
				return
			}
		}
	}()
	return s
}

func (s *sampler) sample(now time.Time) {
	st := s.srv.Stats().Requests
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Total != s.lastN {
		if s.first.IsZero() {
			s.first = now
		}
		s.last, s.lastN = now, st.Total
	}
	if !s.first.IsZero() && s.at60 < 0 && now.Sub(s.first) >= time.Minute {
		s.at60 = st.ByStatus["429"]
	}
}

// stop returns the 429 count at one minute and the active window.
func (s *sampler) stop() (int, time.Duration) {
	close(s.stopped)
	s.sample(time.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at60, s.last.Sub(s.first)
}

func runPayrun(bin, name string, rows, hidden int) result {
	srv := newSandbox(hidden)
	defer srv.Close()
	key := sandbox.NewTestKey()
	benID, insID := prepare(srv.URL(), key)
	dir, err := os.MkdirTemp("", "submitbench-")
	must(err)
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "bench.csv")
	writeFile(file, rows, benID, insID)

	base := srv.Stats().Requests
	samp := startSampler(srv)
	start := time.Now()
	cmd := exec.Command(bin, "run", "--log-format", "json", "--concurrency", "32", "--max-invalid", "0", file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANTON_BASE_URL="+srv.URL(), "ANTON_API_KEY="+key, "PAYRUN_LEDGER=", "PAYRUN_CONFIG=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	err = cmd.Run()
	elapsed := time.Since(start)
	at60, active := samp.stop()
	code := 0
	if e, ok := err.(*exec.ExitError); ok {
		code = e.ExitCode()
	}
	st := srv.Stats()
	limit := 6000
	if hidden > 0 {
		limit = hidden
	}
	r := result{name: name, rows: rows, elapsed: elapsed, limit: limit, exitCode: code,
		requests: st.Requests.Total - base.Total, payouts: st.PayoutsCreated,
		dups: len(st.DuplicateReferences)}
	r.r429 = st.Requests.ByStatus["429"] - base.ByStatus["429"]
	if at60 >= 0 {
		r.r429Late = st.Requests.ByStatus["429"] - at60
	}
	r.rpm = float64(r.requests) / max(active, time.Second).Minutes()
	r.active = active
	if code != 0 {
		r.note = fmt.Sprintf("exit %d: %s", code, lastLines(logs.String(), 3))
	}
	return r
}

// runClient measures a hand-written client. The naive pool retries at once
// with a new key, as clients that paid twice did; the sequential client sends
// one request at a time with one key per payout and honours Retry-After.
func runClient(name string, rows, workers int, naive bool) result {
	srv := newSandbox(0)
	defer srv.Close()
	key := sandbox.NewTestKey()
	benID, insID := prepare(srv.URL(), key)
	base := srv.Stats().Requests
	samp := startSampler(srv)
	start := time.Now()

	var next atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > rows {
					return
				}
				body := payoutBody(i, benID, insID)
				idem := fmt.Sprintf("seq-%d", i)
				for attempt := 0; attempt < 20; attempt++ {
					if naive {
						idem = randomKey()
					}
					status, retryAfter := post(client, srv.URL()+"/v1/payouts", key, idem, body)
					if status == 201 || (status >= 400 && status < 500 && status != 429 && status != 409) {
						break
					}
					if !naive && status == 429 {
						time.Sleep(retryAfter)
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	at60, active := samp.stop()
	st := srv.Stats()
	r := result{name: name, rows: rows, elapsed: elapsed, limit: 6000,
		requests: st.Requests.Total - base.Total, payouts: st.PayoutsCreated, dups: len(st.DuplicateReferences)}
	r.r429 = st.Requests.ByStatus["429"] - base.ByStatus["429"]
	if at60 >= 0 {
		r.r429Late = st.Requests.ByStatus["429"] - at60
	}
	r.rpm = float64(r.requests) / max(active, time.Second).Minutes()
	r.active = active
	return r
}

func post(c *http.Client, url, key, idem string, body []byte) (int, time.Duration) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	// Without GetBody, net/http cannot resend the request on its own after a
	// dropped connection, so every retry is the client's.
	req.GetBody = nil
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idem)
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	wait := time.Second
	if s := resp.Header.Get("Retry-After"); s != "" {
		var n int
		if _, err := fmt.Sscanf(s, "%d", &n); err == nil {
			wait = time.Duration(n) * time.Second
		}
	}
	return resp.StatusCode, wait
}

// prepare creates one beneficiary and instrument, which every payout uses.
func prepare(base, key string) (string, string) {
	ben := map[string]any{"type": "individual", "country": "DE", "external_ref": "bench-1",
		"individual": map[string]any{"first_name": "Bench", "last_name": "Mark", "email": "bench@example.com",
			"phone": "+4915123456789", "date_of_birth": "1980-01-02", "nationality": "DE",
			"address": map[string]any{"street_line_1": "Street 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}}}
	var b struct{ ID string }
	postJSON(base+"/v1/beneficiaries", key, ben, &b)
	ins := map[string]any{"method": "iban", "currency": "EUR", "country": "DE",
		"credentials": map[string]any{"account_holder_name": "Bench Mark", "iban": "DE89370400440532013000"}}
	var i struct{ ID string }
	postJSON(base+"/v1/beneficiaries/"+b.ID+"/instruments", key, ins, &i)
	if b.ID == "" || i.ID == "" {
		fmt.Fprintln(os.Stderr, "submitbench: could not create the benchmark beneficiary")
		os.Exit(1)
	}
	return b.ID, i.ID
}

func postJSON(url, key string, in, out any) {
	data, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", randomKey())
	for attempt := 0; attempt < 5; attempt++ {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
		return
	}
}

func payoutBody(i int, benID, insID string) []byte {
	body, _ := json.Marshal(map[string]string{"beneficiary_id": benID, "instrument_id": insID,
		"source_amount": "10.00", "dest_amount": "10.00", "dest_currency": "EUR", "method": "sepa",
		"purpose": "contractor_payment", "reference": fmt.Sprintf("B-%07d", i)})
	return body
}

func writeFile(path string, rows int, benID, insID string) {
	f, err := os.Create(path)
	must(err)
	w := csv.NewWriter(f)
	w.Write([]string{"reference", "amount", "currency", "beneficiary_id", "instrument_id", "method", "purpose"})
	for i := 1; i <= rows; i++ {
		w.Write([]string{fmt.Sprintf("B-%07d", i), "10.00", "EUR", benID, insID, "sepa", "contractor_payment"})
	}
	w.Flush()
	must(w.Error())
	must(f.Close())
}

func randomKey() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func printTable(rs []result) {
	fmt.Println("| client | payouts asked | process time | sending time | requests | requests/min | share of enforced limit | 429s | 429s after 1st min | payouts created | duplicate references |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		late := "n/a (under 1 min)"
		if r.active >= time.Minute {
			late = fmt.Sprint(r.r429Late)
		}
		fmt.Printf("| %s | %d | %s | %s | %d | %.0f | %.1f%% | %d (%.2f%%) | %s | %d | %d |\n",
			r.name, r.rows, r.elapsed.Round(time.Second), r.active.Round(time.Second), r.requests, r.rpm,
			100*r.rpm/float64(r.limit), r.r429, 100*float64(r.r429)/float64(max(1, r.requests)), late, r.payouts, r.dups)
		if r.note != "" {
			fmt.Printf("\n%s: %s\n\n", r.name, r.note)
		}
	}
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" / ")))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "submitbench:", err)
		os.Exit(1)
	}
}
