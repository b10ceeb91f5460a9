package connectors

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// BaseURL checks a vendor base URL from settings and returns it without
// trailing slashes: every connector's base_url (shop_url, url) is read the
// same way. key names the setting in errors, example shows a good value.
func BaseURL(key, raw, example string) (string, error) {
	s := strings.TrimRight(strings.TrimSpace(raw), "/")
	if s == "" {
		return "", fmt.Errorf("%s is required (e.g. %s)", key, example)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return s, fmt.Errorf("%s %q: want a base URL like %s", key, raw, example)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return s, fmt.Errorf("%s %q: want a base URL without query or fragment, like %s", key, raw, example)
	}
	return s, nil
}

// Defaults returns a new settings struct with every field that has a
// `default:"…"` tag set to it, so a connector's defaults live in one place
// — the tags the generated docs show — instead of in the tags and again in
// its NewSettings:
//
//	NewSettings: func() any { return connectors.Defaults[Settings]() },
//
// It panics on a tag it cannot parse: a programming error found by the
// first test that builds the connector.
func Defaults[S any]() *S {
	s := new(S)
	if err := ApplyDefaults(s); err != nil {
		panic(fmt.Sprintf("connectors.Defaults[%T]: %v", *s, err))
	}
	return s
}

// ApplyDefaults sets each zero field of the struct settings points to
// from its `default` tag: strings, bools, integers, floats, durations
// (time.Duration fields and Go duration text) and comma-separated string
// lists.
func ApplyDefaults(settings any) error {
	v := reflect.ValueOf(settings)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("want a pointer to a struct, got %T", settings)
	}
	v = v.Elem()
	var errs []error
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		def, ok := f.Tag.Lookup("default")
		if !ok || !f.IsExported() || !v.Field(i).IsZero() {
			continue
		}
		if err := setDefault(v.Field(i), def); err != nil {
			errs = append(errs, fmt.Errorf("%s: default %q: %w", f.Name, def, err))
		}
	}
	return errors.Join(errs...)
}

var durationType = reflect.TypeFor[time.Duration]()

func setDefault(f reflect.Value, def string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(def)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(def)
	case reflect.Bool:
		b, err := strconv.ParseBool(def)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(def, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(def, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(def, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported type %s", f.Type())
		}
		parts := strings.Split(def, ",")
		s := reflect.MakeSlice(f.Type(), len(parts), len(parts))
		for i, p := range parts {
			s.Index(i).SetString(strings.TrimSpace(p))
		}
		f.Set(s)
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}
