package sandbox

import (
	"container/heap"
	"strings"
	"time"

	"github.com/payrun/payrun/submit"
)

// outcome is the end of a payout's lifecycle, chosen by its reference prefix.
type outcome string

const (
	outcomeCompleted       outcome = "completed"
	outcomeFailed          outcome = "failed"           // reference starts with FAIL-
	outcomeReturned        outcome = "returned"         // reference starts with RETURN-
	outcomeScreeningFailed outcome = "screening_failed" // reference starts with SCREEN-
)

// Lifecycle delays at time scale 1: each step takes stepDelay, so a payout
// completes about 2 seconds after creation, and a RETURN- payout is returned
// returnDelay after it completed.
const (
	stepDelay   = 400 * time.Millisecond
	returnDelay = time.Second
)

func outcomeFor(reference string) outcome {
	switch {
	case strings.HasPrefix(reference, "FAIL-"):
		return outcomeFailed
	case strings.HasPrefix(reference, "RETURN-"):
		return outcomeReturned
	case strings.HasPrefix(reference, "SCREEN-"):
		return outcomeScreeningFailed
	}
	return outcomeCompleted
}

// nextStatus returns the status after status on the path to o, and how long
// the step takes at time scale 1.
func nextStatus(o outcome, status string) (string, time.Duration, bool) {
	switch status {
	case submit.StatusPendingScreening:
		if o == outcomeScreeningFailed {
			return submit.StatusScreeningFailed, stepDelay, true
		}
		return submit.StatusPendingApproval, stepDelay, true
	case submit.StatusPendingApproval:
		return submit.StatusApproved, stepDelay, true
	case submit.StatusApproved:
		return submit.StatusProcessing, stepDelay, true
	case submit.StatusProcessing:
		return submit.StatusSent, stepDelay, true
	case submit.StatusSent:
		if o == outcomeFailed {
			return submit.StatusFailed, stepDelay, true
		}
		return submit.StatusCompleted, stepDelay, true
	case submit.StatusCompleted:
		if o == outcomeReturned {
			return submit.StatusReturned, returnDelay, true
		}
	}
	return "", 0, false
}

// payoutWebhookStatuses are the statuses with a payout.* webhook event type.
// Anton has no event for pending_screening or pending_approval.
var payoutWebhookStatuses = map[string]bool{
	submit.StatusApproved: true, submit.StatusProcessing: true, submit.StatusSent: true,
	submit.StatusCompleted: true, submit.StatusFailed: true, submit.StatusCancelled: true,
	submit.StatusReturned: true, submit.StatusScreeningFailed: true,
}

// scheduleNextStep plans the payout's next transition after from. The caller
// holds s.mu.
func (s *Server) scheduleNextStep(m *merchant, p *payoutRecord, from time.Time) {
	_, delay, ok := nextStatus(p.Outcome, p.Payout.Status)
	if !ok {
		p.NextAt = time.Time{}
		return
	}
	p.NextAt = from.Add(s.scaled(delay))
	s.sched.push(&task{due: p.NextAt, merchantID: m.ID, payoutID: p.Payout.ID})
}

// step runs a due lifecycle task. The caller holds s.mu.
func (s *Server) step(t *task) {
	m := s.state.Merchants[t.merchantID]
	if m == nil {
		return
	}
	p := m.payout(t.payoutID)
	if p == nil || !p.NextAt.Equal(t.due) {
		return // cancelled or rescheduled since
	}
	next, _, ok := nextStatus(p.Outcome, p.Payout.Status)
	if !ok {
		return
	}
	s.transition(m, p, next, "system", t.due)
	s.scheduleNextStep(m, p, t.due)
}

