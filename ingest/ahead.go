package ingest

import (
	"runtime"
	"sync"
)

// batchRows is how many rows move through the pipeline together, and
// batchCells bounds their cells, so a batch of wide rows (an XLSX row may
// have 16,384 cells) ends early instead of holding millions of cells.
const (
	batchRows  = 1024
	batchCells = 1 << 16
)

// maxValidators bounds the validating goroutines; beyond a few, reading the
// file is the limit.
const maxValidators = 4

// rowBatch is a run of non-empty rows with their own cell storage, so a row
// stays intact while later rows are read, and, once validated, their records.
type rowBatch struct {
	rows  []sourceRow
	ends  []int // end of each row's cells in cells
	cells []cell
	// err ends the source after these rows: io.EOF or a read error.
	err error
	// read and size are the source's progress after these rows, when it
	// reports it (see progressReporter).
	read, size int64

	// arena holds the text of the rows when the pipeline reuses it (see
	// startPipeline).
	arena arenaBlocks

	records []Record
	keys    []rowKeys
	// blocks hold the Instructions of the valid records. A batch goes back
	// to the pipeline once the caller has moved past its records, so the
	// blocks are reused and a row costs no allocation of its own.
	blocks []instructionBlock
	ready  chan struct{} // closed once records and keys are set
}

// cellAppender is a source that can append a row's cells to a slice of the
// caller's, which saves copying them from the source's own buffer.
type cellAppender interface {
	appendNext(dst []cell) (sourceRow, []cell, error)
}

// arenaUser is a source that can put the text of its rows into blocks that
// a batch owns.
type arenaUser interface {
	useArena(a *arenaBlocks)
}

// progressReporter is a source that reports how far into its file it has read.
type progressReporter interface {
	progress() (read, size int64)
}

// pipeline reads a source in one goroutine, a batch of rows at a time, and
// validates the batches in others, so decoding and parsing (UTF-8 checks and
// encoding/csv, or the worksheet XML) and validation use every core. Batches
// come out in file order; the duplicate checks, which depend on that order,
// run on the caller's goroutine.
type pipeline struct {
	work  chan *rowBatch // batches waiting for a validator
	order chan *rowBatch // the same batches, in file order
	free  chan *rowBatch
	stop  chan struct{}
	done  chan struct{} // closed once the reading goroutine has closed the source

	reuseText bool

	validators sync.WaitGroup
	stopOnce   sync.Once
	closeErr   error
}

// startPipeline takes over src, which must be positioned after the header;
// close closes it. Each validator comes from newValidator. With reuseText,
// a batch's row text lives in blocks the batch owns and reuses. Every
// string of a record, and of its Instruction and problems, is then valid
// only until the caller moves past the batch, so the caller must copy what
// it keeps. Without reuseText, those strings stay valid.
func startPipeline(src source, newValidator func() *validator, reuseText bool) *pipeline {
	workers := min(max(runtime.GOMAXPROCS(0), 1), maxValidators)
	inFlight := workers + 3 // one being returned, one being filled, the rest validating or waiting
	p := &pipeline{
		reuseText: reuseText,
		work:      make(chan *rowBatch, inFlight),
		order:     make(chan *rowBatch, inFlight),
		free:      make(chan *rowBatch, inFlight),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	for i := 0; i < inFlight; i++ {
		p.free <- &rowBatch{}
	}

	p.validators.Add(workers)
	for i := 0; i < workers; i++ {
		go p.validate(newValidator())
	}
	go p.read(src)
	return p
}

func (p *pipeline) read(src source) {
	defer close(p.done)
	defer close(p.work)
	defer func() { p.closeErr = src.close() }()
	for {
		var b *rowBatch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.fill(src, p.reuseText)
		b.ready = make(chan struct{})
		// order and work have room for every batch, so neither send blocks.
		p.order <- b
		p.work <- b
		if b.err != nil {
			return
		}
	}
}

func (p *pipeline) validate(v *validator) {
	defer p.validators.Done()
	for b := range p.work {
		v.validateBatch(b)
		close(b.ready)
	}
}

// fill reads up to batchRows non-empty rows, or fewer before an error.
// With reuseText, a source that implements arenaUser puts the rows' text in
// the batch's arena.
func (b *rowBatch) fill(src source, reuseText bool) {
	b.rows, b.ends, b.cells, b.err = b.rows[:0], b.ends[:0], b.cells[:0], nil
	if user, ok := src.(arenaUser); ok && reuseText {
		b.arena.reset()
		user.useArena(&b.arena)
	}
	appender, _ := src.(cellAppender)
	for len(b.rows) < batchRows && len(b.cells) < batchCells {
		var row sourceRow
		var err error
		start := len(b.cells)
		if appender != nil {
			row, b.cells, err = appender.appendNext(b.cells)
		} else if row, err = src.next(); err == nil {
			b.cells = append(b.cells, row.cells...)
		}
		if err != nil {
			b.err = err
			break
		}
		if row.isEmpty() {
			b.cells = b.cells[:start]
			continue
		}
		b.ends = append(b.ends, len(b.cells))
		// The row keeps every field the source set; its cells are set below.
		b.rows = append(b.rows, row)
	}
	if p, ok := src.(progressReporter); ok {
		b.read, b.size = p.progress()
	}

	// cells may have moved while it grew, so the rows point into it only now.
	start := 0
	for i, end := range b.ends {
		b.rows[i].cells = b.cells[start:end:end]
		start = end
	}
}

// next returns the next validated batch in file order; the caller gives it
// back with release once it no longer uses the batch's rows.
func (p *pipeline) next() *rowBatch {
	b := <-p.order
	<-b.ready
	return b
}

func (p *pipeline) release(b *rowBatch) { p.free <- b }

// close stops the goroutines, waits until the source is closed and returns
// its close error.
func (p *pipeline) close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
	p.validators.Wait()
	return p.closeErr
}

// validateBatch validates the rows of b into b.records and b.keys.
func (v *validator) validateBatch(b *rowBatch) {
	b.records, b.keys = b.records[:0], b.keys[:0]
	if len(b.blocks) < len(b.rows) {
		b.blocks = make([]instructionBlock, batchRows)
	}
	for i, row := range b.rows {
		block := &b.blocks[i]
		rec, keys := v.validate(row, &block.in, &block.amount)
		b.records = append(b.records, rec)
		b.keys = append(b.keys, keys)
	}
}
