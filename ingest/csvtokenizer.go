package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unsafe"
)

// csvTokenizer splits CSV text into records as encoding/csv does with
// FieldsPerRecord -1, LazyQuotes off and ReuseRecord on, but faster for the
// common record: one line whose quoted fields, if any, end on that line.
// Some records cannot be split that way: a field spanning lines, a
// misplaced quote, a line longer than the buffer, or a last line without a
// line break. At the first of them, the tokenizer hands the rest of the
// input to an encoding/csv Reader, which then reads every later record.
// Records, line numbers, offsets and errors are therefore those of
// encoding/csv, and the differential tests and FuzzCSVTokenizer compare the
// two.
type csvTokenizer struct {
	in    *bufio.Reader
	comma byte
	line  int   // physical lines consumed
	read  int64 // bytes consumed, as csv.Reader.InputOffset counts them

	fields []string
	arena  []byte // backing bytes of the field strings, never overwritten

	// fallback reads the rest of the input once the fast path gives up.
	// Its lines and offsets count from lineBase and readBase.
	fallback *csv.Reader
	lineBase int
	readBase int64
}

// csvReadBuffer is the size of the tokenizer's read buffer; a longer line
// goes to encoding/csv.
const csvReadBuffer = 64 << 10

// csvArenaBytes is the size of each block of field bytes. A string that
// outlives its record (a Reference, an Instruction field, a problem's
// value) keeps its whole block reachable, so blocks stay small.
const csvArenaBytes = 4 << 10

// newCSVTokenizer reads text split on comma, an ASCII delimiter (see
// parseDelimiter), through a read buffer of bufferSize bytes.
func newCSVTokenizer(text io.Reader, comma rune, bufferSize int) *csvTokenizer {
	return &csvTokenizer{in: bufio.NewReaderSize(text, bufferSize), comma: byte(comma)}
}

// next returns the fields of the next record and its first and last
// physical lines. The slice is reused by the next call; the strings stay
// valid. Errors are those of csv.Reader.Read, with *csv.ParseError lines
// counted from the start of the input.
func (t *csvTokenizer) next() (fields []string, first, last int, err error) {
	if t.fallback != nil {
		return t.nextFallback()
	}

	for {
		line, err := t.in.ReadSlice('\n')
		if err != nil {
			// Data before the end of the input or before an error, and
			// lines longer than the buffer, are left to encoding/csv.
			if len(line) == 0 && errors.Is(err, io.EOF) {
				return nil, 0, 0, io.EOF
			}
			t.startFallback(line)
			return t.nextFallback()
		}

		// encoding/csv reads "\r\n" as "\n" and skips empty lines.
		body := line[:len(line)-1]
		if n := len(body); n > 0 && body[n-1] == '\r' {
			body = body[:n-1]
		}
		if len(body) == 0 {
			t.line++
			t.read += int64(len(line))
			continue
		}

		if !t.split(body) {
			t.startFallback(line)
			return t.nextFallback()
		}
		t.line++
		t.read += int64(len(line))
		return t.fields, t.line, t.line, nil
	}
}

// split parses one line without its line break into t.fields. It returns
// false, with t.fields undefined, when the line needs encoding/csv: a
// quoted field that does not close on this line, a closing quote followed
// by anything but the delimiter, or a quote inside an unquoted field.
func (t *csvTokenizer) split(body []byte) bool {
	t.fields = t.fields[:0]
	if bytes.IndexByte(body, '"') < 0 {
		t.reserve(len(body))
		for {
			i := bytes.IndexByte(body, t.comma)
			if i < 0 {
				t.fields = append(t.fields, t.keep(body))
				return true
			}
			t.fields = append(t.fields, t.keep(body[:i]))
			body = body[i+1:]
		}
	}

	t.reserve(len(body))
	for {
		if len(body) > 0 && body[0] == '"' {
			field, rest, ok := t.unquote(body[1:])
			if !ok {
				return false
			}
			t.fields = append(t.fields, field)
			if len(rest) == 0 {
				return true
			}
			body = rest[1:] // rest starts with the delimiter
			continue
		}

		i := bytes.IndexByte(body, t.comma)
		field := body
		if i >= 0 {
			field = body[:i]
		}
		if bytes.IndexByte(field, '"') >= 0 {
			return false
		}
		t.fields = append(t.fields, t.keep(field))
		if i < 0 {
			return true
		}
		body = body[i+1:]
	}
}

// unquote reads a quoted field after its opening quote. It returns the
// field's value and the rest of the line, which is empty or starts with the
// delimiter. It returns ok false when the field needs encoding/csv.
func (t *csvTokenizer) unquote(b []byte) (field string, rest []byte, ok bool) {
	start := len(t.arena)
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return "", nil, false
		}
		t.arena = append(t.arena, b[:i]...)
		b = b[i+1:]
		switch {
		case len(b) > 0 && b[0] == '"':
			t.arena = append(t.arena, '"')
			b = b[1:]
		case len(b) == 0 || b[0] == t.comma:
			return t.arenaString(start), b, true
		default:
			return "", nil, false
		}
	}
}

// reserve makes room for n more bytes in the arena, starting a new block
// when the current one is too full. The old block stays as it is, because
// strings point into it.
func (t *csvTokenizer) reserve(n int) {
	if cap(t.arena)-len(t.arena) >= n {
		return
	}
	t.arena = make([]byte, 0, max(n, csvArenaBytes))
}

// keep copies b into the arena, which reserve has made room for, and
// returns it as a string.
func (t *csvTokenizer) keep(b []byte) string {
	start := len(t.arena)
	t.arena = append(t.arena, b...)
	return t.arenaString(start)
}

// arenaString returns the arena from start to its end as a string. The
// arena only ever grows within its capacity (see reserve), so the bytes
// never change afterwards.
func (t *csvTokenizer) arenaString(start int) string {
	if start == len(t.arena) {
		return ""
	}
	return unsafe.String(&t.arena[start], len(t.arena)-start)
}

// startFallback passes the rest of the input, starting with the unconsumed
// bytes in pending, to an encoding/csv Reader.
func (t *csvTokenizer) startFallback(pending []byte) {
	rest := io.MultiReader(bytes.NewReader(bytes.Clone(pending)), t.in)
	r := csv.NewReader(rest)
	r.Comma = rune(t.comma)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	t.fallback, t.lineBase, t.readBase = r, t.line, t.read
}

func (t *csvTokenizer) nextFallback() (fields []string, first, last int, err error) {
	record, err := t.fallback.Read()
	if err != nil {
		var parse *csv.ParseError
		if errors.As(err, &parse) {
			shifted := *parse
			shifted.StartLine += t.lineBase
			shifted.Line += t.lineBase
			return nil, 0, 0, &shifted
		}
		return nil, 0, 0, err
	}
	first, _ = t.fallback.FieldPos(0)
	last, _ = t.fallback.FieldPos(len(record) - 1)
	last += strings.Count(record[len(record)-1], "\n")
	return record, first + t.lineBase, last + t.lineBase, nil
}

// inputOffset returns the bytes consumed by the records returned so far.
func (t *csvTokenizer) inputOffset() int64 {
	if t.fallback != nil {
		return t.readBase + t.fallback.InputOffset()
	}
	return t.read
}
