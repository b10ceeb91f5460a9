// Package erp bundles the ERP connectors: odoo (JSON-2 or legacy
// /jsonrpc) and rest (any REST ERP described by a YAML profile, with ready
// profiles for weclapp and xentral registered as their own types).
// connectors/all imports this package once for all of them.
package erp

import (
	_ "github.com/shophub/shophub/connectors/erp/odoo"
	_ "github.com/shophub/shophub/connectors/erp/rest"
)
