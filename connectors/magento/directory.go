package magento

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/shophub/shophub/connectors"
)

// Magento keys regions by region_id from its directory
// (directory_country_region), with codes of its own: Bayern is BAY, Wien
// WI, where ISO 3166-2 says DE-BY and AT-9. The mapping renders a region
// as {region_code, region}: the ISO code's part after the dash and the
// subdivision's name. The writer looks both up in the directory of the
// address's country (GET /V1/directory/countries/{id}, cached) and sends
// region_id with Magento's own code and name; text that names no region
// of the directory is stored as Magento stores free text (region_id 0).

// dirRegion is one region of a country's directory.
type dirRegion struct {
	ID   int64
	Code string
	Name string
}

// directory caches the regions of each country the writer needed.
type directory struct {
	mu      sync.Mutex
	regions map[string][]dirRegion // ISO-2 → regions (none: no directory)
}

func (c *Connector) countryRegions(ctx context.Context, country string) ([]dirRegion, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if len(country) != 2 {
		return nil, nil
	}
	c.dir.mu.Lock()
	defer c.dir.mu.Unlock()
	if regs, ok := c.dir.regions[country]; ok {
		return regs, nil
	}
	var info struct {
		Regions []struct {
			ID   any    `json:"id"`
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"available_regions"`
	}
	err := c.call(ctx, "GET", "/directory/countries/"+country, nil, nil, &info)
	if err != nil && !errors.Is(err, connectors.ErrNotFound) {
		return nil, fmt.Errorf("magento: directory of %s: %w", country, err)
	}
	regs := make([]dirRegion, 0, len(info.Regions))
	for _, r := range info.Regions {
		id, _ := strconv.ParseInt(connectors.IDString(r.ID), 10, 64)
		regs = append(regs, dirRegion{ID: id, Code: r.Code, Name: r.Name})
	}
	if c.dir.regions == nil {
		c.dir.regions = map[string][]dirRegion{}
	}
	c.dir.regions[country] = regs
	return regs, nil
}

// resolveRegions replaces the rendered region of each default address in
// payload with the directory's: {region_code, region, region_id}.
func (c *Connector) resolveRegions(ctx context.Context, payload map[string]any) error {
	for _, k := range []string{keyBilling, keyShipping} {
		a, _ := payload[k].(map[string]any)
		want, ok := a["region"].(map[string]any)
		if !ok {
			continue
		}
		code := strings.TrimSpace(fmt.Sprint(orEmpty(want["region_code"])))
		name := strings.TrimSpace(fmt.Sprint(orEmpty(want["region"])))
		if code == "" && name == "" {
			a["region"] = map[string]any{"region_code": nil, "region": nil, "region_id": 0}
			continue
		}
		regs, err := c.countryRegions(ctx, fmt.Sprint(orEmpty(a["country_id"])))
		if err != nil {
			return err
		}
		if r, ok := matchRegion(regs, code, name); ok {
			a["region"] = map[string]any{"region_code": r.Code, "region": r.Name, "region_id": r.ID}
			continue
		}
		text := name
		if text == "" {
			text = code
		}
		a["region"] = map[string]any{"region_code": text, "region": text, "region_id": 0}
	}
	return nil
}

// matchRegion finds a region by code, else by name.
func matchRegion(regs []dirRegion, code, name string) (dirRegion, bool) {
	if code != "" {
		for _, r := range regs {
			if strings.EqualFold(r.Code, code) {
				return r, true
			}
		}
	}
	if name != "" {
		for _, r := range regs {
			if strings.EqualFold(r.Name, name) {
				return r, true
			}
		}
	}
	return dirRegion{}, false
}
