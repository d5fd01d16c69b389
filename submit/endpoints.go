package submit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxPageSize is the largest limit GET /v1/payouts accepts.
const MaxPageSize = 100

// CreatePayout sends POST /v1/payouts. body is the exact JSON of a
// PayoutRequest as the ledger stored it; every retry resends these bytes
// with the same key. A replayed response (Response.Replayed) is a success too.
func (c *Client) CreatePayout(ctx context.Context, key string, body []byte) (*Payout, *Response, error) {
	return postResource[Payout](ctx, c, "/v1/payouts", key, body)
}

// CreateBeneficiary sends POST /v1/beneficiaries. body holds personal data,
// so it is never logged.
func (c *Client) CreateBeneficiary(ctx context.Context, key string, body []byte) (*Beneficiary, *Response, error) {
	return postResource[Beneficiary](ctx, c, "/v1/beneficiaries", key, body)
}

// CreateInstrument sends POST /v1/beneficiaries/{id}/instruments. body holds
// bank details, so it is never logged.
func (c *Client) CreateInstrument(ctx context.Context, key, beneficiaryID string, body []byte) (*Instrument, *Response, error) {
	path, err := idPath("/v1/beneficiaries/", beneficiaryID, "/instruments")
	if err != nil {
		return nil, &Response{}, c.requestError(request{method: http.MethodPost,
			path: "/v1/beneficiaries/{id}/instruments", key: key}, &Response{}, err)
	}
	return postResource[Instrument](ctx, c, path, key, body)
}

// GetPayout sends GET /v1/payouts/{id}.
func (c *Client) GetPayout(ctx context.Context, id string) (*Payout, *Response, error) {
	path, err := idPath("/v1/payouts/", id, "")
	if err != nil {
		return nil, &Response{}, c.requestError(request{method: http.MethodGet,
			path: "/v1/payouts/{id}"}, &Response{}, err)
	}
	body, resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return nil, resp, err
	}
	return decodeInto[Payout](c, request{method: http.MethodGet, path: path}, resp, body)
}

// CancelPayout sends POST /v1/payouts/{id}/cancel with an optional reason.
func (c *Client) CancelPayout(ctx context.Context, key, id, reason string) (*Payout, *Response, error) {
	path, err := idPath("/v1/payouts/", id, "/cancel")
	if err != nil {
		return nil, &Response{}, c.requestError(request{method: http.MethodPost,
			path: "/v1/payouts/{id}/cancel", key: key}, &Response{}, err)
	}
	body := []byte("{}")
	if reason != "" {
		body, _ = json.Marshal(struct {
			Reason string `json:"reason"`
		}{reason})
	}
	return postResource[Payout](ctx, c, path, key, body)
}

// PayoutFilter selects payouts for ListPayouts and EachPayout. Zero fields
// do not filter. Limit is the page size (1 to 100; 0 means Anton's default
// of 20) and Cursor the page to start from.
type PayoutFilter struct {
	Status        []string
	BeneficiaryID string
	InstrumentID  string
	BatchID       string
	DestCurrency  string
	// Reference matches exactly.
	Reference string
	// CreatedAfter is inclusive, CreatedBefore exclusive.
	CreatedAfter  time.Time
	CreatedBefore time.Time
	Limit         int
	Cursor        string
}

