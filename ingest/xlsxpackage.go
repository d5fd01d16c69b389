package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// xlsxPackage is the zip package of a workbook. It finds parts by name as
// Office Open XML compares them, ignoring ASCII case (ECMA-376 Part 2, rule
// M1.12), and keeps the totals that bound how far its parts may inflate.
type xlsxPackage struct {
	zip   *zip.Reader
	names map[string]string // lower-case part name -> name in the zip
	// inflated and compressed sum the sizes of the parts opened so far.
	inflated, compressed uint64
}

// newXLSXPackage indexes the parts of archive and rejects two parts whose
// names differ only in case, since a spreadsheet program may read either.
func newXLSXPackage(archive *zip.Reader) (*xlsxPackage, error) {
	p := &xlsxPackage{zip: archive, names: make(map[string]string, len(archive.File))}
	for _, file := range archive.File {
		key := strings.ToLower(file.Name)
		if other, ok := p.names[key]; ok {
			return nil, fileErrorf(CodeXLSXInvalid, "save the workbook again as .xlsx",
				"the package has two parts named %q and %q, but part names must differ in more than letter case",
				other, file.Name)
		}
		p.names[key] = file.Name
	}
	return p, nil
}

// Bounds of inflation. Deflate cannot compress more than about 1,032
// times, which a zip bomb of repeated bytes reaches, while worksheets
// compress far less. The ratio counts only once the parts read inflate past
// maxInflateGrace, since small parts are quick to read whatever they contain.
// NOTE: 100 is a judgment. Sheet XML of near-identical rows, compressed by
// Go's compress/flate at the default level, measured 12 to 29 times, and
// the sheet of 200,000 rows that internal/benchbase/benchfile writes with
// excelize measured 12 times.
const (
	maxInflateRatio = 100
	maxInflateGrace = 64 << 20
)

// open opens a part for reading after adding its sizes, as the zip
// directory states them, to the package's totals. archive/zip fails a read
// beyond the stated inflated size, so the totals bound what is read.
func (p *xlsxPackage) open(name string) (io.ReadCloser, uint64, error) {
	if actual, ok := p.names[strings.ToLower(name)]; ok {
		name = actual
	}
	file, err := p.zip.Open(name)
	if err != nil {
		return nil, 0, err
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, 0, err
	}
	header, ok := info.Sys().(*zip.FileHeader)
	if !ok || info.IsDir() {
		file.Close()
		return nil, 0, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
	}

	p.inflated += header.UncompressedSize64
	p.compressed += header.CompressedSize64
	if p.inflated > maxInflateGrace && p.inflated/maxInflateRatio > p.compressed {
		file.Close()
		return nil, 0, fileErrorf(CodeXLSXInvalid,
			"check where the file came from; if it is genuine, export the sheet as CSV UTF-8 and validate that",
			"the workbook's parts inflate from %s to %s, more than %d times their compressed size, "+
				"which no spreadsheet program writes: the file is damaged or a zip bomb",
			byteSize(p.compressed), byteSize(p.inflated), maxInflateRatio)
	}
	return file, header.UncompressedSize64, nil
}

// byteSize formats a size in KiB, MiB or GiB.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// maxMarkupRun bounds the bytes between two '<' in a part: the text of one
// element or one tag with its attributes, and also a whole comment, CDATA
// section or processing instruction. Excel limits a cell to 32,767
// characters, at most about 230 KB even when each is a 7-byte _xHHHH_
// escape, so a longer run means a damaged or hostile file. encoding/xml
// buffers each token whole, which such a run would grow without bound.
const maxMarkupRun = 1 << 20

// errMarkupRun reports a run longer than maxMarkupRun.
var errMarkupRun = errors.New("a text or tag is longer than 1 MiB, far more than a cell can hold")

// errDirective reports a <!DOCTYPE> or another directive. ECMA-376 Part 2
// (rule M1.18) forbids a DTD in a package, because its entities can expand
// into gigabytes, so readers must treat one as an error.
var errDirective = errors.New("the part contains a <!DOCTYPE> or another <!...> directive, which Office Open XML forbids")

// markupState is where markupLimiter is in the XML syntax.
type markupState uint8

const (
	inText        markupState = iota // text, or a tag, which cannot contain '<'
	afterLess                        // after '<'
	afterBang                        // after "<!"
	afterBangDash                    // after "<!-"
	inComment                        // after "<!--", up to the byte after "--"
	inCDATA                          // after "<![", up to "]]>"
	inInstruction                    // after "<?", up to "?>"
)

// markupLimiter passes bytes through and fails when a run between two '<'
// is longer than maxMarkupRun. It follows comments, CDATA sections and
// processing instructions, which may contain '<', to their ends as
// encoding/xml finds them, so that their length counts as one run.
type markupLimiter struct {
	in     io.Reader
	run    int
	state  markupState
	b0, b1 byte // the last two bytes of a comment, CDATA section or instruction
}

