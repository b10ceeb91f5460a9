package sync

import "time"

// sourceTime is the time a record read at readAt is merged by. Vendors that
// stamp whole seconds (Shopify's and Magento's updated_at, OXID's
// OXTIMESTAMP) say only that the record's last edit lies in that second,
// while webhooks carry finer times (X-Shopify-Triggered-At): a record read
// now, holding a second edit, would otherwise look older than the first
// edit's webhook of the same second and lose to it. A record read at readAt
// holds no edit made after readAt, so its edit lies in [second, min(second
// end, readAt)]; the latest of these orders it after every edit it already
// contains and before every edit it cannot contain yet. Times finer than a
// second are the vendor's own and kept.
// A zero readAt (a record nobody read: a webhook body) keeps updated.
func sourceTime(updated, readAt time.Time) time.Time {
	if updated.IsZero() || updated.Nanosecond() != 0 || readAt.IsZero() {
		return updated
	}
	upper := updated.Add(time.Second - time.Microsecond)
	if readAt.Before(upper) {
		upper = readAt
	}
	if upper.Before(updated) {
		return updated // the vendor's clock runs ahead of ours
	}
	return upper
}
