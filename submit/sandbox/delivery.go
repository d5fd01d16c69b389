package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/payrun/payrun/submit"
)

// Delivery policy of Anton: success is a 2xx within deliveryTimeout (no
// redirects followed), at most maxDeliveryAttempts attempts, retried after
// the delays of retryDelays and hourly after those.
const (
	deliveryTimeout     = 30 * time.Second
	maxDeliveryAttempts = 5
	deliveryUserAgent   = "AntonPayments-Webhook/1.0"
	deliveryWorkers     = 4
)

var retryDelays = []time.Duration{30 * time.Second, 2 * time.Minute, 8 * time.Minute, 32 * time.Minute}

// retryDelay returns the wait after failed attempt number attempt (from 1).
func retryDelay(attempt int) time.Duration {
	if attempt-1 < len(retryDelays) {
		return retryDelays[attempt-1]
	}
	return time.Hour
}

// delivery is one webhook event on its way to one subscription.
type delivery struct {
	id             string
	merchantID     string
	subscriptionID string
	eventID        string
	eventType      string
	body           []byte
	attempts       int
	shard          int
}

// emitEvent builds a webhook event and schedules a delivery to every active
// subscription of the merchant that wants its type. Deliveries of one
// resource go through one worker, so they arrive in order unless the
// WebhookReorder fault is on. The caller holds s.mu.
func (s *Server) emitEvent(m *merchant, eventType, resourceID string, data any) {
	var targets []*webhookRecord
	for _, w := range m.Webhooks {
		if !w.Deleted && w.Subscription.Status == "active" && wantsEvent(w.Subscription.Events, eventType) {
			targets = append(targets, w)
		}
	}
	if len(targets) == 0 {
		return
	}

	payload, err := json.Marshal(data)
	if err != nil {
		s.logger.Error("sandbox webhook payload encoding failed", "event_type", eventType, "error", err)
		return
	}
	now := s.now()
	event := submit.WebhookEvent{ID: s.newID("evt"), Type: eventType, CreatedAt: timestamp(now), Data: payload}
	body, err := json.Marshal(event)
	if err != nil {
		s.logger.Error("sandbox webhook event encoding failed", "event_type", eventType, "error", err)
		return
	}

	hash := fnv.New32a()
	hash.Write([]byte(resourceID))
	shard := int(hash.Sum32() % deliveryWorkers)
	for _, w := range targets {
		d := &delivery{
			id:             s.newID("dlv"),
			merchantID:     m.ID,
			subscriptionID: w.Subscription.ID,
			eventID:        event.ID,
			eventType:      eventType,
			body:           body,
			shard:          shard,
		}
		due := now
		if s.faults.WebhookReorder {
			due = now.Add(time.Duration(s.rng.Int64N(int64(s.scaled(2*stepDelay)) + 1)))
			d.shard = s.rng.IntN(deliveryWorkers)
		}
		s.sched.push(&task{due: due, delivery: d})
	}
}

func wantsEvent(events []string, eventType string) bool {
	for _, e := range events {
		if e == "*" || e == eventType {
			return true
		}
	}
	return false
}

