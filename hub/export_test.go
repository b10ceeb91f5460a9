package hub

// SetBeforeInsightWrite makes every insight recompute of s call f between
// its reads and its write (nil: none), so a test can hold one there.
func (s *Store) SetBeforeInsightWrite(f func(customerIDs []uint64)) { s.beforeInsightWrite = f }

// TombstoneKey is the tombstone hash of a vendor record, for tests that
// play an erasure's transaction step by step.
func (s *Store) TombstoneKey(instance, resource, externalID string) string {
	return s.tombstoneKey(instance, resource, externalID)
}

// SetBeforeScoreWrite makes every scoring run of s call f between its read
// and its write (nil: none).
func (s *Store) SetBeforeScoreWrite(f func()) { s.beforeScoreWrite = f }
