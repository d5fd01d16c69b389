package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
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
	arena  []byte // backing bytes of the field strings, unchanged once a string covers them
	// blocks, if not nil, supplies the arena's blocks instead of new
	// allocations (see useArena).
	blocks *arenaBlocks

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
//
// The line is copied into the arena once, and each field is a string over
// its part of that copy. A quoted field with doubled quotes is unescaped in
// place, within its own part, before its string is made.
func (t *csvTokenizer) split(body []byte) bool {
	t.fields = t.fields[:0]
	t.reserve(len(body))
	start := len(t.arena)
	t.arena = append(t.arena, body...)
	line := t.arena[start:]

	for i := 0; ; {
		if i < len(line) && line[i] == '"' {
			end, next, ok := t.unquote(line, i+1)
			if !ok {
				return false
			}
			t.fields = append(t.fields, bytesString(line[i+1:end]))
			if next == len(line) {
				return true
			}
			i = next + 1 // line[next] is the delimiter
			continue
		}

		j := i + t.indexSpecial(line[i:])
		if j < i {
			j = len(line)
		} else if line[j] == '"' {
			return false
		}
		t.fields = append(t.fields, bytesString(line[i:j]))
		if j == len(line) {
			return true
		}
		i = j + 1
	}
}

// indexSpecial returns the index of the first delimiter or quote in b, or
// -1. It tests eight bytes at a time: a byte of w^mask is zero where w has
// that byte, and (v-ones)&^v&highs sets the high bit of the first zero
// byte of v (higher bits may be set falsely, never lower ones).
func (t *csvTokenizer) indexSpecial(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	commas, quotes := ones*uint64(t.comma), ones*uint64('"')
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		c, q := w^commas, w^quotes
		m := ((c-ones)&^c | (q-ones)&^q) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if n := len(b) - i; n > 0 && i+8 <= cap(b) {
		// The bytes after b up to its capacity are readable, so the last
		// few bytes are tested as one word, with the bytes past the end
		// masked off.
		w := binary.LittleEndian.Uint64(b[i : i+8])
		c, q := w^commas, w^quotes
		m := ((c-ones)&^c | (q-ones)&^q) & highs & (1<<(8*n) - 1)
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return -1
	}
	for ; i < len(b); i++ {
		if b[i] == t.comma || b[i] == '"' {
			return i
		}
	}
	return -1
}

// unquote unescapes the quoted field of line that starts at from, after its
// opening quote. It returns the end of the unescaped value, which starts at
// from, and the index of the byte after the closing quote: the end of the
// line or a delimiter. It returns ok false when the field needs
// encoding/csv.
func (t *csvTokenizer) unquote(line []byte, from int) (end, next int, ok bool) {
	write, read := from, from
	for {
		k := bytes.IndexByte(line[read:], '"')
		if k < 0 {
			return 0, 0, false
		}
		if write != read {
			copy(line[write:], line[read:read+k])
		}
		write += k
		read += k + 1

		switch {
		case read < len(line) && line[read] == '"':
			line[write] = '"'
			write++
			read++
		case read == len(line) || line[read] == t.comma:
			return write, read, true
		default:
			return 0, 0, false
		}
	}
}

// bytesString returns b as a string without copying. The caller must never
// change b afterwards, which holds for the arena (see reserve).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// reserve makes room for n more bytes in the arena, starting a new block
// when the current one is too full. Bytes in the arena are written once,
// before strings are made over them, and the old block stays as it is,
// because strings point into it.
func (t *csvTokenizer) reserve(n int) {
	if cap(t.arena)-len(t.arena) >= n {
		return
	}
	if t.blocks != nil {
		t.arena = t.blocks.take(n)
		return
	}
	t.arena = make([]byte, 0, max(n, csvArenaBytes))
}

// useArena makes the fields of later records strings over blocks from a,
// starting with a new block.
func (t *csvTokenizer) useArena(a *arenaBlocks) {
	t.blocks = a
	t.arena = a.take(0)
}

// arenaBlocks are blocks of field bytes that a row batch owns and reuses
// once its records are no longer used. A pipeline that reuses text (see
// startPipeline) then allocates no field bytes after its first batches.
type arenaBlocks struct {
	blocks [][]byte
	next   int // the first block not yet taken since reset
}

// recycledArenaBytes is the size of a reused block: a batch of 1,024
// rows of 150 bytes fills about three.
const recycledArenaBytes = 64 << 10

// reset makes every block available again. Strings over them must no
// longer be used.
func (a *arenaBlocks) reset() { a.next = 0 }

// take returns an empty block with room for at least n bytes.
func (a *arenaBlocks) take(n int) []byte {
	if a.next < len(a.blocks) && cap(a.blocks[a.next]) >= n {
		a.next++
		return a.blocks[a.next-1][:0]
	}
	block := make([]byte, 0, max(n, recycledArenaBytes))
	if a.next < len(a.blocks) {
		// Too small for this line: the new block takes its place.
		a.blocks[a.next] = block
	} else {
		a.blocks = append(a.blocks, block)
	}
	a.next++
	return block
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
