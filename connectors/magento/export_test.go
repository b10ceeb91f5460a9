package magento

import (
	"time"

	"github.com/shophub/shophub/connectors"
)

// SetClock replaces the admin token source's clock (tests only).
func SetClock(c connectors.Connector, now func() time.Time) {
	var mc *Connector
	switch x := c.(type) {
	case *Connector:
		mc = x
	case *WebhookConnector:
		mc = x.Connector
	}
	if mc != nil && mc.auth != nil {
		mc.auth.SetClock(now)
	}
}

// Record is record (tests only).
var Record = record
