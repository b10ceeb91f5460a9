package console

import (
	"net/url"
	"strings"
)

// adminURL is where a record opens in its vendor's admin, "" when that
// is not known: per connector type, from the instance's base URL
// settings. Help Scout's admin is its own web app whatever the API URL.
func adminURL(c Connector, resource, id string) string {
	if id == "" {
		return ""
	}
	setting := func(k string) string {
		s, _ := c.Settings[k].(string)
		return strings.TrimRight(s, "/")
	}
	esc := url.PathEscape(id)
	switch c.Type {
	case "shopify":
		domain := setting("shop_domain")
		if domain == "" {
			return ""
		}
		switch resource {
		case "customer":
			return "https://" + domain + "/admin/customers/" + esc
		case "order":
			return "https://" + domain + "/admin/orders/" + esc
		}
	case "shopware":
		base := setting("url")
		if base == "" {
			return ""
		}
		switch resource {
		case "customer":
			return base + "/admin#/sw/customer/detail/" + esc
		case "order":
			return base + "/admin#/sw/order/detail/" + esc
		}
	case "magento":
		base := setting("base_url")
		if base == "" {
			return ""
		}
		switch resource {
		case "customer":
			return base + "/admin/customer/index/edit/id/" + esc + "/"
		case "order":
			return base + "/admin/sales/order/view/order_id/" + esc + "/"
		}
	case "helpscout":
		switch resource {
		case "customer":
			return "https://secure.helpscout.net/customer/" + esc + "/"
		case "ticket":
			return "https://secure.helpscout.net/conversation/" + esc + "/"
		}
	case "odoo":
		base := setting("url")
		if base == "" {
			return ""
		}
		switch resource {
		case "customer":
			return base + "/web#model=res.partner&view_type=form&id=" + url.QueryEscape(id)
		case "order":
			return base + "/web#model=sale.order&view_type=form&id=" + url.QueryEscape(id)
		}
	}
	return ""
}
