package hub

// SetBeforeInsightWrite makes every insight recompute of s call f between
// its reads and its write (nil: none), so a test can hold one there.
func (s *Store) SetBeforeInsightWrite(f func(customerIDs []uint64)) { s.beforeInsightWrite = f }
