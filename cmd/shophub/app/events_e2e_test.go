package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/klaviyo/klaviyotest"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/connectors/webhook"
	"github.com/shophub/shophub/hub"
)

// fakeClock is the event engine's clock in tests: it stands still until
// moved.
type fakeClock struct{ t atomic.Pointer[time.Time] }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.t.Store(&t)
	return c
}

func (c *fakeClock) Now() time.Time { return *c.t.Load() }

func (c *fakeClock) Advance(d time.Duration) {
	t := c.Now().Add(d)
	c.t.Store(&t)
}

// receiver is an outbound webhook endpoint that checks signatures.
type receiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	bodies [][]byte
	bad    int
	// down, while set, answers 503 (the endpoint is unavailable).
	down     atomic.Bool
	attempts atomic.Int64
	// reject, while set, answers 400 (a permanent refusal).
	reject atomic.Bool
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{secret: secret}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.attempts.Add(1)
		if r.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.reject.Load() {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.bodies = append(r.bodies, body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() (good [][]byte, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...), r.bad
}

// eventsEnv is shophub with Shopify (carts), Klaviyo and a webhook
// endpoint, its event engine on a fake clock.
type eventsEnv struct {
	*env
	klaviyo *klaviyotest.Emulator
	hook    *receiver
	clock   *fakeClock
}

func newEventsEnv(t *testing.T, tune func(*config.Config)) *eventsEnv {
	t.Helper()
	kl := klaviyotest.New(klaviyotest.Options{Scale: 60})
	klURL := kl.Start()
	t.Cleanup(kl.Close)
	hook := newReceiver(t, "hook-secret")
	clock := newFakeClock(time.Now())
	e := newEnv(t, envOptions{now: clock.Now, tune: func(c *config.Config) {
		onlyShopify(c)
		c.Connectors[0].Resources = []string{"customer", "order", "cart"}
		c.Events.ScanInterval = config.Duration(time.Second)
		c.Events.CartAbandonedAfter = config.Duration(30 * time.Minute)
		c.Connectors = append(c.Connectors,
			config.Connector{Name: "klaviyo", Type: "klaviyo", Direction: config.DirectionOut, Resources: []string{"customer"},
				Timeout:  config.Duration(10 * time.Second),
				Settings: map[string]any{"base_url": klURL, "api_key": klaviyotest.DefaultAPIKey, "rate_scale": 60}},
			config.Connector{Name: "hooks", Type: "webhook", Direction: config.DirectionOut, Timeout: config.Duration(10 * time.Second),
				Settings: map[string]any{"url": hook.srv.URL, "secret": "hook-secret", "events": []any{"cart_abandoned", "birthday_upcoming"}}})
		if tune != nil {
			tune(c)
		}
	}})
	return &eventsEnv{env: e, klaviyo: kl, hook: hook, clock: clock}
}

func (e *eventsEnv) customer(t *testing.T, email string, consent bool) (shopifyID string, hubID uint64) {
	t.Helper()
	fields := map[string]any{"email": email, "first_name": "Eve", "last_name": "Cart", "verified_email": true}
	if consent {
		fields["email_marketing_consent"] = map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in"}
	}
	shopifyID = e.shopify.CreateCustomer(fields)
	eventually(t, 20*time.Second, "Shopify customer never reached the hub", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c != nil {
			hubID = c.ID
		}
		return c != nil
	})
	return shopifyID, hubID
}

