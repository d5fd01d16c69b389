package ingest

import (
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// tokenizedRecord is one record with the positions csvSource uses.
type tokenizedRecord struct {
	Fields      []string
	First, Last int
	Offset      int64
}

// tokenizeAll reads data with csvTokenizer until an error.
func tokenizeAll(data string, comma rune, bufferSize int, oneByte bool) ([]tokenizedRecord, error) {
	var in io.Reader = strings.NewReader(data)
	if oneByte {
		in = iotest.OneByteReader(in)
	}
	t := newCSVTokenizer(in, comma, bufferSize)
	var out []tokenizedRecord
	for {
		fields, first, last, err := t.next()
		if err != nil {
			return out, err
		}
		out = append(out, tokenizedRecord{Fields: append([]string(nil), fields...), First: first, Last: last,
			Offset: t.inputOffset()})
	}
}

// readAllCSV reads data with encoding/csv as openCSV used to, with the
// positions computed from FieldPos.
func readAllCSV(data string, comma rune) ([]tokenizedRecord, error) {
	r := csv.NewReader(strings.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	var out []tokenizedRecord
	for {
		record, err := r.Read()
		if err != nil {
			return out, err
		}
		first, _ := r.FieldPos(0)
		last, _ := r.FieldPos(len(record) - 1)
		last += strings.Count(record[len(record)-1], "\n")
		out = append(out, tokenizedRecord{Fields: append([]string(nil), record...), First: first, Last: last,
			Offset: r.InputOffset()})
	}
}

// compareTokenizer fails t unless csvTokenizer and encoding/csv agree on
// data with every buffer size and read pattern.
func compareTokenizer(t *testing.T, data string, comma rune) {
	t.Helper()
	want, wantErr := readAllCSV(data, comma)
	for _, size := range []int{16, 64, csvReadBuffer} {
		for _, oneByte := range []bool{false, true} {
			got, gotErr := tokenizeAll(data, comma, size, oneByte)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("input %q, comma %q, buffer %d, one byte %v: records\n%+v\nwant\n%+v",
					data, comma, size, oneByte, got, want)
			}
			if !sameCSVError(gotErr, wantErr) {
				t.Fatalf("input %q, comma %q, buffer %d, one byte %v: error %#v, want %#v",
					data, comma, size, oneByte, gotErr, wantErr)
			}
		}
	}
}

func sameCSVError(got, want error) bool {
	var gotParse, wantParse *csv.ParseError
	if errors.As(want, &wantParse) {
		return errors.As(got, &gotParse) && *gotParse == *wantParse
	}
	return errors.Is(got, want) || (got != nil && want != nil && got.Error() == want.Error())
}

var tokenizerCases = []string{
	"",
	"\n",
	"\r\n\r\n",
	"a,b,c\n",
	"a,b,c",
	"a,b,c\r",
	"a,b,c\r\n1,2,3\r\n",
	"a,,c\n,\n,,\n",
	"\n\na,b\n\n\nc,d\n\n",
	"a\rb,c\n",
	"a,b\r\r\n",
	`"a","b,c","d""e"` + "\n",
	`"",""` + "\n",
	`"a",` + "\n",
	`x,"a` + "\n" + `b",y` + "\nz\n",
	`"a` + "\r\n" + `b"` + "\r\nc\n",
	`a"b,c` + "\n",
	`a,b"` + "\n",
	`"a"b,c` + "\n",
	`"a" ,c` + "\n",
	`"abc` + "\n",
	`"abc`,
	`ok,row` + "\n" + `bad"quote` + "\nafter,row\n",
	`ok` + "\n\n" + `"open` + "\n\nstill open\n",
	`"a""` + "\n",
	`a,"b"` + "\r",
	"é,ü\n\"ß\",x\n",
	strings.Repeat("long field ", 20) + "," + strings.Repeat("y", 100) + "\nnext,row\n",
	"1,2\n" + strings.Repeat("z", 200) + `"` + "\n",
}

func TestCSVTokenizerMatchesEncodingCSV(t *testing.T) {
	for _, comma := range []rune{',', ';', '\t', '|'} {
		for _, data := range tokenizerCases {
			compareTokenizer(t, data, comma)
			compareTokenizer(t, strings.ReplaceAll(data, ",", string(comma)), comma)
		}
	}
}

func TestCSVTokenizerStringsSurviveNext(t *testing.T) {
	tok := newCSVTokenizer(strings.NewReader("a,\"b\"\nc,d\n"), ',', 16)
	first, _, _, err := tok.next()
	if err != nil {
		t.Fatal(err)
	}
	kept := append([]string(nil), first...)
	if _, _, _, err := tok.next(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(kept, []string{"a", "b"}) {
		t.Fatalf("first record after next: %q, want [a b]", kept)
	}
}

// FuzzCSVTokenizer feeds the same bytes to csvTokenizer and to
// encoding/csv and requires the same records, positions and errors.
func FuzzCSVTokenizer(f *testing.F) {
	for _, data := range tokenizerCases {
		f.Add(data, uint8(0))
	}
	commas := []rune{',', ';', '\t', '|'}
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		compareTokenizer(t, data, commas[int(which)%len(commas)])
	})
}

func TestIndexSpecialMatchesLoop(t *testing.T) {
	tok := newCSVTokenizer(strings.NewReader(""), ';', 16)
	text := []byte("abc:<!#\x80\xff\xbb\x00\x01éü0123456789:<!#\x7f\xfe")
	for length := 0; length <= len(text); length++ {
		for at := -1; at < length; at++ {
			for _, special := range []byte{';', '"'} {
				b := append([]byte(nil), text[:length]...)
				if at >= 0 {
					b[at] = special
				}
				if got := tok.indexSpecial(b); got != at {
					t.Fatalf("indexSpecial(%q) = %d, want %d", b, got, at)
				}
			}
		}
	}
}
