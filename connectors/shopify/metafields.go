package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Customer metafields. The mapping renders metafields as {key: value}
// under the payload key "metafields"; they go to the namespace of the
// setting metafield_namespace through the REST metafield endpoints of the
// customer (customers/{id}/metafields.json). The REST customer carries
// no metafields, so the writer reads the namespace's metafields of the
// customer (one GET, only when the payload has metafields) and writes
// only what differs: POST for a new key, PUT for a changed value (with
// the metafield's own type, which a merchant's definition may have set),
// DELETE for a value the hub no longer has (""). Metafield writes do not
// touch the customer itself, so they cause no customers/update echo.

// metafieldType is the type of metafields shophub creates: the insights
// are short texts ("champions", "130.50 EUR", "12.5%").
const metafieldType = "single_line_text_field"

// splitMetafields takes the metafields out of a payload; nil when it has
// none. Values are strings ("" for none).
func splitMetafields(body map[string]any) (map[string]string, error) {
	v, ok := body["metafields"]
	if !ok {
		return nil, nil
	}
	delete(body, "metafields")
	m, ok := v.(map[string]any)
	if !ok {
		return nil, connectors.Permanent(fmt.Errorf("shopify: metafields: want {key: value}, got %T", v))
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if n := len(k); n < 2 || n > 64 {
			return nil, connectors.Permanent(fmt.Errorf("shopify: metafield key %q: want 2–64 characters", k))
		}
		out[k] = strings.TrimSpace(scalar(x))
	}
	return out, nil
}

// metafield is one REST metafield as far as the writer needs it.
type metafield struct {
	ID    string
	Key   string
	Type  string
	Value string
}

// customerMetafields reads the metafields of one customer in ns.
func (c *Connector) customerMetafields(ctx context.Context, id, ns string) (map[string]metafield, error) {
	var out struct {
		Metafields []map[string]any `json:"metafields"`
	}
	q := url.Values{"namespace": {ns}, "limit": {"250"}}
	if _, err := c.call(ctx, "GET", "/customers/"+id+"/metafields.json", q, nil, &out); err != nil {
		return nil, fmt.Errorf("shopify: read metafields of customer %s: %w", id, err)
	}
	have := make(map[string]metafield, len(out.Metafields))
	for _, m := range out.Metafields {
		if scalar(m["namespace"]) != ns {
			continue
		}
		mf := metafield{ID: connectors.IDString(m["id"]), Key: scalar(m["key"]), Type: scalar(m["type"]), Value: scalar(m["value"])}
		have[mf.Key] = mf
	}
	return have, nil
}

// syncMetafields brings the customer's metafields in ns to want and
// reports how many writes it made. fresh says the customer was just
// created: it has none, so nothing is read.
func (c *Connector) syncMetafields(ctx context.Context, id string, want map[string]string, fresh bool) (int, error) {
	if len(want) == 0 {
		return 0, nil
	}
	ns := c.settings.MetafieldNamespace
	have := map[string]metafield{}
	if !fresh {
		var err error
		if have, err = c.customerMetafields(ctx, id, ns); err != nil {
			return 0, err
		}
	}
	writes := 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v := want[k]
		cur, exists := have[k]
		switch {
		case v == "" && exists:
			if _, err := idPath(cur.ID); err != nil {
				return writes, err
			}
			if _, err := c.call(ctx, "DELETE", "/customers/"+id+"/metafields/"+cur.ID+".json", nil, nil, nil); err != nil && !isNotFound(err) {
				return writes, fmt.Errorf("shopify: delete metafield %s.%s of customer %s: %w", ns, k, id, err)
			}
		case v == "" || (exists && cur.Value == v):
			continue
		case exists:
			if _, err := idPath(cur.ID); err != nil {
				return writes, err
			}
			typ := cur.Type
			if typ == "" {
				typ = metafieldType
			}
			body := map[string]any{"metafield": map[string]any{"id": jsonID(cur.ID), "value": v, "type": typ}}
			if _, err := c.call(ctx, "PUT", "/customers/"+id+"/metafields/"+cur.ID+".json", nil, body, nil); err != nil {
				return writes, fmt.Errorf("shopify: update metafield %s.%s of customer %s: %w", ns, k, id, err)
			}
		default:
			body := map[string]any{"metafield": map[string]any{"namespace": ns, "key": k, "value": v, "type": metafieldType}}
			if _, err := c.call(ctx, "POST", "/customers/"+id+"/metafields.json", nil, body, nil); err != nil {
				return writes, fmt.Errorf("shopify: create metafield %s.%s of customer %s: %w", ns, k, id, err)
			}
		}
		writes++
	}
	return writes, nil
}

// sameTags reports whether two Shopify tag strings hold the same tags
// (Shopify keeps them as a set: order and spacing mean nothing).
func sameTags(a, b any) bool {
	set := func(v any) []string {
		var out []string
		for _, t := range strings.Split(scalar(v), ",") {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(set(a), set(b))
}

func isNotFound(err error) bool { return errors.Is(err, connectors.ErrNotFound) }

// jsonID sends a Shopify id as the JSON number Shopify takes.
func jsonID(id string) json.Number { return json.Number(id) }
