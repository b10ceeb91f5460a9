package trace

import "testing"

func TestMarkReachesTheSinkOnlyWhileSet(t *testing.T) {
	if On() {
		t.Fatal("a sink is set before any Set")
	}
	Mark(Event{Step: Merged}) // nobody listens: nothing happens
	var got []Event
	restore := Set(func(e Event) { got = append(got, e) })
	if !On() {
		t.Fatal("On is false with a sink set")
	}
	Mark(Event{Step: PushWritten, Instance: "shopware1", CustomerID: 7, Version: 3})
	restore()
	Mark(Event{Step: PushRecorded})
	if len(got) != 1 {
		t.Fatalf("the sink got %d marks, want the one made while it was set", len(got))
	}
	if e := got[0]; e.Step != PushWritten || e.Instance != "shopware1" || e.CustomerID != 7 || e.Version != 3 || e.At.IsZero() {
		t.Fatalf("mark %+v: want push written of customer 7 v3 at shopware1, stamped", e)
	}
	if On() {
		t.Fatal("On is true after restore")
	}
	if got, want := PushWritten.String(), "push written"; got != want {
		t.Fatalf("step name %q, want %q", got, want)
	}
}
