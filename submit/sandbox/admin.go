package sandbox

import (
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/payrun/payrun"
	"github.com/payrun/payrun/submit"
)

// Stats is the body of GET /_sandbox/stats. Payout, beneficiary and
// instrument counts cover the whole state, including a loaded state file;
// request counts cover /v1/* requests since the server started.
type Stats struct {
	PayoutsCreated       int `json:"payouts_created"`
	BeneficiariesCreated int `json:"beneficiaries_created"`
	InstrumentsCreated   int `json:"instruments_created"`
	// DuplicateReferences lists, sorted, the references that one merchant
	// used for more than one payout. It stays empty as long as every
	// reference is paid at most once.
	DuplicateReferences []string                  `json:"duplicate_references"`
	Requests            RequestStats              `json:"requests"`
	PayoutsByReference  map[string]ReferenceStats `json:"payouts_by_reference"`
}

// RequestStats counts the responses to /v1/* requests by HTTP status. A dropped
// connection counts under the status the handler produced.
type RequestStats struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

// ReferenceStats describes the payouts of one reference across merchants:
// how many, and the sum of their dest amounts in the currency of the first
// one (payouts in another currency are counted but not summed).
type ReferenceStats struct {
	Count    int    `json:"count"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Stats returns the counters of GET /_sandbox/stats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()

	out := Stats{
		DuplicateReferences: []string{},
		Requests:            RequestStats{Total: s.stats.total, ByStatus: map[string]int{}},
		PayoutsByReference:  map[string]ReferenceStats{},
	}
	for status, n := range s.stats.byStatus {
		out.Requests.ByStatus[strconv.Itoa(status)] = n
	}

	sums := map[string]int64{}
	duplicates := map[string]bool{}
	for _, m := range s.state.Merchants {
		out.BeneficiariesCreated += len(m.Beneficiaries)
		out.InstrumentsCreated += len(m.Instruments)
		out.PayoutsCreated += len(m.Payouts)
		for ref, n := range m.references {
			if n > 1 {
				duplicates[ref] = true
			}
		}
		for _, p := range m.Payouts {
			addReference(out.PayoutsByReference, sums, &p.Payout)
		}
	}
	for ref, st := range out.PayoutsByReference {
		st.Amount = payrun.FormatMinor(sums[ref], st.Currency)
		out.PayoutsByReference[ref] = st
	}
	for ref := range duplicates {
		out.DuplicateReferences = append(out.DuplicateReferences, ref)
	}
	sort.Strings(out.DuplicateReferences)
	return out
}

func addReference(refs map[string]ReferenceStats, sums map[string]int64, p *submit.Payout) {
	st, seen := refs[p.Reference]
	if !seen {
		st.Currency = p.DestCurrency
	}
	st.Count++
	refs[p.Reference] = st
	if st.Currency != p.DestCurrency {
		return
	}
	minor, err := parseMinor(p.DestAmount, p.DestCurrency)
	if err == nil {
		sums[p.Reference] += minor
	}
}

func parseMinor(amount, currency string) (int64, error) {
	var f fieldErrors
	scale, _ := payrun.CurrencyScale(currency)
	minor, ok := f.money("amount", amount, currency, scale, true)
	if !ok {
		return 0, errInvalidAmount
	}
	return minor, nil
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	writeReply(w, jsonReply(http.StatusOK, s.Stats()))
}

// clockBody is the body of POST /_sandbox/clock.
type clockBody struct {
	Advance string `json:"advance"`
}

// handleClock moves the sandbox clock ahead and runs every transition,
// retry and expiry that becomes due.
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	var body clockBody
	if rep := readAdminBody(r, &body); rep != nil {
		writeReply(w, rep)
		return
	}
	d, err := time.ParseDuration(body.Advance)
	if err != nil || d < 0 {
		writeReply(w, badRequest("invalid advance "+quoteID(body.Advance)+": use a positive Go duration such as 25h"))
		return
	}

	s.mu.Lock()
	s.state.ClockOffset += d
	s.pruneIdempotency()
	s.markDirty()
	s.mu.Unlock()
	s.sched.runDue()

	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	s.logger.Info("sandbox clock advanced", "advance", d.String(), "now", timestamp(now))
	writeReply(w, jsonReply(http.StatusOK, map[string]string{"now": timestamp(now)}))
}

// revokeBody is the body of POST /_sandbox/keys/revoke.
type revokeBody struct {
	Key string `json:"key"`
}

// handleRevoke revokes an API key; its requests then get 401 invalid_api_key.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var body revokeBody
	if rep := readAdminBody(r, &body); rep != nil {
		writeReply(w, rep)
		return
	}
	if !testKeyPattern.MatchString(body.Key) {
		writeReply(w, badRequest("key must be a sandbox key: ak_test_ followed by letters and digits"))
		return
	}

	s.mu.Lock()
	m := s.merchant(body.Key)
	m.Revoked = true
	s.markDirty()
	s.mu.Unlock()
	s.logger.Info("sandbox key revoked", "merchant_id", m.ID)
	writeReply(w, jsonReply(http.StatusOK, map[string]string{"status": "revoked", "merchant_id": m.ID}))
}

// handleFaults replaces the faults with the JSON body, as SetFaults does,
// and returns the faults now in effect.
func (s *Server) handleFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if rep := readAdminBody(r, &f); rep != nil {
		writeReply(w, rep)
		return
	}
	if err := f.Validate(); err != nil {
		writeReply(w, badRequest(err.Error()))
		return
	}
	s.SetFaults(f)
	s.handleGetFaults(w, r)
}

func (s *Server) handleGetFaults(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	writeReply(w, jsonReply(http.StatusOK, f))
}

func readAdminBody(r *http.Request, v any) *reply {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return badRequest("reading the request body failed: " + err.Error())
	}
	return decodeStrict(body, v)
}
