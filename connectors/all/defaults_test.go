package all_test

import (
	"reflect"
	"testing"

	"github.com/shophub/shophub/connectors"
)

// TestDefaultTagsAreTheDefaults: for every registered connector, each
// setting's `default` tag (what the generated docs show) is the value its
// NewSettings starts with, so docs and behaviour cannot drift apart.
// connectors.Defaults builds settings from the tags alone.
func TestDefaultTagsAreTheDefaults(t *testing.T) {
	for _, typ := range connectors.Types() {
		reg, _ := connectors.Lookup(typ)
		got := reflect.ValueOf(reg.NewSettings())
		if got.Kind() != reflect.Pointer || got.Elem().Kind() != reflect.Struct {
			continue
		}
		fromTags := reflect.New(got.Elem().Type())
		if err := connectors.ApplyDefaults(fromTags.Interface()); err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		st := got.Elem().Type()
		for i := 0; i < st.NumField(); i++ {
			if _, ok := st.Field(i).Tag.Lookup("default"); !ok {
				continue
			}
			if a, b := got.Elem().Field(i).Interface(), fromTags.Elem().Field(i).Interface(); !reflect.DeepEqual(a, b) {
				t.Errorf("%s: setting %s starts as %v, its default tag says %v", typ, st.Field(i).Name, a, b)
			}
		}
	}
}
