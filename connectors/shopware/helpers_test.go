package shopware

import (
	"errors"

	"github.com/shophub/shophub/connectors"
)

func asHTTP(err error, target **connectors.HTTPError) bool { return errors.As(err, target) }
