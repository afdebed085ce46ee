package ossconfig_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/ossconfig"
)

func TestMultipartAbortDays(t *testing.T) {
	for _, c := range []struct {
		ttl  time.Duration
		want int
	}{
		{time.Minute, 2}, {24 * time.Hour, 2}, {24*time.Hour + time.Second, 3}, {36 * time.Hour, 3}, {7 * 24 * time.Hour, 8},
	} {
		if got := ossconfig.MultipartAbortDays(c.ttl); got != c.want {
			t.Errorf("MultipartAbortDays(%v) = %d, want %d", c.ttl, got, c.want)
		}
		// The rule never fires while a handle can still complete.
		if d := time.Duration(ossconfig.MultipartAbortDays(c.ttl)) * 24 * time.Hour; d < c.ttl+24*time.Hour {
			t.Errorf("%v: %d days leave less than a day of margin", c.ttl, ossconfig.MultipartAbortDays(c.ttl))
		}
	}
}

func TestBucketLifecycleDocument(t *testing.T) {
	got, err := ossconfig.JSON(ossconfig.BucketLifecycle("exampledir/", 24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Rule": [
    {
      "ID": "ossbroker-abort-incomplete-multipart",
      "Prefix": "exampledir/",
      "Status": "Enabled",
      "AbortMultipartUpload": {
        "Days": 2
      }
    }
  ]
}
`
	if string(got) != want {
		t.Fatalf("lifecycle:\n%s\nwant:\n%s", got, want)
	}
}

// toXML turns the ossutil JSON form back into PutBucketLifecycle's XML
// body: the JSON's keys are the element names, lists are repeated
// elements, under the LifecycleConfiguration root.
func toXML(t *testing.T, v any, name string, b *strings.Builder) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			toXML(t, x[k], k, b)
		}
		b.WriteString("</" + name + ">")
	case []any:
		for _, e := range x {
			toXML(t, e, name, b)
		}
	case string:
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(x))
		b.WriteString("</" + name + ">")
	case float64:
		fmt.Fprintf(b, "<%s>%v</%s>", name, x, name)
	default:
		t.Fatalf("%s: unexpected %T", name, v)
	}
}

// TestBucketLifecycleShape checks the printed rule against OSS's
// PutBucketLifecycle schema as the OSS Go SDK v2 encodes it
// (oss.LifecycleConfiguration, whose xml tags are the API's element
// names): every element the JSON has is one the API knows (decoding into
// the SDK's struct and encoding back loses nothing, so a misspelt or
// S3-style element such as AbortIncompleteMultipartUpload fails), and the
// documented rules hold: Status Enabled or Disabled, an ID of at most 255
// characters, AbortMultipartUpload with exactly one of Days (>= 1) and
// CreatedBeforeDate (help.aliyun.com/en/oss/user-guide/0014-00000073,
// -00000074).
func TestBucketLifecycleShape(t *testing.T) {
	for _, ttl := range []time.Duration{time.Minute, 24 * time.Hour, 7 * 24 * time.Hour} {
		doc, err := ossconfig.JSON(ossconfig.BucketLifecycle("users/", ttl))
		if err != nil {
			t.Fatal(err)
		}
		var generic any
		if err := json.Unmarshal(doc, &generic); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		toXML(t, generic, "LifecycleConfiguration", &b)
		var sdk oss.LifecycleConfiguration
		if err := xml.Unmarshal([]byte(b.String()), &sdk); err != nil {
			t.Fatalf("%s: %v", b.String(), err)
		}
		var again any
		var rb strings.Builder
		// Compare as generic documents: the SDK round trip must keep every field.
		if err := json.Unmarshal(sdkJSON(t, sdk), &again); err != nil {
			t.Fatal(err)
		}
		toXML(t, again, "LifecycleConfiguration", &rb)
		if rb.String() != b.String() {
			t.Errorf("OSS's schema does not carry the printed rule:\n printed %s\n via SDK %s", b.String(), rb.String())
		}
		if len(sdk.Rules) != 1 {
			t.Fatalf("%d rules", len(sdk.Rules))
		}
		r := sdk.Rules[0]
		if r.Status == nil || (*r.Status != "Enabled" && *r.Status != "Disabled") || r.ID == nil || len(*r.ID) > 255 ||
			r.Prefix == nil || *r.Prefix != "users/" || r.AbortMultipartUpload == nil ||
			(r.AbortMultipartUpload.Days == nil) == (r.AbortMultipartUpload.CreatedBeforeDate == nil) ||
			*r.AbortMultipartUpload.Days < 1 || int(*r.AbortMultipartUpload.Days) != ossconfig.MultipartAbortDays(ttl) {
			t.Errorf("rule breaks OSS's documented rules: %s", b.String())
		}
	}
}

// sdkJSON renders the SDK struct in the ossutil JSON convention (element
// names as keys, nil fields left out), for the comparison above.
func sdkJSON(t *testing.T, c oss.LifecycleConfiguration) []byte {
	t.Helper()
	var walk func(v reflect.Value) any
	walk = func(v reflect.Value) any {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return nil
			}
			return walk(v.Elem())
		case reflect.Struct:
			m := map[string]any{}
			for i := 0; i < v.NumField(); i++ {
				tag := strings.Split(v.Type().Field(i).Tag.Get("xml"), ",")[0]
				if tag == "" || tag == "-" {
					continue
				}
				if e := walk(v.Field(i)); e != nil {
					m[tag] = e
				}
			}
			return m
		case reflect.Slice:
			if v.Len() == 0 {
				return nil
			}
			var l []any
			for i := 0; i < v.Len(); i++ {
				l = append(l, walk(v.Index(i)))
			}
			return l
		default:
			return v.Interface()
		}
	}
	b, err := json.Marshal(walk(reflect.ValueOf(c)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestQuarantineLifecycleShape: the quarantine rule, as printed, is what
// OSS's PutBucketLifecycle schema (the OSS Go SDK v2's types) reads:
// an Expiration in days on the quarantine folder.
func TestQuarantineLifecycleShape(t *testing.T) {
	doc, err := ossconfig.JSON(ossconfig.BucketLifecycle("users/", time.Hour).ExpireQuarantine("ossbroker-quarantine/", 30))
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(doc, &generic); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	toXML(t, generic, "LifecycleConfiguration", &b)
	var sdk oss.LifecycleConfiguration
	if err := xml.Unmarshal([]byte(b.String()), &sdk); err != nil {
		t.Fatalf("%s: %v", b.String(), err)
	}
	if len(sdk.Rules) != 2 {
		t.Fatalf("%d rules: %s", len(sdk.Rules), b.String())
	}
	r := sdk.Rules[1]
	if oss.ToString(r.ID) != ossconfig.QuarantineRuleID || oss.ToString(r.Prefix) != "ossbroker-quarantine/" ||
		oss.ToString(r.Status) != "Enabled" || r.Expiration == nil || r.Expiration.Days == nil || *r.Expiration.Days != 30 ||
		r.AbortMultipartUpload != nil || sdk.Rules[0].Expiration != nil {
		t.Errorf("rule breaks OSS's schema: %s", b.String())
	}
}
