package helpscouttest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

type subEntity struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
	Type  string `json:"type"`
}

type address struct {
	City       string   `json:"city"`
	Lines      []string `json:"lines"`
	State      string   `json:"state"`
	PostalCode string   `json:"postalCode"`
	Country    string   `json:"country"`
}

type property struct {
	Type  string `json:"type"`
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type customer struct {
	ID                                          int64
	FirstName, LastName, Organization, JobTitle string
	Emails, Phones                              []subEntity
	Address                                     *address
	Properties                                  map[string]any
	CreatedAt, UpdatedAt                        time.Time
}

func (c *customer) render() map[string]any {
	emails := append([]subEntity{}, c.Emails...)
	phones := append([]subEntity{}, c.Phones...)
	props := make([]property, 0, len(c.Properties))
	for _, k := range sortedKeys(c.Properties) {
		props = append(props, property{Type: "text", Slug: k, Name: k, Value: c.Properties[k]})
	}
	emb := map[string]any{"emails": emails, "phones": phones, "chats": []any{}, "social_profiles": []any{},
		"websites": []any{}, "properties": props}
	if c.Address != nil {
		emb["address"] = c.Address
	}
	m := map[string]any{
		"id": c.ID, "firstName": c.FirstName, "lastName": c.LastName, "organization": c.Organization,
		"jobTitle": c.JobTitle, "photoType": "unknown", "gender": "Unknown",
		"createdAt": c.CreatedAt.Format(time.RFC3339), "updatedAt": c.UpdatedAt.Format(time.RFC3339),
		"_embedded": emb,
		"_links":    map[string]any{"self": map[string]any{"href": fmt.Sprintf("/v2/customers/%d", c.ID)}},
	}
	return roundTrip(m)
}

type conversation struct {
	ID, Number, MailboxID int64
	Subject, Status, Type string
	Tags                  []string
	Threads               int
	CustomerID            int64
	CustomerEmail         string
	CreatedAt, UpdatedAt  time.Time
	ClosedAt              *time.Time
}

func (c *conversation) render() map[string]any {
	tags := make([]map[string]any, 0, len(c.Tags))
	for i, t := range c.Tags {
		tags = append(tags, map[string]any{"id": i + 1, "color": "#929499", "tag": t})
	}
	m := map[string]any{
		"id": c.ID, "number": c.Number, "threads": c.Threads, "type": c.Type, "folderId": 1, "status": c.Status,
		"state": "published", "subject": c.Subject, "preview": "", "mailboxId": c.MailboxID,
		"createdAt": c.CreatedAt.Format(time.RFC3339), "userUpdatedAt": c.UpdatedAt.Format(time.RFC3339),
		"closedAt": nil, "tags": tags,
		"primaryCustomer": map[string]any{"id": c.CustomerID, "email": c.CustomerEmail, "type": "customer"},
		"source":          map[string]any{"type": "email", "via": "customer"},
	}
	if c.ClosedAt != nil {
		m["closedAt"] = c.ClosedAt.Format(time.RFC3339)
	}
	return roundTrip(m)
}

func roundTrip(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- test controls -------------------------------------------------------

// Seed creates n customers as if made in Help Scout's UI (no webhooks) and
// returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		e.mu.Lock()
		id := e.nextID + 1
		e.mu.Unlock()
		ids = append(ids, e.CreateCustomer(map[string]any{"firstName": "Seed", "lastName": strconv.FormatInt(id, 10),
			"emails": []any{map[string]any{"type": "work", "value": fmt.Sprintf("seed-%d@example.com", id)}}}, false))
	}
	return ids
}

// CreateCustomer creates a customer from an API-shaped body; notify sends
// customer.created.
func (e *Emulator) CreateCustomer(body map[string]any, notify bool) string {
	e.mu.Lock()
	c := e.createLocked(body)
	obj := c.render()
	e.mu.Unlock()
	id := strconv.FormatInt(c.ID, 10)
	if notify {
		e.notify("customer.created", obj)
	}
	return id
}

// UpdateCustomer changes main fields as an agent would in the UI and sends
// customer.updated. Keys: firstName, lastName, organization, jobTitle.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) error {
	return e.agentEdit(id, func(c *customer) { applyMain(c, fields) })
}

// SetPhone replaces the customer's first phone (or adds one) as an agent
// would, and sends customer.updated.
func (e *Emulator) SetPhone(id, phone string) error {
	return e.agentEdit(id, func(c *customer) {
		if len(c.Phones) == 0 {
			e.nextSub++
			c.Phones = append(c.Phones, subEntity{ID: e.nextSub, Type: "work", Value: phone})
			return
		}
		c.Phones[0].Value = phone
	})
}

func (e *Emulator) agentEdit(id string, fn func(c *customer)) error {
	e.mu.Lock()
	c := e.customers[parseID(id)]
	if c == nil {
		e.mu.Unlock()
		return fmt.Errorf("no customer %s", id)
	}
	fn(c)
	c.UpdatedAt = laterThan(c.UpdatedAt)
	obj := c.render()
	e.mu.Unlock()
	e.notify("customer.updated", obj)
	return nil
}

