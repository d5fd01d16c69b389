package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvSource reads the records of a CSV file as text cells. The cells of a
// row share one buffer, which the next row overwrites.
type csvSource struct {
	file    *os.File
	reader  *csvTokenizer
	checker *utf8Checker // nil unless the file is read as UTF-8
	cells   []cell
	row     int   // spreadsheet row of the last record
	endLine int   // last physical line of the last record
	size    int64 // of the file, in bytes
}

// parseDelimiter turns a profile's delimiter setting into a rune.
func parseDelimiter(s string) (rune, error) {
	switch s {
	case "", ",":
		return ',', nil
	case ";":
		return ';', nil
	case "\t", "tab", `\t`:
		return '\t', nil
	case "|":
		return '|', nil
	}
	return 0, fmt.Errorf("delimiter %q is not supported: use \",\", \";\", \"|\" or \"tab\"", s)
}

// openCSV opens path and sets up decoding: a byte-order mark selects UTF-8 or
// UTF-16; otherwise the profile's encoding, else UTF-8 checked byte by byte.
// Lines that end with a carriage return alone, as old Mac versions of Excel
// wrote them, are read as lines. A first line "sep=X", which Excel writes
// and reads to name the delimiter, sets the delimiter unless declared is
// true because the profile set one. A different delimiter there is a file
// error. The raw bytes read from the file also go to raw, if not nil.
func openCSV(path string, delimiter rune, declared bool, encodingName string, raw io.Writer) (*csvSource, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open payout file: %w", err)
	}

	var in io.Reader = file
	if raw != nil {
		in = io.TeeReader(file, raw)
	}
	text, checker, err := decodeCSV(bufio.NewReader(in), encodingName)
	if err != nil {
		file.Close()
		return nil, err
	}

	buffered := bufio.NewReaderSize(text, csvReadBuffer)
	text = buffered
	if carriageReturnLines(buffered) {
		text = crToLF{buffered}
	}

	// The field strings of a record stay valid; only the slice is reused.
	reader := newCSVTokenizer(text, delimiter, csvReadBuffer)
	if named, ok := sepLine(reader.in); ok {
		if declared && named != delimiter {
			file.Close()
			return nil, fileErrorf(CodeDelimiterMismatch,
				"make the profile's delimiter and the file's sep= line agree, or remove the sep= line",
				"delimiter mismatch: the file's first line \"sep=%c\" names %q, but the source profile sets %q",
				named, named, delimiter)
		}
		reader.comma = byte(named)
	}
	src := &csvSource{file: file, reader: reader, checker: checker}
	if info, err := file.Stat(); err == nil && checker != nil {
		// Only UTF-8 text is read at about one byte per file byte, which
		// the row estimate of progress relies on.
		src.size = info.Size()
	}
	return src, nil
}

// carriageReturnLines reports whether the text's first line break is a
// carriage return without a line feed after it. The "CSV (Macintosh)"
// format ends its lines so, and encoding/csv reads such a file as one line.
func carriageReturnLines(text *bufio.Reader) bool {
	head, _ := text.Peek(csvReadBuffer)
	cr := bytes.IndexByte(head, '\r')
	if cr < 0 || bytes.IndexByte(head[:cr], '\n') >= 0 {
		return false
	}
	return cr+1 == len(head) || head[cr+1] != '\n'
}

// crToLF turns every carriage return into a line feed. It reads text whose
// lines all end with a carriage return alone.
type crToLF struct{ in io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.in.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// sepLine returns the delimiter that a first line "sep=X" names, when X is
// one payrun reads. The line stays in the text; it reads as a title row
// above the header.
func sepLine(text *bufio.Reader) (rune, bool) {
	head, _ := text.Peek(8)
	rest, ok := bytes.CutPrefix(head, []byte("sep="))
	if !ok || len(rest) == 0 {
		return 0, false
	}
	if len(rest) > 1 && rest[1] != '\n' && !bytes.HasPrefix(rest[1:], []byte("\r\n")) {
		return 0, false
	}
	switch rest[0] {
	case ',', ';', '\t', '|':
		return rune(rest[0]), true
	}
	return 0, false
}

// progress returns the bytes read so far and the file's size, or 0, 0 when
// the file is decoded from another encoding.
func (s *csvSource) progress() (read, size int64) {
	if s.size == 0 {
		return 0, 0
	}
	return s.reader.inputOffset(), s.size
}

func decodeCSV(in *bufio.Reader, encodingName string) (io.Reader, *utf8Checker, error) {
	head, _ := in.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		in.Discard(3)
		checker := &utf8Checker{in: in, line: 1, nonASCII: -1}
		return checker, checker, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return transform.NewReader(in, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(in, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), nil, nil
	case len(head) >= 2 && (head[0] == 0 || head[1] == 0):
		return nil, nil, fileErrorf(CodeUTF16WithoutBOM,
			"save the file as \"CSV UTF-8\", or as UTF-16 with a byte-order mark",
			"the file looks like UTF-16 text without a byte-order mark")
	}

	enc, err := lookupEncoding(encodingName)
	if err != nil {
		return nil, nil, err
	}
	if enc != nil {
		return transform.NewReader(in, enc.NewDecoder()), nil, nil
	}
	checker := &utf8Checker{in: in, line: 1, nonASCII: -1}
	return checker, checker, nil
}

// lookupEncoding returns the encoding a profile names, or nil for UTF-8.
func lookupEncoding(name string) (encoding.Encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(name, "_", "-")) {
	case "", "utf-8", "utf8":
		return nil, nil
	}
	enc, err := htmlindex.Get(name)
	if err != nil {
		return nil, fileErrorf(CodeUnknownEncoding,
			"use a WHATWG encoding label such as windows-1252, iso-8859-15 or shift_jis",
			"unknown encoding %q in the source profile", name)
	}
	return enc, nil
}

