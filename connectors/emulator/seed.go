package emulator

// SeedName is the name of the i-th seeded customer. The names repeat only
// after 80 customers, so tests telling seeded customers apart by name can.
func SeedName(i int) (first, last string) {
	return seedFirst[i%len(seedFirst)], seedLast[(i/len(seedFirst))%len(seedLast)]
}

var (
	seedFirst = []string{"Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hugo", "Ida", "Jan"}
	seedLast  = []string{"Meyer", "Schulz", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Klein"}
)
