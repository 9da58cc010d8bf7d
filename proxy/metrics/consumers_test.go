package metrics

import (
	"strconv"
	"testing"
	"time"
)

// TestConsumersBounded: past MaxConsumers names, requests count under
// "other"; the table never grows further.
func TestConsumersBounded(t *testing.T) {
	var m Collector
	for i := range MaxConsumers + 50 {
		m.Observe(&Observation{Route: "r", Consumer: "c" + strconv.Itoa(i), Status: 200, Start: time.Now(), Auth: AuthAdmitted})
	}
	m.Observe(&Observation{Route: "r", Consumer: "c1", Status: 503, Start: time.Now(), Auth: AuthAdmitted})
	cs := m.Consumers()
	if len(cs) != MaxConsumers+1 || cs[0].Consumer != "other" || cs[0].Requests != 50 {
		t.Fatalf("%d consumers, first %+v", len(cs), cs[0])
	}
	for _, c := range cs {
		if c.Consumer == "c1" && (c.Requests != 2 || c.Errors != 1) {
			t.Fatalf("c1: %+v", c)
		}
	}
}
