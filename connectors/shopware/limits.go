package shopware

// Shopware's address names are shorter than the customer's
// (CustomerAddressDefinition: first_name 50, last_name 60; CustomerDefinition:
// 255 each). An address created without names of its own takes the
// customer's, cut to fit: Shopware would refuse the whole write otherwise,
// and the customer keeps the full name.
var addressNameLimit = map[string]int{"firstName": 50, "lastName": 60}

// customerNameForAddress is the customer's name k as an address can hold it.
func customerNameForAddress(k string, v any) any {
	s, ok := v.(string)
	n := addressNameLimit[k]
	if !ok || n == 0 {
		return v
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