// query returns the filter as GET /v1/payouts query parameters.
func (f PayoutFilter) query() (url.Values, error) {
	if f.Limit < 0 || f.Limit > MaxPageSize {
		return nil, fmt.Errorf("%w: page limit %d is outside 1 to %d", ErrInvalidRequest,
			f.Limit, MaxPageSize)
	}
	q := url.Values{}
	for _, s := range f.Status {
		q.Add("status", s)
	}
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("beneficiary_id", f.BeneficiaryID)
	set("instrument_id", f.InstrumentID)
	set("batch_id", f.BatchID)
	set("dest_currency", f.DestCurrency)
	set("reference", f.Reference)
	if !f.CreatedAfter.IsZero() {
		q.Set("created_after", f.CreatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if !f.CreatedBefore.IsZero() {
		q.Set("created_before", f.CreatedBefore.UTC().Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	set("cursor", f.Cursor)
	return q, nil
}

// ListPayouts sends GET /v1/payouts and returns one page.
func (c *Client) ListPayouts(ctx context.Context, f PayoutFilter) (*List[Payout], error) {
	r := request{method: http.MethodGet, path: "/v1/payouts"}
	q, err := f.query()
	if err != nil {
		return nil, c.requestError(r, &Response{}, err)
	}
	r.query = q

	body, resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	page, err := decodeList[Payout](body)
	if err != nil {
		return nil, c.requestError(r, resp, err)
	}
	return page, nil
}

// EachPayout calls fn for every payout the filter selects, page by page from
// f.Cursor. It stops only when a page has has_more false, when fn returns
// an error (returned as is), or on a request error. A page with has_more but
// no new cursor is an error, since following it would loop forever.
func (c *Client) EachPayout(ctx context.Context, f PayoutFilter, fn func(*Payout) error) error {
	seen := map[string]bool{}
	for {
		page, err := c.ListPayouts(ctx, f)
		if err != nil {
			return err
		}
		for i := range page.Data {
			if err := fn(&page.Data[i]); err != nil {
				return err
			}
		}
		if !page.HasMore {
			return nil
		}

		if page.NextCursor == "" || page.NextCursor == f.Cursor || seen[page.NextCursor] {
			return fmt.Errorf("list payouts: Anton returned has_more without a new next_cursor "+
				"after cursor %q; report this to Anton support", f.Cursor)
		}
		seen[page.NextCursor] = true
		f.Cursor = page.NextCursor
	}
}

// Balances sends GET /v1/balances and returns every currency's balance.
func (c *Client) Balances(ctx context.Context) ([]Balance, error) {
	r := request{method: http.MethodGet, path: "/v1/balances"}
	body, resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	list, err := decodeList[Balance](body)
	if err != nil {
		return nil, c.requestError(r, resp, err)
	}
	return list.Data, nil
}

// Merchant sends GET /v1/merchant. When the response carries
// rate_limit_per_minute, the client's limiter adopts it (Limiter.SetLimit).
func (c *Client) Merchant(ctx context.Context) (*Merchant, error) {
	r := request{method: http.MethodGet, path: "/v1/merchant"}
	body, resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	m, _, err := decodeInto[Merchant](c, r, resp, body)
	if err != nil {
		return nil, err
	}
	if m.RateLimitPerMinute > 0 {
		c.limiter.SetLimit(m.RateLimitPerMinute)
	}
	return m, nil
}

// FXRate sends GET /v1/fx/rate for selling sell and buying buy (ISO 4217
// codes). Anton limits this endpoint to 30 requests a minute.
func (c *Client) FXRate(ctx context.Context, sell, buy string) (*FXRate, error) {
	q := url.Values{}
	q.Set("sell_currency", sell)
	q.Set("buy_currency", buy)
	r := request{method: http.MethodGet, path: "/v1/fx/rate", query: q}
	body, resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	rate, _, err := decodeInto[FXRate](c, r, resp, body)
	return rate, err
}

// CreateWebhook sends POST /v1/webhooks. The response carries the signing
// secret, the only time Anton shows it; the client never logs it.
func (c *Client) CreateWebhook(ctx context.Context, key string, req *WebhookRequest) (*WebhookSubscription, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode webhook request: %w", err)
	}
	sub, _, err := postResource[WebhookSubscription](ctx, c, "/v1/webhooks", key, body)
	return sub, err
}

// postResource sends a POST with an idempotency key and decodes the resource.
func postResource[T any](ctx context.Context, c *Client, path, key string, body []byte) (*T, *Response, error) {
	r := request{method: http.MethodPost, path: path, key: key, body: body}
	raw, resp, err := c.do(ctx, r)
	if err != nil {
		return nil, resp, err
	}
	return decodeInto[T](c, r, resp, raw)
}

// decodeInto decodes a resource; a failure names the request, and its outcome
// is unknown, since Anton did respond with success.
func decodeInto[T any](c *Client, r request, resp *Response, body []byte) (*T, *Response, error) {
	var out T
	if err := decodeResource(body, &out); err != nil {
		return nil, resp, c.requestError(r, resp, err)
	}
	return &out, resp, nil
}

// idPath builds prefix + escaped id + suffix, rejecting an empty id.
func idPath(prefix, id, suffix string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: empty id in %s{id}%s", ErrInvalidRequest, prefix, suffix)
	}
	return prefix + url.PathEscape(id) + suffix, nil
}