func newMarkupLimiter(in io.Reader) *markupLimiter { return &markupLimiter{in: in} }

func (m *markupLimiter) Read(p []byte) (int, error) {
	n, err := m.in.Read(p)
	if scanErr := m.scan(p[:n]); scanErr != nil {
		return 0, scanErr
	}
	return n, err
}

func (m *markupLimiter) scan(chunk []byte) error {
	for len(chunk) > 0 {
		if m.state == inText {
			i := bytes.IndexByte(chunk, '<')
			if i < 0 {
				m.run += len(chunk)
				break
			}
			if m.run+i > maxMarkupRun {
				return errMarkupRun
			}
			m.run, m.state, chunk = 0, afterLess, chunk[i+1:]
			continue
		}

		m.run++
		if err := m.step(chunk[0]); err != nil {
			return err
		}
		chunk = chunk[1:]
	}
	if m.run > maxMarkupRun {
		return errMarkupRun
	}
	return nil
}

// step moves past one byte outside plain text and tags. A sequence that
// encoding/xml rejects, such as "<!-x", returns to inText, since the
// decoder stops there anyway.
func (m *markupLimiter) step(b byte) error {
	switch m.state {
	case afterLess:
		m.state = inText
		switch b {
		case '!':
			m.state = afterBang
		case '?':
			m.enter(inInstruction)
		}
	case afterBang:
		switch b {
		case '-':
			m.state = afterBangDash
		case '[':
			m.enter(inCDATA)
		default:
			return errDirective
		}
	case afterBangDash:
		m.state = inText
		if b == '-' {
			m.enter(inComment)
		}
	case inComment:
		// encoding/xml ends a comment at the byte after "--", and fails
		// unless that byte is '>'.
		m.leaveAfter(m.b0 == '-' && m.b1 == '-', b)
	case inCDATA:
		m.leaveAfter(m.b0 == ']' && m.b1 == ']' && b == '>', b)
	case inInstruction:
		m.leaveAfter(m.b1 == '?' && b == '>', b)
	}
	return nil
}

func (m *markupLimiter) enter(state markupState) { m.state, m.b0, m.b1 = state, 0, 0 }

func (m *markupLimiter) leaveAfter(end bool, b byte) {
	if end {
		m.state, m.run = inText, 0
		return
	}
	m.b0, m.b1 = m.b1, b
}

// maxElementDepth bounds how deep elements nest. A worksheet nests about
// eight deep (worksheet, sheetData, row, c, is, r, rPr and a run property
// such as <sz>), so 128 leaves room for extensions, while a part of nothing
// but start tags cannot grow the stack of open elements without bound.
const maxElementDepth = 128

// partReader reads the tokens of an XML part with RawToken, which skips
// namespace translation, and checks what RawToken leaves out: that each
// end tag closes the element opened last, and that no element is still
// open at the end of the part.
type partReader struct {
	decoder *xml.Decoder
	open    []xml.Name // the open elements, outermost first
}

func newPartReader(part io.Reader) *partReader {
	return &partReader{decoder: xml.NewDecoder(newMarkupLimiter(part))}
}

// token returns the next token, or io.EOF after the last one.
func (p *partReader) token() (xml.Token, error) {
	token, err := p.decoder.RawToken()
	if errors.Is(err, io.EOF) {
		if n := len(p.open); n > 0 {
			return nil, fmt.Errorf("the part ends inside <%s>, so it is cut short", p.open[n-1].Local)
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}

	switch el := token.(type) {
	case xml.StartElement:
		if len(p.open) == maxElementDepth {
			return nil, fmt.Errorf("elements nest more than %d deep", maxElementDepth)
		}
		p.open = append(p.open, el.Name)
	case xml.EndElement:
		n := len(p.open)
		if n == 0 {
			return nil, fmt.Errorf("</%s> closes no element", el.Name.Local)
		}
		if p.open[n-1] != el.Name {
			return nil, fmt.Errorf("<%s> is closed by </%s>", p.open[n-1].Local, el.Name.Local)
		}
		p.open = p.open[:n-1]
	}
	return token, nil
}

// depth returns how many elements are open, counting a start element just
// returned and not counting an end element just returned.
func (p *partReader) depth() int { return len(p.open) }

// parent returns the local name of the open element around the one at
// depth d, or "" when there is none.
func (p *partReader) parent(d int) string {
	if d < 2 || d-2 >= len(p.open) {
		return ""
	}
	return p.open[d-2].Local
}

// uniqueAttr returns an attribute's value by its local name and reports
// an attribute given twice, which XML forbids and RawToken does not check.
func uniqueAttr(el xml.StartElement, name string) (string, bool, error) {
	value, found := "", false
	for _, a := range el.Attr {
		if a.Name.Local != name {
			continue
		}
		if found {
			return "", false, fmt.Errorf("<%s> has the attribute %s twice", el.Name.Local, name)
		}
		value, found = a.Value, true
	}
	return value, found, nil
}