// laterThan is now, but never the same second as prev: an edit an agent
// makes must move updatedAt, or merge could not tell it is newer.
func laterThan(prev time.Time) time.Time {
	t := now()
	if !t.After(prev) {
		t = prev.Add(time.Second)
	}
	return t
}

// notBefore is now, but never earlier than prev: an API write right after
// an agent's edit (which laterThan may have stamped a second ahead) must
// not move updatedAt back, as no vendor's clock does.
func notBefore(prev time.Time) time.Time {
	if t := now(); t.After(prev) {
		return t
	}
	return prev
}

// Customer returns the customer as GET /v2/customers/{id} renders it.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.customers[parseID(id)]
	if c == nil {
		return nil, false
	}
	return c.render(), true
}

// FindByEmail returns the id of the customer holding email.
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.byEmailLocked(email); c != nil {
		return strconv.FormatInt(c.ID, 10), true
	}
	return "", false
}

// Phone returns the customer's first phone.
func (e *Emulator) Phone(id string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.customers[parseID(id)]; c != nil && len(c.Phones) > 0 {
		return c.Phones[0].Value
	}
	return ""
}

// Properties returns the customer's property values by slug.
func (e *Emulator) Properties(id string) map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]any{}
	if c := e.customers[parseID(id)]; c != nil {
		for k, v := range c.Properties {
			out[k] = v
		}
	}
	return out
}

// Count is the number of customers.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.customers)
}

// CreateConversation opens a conversation for the customer with email (a
// customer is created if Help Scout has none) and sends convo.created.
func (e *Emulator) CreateConversation(email, subject, channel string, tags ...string) string {
	e.mu.Lock()
	cust := e.byEmailLocked(email)
	if cust == nil {
		cust = e.createLocked(map[string]any{"emails": []any{map[string]any{"type": "work", "value": email}}})
	}
	e.nextID++
	t := now()
	if channel == "" {
		channel = "email"
	}
	cv := &conversation{ID: e.nextID, Number: e.nextID - 100000, MailboxID: 1, Subject: subject, Status: "active", Type: channel,
		Tags: tags, Threads: 1, CustomerID: cust.ID, CustomerEmail: email, CreatedAt: t, UpdatedAt: t}
	e.convos[cv.ID] = cv
	e.mu.Unlock()
	e.notify("convo.created", cv.render())
	return strconv.FormatInt(cv.ID, 10)
}

// SetConversationStatus changes a conversation's status (active, pending,
// closed, spam) and sends convo.status.
func (e *Emulator) SetConversationStatus(id, status string) error {
	e.mu.Lock()
	cv := e.convos[parseID(id)]
	if cv == nil {
		e.mu.Unlock()
		return fmt.Errorf("no conversation %s", id)
	}
	cv.Status = status
	cv.Threads++
	cv.UpdatedAt = laterThan(cv.UpdatedAt)
	if status == "closed" {
		t := cv.UpdatedAt
		cv.ClosedAt = &t
	} else {
		cv.ClosedAt = nil
	}
	body := cv.render()
	e.mu.Unlock()
	e.notify("convo.status", body)
	return nil
}

// Conversation returns a conversation as the API renders it.
func (e *Emulator) Conversation(id string) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cv := e.convos[parseID(id)]
	if cv == nil {
		return nil, false
	}
	return cv.render(), true
}

// --- mutations shared by the API and the controls --------------------------

func (e *Emulator) createLocked(body map[string]any) *customer {
	e.nextID++
	t := now()
	c := &customer{ID: e.nextID, CreatedAt: t, UpdatedAt: t, Properties: map[string]any{}}
	applyMain(c, body)
	for _, it := range listOf(body["emails"]) {
		e.nextSub++
		c.Emails = append(c.Emails, subEntity{ID: e.nextSub, Value: str(it["value"]), Type: orDefault(str(it["type"]), "work")})
	}
	for _, it := range listOf(body["phones"]) {
		e.nextSub++
		c.Phones = append(c.Phones, subEntity{ID: e.nextSub, Value: str(it["value"]), Type: orDefault(str(it["type"]), "work")})
	}
	if a, ok := body["address"].(map[string]any); ok {
		c.Address = addressOf(a)
	}
	e.customers[c.ID] = c
	return c
}

func (e *Emulator) byEmailLocked(email string) *customer {
	for _, c := range e.customers {
		for _, m := range c.Emails {
			if strings.EqualFold(m.Value, email) {
				return c
			}
		}
	}
	return nil
}

func applyMain(c *customer, f map[string]any) {
	for k, v := range f {
		s := str(v)
		switch k {
		case "firstName":
			c.FirstName = s
		case "lastName":
			c.LastName = s
		case "organization":
			c.Organization = s
		case "jobTitle":
			c.JobTitle = s
		}
	}
}

func addressOf(a map[string]any) *address {
	ad := &address{City: str(a["city"]), State: str(a["state"]), PostalCode: str(a["postalCode"]), Country: str(a["country"])}
	for _, l := range anyList(a["lines"]) {
		ad.Lines = append(ad.Lines, str(l))
	}
	if ad.Lines == nil {
		ad.Lines = []string{}
	}
	return ad
}

func listOf(v any) []map[string]any {
	var out []map[string]any
	for _, it := range anyList(v) {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func parseID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
