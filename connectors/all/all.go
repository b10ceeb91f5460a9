// Package all bundles every connector: the binary blank-imports it, and
// adding a connector adds one line here.
package all

import (
	_ "github.com/shophub/shophub/connectors/erp"
	_ "github.com/shophub/shophub/connectors/helpscout"
	_ "github.com/shophub/shophub/connectors/klaviyo"
	_ "github.com/shophub/shophub/connectors/magento"
	_ "github.com/shophub/shophub/connectors/oxid"
	_ "github.com/shophub/shophub/connectors/shopify"
	_ "github.com/shophub/shophub/connectors/shopware"
	_ "github.com/shophub/shophub/connectors/webhook"
)
