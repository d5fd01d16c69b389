package sandbox

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/payrun/payrun/submit"
)

const (
	defaultPageLimit = 20
	maxPageLimit     = 100
)

// cursorPrefix versions the opaque cursor format.
const cursorPrefix = "v1:"

// parseLimit reads the limit query parameter: 1 to 100, default 20.
func parseLimit(q url.Values) (int, *reply) {
	text := q.Get("limit")
	if text == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > maxPageLimit {
		return 0, badRequest("invalid limit " + strconv.Quote(text) + ": use an integer from 1 to 100")
	}
	return n, nil
}

// encodeCursor makes the opaque cursor that continues after the item id.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

// parseCursor returns the id a cursor continues after, or "" without one.
// Ids are ULIDs, so they sort in creation order and a cursor never expires.
func parseCursor(q url.Values, idShape *regexp.Regexp) (string, *reply) {
	text := q.Get("cursor")
	if text == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(text)
	id, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if err != nil || !ok || !idShape.MatchString(id) {
		return "", badRequest("invalid cursor: pass the next_cursor of the previous page unchanged")
	}
	return id, nil
}

// newestFirst returns one page of items, newest first, after the cursor id.
// items are in creation order; keep filters them.
func newestFirst[T any](items []T, id func(T) string, keep func(T) bool, after string, limit int) submit.List[T] {
	page := submit.List[T]{Data: []T{}}
	for i := len(items) - 1; i >= 0; i-- {
		item := items[i]
		if after != "" && id(item) >= after {
			continue
		}
		if !keep(item) {
			continue
		}
		if len(page.Data) == limit {
			page.HasMore = true
			page.NextCursor = encodeCursor(id(page.Data[limit-1]))
			break
		}
		page.Data = append(page.Data, item)
	}
	return page
}

// dataList is a list without pagination: {"data": [...]}.
type dataList[T any] struct {
	Data []T `json:"data"`
}
