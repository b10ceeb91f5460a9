package mappings

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Ticket kinds beyond the customer's.
const (
	KindTime Kind = "time" // RFC 3339 timestamp, normalized to UTC seconds
	KindInt  Kind = "int"  // non-negative whole number
)

// TicketStatuses and TicketChannels are the canonical ticket vocabularies
// (Help Scout's conversation statuses and types).
var (
	TicketStatuses = []string{"active", "pending", "closed", "spam"}
	TicketChannels = []string{"email", "chat", "phone"}
)

// TicketFields is the canonical support ticket (a helpdesk conversation).
// A ticket belongs to a customer through customer_ref (the vendor's
// customer id, resolved through the hub's links) or customer_email.
var TicketFields = []Field{
	{Name: "subject", Kind: KindString},
	{Name: "status", Kind: KindEnum, Enum: TicketStatuses},
	{Name: "channel", Kind: KindEnum, Enum: TicketChannels},
	{Name: "mailbox", Kind: KindString, Doc: "the helpdesk's mailbox/inbox id or name"},
	{Name: "number", Kind: KindString, Doc: "the number agents and customers quote"},
	{Name: "tags", Kind: KindTags},
	{Name: "threads", Kind: KindInt, Doc: "number of threads (messages, notes) in the conversation"},
	{Name: "customer_email", Kind: KindEmail},
	{Name: "customer_ref", Kind: KindString, Doc: "the helpdesk's id of the customer"},
	{Name: "opened_at", Kind: KindTime},
	{Name: "updated_at", Kind: KindTime},
	{Name: "closed_at", Kind: KindTime},
}

var ticketFieldIndex = func() map[string]Field {
	m := make(map[string]Field, len(TicketFields))
	for _, f := range TicketFields {
		m[f.Name] = f
	}
	return m
}()

// TicketField looks up a canonical ticket field.
func TicketField(name string) (Field, bool) {
	f, ok := ticketFieldIndex[name]
	return f, ok
}

func ticketFieldNames() []string {
	names := make([]string, len(TicketFields))
	for i, f := range TicketFields {
		names[i] = f.Name
	}
	return names
}

// NormalizeTicket validates a canonical ticket doc and returns it in normal
// form: unknown fields rejected, enums lower-cased, numbers and ids as
// strings, times in UTC, tags sorted and unique. null and "" stay "" (the
// source says the value is empty, e.g. closed_at of an open ticket).
func NormalizeTicket(in Doc) (Doc, error) {
	out := make(Doc, len(in))
	for name, v := range in {
		f, ok := ticketFieldIndex[name]
		if !ok {
			return nil, &ValidationError{Field: name, Msg: "not a canonical ticket field"}
		}
		nv, err := normalizeTicketValue(f, v)
		if err != nil {
			return nil, err
		}
		out[name] = nv
	}
	return out, nil
}

func normalizeTicketValue(f Field, v any) (any, error) {
	bad := func(msg string) error {
		return &ValidationError{Field: f.Name, Value: MaskValue(f.Name, fmt.Sprint(v)), Msg: msg}
	}
	switch f.Kind {
	case KindTime:
		s := ticketString(v)
		if s == "" {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, bad("want an RFC 3339 time")
		}
		return t.UTC().Format(time.RFC3339), nil
	case KindInt:
		switch x := v.(type) {
		case nil:
			return 0, nil
		case json.Number:
			n, err := x.Int64()
			if err != nil || n < 0 {
				return nil, bad("want a whole number ≥ 0")
			}
			return int(n), nil
		case float64:
			if x < 0 || x != math.Trunc(x) {
				return nil, bad("want a whole number ≥ 0")
			}
			return int(x), nil
		case int:
			if x < 0 {
				return nil, bad("want a whole number ≥ 0")
			}
			return x, nil
		case string:
			n, err := strconv.Atoi(x)
			if err != nil || n < 0 {
				return nil, bad("want a whole number ≥ 0")
			}
			return n, nil
		}
		return nil, bad("want a whole number ≥ 0")
	case KindEnum:
		s := strings.ToLower(strings.TrimSpace(ticketString(v)))
		if s != "" && !contains(f.Enum, s) {
			return nil, bad("want one of " + strings.Join(f.Enum, ", "))
		}
		return s, nil
	case KindEmail:
		s := NormalizeEmail(ticketString(v))
		if s != "" && !isEmail(s) {
			return nil, bad("not an email address")
		}
		return s, nil
	case KindTags:
		if v == nil {
			return []string{}, nil
		}
		tags, err := toStrings(v)
		if err != nil {
			return nil, bad(err.Error())
		}
		return NormalizeTags(tags), nil
	}
	return ticketString(v), nil
}

// ticketString renders ids and numbers as decimal strings.
func ticketString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}
