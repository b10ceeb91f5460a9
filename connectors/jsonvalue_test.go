package connectors

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCloneJSON(t *testing.T) {
	orig := map[string]any{"a": []any{map[string]any{"b": 1}}, "tags": []string{"x", "y"}, "n": json.Number("2")}
	c := CloneJSON(orig).(map[string]any)
	want := map[string]any{"a": []any{map[string]any{"b": 1}}, "tags": []any{"x", "y"}, "n": json.Number("2")}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("clone (-want +got):\n%s", diff)
	}
	c["a"].([]any)[0].(map[string]any)["b"] = 2
	if orig["a"].([]any)[0].(map[string]any)["b"] != 1 {
		t.Error("editing the clone changed the original")
	}
}

func TestSameJSON(t *testing.T) {
	for _, tt := range []struct {
		a, b any
		want bool
	}{
		{json.Number("1"), 1, true},
		{map[string]any{"x": int64(3)}, map[string]any{"x": 3.0}, true},
		{[]string{"a"}, []any{"a"}, true},
		{json.Number("1"), "1", false},
		{map[string]any{"x": nil}, map[string]any{}, false},
	} {
		if got := SameJSON(tt.a, tt.b); got != tt.want {
			t.Errorf("SameJSON(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMergeJSON(t *testing.T) {
	cur := map[string]any{"name": "Ann", "address": map[string]any{"city": "Berlin", "zip": "10115"}, "tags": []any{"a"}}
	v := map[string]any{"address": map[string]any{"city": "Hamburg"}, "tags": []string{"b"}, "new": 1}
	got := MergeJSON(CloneJSON(cur), v)
	want := map[string]any{"name": "Ann", "address": map[string]any{"city": "Hamburg", "zip": "10115"}, "tags": []any{"b"}, "new": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if cur["address"].(map[string]any)["city"] != "Berlin" {
		t.Error("merging into a clone changed the original")
	}
}
