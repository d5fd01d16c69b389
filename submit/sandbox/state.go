package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

var errInvalidAmount = errors.New("invalid amount")

// saveInterval is how often the background saver writes a changed state.
const saveInterval = 250 * time.Millisecond

// load reads the state file, if it exists, and reschedules unfinished
// lifecycles. Idempotency keys still in flight when the file was written are
// dropped, since their requests never finished.
func (s *Server) load() error {
	data, err := os.ReadFile(s.opts.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: read state file %s: %w", s.opts.StateFile, err)
	}

	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("sandbox: state file %s is not valid sandbox state (%w): move it away to start empty", s.opts.StateFile, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("sandbox: state file %s has version %d, this sandbox reads version %d: move it away to start empty",
			s.opts.StateFile, st.Version, stateVersion)
	}
	if st.Merchants == nil {
		st.Merchants = map[string]*merchant{}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = &st
	payouts := 0
	for _, m := range st.Merchants {
		m.buildIndexes()
		for scope, rec := range m.Idempotency {
			if rec.InFlight {
				delete(m.Idempotency, scope)
			}
		}
		for _, p := range m.Payouts {
			if !p.NextAt.IsZero() {
				s.sched.push(&task{due: p.NextAt, merchantID: m.ID, payoutID: p.Payout.ID})
			}
		}
		payouts += len(m.Payouts)
	}
	s.logger.Info("sandbox state loaded", "path", s.opts.StateFile, "merchants", len(st.Merchants), "payouts", payouts)
	return nil
}

// save writes the state file atomically: a temporary file in the same
// directory with mode 0600, fsync, rename, then fsync of the directory.
func (s *Server) save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()

	s.mu.Lock()
	s.pruneIdempotency()
	data, err := json.Marshal(s.state)
	s.dirty = false
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: encode state: %w", err)
	}

	if err := writeFileAtomic(s.opts.StateFile, data); err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("sandbox: save state file: %w", err)
	}
	return nil
}

// pruneIdempotency deletes keys older than 24 hours on the sandbox clock.
// The caller holds s.mu.
func (s *Server) pruneIdempotency() {
	cut := s.now().Add(-idempotencyRetention)
	for _, m := range s.state.Merchants {
		for scope, rec := range m.Idempotency {
			if !rec.InFlight && !rec.CreatedAt.After(cut) {
				delete(m.Idempotency, scope)
			}
		}
	}
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, dirErr := os.Open(dir); dirErr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// saveLoop writes the state file shortly after changes until Close. It waits
// at least four times as long as the last save took, so encoding a large state
// under s.mu never takes more than a fifth of the time.
func (s *Server) saveLoop() {
	defer s.done.Done()
	if s.opts.StateFile == "" {
		<-s.stop
		return
	}
	wait := saveInterval
	for {
		timer := time.NewTimer(wait)
		select {
		case <-s.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		s.mu.Lock()
		dirty := s.dirty
		s.mu.Unlock()
		if !dirty {
			continue
		}

		started := time.Now()
		if err := s.save(); err != nil {
			s.logger.Error("sandbox state save failed", "path", s.opts.StateFile, "error", err)
		}
		wait = max(saveInterval, 4*time.Since(started))
	}
}
