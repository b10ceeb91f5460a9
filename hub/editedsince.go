package hub

import "context"

// EditedSince reports whether instance changed one of customer
// customerID's fields in a version after version: a change the log took
// from it, not one it refused. A push whose render equals what it last
// pushed to instance (links.last_pushed_hash) has nothing to bring only
// while the target still holds that push: an edit it made since, taken
// by the hub and then replaced by the value we pushed before (Shopify
// sets a region, a Magento admin sets it back), leaves it holding its own
// edit, which no push answers (the hub pushes no change back to its
// origin).
func (s *Store) EditedSince(ctx context.Context, customerID uint64, instance string, version int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Change{}).
		Where("customer_id = ? AND version > ? AND instance = ? AND rejected = ''", customerID, version, instance).
		Limit(1).Count(&n).Error
	return n > 0, err
}
