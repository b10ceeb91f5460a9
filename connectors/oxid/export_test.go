package oxid

// SetTestHookChecked makes f run after Update's check, before its write.
func SetTestHookChecked(f func()) (restore func()) {
	testHookChecked = f
	return func() { testHookChecked = nil }
}
