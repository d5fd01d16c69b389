package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/payrun/payrun/submit"
)

func (e *env) listPayouts(query string) submit.List[submit.Payout] {
	e.t.Helper()
	res := e.call(http.MethodGet, "/v1/payouts?"+query, nil)
	res.expect(e.t, http.StatusOK, "-")
	var page submit.List[submit.Payout]
	res.decode(e.t, &page)
	return page
}

func TestListPayouts_Pagination(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	var created []submit.Payout
	for i := 0; i < 25; i++ {
		created = append(created, e.createPayout(sepaPayout(ben, ins, "1.00", fmt.Sprintf("PAGE-%02d", i))))
	}

	first := e.listPayouts("")
	if len(first.Data) != 20 || !first.HasMore || first.NextCursor == "" {
		t.Fatalf("first page: %d items, has_more %v, cursor %q; want 20, true, a cursor", len(first.Data), first.HasMore, first.NextCursor)
	}
	if first.Data[0].ID != created[24].ID || first.Data[19].ID != created[5].ID {
		t.Errorf("first page is not newest first: %s .. %s", first.Data[0].Reference, first.Data[19].Reference)
	}

	second := e.listPayouts("cursor=" + url.QueryEscape(first.NextCursor))
	if len(second.Data) != 5 || second.HasMore || second.NextCursor != "" {
		t.Fatalf("second page: %d items, has_more %v, cursor %q; want 5, false, none", len(second.Data), second.HasMore, second.NextCursor)
	}
	if second.Data[4].ID != created[0].ID {
		t.Errorf("last item = %s, want the oldest payout", second.Data[4].Reference)
	}

	res := e.call(http.MethodGet, "/v1/payouts", nil)
	var raw map[string]any
	res.decode(t, &raw)
	if _, ok := raw["next_cursor"]; !ok {
		t.Errorf("next_cursor missing while has_more: %s", res.body)
	}
	raw = nil
	res = e.call(http.MethodGet, "/v1/payouts?cursor="+url.QueryEscape(first.NextCursor), nil)
	res.decode(t, &raw)
	if _, ok := raw["next_cursor"]; ok {
		t.Errorf("next_cursor present on the last page: %s", res.body)
	}

	seven := e.listPayouts("limit=7")
	if len(seven.Data) != 7 || !seven.HasMore {
		t.Errorf("limit=7 gave %d items, has_more %v", len(seven.Data), seven.HasMore)
	}
	all := e.listPayouts("limit=100")
	if len(all.Data) != 25 || all.HasMore {
		t.Errorf("limit=100 gave %d items, has_more %v", len(all.Data), all.HasMore)
	}

	for _, bad := range []string{"limit=0", "limit=101", "limit=ten", "cursor=not-a-cursor", "status=done",
		"created_after=yesterday", "beneficiary_id=pye_1", "dest_currency=eur"} {
		e.call(http.MethodGet, "/v1/payouts?"+bad, nil).expect(t, http.StatusBadRequest, "")
	}
}

func TestListPayouts_Filters(t *testing.T) {
	e := startSandbox(t, Options{})
	ben, ins := e.sepaPayee()
	usBen := e.uniqueBusiness("Filter Co")
	usIns := e.createInstrument(usBen, "instrument_us_bank.json")

	early := e.createPayout(sepaPayout(ben, ins, "1.00", "F-EARLY"))
	e.advance("1h")
	failing := e.createPayout(sepaPayout(ben, ins, "2.00", "FAIL-F"))
	usd := e.createPayout(map[string]any{"beneficiary_id": usBen, "instrument_id": usIns, "source_amount": "3.00",
		"dest_amount": "3.00", "dest_currency": "USD", "method": "ach", "purpose": "goods", "reference": "F-USD"})
	e.advance("1h")
	pending := e.createPayout(sepaPayout(ben, ins, "4.00", "F-PENDING"))

	ids := func(page submit.List[submit.Payout]) []string {
		var out []string
		for _, p := range page.Data {
			out = append(out, p.Reference)
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"status=completed", []string{usd.Reference, early.Reference}},
		{"status=failed&status=pending_screening", []string{pending.Reference, failing.Reference}},
		{"reference=F-USD", []string{usd.Reference}},
		{"reference=F-US", nil},
		{"beneficiary_id=" + usBen, []string{usd.Reference}},
		{"instrument_id=" + ins, []string{pending.Reference, failing.Reference, early.Reference}},
		{"dest_currency=USD", []string{usd.Reference}},
		{"batch_id=bat_01NONE", nil},
		{"created_after=" + url.QueryEscape(failing.CreatedAt), []string{pending.Reference, usd.Reference, failing.Reference}},
		{"created_before=" + url.QueryEscape(failing.CreatedAt), []string{early.Reference}},
		{"created_after=" + url.QueryEscape(failing.CreatedAt) + "&created_before=" + url.QueryEscape(pending.CreatedAt),
			[]string{usd.Reference, failing.Reference}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			got := ids(e.listPayouts(tc.query))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("references = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestListBeneficiariesAndInstruments(t *testing.T) {
	e := startSandbox(t, Options{})
	ben := e.createBeneficiary("beneficiary_individual.json")
	biz := e.uniqueBusiness("List Co")
	first := e.createInstrument(ben, "instrument_iban.json")
	second := e.createInstrument(ben, "instrument_uk_bank.json")

	res := e.call(http.MethodGet, "/v1/beneficiaries?limit=1", nil)
	res.expect(t, http.StatusOK, "-")
	var page submit.List[submit.Beneficiary]
	res.decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != biz || !page.HasMore {
		t.Fatalf("beneficiaries page = %s", res.body)
	}
	res = e.call(http.MethodGet, "/v1/beneficiaries?type=individual", nil)
	page = submit.List[submit.Beneficiary]{}
	res.decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != ben || page.Data[0].DisplayName != "Jana Keller" {
		t.Errorf("individual filter = %s", res.body)
	}

	res = e.call(http.MethodGet, "/v1/beneficiaries/"+ben+"/instruments", nil)
	res.expect(t, http.StatusOK, "-")
	var instruments submit.List[submit.Instrument]
	res.decode(t, &instruments)
	if len(instruments.Data) != 2 || instruments.Data[0].ID != second || instruments.Data[1].ID != first {
		t.Errorf("instruments = %s", res.body)
	}

	res = e.call(http.MethodGet, "/v1/instruments/"+first, nil)
	res.expect(t, http.StatusOK, "-")
	var in submit.Instrument
	res.decode(t, &in)
	if in.DisplayLast4 != "3000" || in.MaskedAccount != "****3000" || !in.IsDefault || in.Status != "active" {
		t.Errorf("instrument = %+v", in)
	}
	e.call(http.MethodGet, "/v1/instruments/ins_01NOPE", nil).expect(t, http.StatusNotFound, submit.CodeInstrumentNotFound)
	e.call(http.MethodGet, "/v1/beneficiaries/ben_01NOPE", nil).expect(t, http.StatusNotFound, submit.CodeBeneficiaryNotFound)
	e.post("/v1/instruments", fixture(t, "instrument_iban.json")).expect(t, http.StatusGone, "")
}
