package submit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// EachBeneficiary calls fn for every beneficiary of the merchant with the
// given type and country (empty values do not filter), page by page. It stops
// when fn returns false or an error.
func (c *Client) EachBeneficiary(ctx context.Context, beneficiaryType, country string, fn func(*Beneficiary) (bool, error)) error {
	q := url.Values{}
	if beneficiaryType != "" {
		q.Set("type", beneficiaryType)
	}
	if country != "" {
		q.Set("country", country)
	}
	q.Set("limit", strconv.Itoa(MaxPageSize))
	return eachPage(ctx, c, "/v1/beneficiaries", q, fn)
}

// EachInstrument calls fn for every instrument of a beneficiary.
func (c *Client) EachInstrument(ctx context.Context, beneficiaryID string, fn func(*Instrument) (bool, error)) error {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(MaxPageSize))
	return eachPage(ctx, c, "/v1/beneficiaries/"+url.PathEscape(beneficiaryID)+"/instruments", q, fn)
}

// eachPage follows a cursor list until has_more is false or fn stops it.
func eachPage[T any](ctx context.Context, c *Client, path string, q url.Values, fn func(*T) (bool, error)) error {
	seen := map[string]bool{}
	for {
		r := request{method: http.MethodGet, path: path, query: q}
		body, resp, err := c.do(ctx, r)
		if err != nil {
			return err
		}
		page, err := decodeList[T](body)
		if err != nil {
			return c.requestError(r, resp, err)
		}
		for i := range page.Data {
			more, err := fn(&page.Data[i])
			if err != nil || !more {
				return err
			}
		}
		if !page.HasMore {
			return nil
		}
		if page.NextCursor == "" || seen[page.NextCursor] {
			return fmt.Errorf("list %s: Anton returned has_more without a new next_cursor; report this to Anton support", path)
		}
		seen[page.NextCursor] = true
		q.Set("cursor", page.NextCursor)
	}
}