// webhookSender delivers webhook events with a fixed pool of workers.
type webhookSender struct {
	s      *Server
	client *http.Client
	queues [deliveryWorkers]*deliveryQueue
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newWebhookSender(s *Server) *webhookSender {
	ctx, cancel := context.WithCancel(context.Background())
	ws := &webhookSender{s: s, client: loopbackClient(), ctx: ctx, cancel: cancel}
	for i := range ws.queues {
		ws.queues[i] = &deliveryQueue{ready: make(chan struct{}, 1)}
		ws.wg.Add(1)
		go ws.work(ws.queues[i])
	}
	return ws
}

// loopbackClient is an HTTP client that never uses a proxy, never follows a
// redirect and refuses to connect to anything but a loopback address.
func loopbackClient() *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("sandbox delivers webhooks to loopback addresses only, not %s", host)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: deliveryWorkers,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   deliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// enqueue hands a due delivery to its worker without blocking.
func (ws *webhookSender) enqueue(d *delivery) {
	ws.queues[d.shard].push(d)
}

func (ws *webhookSender) close() {
	ws.cancel()
	for _, q := range ws.queues {
		q.close()
	}
	ws.wg.Wait()
}

func (ws *webhookSender) work(q *deliveryQueue) {
	defer ws.wg.Done()
	for {
		d, ok := q.pop()
		if !ok {
			return
		}
		ws.attempt(d)
	}
}

// attempt sends one delivery and schedules its retry after a failure.
func (ws *webhookSender) attempt(d *delivery) {
	s := ws.s
	s.mu.Lock()
	m := s.state.Merchants[d.merchantID]
	var w *webhookRecord
	if m != nil {
		w = m.webhook(d.subscriptionID)
	}
	if w == nil || w.Subscription.Status != "active" {
		s.mu.Unlock()
		return
	}
	url := w.Subscription.URL
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && s.now().Before(w.PreviousUntil) {
		secrets = append(secrets, w.PreviousSecret)
	}
	duplicate := s.chance(s.faults.WebhookDuplicateRate)
	s.mu.Unlock()

	log := s.logger.With("webhook_id", d.subscriptionID, "event_id", d.eventID, "event_type", d.eventType)
	if !isLoopbackURL(url) {
		log.Warn("sandbox webhook not delivered: the sandbox delivers to loopback URLs only")
		return
	}

	status, err := ws.post(url, d, secrets)
	s.mu.Lock()
	d.attempts++
	attempts := d.attempts
	if err == nil && status >= 200 && status < 300 {
		s.mu.Unlock()
		log.Debug("sandbox webhook delivered", "status", status, "attempt", attempts)
		if duplicate {
			ws.post(url, d, secrets)
		}
		return
	}
	if attempts >= maxDeliveryAttempts {
		s.mu.Unlock()
		log.Warn("sandbox webhook abandoned", "attempts", attempts, "status", status, "error", err)
		return
	}
	wait := s.scaled(retryDelay(attempts))
	s.sched.push(&task{due: s.now().Add(wait), delivery: d})
	s.mu.Unlock()
	log.Info("sandbox webhook delivery failed; will retry", "attempt", attempts, "status", status,
		"error", err, "retry_in", wait.String())
}

// post signs and sends the event once and returns the HTTP status. The
// timestamp is the wall clock, not the sandbox clock, so receivers' 5-minute
// replay window passes after a clock advance.
func (ws *webhookSender) post(url string, d *delivery, secrets []string) (int, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	signature := ""
	for i, secret := range secrets {
		if i > 0 {
			signature += ","
		}
		signature += "v1=" + sign(secret, ts, d.body)
	}

	req, err := http.NewRequestWithContext(ws.ctx, http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", deliveryUserAgent)
	req.Header.Set(submit.HeaderWebhookID, d.eventID)
	req.Header.Set(submit.HeaderWebhookEvent, d.eventType)
	req.Header.Set(submit.HeaderWebhookTimestamp, ts)
	req.Header.Set(submit.HeaderWebhookSignature, signature)

	resp, err := ws.client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, err
		}
		return 0, fmt.Errorf("post webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sign returns the lowercase hex HMAC-SHA256 of timestamp + "." + body, keyed
// with the full secret string including its whsec_ prefix.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// deliveryQueue is an unbounded FIFO, so the scheduler never blocks on a slow
// receiver.
type deliveryQueue struct {
	mu     sync.Mutex
	items  []*delivery
	closed bool
	ready  chan struct{}
}

func (q *deliveryQueue) push(d *delivery) {
	q.mu.Lock()
	q.items = append(q.items, d)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *deliveryQueue) pop() (*delivery, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.items) > 0 {
			d := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			return d, true
		}
		q.mu.Unlock()
		<-q.ready
	}
}

func (q *deliveryQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
