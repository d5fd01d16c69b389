package sandbox

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/payrun/payrun/submit"
)

// webhookEventTypes is Anton's webhook event type enum.
var webhookEventTypes = []string{
	"payout.created", "payout.approved", "payout.processing", "payout.sent", "payout.completed",
	"payout.failed", "payout.cancelled", "payout.returned", "payout.screening_failed",
	"payout.velocity_blocked", "beneficiary.created", "beneficiary.updated", "beneficiary.deleted",
	"beneficiary.blocked", "instrument.created", "instrument.updated", "instrument.deleted",
	"batch.uploaded", "batch.completed", "batch.failed", "fx.quote.created", "fx.exchange.created",
	"fx.exchange.completed", "fx.exchange.failed", "funding.credit", "screening.hit", "balance.low", "test",
}

// webhookVersion is the payload version the sandbox reports.
const webhookVersion = "2024-01-01"

// secretGrace is how long a rotated-out secret still signs deliveries.
const secretGrace = idempotencyRetention

// webhookBody is the documented schema of POST /v1/webhooks.
type webhookBody struct {
	URL      string            `json:"url"`
	Events   []string          `json:"events"`
	Metadata map[string]string `json:"metadata"`
}

func (s *Server) createWebhook(c *call) *reply {
	var body webhookBody
	if rep := decodeStrict(c.body, &body); rep != nil {
		return rep
	}
	if rep := checkWebhookURL(body.URL); rep != nil {
		return rep
	}
	var f fieldErrors
	if len(body.Events) == 0 {
		f.add("events", "is required: list event types such as payout.completed, or [\"*\"] for all")
	}
	for i, ev := range body.Events {
		if ev != "*" && !contains(webhookEventTypes, ev) {
			f.add("events."+strconv.Itoa(i), "%q is not a webhook event type", ev)
		}
	}
	if rep := f.reply(); rep != nil {
		return rep
	}

	now := timestamp(c.now)
	secret := "whsec_" + randomHex(32)
	sub := submit.WebhookSubscription{
		ID:         s.newID("whk"),
		MerchantID: c.merchant.ID,
		URL:        body.URL,
		Events:     body.Events,
		Status:     "active",
		Version:    webhookVersion,
		Metadata:   body.Metadata,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	rec := &webhookRecord{Subscription: sub, Secret: secret}
	c.merchant.Webhooks = append(c.merchant.Webhooks, rec)
	c.merchant.byID[sub.ID] = rec
	s.markDirty()

	if !isLoopbackURL(body.URL) {
		s.logger.Warn("sandbox webhook subscription is not on loopback; its events are never delivered",
			"webhook_id", sub.ID, "merchant_id", c.merchant.ID)
	}
	sub.Secret = secret
	return jsonReply(http.StatusCreated, sub)
}

// checkWebhookURL rejects URLs as Anton does, except that the sandbox also
// accepts http and https URLs on loopback.
func checkWebhookURL(raw string) *reply {
	if raw == "" {
		return errorReply(http.StatusBadRequest, "webhook_url_required", "url is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errorReply(http.StatusBadRequest, "webhook_url_invalid",
			"url "+quoteID(raw)+" is not an absolute http or https URL")
	}
	if isLoopbackURL(raw) {
		return nil
	}
	if u.Scheme != "https" {
		return errorReply(http.StatusBadRequest, "webhook_url_not_https",
			"url must use https (the sandbox also accepts http on 127.0.0.1, [::1] and localhost)")
	}
	if isPrivateHost(u.Hostname()) {
		return errorReply(http.StatusBadRequest, "webhook_url_private_address",
			"url points to a private, link-local or internal address: use a public https URL or a loopback URL")
	}
	return nil
}

// isLoopbackURL reports whether the URL's host is a loopback IP or localhost.
func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isPrivateHost reports the hosts Anton refuses: private, link-local,
// unspecified and metadata addresses, and .local or .internal names.
func isPrivateHost(host string) bool {
	lower := strings.ToLower(host)
	if strings.HasSuffix(lower, ".local") || strings.HasSuffix(lower, ".internal") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()
}

func (s *Server) listWebhooks(c *call) *reply {
	out := dataList[submit.WebhookSubscription]{Data: []submit.WebhookSubscription{}}
	status := c.query.Get("status")
	for _, w := range c.merchant.Webhooks {
		if w.Deleted || (status != "" && w.Subscription.Status != status) {
			continue
		}
		out.Data = append(out.Data, w.Subscription)
	}
	return jsonReply(http.StatusOK, out)
}

func (s *Server) lookupWebhook(c *call) (*webhookRecord, *reply) {
	id := c.params["id"]
	if !webhookIDPattern.MatchString(id) && !idPattern("wbh").MatchString(id) {
		return nil, badRequest("invalid webhook id " + quoteID(id) + ": ids look like whk_01HX8Z…")
	}
	w := c.merchant.webhook(id)
	if w == nil {
		return nil, notFound("webhook_subscription_not_found", "webhook subscription "+id+" not found")
	}
	return w, nil
}

func (s *Server) getWebhook(c *call) *reply {
	w, rep := s.lookupWebhook(c)
	if rep != nil {
		return rep
	}
	return jsonReply(http.StatusOK, w.Subscription)
}

// deleteWebhook marks a subscription deleted. Like Anton it responds 204 even
// when the subscription is already gone.
func (s *Server) deleteWebhook(c *call) *reply {
	if w := c.merchant.webhook(c.params["id"]); w != nil {
		w.Deleted = true
		w.Subscription.Status = "inactive"
		w.Subscription.UpdatedAt = timestamp(c.now)
		s.markDirty()
	}
	return &reply{status: http.StatusNoContent}
}

// rotateWebhookSecret issues a new secret. The previous one keeps signing
// deliveries, next to the new one, for 24 hours.
func (s *Server) rotateWebhookSecret(c *call) *reply {
	w, rep := s.lookupWebhook(c)
	if rep != nil {
		return rep
	}
	w.PreviousSecret = w.Secret
	w.PreviousUntil = c.now.Add(secretGrace)
	w.Secret = "whsec_" + randomHex(32)
	w.Subscription.UpdatedAt = timestamp(c.now)
	s.markDirty()

	out := w.Subscription
	out.Secret = w.Secret
	return jsonReply(http.StatusOK, out)
}
