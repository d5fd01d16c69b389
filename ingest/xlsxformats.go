package ingest

import (
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Date serials that Excel shows as a date: 0 is 1900-01-00 in the 1900
// date system, and 2,958,465 is 9999-12-31. A number beyond them shows as
// ##### and stays a number. The 1904 date system starts 1,462 days later.
const (
	maxDateSerial   = 2958465
	date1904Serials = 1462
)

// serialTime converts an Excel date serial in the workbook's date system.
func (x *xlsxSource) serialTime(serial float64) (time.Time, bool) {
	limit := float64(maxDateSerial)
	if x.date1904 {
		limit -= date1904Serials
	}
	if serial < 0 || serial >= limit+1 {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(serial, x.date1904)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// isoLayouts are the forms of the ISO 8601 value of a date cell (t="d").
var isoLayouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04", time.DateOnly}

// parseISODateTime parses the value of a date cell, such as
// "2024-01-15T00:00:00Z" or "2024-01-15T00:00:00.000".
func parseISODateTime(v string) (time.Time, bool) {
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formatDate writes a date cell as YYYY-MM-DD, or as YYYY-MM-DDTHH:MM:SS when
// it has a time of day that its number format may show. A format that shows
// only the date hides the time, so the cell reads as the date it displays.
func formatDate(t time.Time, format dateFormat) string {
	midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	if format == dateOnly || midnight {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02T15:04:05")
}

// dateFormat is the part of a date serial that a cell's number format shows.
type dateFormat uint8

const (
	notDate       dateFormat = iota // a number format
	dateOnly                        // the date without a time of day
	dateTime                        // a time of day, possibly with the date
	percentNumber                   // a number shown times 100 with a % sign
)

// classifyNumberFormat classifies a number format: a custom format code by
// its letters, a built-in format by its id. Ids 14-17 show a date, 18-21 and
// 45-47 a time, 22 both. The East Asian ids 27-36 and 50-58 differ by
// locale, so those that show a time in any of them (32-35, 55, 56) count as
// time, which keeps a time of day rather than dropping it.
// NOTE: the East Asian split is from the Japanese and Chinese built-in
// tables as far as they are known here; a Korean or Thai workbook may differ.
func classifyNumberFormat(id int, custom string) dateFormat {
	if custom != "" {
		return classifyFormatCode(custom)
	}
	switch {
	case id == 9 || id == 10:
		return percentNumber
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return dateOnly
	case id >= 18 && id <= 22, id >= 32 && id <= 35, id >= 45 && id <= 47, id == 55, id == 56:
		return dateTime
	}
	return notDate
}

// classifyFormatCode reads a custom number format code: y, m and d show a
// date, h and s (also elapsed [h], [m] and [s]) a time of day. Quoted text,
// escaped characters and other bracketed parts such as [$-409] or [Red] are
// skipped.
func classifyFormatCode(code string) dateFormat {
	if strings.EqualFold(code, "General") {
		return notDate
	}
	hasDate, hasTime, hasPercent := false, false, false
	inQuote := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			end := strings.IndexByte(code[i:], ']')
			if end < 0 {
				end = len(code) - i
			}
			if elapsedTime(code[i+1 : i+end]) {
				hasTime = true
			}
			i += end
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '%':
			hasPercent = true
		default:
			switch c | 0x20 {
			case 'y', 'd', 'm':
				hasDate = true
			case 'h', 's':
				hasTime = true
			}
		}
	}
	switch {
	case hasTime:
		return dateTime
	case hasDate:
		return dateOnly
	case hasPercent:
		return percentNumber
	}
	return notDate
}

// elapsedTime reports the bracketed elapsed-time codes [h], [mm], [ss].
func elapsedTime(inner string) bool {
	if inner == "" {
		return false
	}
	lower := strings.ToLower(inner)
	return strings.Trim(lower, "h") == "" || strings.Trim(lower, "m") == "" || strings.Trim(lower, "s") == ""
}
