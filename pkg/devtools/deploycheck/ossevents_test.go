package deploycheck

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/ossbroker/ossbroker/pkg/uploadevent"
)

// TestOSSTriggerEvents: s.yaml's OSS trigger subscribes to exactly the
// events the inspector acts on, spelled as a trigger configuration spells
// them (the oss: names of the fc3 component's schema), while the events
// FC delivers name them without the prefix (uploadevent.EventName).
func TestOSSTriggerEvents(t *testing.T) {
	b, err := os.ReadFile(sYAML)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Resources map[string]struct {
			Props struct {
				Triggers []struct {
					TriggerType   string `yaml:"triggerType"`
					TriggerConfig struct {
						Events []string `yaml:"events"`
					} `yaml:"triggerConfig"`
				} `yaml:"triggers"`
			} `yaml:"props"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, r := range f.Resources {
		for _, tr := range r.Props.Triggers {
			if tr.TriggerType == "oss" {
				events = append(events, tr.TriggerConfig.Events...)
			}
		}
	}
	if !slices.Equal(events, uploadevent.Events) {
		t.Fatalf("s.yaml OSS trigger events %v, the inspector acts on %v", events, uploadevent.Events)
	}
	schema, err := os.ReadFile("../../../.ci/fc3-props.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["enum"].([]any); ok && slices.Contains(e, any("oss:ObjectCreated:*")) {
				for _, s := range e {
					allowed = append(allowed, s.(string))
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(schema, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	for _, e := range events {
		if !slices.Contains(allowed, e) {
			t.Errorf("%s is not an OSS trigger event of the fc3 schema", e)
		}
		if uploadevent.EventName(e) == e {
			t.Errorf("%s: a configuration event name without oss:", e)
		}
	}
}