func (s *csvSource) next() (sourceRow, error) {
	row, cells, err := s.appendNext(s.cells[:0])
	s.cells = cells
	return row, err
}

// appendNext reads the next row like next, but appends its cells to dst
// and returns the grown slice, so a batch can collect rows without a copy.
// The row's cells are the appended part.
func (s *csvSource) appendNext(dst []cell) (sourceRow, []cell, error) {
	record, startLine, lastLine, err := s.reader.next()
	if err != nil {
		return sourceRow{}, dst, s.readError(err)
	}

	// The record ends at the input offset, so if the text up to there is
	// ASCII, so is every field.
	ascii := s.checker != nil && s.checker.asciiBefore(s.reader.inputOffset())
	start := len(dst)
	for _, field := range record {
		dst = append(dst, cell{text: field, ascii: ascii})
	}

	// encoding/csv skips blank lines, but a spreadsheet shows each as a row.
	blank := startLine - s.endLine - 1
	s.row += 1 + blank
	s.endLine = lastLine
	return sourceRow{row: s.row, line: startLine, cells: dst[start:]}, dst, nil
}

func (s *csvSource) readError(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	var invalid *invalidUTF8Error
	if errors.As(err, &invalid) {
		return fileErrorf(CodeInvalidEncoding,
			"save the file as \"CSV UTF-8\" and re-export, or set encoding (for example \"windows-1252\") in the source profile",
			"the file is not valid UTF-8: line %d contains byte 0x%02X, probably from a legacy encoding such as Windows-1252",
			invalid.line, invalid.b)
	}
	var parse *csv.ParseError
	if errors.As(err, &parse) {
		return fileErrorf(CodeCSVSyntax,
			"enclose fields that contain the delimiter, a quote or a line break in double quotes, doubling inner quotes; re-export from the spreadsheet",
			"invalid CSV on line %d, column %d: %v", parse.Line, parse.Column, parse.Err)
	}
	return fmt.Errorf("read payout file: %w", err)
}

func (s *csvSource) close() error { return s.file.Close() }

func (s *csvSource) useArena(a *arenaBlocks) { s.reader.useArena(a) }

// notePassed records bytes passed on, and where the first non-ASCII one was.
func (c *utf8Checker) notePassed(b []byte) {
	if c.nonASCII < 0 {
		if i := firstNonASCII(b); i >= 0 {
			c.nonASCII = c.passed + int64(i)
		}
	}
	c.passed += int64(len(b))
}

// firstNonASCII returns the index of the first byte of b outside ASCII, or
// -1. It tests eight bytes at a time.
func firstNonASCII(b []byte) int {
	const highBits = 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&highBits != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// asciiBefore reports whether every byte before offset was ASCII.
func (c *utf8Checker) asciiBefore(offset int64) bool {
	return c.nonASCII < 0 || offset <= c.nonASCII
}

// completeRunes returns the length of b without a multi-byte sequence that
// the end of b cuts off.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if b[i] < utf8.RuneSelf {
			return len(b)
		}
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// invalidUTF8Error reports the first byte that is not valid UTF-8.
type invalidUTF8Error struct {
	line int
	b    byte
}

func (e *invalidUTF8Error) Error() string {
	return fmt.Sprintf("invalid UTF-8 byte 0x%02X on line %d", e.b, e.line)
}

// utf8Checker passes bytes through and fails at the first invalid UTF-8
// sequence. It holds back an incomplete sequence at the end of a read until
// the next read completes it.
type utf8Checker struct {
	in      io.Reader
	line    int
	pending []byte
	err     error
	// passed counts the bytes passed on; nonASCII is where the first byte
	// outside ASCII was passed, or -1.
	passed, nonASCII int64
}

func (c *utf8Checker) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) <= utf8.UTFMax {
		return 0, io.ErrShortBuffer
	}

	n := copy(p, c.pending)
	c.pending = c.pending[:0]
	m, err := c.in.Read(p[n:])
	n += m

	valid, held := c.scan(p[:n], err == nil)
	if held > 0 {
		c.pending = append(c.pending, p[valid:valid+held]...)
	}
	if c.err != nil {
		return valid, nil
	}
	if errors.Is(err, io.EOF) && len(c.pending) > 0 {
		c.err = &invalidUTF8Error{line: c.line, b: c.pending[0]}
		return valid, nil
	}
	return valid, err
}

// scan returns how many bytes are valid and how many form an incomplete
// sequence at the end that more input may complete.
func (c *utf8Checker) scan(b []byte, more bool) (valid, held int) {
	end := len(b)
	if more {
		end = completeRunes(b)
	}
	if c.nonASCII < 0 && firstNonASCII(b[:end]) < 0 {
		// ASCII is valid UTF-8, and the first byte outside ASCII is still
		// to come.
		c.line += bytes.Count(b[:end], []byte{'\n'})
		c.passed += int64(end)
		return end, len(b) - end
	}
	if utf8.Valid(b[:end]) {
		c.line += bytes.Count(b[:end], []byte{'\n'})
		c.notePassed(b[:end])
		return end, len(b) - end
	}
	defer func() { c.notePassed(b[:valid]) }()

	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			if b[i] == '\n' {
				c.line++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if more && !utf8.FullRune(b[i:]) {
				return i, len(b) - i
			}
			c.err = &invalidUTF8Error{line: c.line, b: b[i]}
			return i, 0
		}
		i += size
	}
	return len(b), 0
}
