package deploycheck

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// inspectorVariables are the variables s.yaml passes the inspector
// function: what config.LoadInspector reads that matters to it. No JWT
// variable, no webhook secret, no broker-only setting.
var inspectorVariables = []string{
	"ALLOWED_CONTENT_TYPES", "LOG_LEVEL", "MAX_MULTIPART_BYTES", "MAX_UPLOAD_BYTES",
	"NOTIFICATION_SECRET", "NOTIFICATION_URL", "OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET",
	"OSS_BUCKET", "OSS_CONNECT_TIMEOUT", "OSS_ENDPOINT", "OSS_INTERNAL_ENDPOINT", "OSS_REGION",
	"OSS_REQUEST_TIMEOUT", "REJECTED_UPLOADS", "UPLOAD_PREFIX",
}

// TestDeployInspectorOffline: "make deploy-inspector" deploys the inspector
// resource alone through the real s and the fc3 stand-in (which checks the
// props against fc3's schema): its own binary as the code package, the
// variables above, an OSS trigger on the broker's three upload events
// under the prefix, and FC's async retry configuration; "make deploy"
// (TestDeployOffline) touches only the broker.
func TestDeployInspectorOffline(t *testing.T) {
	t.Parallel()
	d := newSDeploy(t)
	out, err := d.make(deployVals, "deploy-inspector")
	if err != nil {
		t.Fatalf("make deploy-inspector: %v\n%s", err, out)
	}
	calls := d.record()
	if len(calls) != 1 || calls[0].Command+" "+strings.Join(calls[0].Args, " ") != "deploy -y -a "+testAlias {
		t.Fatalf("make deploy-inspector called the component with %+v", calls)
	}
	p := calls[0].Props
	if p.FunctionName != "ossbroker-inspector" || p.Runtime != "go1" || p.Handler != "main" || p.Region != "cn-shanghai" {
		t.Errorf("props: %+v", p)
	}
	if got := slices.Sorted(maps.Keys(p.EnvironmentVariables)); !slices.Equal(got, inspectorVariables) {
		t.Errorf("inspector environmentVariables\n  %v\nwant\n  %v", got, inspectorVariables)
	}
	if got := p.EnvironmentVariables["OSS_BUCKET"]; got != testBucket {
		t.Errorf("OSS_BUCKET = %q", got)
	}
	if c := calls[0].Code; c == nil || len(c.Files) != 1 || c.Files[0].Path != "main" || !c.Files[0].Executable {
		t.Errorf("code package: %+v, want the directory holding only the executable main", c)
	}
	if tr := p.Triggers; len(tr) != 1 || tr[0].TriggerType != "oss" || tr[0].TriggerName != "ossUploads" {
		t.Errorf("triggers: %+v, want one oss trigger", tr)
	}
}
