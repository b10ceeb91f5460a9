package mappings

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // zones must resolve the same on every host

	"gopkg.in/yaml.v3"
)

type dateFormat struct {
	kind   string // auto, rfc3339, date, datetime, epoch, epoch_ms, layout
	layout string
}

func parseDateFormat(s string, in bool) (dateFormat, error) {
	switch s {
	case "rfc3339", "date", "datetime", "epoch", "epoch_ms":
		return dateFormat{kind: s}, nil
	case "", "auto":
		if in {
			return dateFormat{kind: "auto"}, nil
		}
		return dateFormat{kind: "rfc3339"}, nil
	}
	// A useful Go layout names a year, month, day or hour of the reference
	// time; anything else is most likely a misspelt format name.
	if !containsAny(s, "2006", "06", "01", "02", "_2", "Jan", "Mon", "15") {
		return dateFormat{}, fmt.Errorf("unknown date format %q (want rfc3339, date, datetime, epoch, epoch_ms or a Go layout)", s)
	}
	return dateFormat{kind: "layout", layout: s}, nil
}

// buildDate: {in, out, zone}; a plain scalar argument is the out format.
func buildDate(c *compiler, arg *yaml.Node) (transformFunc, error) {
	var in, out, zone string
	err := c.argFields(arg, "{in, out, zone}", func(s string) error { out = s; return nil },
		func(key string, v *yaml.Node) error {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: want a string", key)
			}
			switch key {
			case "in":
				in = v.Value
			case "out":
				out = v.Value
			case "zone":
				zone = v.Value
			default:
				return fmt.Errorf("unknown key %q (want in, out, zone)", key)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	inF, err := parseDateFormat(in, true)
	if err != nil {
		return nil, err
	}
	outF, err := parseDateFormat(out, false)
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if zone != "" {
		if loc, err = time.LoadLocation(zone); err != nil {
			return nil, fmt.Errorf("unknown zone %q", zone)
		}
	}
	return func(v any) (any, error) {
		if s, ok := v.(string); ok {
			s = strings.TrimSpace(s)
			if s == "" || isZeroDate(s) {
				return "", nil
			}
			v = s
		} else if v == nil {
			return "", nil
		}
		t, err := parseDate(v, inF, loc)
		if err != nil {
			return nil, err
		}
		return formatDate(t, outF, loc), nil
	}, nil
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// isZeroDate recognizes MySQL's "no date" that PHP shops send.
func isZeroDate(s string) bool {
	return strings.HasPrefix(s, "0000-00-00")
}

var errNotDate = errors.New("not a date")

func parseDate(v any, f dateFormat, loc *time.Location) (time.Time, error) {
	switch f.kind {
	case "epoch", "epoch_ms":
		n, ok := numberOf(v)
		if !ok {
			return time.Time{}, fmt.Errorf("not an epoch number")
		}
		return fromEpoch(n, f.kind == "epoch_ms"), nil
	}
	s, ok := v.(string)
	if !ok {
		if n, isNum := numberOf(v); isNum && f.kind == "auto" {
			return fromEpoch(n, false), nil
		}
		return time.Time{}, fmt.Errorf("want a date string, got %s", typeName(v))
	}
	var layouts []string
	switch f.kind {
	case "rfc3339":
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		layouts = []string{"2006-01-02T15:04:05.999999999"}
	case "date":
		layouts = []string{time.DateOnly}
	case "datetime":
		layouts = []string{time.DateTime}
	case "layout":
		layouts = []string{f.layout}
	case "auto":
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		layouts = []string{time.DateTime, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", time.DateOnly}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	if f.kind == "auto" {
		if n, ok := numberOf(s); ok {
			return fromEpoch(n, false), nil
		}
	}
	return time.Time{}, errNotDate
}

func fromEpoch(n float64, ms bool) time.Time {
	if ms {
		return time.UnixMilli(int64(n)).UTC()
	}
	sec, frac := math.Modf(n)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func formatDate(t time.Time, f dateFormat, loc *time.Location) any {
	t = t.In(loc)
	switch f.kind {
	case "date":
		return t.Format(time.DateOnly)
	case "datetime":
		return t.Format(time.DateTime)
	case "epoch":
		return t.Unix()
	case "epoch_ms":
		return t.UnixMilli()
	case "layout":
		return t.Format(f.layout)
	}
	return t.Format(time.RFC3339)
}
