package hub

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// Column limits, in characters, sized to what the vendors accept, so that
// what a shop stores the hub stores too: names 255 (Shopify, Shopware,
// Magento, OXID's OXFNAME), emails 320 (64 local part + @ + 255 domain;
// RFC 5321 paths cap real addresses at 254, but shops store up to 255 and
// the hub must not refuse what they hold), external ids 255. The gorm tags
// in models.go, orders.go and tickets.go spell the same numbers.
const (
	MaxName       = 255
	MaxEmail      = 320
	MaxExternalID = 255
	MaxPhone      = 32
)

// ErrTooLong marks a record with a value longer than the hub's column: it
// is quarantined with the field named, never retried (a retry cannot make
// it fit).
var ErrTooLong = errors.New("value too long for the hub")

// tooLong reports the first over-long value of a record: its external id
// and the customer columns copied out of the doc.
func (in Inbound) tooLong() error {
	return checkLengths(
		field{"external id", in.ExternalID, MaxExternalID},
		field{"email", docString(in.Doc, "email"), MaxEmail},
		field{"first_name", docString(in.Doc, "first_name"), MaxName},
		field{"last_name", docString(in.Doc, "last_name"), MaxName},
		field{"phone", docString(in.Doc, "phone"), MaxPhone},
	)
}

type field struct {
	name  string
	value string
	max   int
}

func checkLengths(fs ...field) error {
	for _, f := range fs {
		// MySQL's varchar(n) counts characters of utf8mb4.
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return fmt.Errorf("%s has %d characters, the hub holds %d: %w", f.name, n, f.max, ErrTooLong)
		}
	}
	return nil
}

func docString(doc map[string]any, key string) string {
	s, _ := doc[key].(string)
	return strings.TrimSpace(s)
}

// asTooLong turns MySQL's "Data too long for column" (1406) into
// ErrTooLong: a column the checks above do not cover must quarantine its
// record as well, not retry it until it is a dead letter.
func asTooLong(err error) error {
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) && me.Number == 1406 {
		return fmt.Errorf("%w: %s", ErrTooLong, me.Message)
	}
	return err
}