// transition moves a payout to status at the sandbox time at: timestamps,
// balances, the payout event and the webhook event. The caller holds s.mu.
func (s *Server) transition(m *merchant, p *payoutRecord, status, actor string, at time.Time) {
	po := &p.Payout
	previous := po.Status
	po.Status = status
	stamp := timestamp(at)
	po.UpdatedAt = stamp

	var metadata map[string]string
	switch status {
	case submit.StatusPendingApproval:
		po.ScreenedAt = stamp
	case submit.StatusApproved:
		po.ApprovedAt = stamp
	case submit.StatusProcessing:
		po.ProcessedAt = stamp
		po.RailProvider = "sandbox"
		po.RailReference = "sbx_" + strings.ToLower(po.ID[len("pay_"):])
	case submit.StatusCompleted:
		po.CompletedAt = stamp
	case submit.StatusFailed:
		po.FailedAt = stamp
		po.CancelledReason = "beneficiary account closed (sandbox reference prefix FAIL-)"
		metadata = map[string]string{"failure_code": "account_closed", "failure_category": "beneficiary",
			"rail_provider": "sandbox"}
	case submit.StatusReturned:
		metadata = map[string]string{"failure_code": "returned_by_bank", "failure_category": "beneficiary",
			"rail_provider": "sandbox"}
	case submit.StatusScreeningFailed:
		po.ScreeningFailedAt = stamp
		po.CancelledReason = "sanctions screening hit (sandbox reference prefix SCREEN-)"
		metadata = map[string]string{"failure_code": "sanctions_hit", "failure_category": "compliance"}
	case submit.StatusCancelled:
		po.CancelledAt = stamp
		p.NextAt = time.Time{}
	}
	s.settleFunds(m, p, status, at)

	p.Events = append(p.Events, s.newPayoutEvent(m, p, previous, status, actor, at, metadata))
	s.markDirty()
	if payoutWebhookStatuses[status] {
		s.emitEvent(m, "payout."+status, po.ID, *po)
	}
}

// settleFunds moves the payout's debit when it leaves pending: out of the
// balance on completion, back to available on failure, return or cancel.
func (s *Server) settleFunds(m *merchant, p *payoutRecord, status string, at time.Time) {
	bal := m.Balances[p.Payout.SourceCurrency]
	if bal == nil {
		return
	}
	switch status {
	case submit.StatusCompleted:
		bal.Pending -= p.Debit
	case submit.StatusFailed, submit.StatusScreeningFailed, submit.StatusCancelled:
		bal.Pending -= p.Debit
		bal.Available += p.Debit
	case submit.StatusReturned:
		bal.Available += p.Debit
	default:
		return
	}
	bal.UpdatedAt = at
}

func (s *Server) newPayoutEvent(m *merchant, p *payoutRecord, previous, status, actor string, at time.Time, metadata map[string]string) payoutEvent {
	ev := payoutEvent{
		ID:         s.newID("pev"),
		PayoutID:   p.Payout.ID,
		MerchantID: m.ID,
		Status:     status,
		ActorType:  actor,
		Metadata:   metadata,
		OccurredAt: timestamp(at),
		CreatedAt:  timestamp(at),
	}
	if previous != "" {
		ev.PreviousStatus = &previous
	}
	if actor == "merchant" {
		ev.ActorID = m.ID
	}
	return ev
}

// task is one scheduled piece of work: a payout's next step or a webhook
// delivery attempt.
type task struct {
	due        time.Time
	seq        uint64
	merchantID string
	payoutID   string
	delivery   *delivery
}

// taskHeap orders tasks by due time, then by scheduling order.
type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)   { *h = append(*h, x.(*task)) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// scheduler runs tasks when the sandbox clock reaches them.
type scheduler struct {
	s     *Server
	tasks taskHeap // guarded by s.mu
	seq   uint64
	wake  chan struct{}
}

func newScheduler(s *Server) *scheduler {
	return &scheduler{s: s, wake: make(chan struct{}, 1)}
}

// push adds a task. The caller holds s.mu.
func (sc *scheduler) push(t *task) {
	sc.seq++
	t.seq = sc.seq
	heap.Push(&sc.tasks, t)
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

// runDue runs every task that is due, including tasks that earlier ones
// schedule within the same clock reading, and returns the wait until the
// next one.
func (sc *scheduler) runDue() time.Duration {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for len(sc.tasks) > 0 && !sc.tasks[0].due.After(now) {
		t := heap.Pop(&sc.tasks).(*task)
		if t.delivery != nil {
			s.sender.enqueue(t.delivery)
			continue
		}
		s.step(t)
	}
	if len(sc.tasks) == 0 {
		return time.Hour
	}
	return sc.tasks[0].due.Sub(now)
}

func (sc *scheduler) run() {
	defer sc.s.done.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := sc.runDue()
		timer.Reset(wait)
		select {
		case <-sc.s.stop:
			return
		case <-sc.wake:
		case <-timer.C:
		}
	}
}
