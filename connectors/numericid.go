package connectors

import (
	"fmt"
	"strconv"
)

// NumericID checks that an external id is a vendor's numeric id before it
// goes into a URL path, where anything else could address another
// resource. The error is permanent: "<vendor>: "<id>" is not a <what>".
func NumericID(vendor, what, id string) (string, error) {
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", Permanent(fmt.Errorf("%s: %q is not a %s", vendor, id, what))
	}
	return id, nil
}
