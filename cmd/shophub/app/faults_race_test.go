//go:build race

package app_test

// The worker binary a fault test builds is race-checked too when the tests
// are (and then shares their compiled packages).
func init() { raceBuild = true }
