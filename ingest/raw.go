package ingest

import (
	"strconv"
	"strings"
)

// Raw is the unmasked cell text of one row, addressed by the file's own
// headers, for --errors-out. It shares the Reader's row buffer, so it is valid
// only until the next call to Next; Clone keeps a copy. The strings that Get
// and Values return stay valid.
type Raw struct {
	header []string
	cells  []cell
}

// Get returns the cell under a header as the file spells it. An unnamed
// column, or a cell beyond the header, is addressed as "column N" (1-based).
// A header the file lacks, or a short row, gives "".
func (w Raw) Get(name string) string {
	for i, h := range w.header {
		if h == name {
			return w.text(i)
		}
	}
	n, ok := strings.CutPrefix(name, "column ")
	if !ok {
		return ""
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || (i <= len(w.header) && w.header[i-1] != "") {
		return ""
	}
	return w.text(i - 1)
}

// Values returns one value per header column, in file order, "" for cells a
// short row lacks. Cells beyond the header are left out.
func (w Raw) Values() []string {
	out := make([]string, len(w.header))
	for i := range w.header {
		out[i] = w.text(i)
	}
	return out
}

// Clone returns a copy that stays valid after the next call to Next.
func (w Raw) Clone() Raw {
	return Raw{header: w.header, cells: append([]cell(nil), w.cells...)}
}

func (w Raw) text(i int) string {
	if i < len(w.cells) {
		return w.cells[i].text
	}
	return ""
}