func (e *eventsEnv) events(t *testing.T, customerID uint64) []hub.EventView {
	t.Helper()
	evs, err := e.app.Store.CustomerEvents(context.Background(), customerID, 50)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func (e *eventsEnv) waitCart(t *testing.T, checkoutID string, completed bool) {
	t.Helper()
	eventually(t, 20*time.Second, "checkout "+checkoutID+" never became a hub cart", func() bool {
		c, err := e.app.Store.Cart(context.Background(), "shopify", checkoutID)
		return err == nil && (c.CompletedAt != nil) == completed
	})
}

// A Shopify checkout without an order becomes cart_abandoned once the
// configured delay has passed on the engine's clock, and reaches Klaviyo
// (Create Event) and the webhook endpoint (valid signature). A checkout
// that became an order within the delay makes no event; a person without
// marketing consent gets the event recorded, not delivered.
func TestCartAbandonedReachesKlaviyoAndWebhook(t *testing.T) {
	t.Parallel()
	e := newEventsEnv(t, nil)
	aliceShop, alice := e.customer(t, "alice@example.com", true)
	bobShop, bob := e.customer(t, "bob@example.com", true)
	_, carl := e.customer(t, "carl@example.com", false)

	line := shopifytest.CheckoutLine{Title: "Teapot", Quantity: 2, Price: "24.95"}
	coA, err := e.shopify.CreateCheckout(aliceShop, "", "EUR", line)
	if err != nil {
		t.Fatal(err)
	}
	coB, err := e.shopify.CreateCheckout(bobShop, "", "EUR", line)
	if err != nil {
		t.Fatal(err)
	}
	coC, err := e.shopify.CreateCheckout("", "carl@example.com", "EUR", line)
	if err != nil {
		t.Fatal(err)
	}
	e.waitCart(t, coA, false)
	e.waitCart(t, coC, false)
	// Bob pays within the delay: the order comes, and the checkout
	// completes.
	if _, err := e.shopify.CompleteCheckout(coB); err != nil {
		t.Fatal(err)
	}
	e.waitCart(t, coB, true)

	// Before the delay: nothing.
	if n, err := e.app.Handlers.ScanEvents(context.Background()); err != nil || n != 0 {
		t.Fatalf("scan before the delay: %d events, %v", n, err)
	}
	e.clock.Advance(31 * time.Minute)

	eventually(t, 30*time.Second, "cart_abandoned never reached Klaviyo", func() bool {
		for _, ev := range e.klaviyo.Events() {
			if ev.Metric == "cart_abandoned" {
				return true
			}
		}
		return false
	})
	eventually(t, 30*time.Second, "cart_abandoned never reached the webhook endpoint", func() bool {
		good, _ := e.hook.received()
		return len(good) >= 1
	})
	eventually(t, 30*time.Second, "Carl's event never settled as suppressed", func() bool {
		evs := e.events(t, carl)
		return len(evs) == 1 && evs[0].Deliveries["klaviyo"] == hub.DeliverySuppressed && evs[0].Deliveries["hooks"] == hub.DeliverySuppressed
	})

	kevs := e.klaviyo.Events()
	if len(kevs) != 1 {
		t.Fatalf("Klaviyo got %d events, want Alice's only: %+v", len(kevs), kevs)
	}
	p, _ := e.klaviyo.Profile(kevs[0].ProfileID)
	if p.Attributes["email"] != "alice@example.com" || kevs[0].Properties["recovery_url"] == nil || kevs[0].Value != 49.9 {
		t.Errorf("Klaviyo event: %+v, profile %v", kevs[0], p.Attributes)
	}
	good, bad := e.hook.received()
	if len(good) != 1 || bad != 0 {
		t.Errorf("webhook endpoint: %d valid deliveries (want 1), %d with a bad signature", len(good), bad)
	}
	// The endpoint has the delivery before the worker records it (the
	// record follows the endpoint's answer): wait for the record, then
	// require exactly it.
	var evs []hub.EventView
	eventually(t, 30*time.Second, "Alice's deliveries never recorded", func() bool {
		evs = e.events(t, alice)
		return len(evs) == 1 && evs[0].Deliveries["hooks"] != hub.DeliveryPending && evs[0].Deliveries["klaviyo"] != hub.DeliveryPending
	})
	if len(evs) != 1 || evs[0].Type != hub.EventCartAbandoned || evs[0].Deliveries["klaviyo"] != hub.DeliveryDelivered ||
		evs[0].Deliveries["hooks"] != hub.DeliveryDelivered {
		t.Errorf("Alice's events: %+v", evs)
	}
	if evs := e.events(t, bob); len(evs) != 0 {
		t.Errorf("Bob ordered within the delay, yet has events: %+v", evs)
	}
	// More scans change nothing: once per customer and occasion.
	for range 3 {
		if n, err := e.app.Handlers.ScanEvents(context.Background()); err != nil || n != 0 {
			t.Fatalf("repeated scan recorded %d events, %v", n, err)
		}
	}
	v, err := e.app.Store.View(context.Background(), alice, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Events) != 1 || len(v.Carts) != 1 {
		t.Errorf("360° view: %d events, %d carts", len(v.Events), len(v.Carts))
	}
	logged := false
	for _, c := range v.Changes {
		logged = logged || c.Field == "event:cart_abandoned"
	}
	if !logged {
		t.Error("the change log does not show the event")
	}
}

// A birthday, a repurchase due (from the insights' next-order date) and a
// segment change fire once: with two workers scanning on
// their schedule, with scans run by hand on both at once, and after a
// restart.
func TestBirthdayAndRepurchaseOnceAcrossWorkers(t *testing.T) {
	t.Parallel()
	e := newEventsEnv(t, nil)
	ctx := context.Background()
	now := e.clock.Now().UTC()
	birthday := time.Date(1990, now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 3)
	if birthday.Month() == time.February && birthday.Day() == 29 {
		birthday = birthday.AddDate(0, 0, 1)
	}
	email := "dora@example.com"
	res, err := e.app.Store.MergeCustomer(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: "4242", SourceAt: now,
		Doc: map[string]any{"email": email, "first_name": "Dora", "last_name": "Due", "birthday": birthday.Format(time.DateOnly),
			"email_marketing": map[string]any{"subscribed": true, "updated_at": now.Format(time.RFC3339)}}}, hub.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	for i, daysAgo := range []int{90, 60, 30} {
		placed := now.AddDate(0, 0, -daysAgo).Format(time.RFC3339)
		if _, err := e.app.Store.MergeOrder(ctx, hub.OrderInbound{Instance: "shopify", ExternalID: fmt.Sprint(900 + i), SourceAt: now,
			Doc: map[string]any{"number": fmt.Sprint(900 + i), "status": "completed", "financial_status": "paid", "currency": "EUR",
				"total": "80.00", "customer_email": email, "placed_at": placed}}); err != nil {
			t.Fatal(err)
		}
	}
	// The insights (i18's model) give the next-order date; a scoring run
	// moved Dora's segment.
	if _, err := e.app.Store.RefreshInsights(ctx, e.app.Handlers.Insights, "order", res.CustomerID); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.DB().Create(&hub.InsightChange{CustomerID: res.CustomerID, Field: hub.InsightSegment, OldValue: "loyal",
		NewValue: "at_risk", Cause: "score"}).Error; err != nil {
		t.Fatal(err)
	}

	// A second worker process on the same database and Redis.
	second, err := app.New(ctx, app.Options{Config: e.cfg, Log: e.log, Work: true, Redis: e.rdb, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = second.Shutdown(c)
	})
	// Both also scan by hand, at the same time.
	var wg sync.WaitGroup
	for _, a := range []*app.App{e.app, second} {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := a.Handlers.ScanEvents(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	byType := func() map[string]int {
		n := map[string]int{}
		for _, ev := range e.events(t, res.CustomerID) {
			n[ev.Type]++
		}
		return n
	}
	t.Cleanup(func() {
		if t.Failed() {
			ins, _, _ := e.app.Store.Insights(ctx, res.CustomerID)
			dues, err := e.app.Store.RepurchaseDue(ctx, e.clock.Now(), 0.8)
			t.Logf("events %v; klaviyo %+v; insights next %q last %q; dues %+v %v", byType(), e.klaviyo.Events(), ins.NextOrderDue, ins.LastOrderAt, dues, err)
		}
	})
	eventually(t, 30*time.Second, "birthday and repurchase never reached Klaviyo", func() bool {
		n := map[string]int{}
		for _, ev := range e.klaviyo.Events() {
			n[ev.Metric]++
		}
		return n[hub.EventBirthdayUpcoming] == 1 && n[hub.EventRepurchaseDue] == 1 && n[hub.EventSegmentChanged] == 1
	})
	eventually(t, 30*time.Second, "birthday never reached the webhook endpoint", func() bool {
		good, _ := e.hook.received()
		return len(good) == 1
	})
	if n := byType(); n[hub.EventBirthdayUpcoming] != 1 || n[hub.EventRepurchaseDue] != 1 || n[hub.EventSegmentChanged] != 1 || len(n) != 3 {
		t.Fatalf("events: %v", n)
	}

	// Restart the first process; scans go on, nothing fires again.
	e.stop()
	e.start()
	e.clock.Advance(time.Hour)
	for range 2 {
		if n, err := e.app.Handlers.ScanEvents(ctx); err != nil || n != 0 {
			t.Fatalf("scan after restart recorded %d, %v", n, err)
		}
	}
	time.Sleep(3 * time.Second) // scheduled scans of both workers run meanwhile
	if n := byType(); n[hub.EventBirthdayUpcoming] != 1 || n[hub.EventRepurchaseDue] != 1 || n[hub.EventSegmentChanged] != 1 || len(n) != 3 {
		t.Fatalf("events after restart: %v", n)
	}
	if good, bad := e.hook.received(); len(good) != 1 || bad != 0 {
		t.Fatalf("webhook deliveries after restart: %d (bad %d), want 1", len(good), bad)
	}
	var props map[string]any
	_ = json.Unmarshal(mustBody(e.hook.received()), &props)
	if props["type"] != hub.EventBirthdayUpcoming {
		t.Errorf("webhook body: %v", props)
	}
}

func mustBody(good [][]byte, _ int) []byte {
	if len(good) == 0 {
		return nil
	}
	return good[0]
}

// An order that arrives before the abandoned cart's delivery cancels the
// event: the endpoint is down when the event is recorded, the buyer pays
// meanwhile, and the retry finds the order and delivers nothing.
func TestCartAbandonedCancelledByOrderBeforeDelivery(t *testing.T) {
	t.Parallel()
	e := newEventsEnv(t, func(c *config.Config) {
		for i := range c.Connectors {
			if c.Connectors[i].Name == "klaviyo" {
				c.Connectors[i].Settings["events"] = []any{"birthday_upcoming"}
			}
		}
	})
	e.hook.down.Store(true)
	shopID, id := e.customer(t, "erin@example.com", true)
	co, err := e.shopify.CreateCheckout(shopID, "", "EUR", shopifytest.CheckoutLine{Title: "Kettle", Quantity: 1, Price: "89.00"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitCart(t, co, false)
	e.clock.Advance(31 * time.Minute)
	eventually(t, 30*time.Second, "cart_abandoned never recorded and tried", func() bool {
		evs := e.events(t, id)
		return len(evs) == 1 && evs[0].Deliveries["hooks"] == hub.DeliveryPending && e.hook.attempts.Load() > 0
	})
	if _, err := e.shopify.CompleteCheckout(co); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the order never reached the hub", func() bool {
		os, err := e.app.Store.CustomerOrders(context.Background(), id, 5)
		return err == nil && len(os) == 1
	})
	e.hook.down.Store(false)
	t.Cleanup(func() {
		if t.Failed() {
			os, _ := e.app.Store.CustomerOrders(context.Background(), id, 5)
			t.Logf("events %+v, attempts %d, orders %+v", e.events(t, id), e.hook.attempts.Load(), os)
		}
	})
	eventually(t, 60*time.Second, "the event was never cancelled", func() bool {
		evs := e.events(t, id)
		return len(evs) == 1 && evs[0].Cancelled != "" && evs[0].Deliveries["hooks"] == hub.DeliveryCancelled
	})
	if good, _ := e.hook.received(); len(good) != 0 {
		t.Errorf("a cancelled event was delivered: %s", good)
	}
	if evs := e.klaviyo.Events(); len(evs) != 0 {
		t.Errorf("Klaviyo took cart events it was not configured for: %+v", evs)
	}
}

// A delivery the endpoint refuses for good is a dead letter of its
// instance, listed and replayed like every push; replayed once the
// endpoint takes it, it is delivered.
func TestWebhookDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	e := newEventsEnv(t, nil)
	e.hook.reject.Store(true)
	shopID, id := e.customer(t, "finn@example.com", true)
	co, err := e.shopify.CreateCheckout(shopID, "", "EUR", shopifytest.CheckoutLine{Title: "Cup", Quantity: 1, Price: "9.00"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitCart(t, co, false)
	e.clock.Advance(31 * time.Minute)
	eventually(t, 30*time.Second, "the refused delivery never became a dead letter", func() bool {
		dls, err := e.app.DeadLetters.List("hooks")
		return err == nil && len(dls) == 1
	})
	e.hook.reject.Store(false)
	if n, err := e.app.DeadLetters.ReplayConnector("hooks"); err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	eventually(t, 30*time.Second, "the replayed delivery never arrived", func() bool {
		good, _ := e.hook.received()
		evs := e.events(t, id)
		return len(good) == 1 && len(evs) == 1 && evs[0].Deliveries["hooks"] == hub.DeliveryDelivered
	})
}
