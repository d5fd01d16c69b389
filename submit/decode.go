package submit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxResponseBody caps the bytes read from one API response. Anton's own
// request limit is 1 MB, and a page of 100 payouts is far smaller.
const MaxResponseBody = 4 << 20

// errorPreview caps the bytes of a non-JSON error body kept as its message.
const errorPreview = 200

// readBody reads at most MaxResponseBody bytes and fails on a longer body.
func readBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxResponseBody+1))
	if err != nil {
		return body, err
	}
	if len(body) > MaxResponseBody {
		return nil, fmt.Errorf("response body is larger than %d MiB", MaxResponseBody>>20)
	}
	return body, nil
}

// decodeResource decodes a single resource, bare as Anton's OpenAPI file
// describes it or inside a {"data": {...}} wrapper as some of its examples show.
func decodeResource(body []byte, out any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errEmptyBody
	}
	if err := json.Unmarshal(unwrapData(body), out); err != nil {
		return fmt.Errorf("decode response body: %w", err)
	}
	return nil
}

// unwrapData returns the inner object of {"data": {...}} when the outer object
// has no "id" of its own, else body unchanged.
func unwrapData(body []byte) []byte {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return body
	}
	data, ok := outer["data"]
	if _, hasID := outer["id"]; !ok || hasID {
		return body
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		return trimmed
	}
	return body
}

// decodeList decodes a {data, has_more, next_cursor} page. A bare JSON array
// is taken as a page with has_more false, and a page wrapped once more in
// {"data": {"data": [...]}} is unwrapped.
func decodeList[T any](body []byte) (*List[T], error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []T
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("decode response list: %w", err)
		}
		return &List[T]{Data: items}, nil
	}

	var page List[T]
	if err := json.Unmarshal(unwrapData(trimmed), &page); err != nil {
		return nil, fmt.Errorf("decode response list: %w", err)
	}
	return &page, nil
}

// decodeError builds the APIError of an error response. It reads Anton's
// envelope {"error": {"message", "code", "details"}}, the OAuth form
// {"error": "code", "error_description": "..."}, and otherwise keeps the
// start of the body as the message.
func decodeError(status int, h http.Header, body []byte) *APIError {
	e := &APIError{Status: status, RequestID: h.Get(HeaderRequestID)}

	var envelope struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if json.Unmarshal(body, &envelope) == nil && len(envelope.Error) > 0 {
		var code string
		if json.Unmarshal(envelope.Error, &code) == nil {
			e.Code, e.Message = code, envelope.ErrorDescription
		} else {
			fillFromErrorBody(e, envelope.Error)
		}
	} else {
		e.Message = preview(body)
	}

	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(status))
	}
	if e.Message == "" {
		e.Message = "no message"
	}
	return e
}

// fillFromErrorBody reads Anton's error object. An integer code, as the
// oldest generation of the API sent, is dropped because it only repeats the
// status.
func fillFromErrorBody(e *APIError, raw json.RawMessage) {
	var body struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		e.Message = preview(raw)
		return
	}
	e.Message = body.Message
	var code string
	if json.Unmarshal(body.Code, &code) == nil {
		e.Code = code
	}
	e.Details = decodeDetails(body.Details)
}

// decodeDetails reads details as a list of {field, message}, a single such
// object, or an object mapping field names to messages. A "reason" field is
// read as the message, as one older generation of Anton's help pages shows.
func decodeDetails(raw json.RawMessage) []FieldError {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}

	type detail struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	toField := func(d detail) FieldError {
		if d.Message == "" {
			d.Message = d.Reason
		}
		return FieldError{Field: d.Field, Message: d.Message}
	}

	var list []detail
	if json.Unmarshal(raw, &list) == nil {
		out := make([]FieldError, 0, len(list))
		for _, d := range list {
			out = append(out, toField(d))
		}
		return out
	}

	var one detail
	if json.Unmarshal(raw, &one) == nil && one.Field != "" {
		return []FieldError{toField(one)}
	}

	var byField map[string]string
	if json.Unmarshal(raw, &byField) == nil {
		return mapDetails(byField)
	}
	return []FieldError{{Message: preview(raw)}}
}

func mapDetails(byField map[string]string) []FieldError {
	out := make([]FieldError, 0, len(byField))
	for field, msg := range byField {
		out = append(out, FieldError{Field: field, Message: msg})
	}
	// Map order is random; sort so messages and tests are stable.
	slices.SortFunc(out, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// preview returns up to errorPreview bytes of body on one line, with control
// characters replaced, for the message of a body that is not Anton's envelope.
func preview(body []byte) string {
	body = bytes.TrimSpace(body)
	cut := len(body) > errorPreview
	if cut {
		body = body[:errorPreview]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	text := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, string(body))
	text = strings.Join(strings.Fields(text), " ")
	if cut {
		text += "…"
	}
	return text
}

// errEmptyBody is returned when a success response that must carry a resource
// has no body.
var errEmptyBody = errors.New("decode response body: empty body")
