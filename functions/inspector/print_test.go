package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPrintPolicyNeedsTheBucket: -print-ram-policy without OSS_BUCKET
// prints nothing and names the variable (a policy for the default
// examplebucket, attached as is, makes every inspection fail with
// AccessDenied); with it, the policy is for that bucket.
func TestPrintPolicyNeedsTheBucket(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := printPolicy(&out, &errOut, func(string) string { return "" }); code != 1 || out.Len() != 0 ||
		!strings.Contains(errOut.String(), "OSS_BUCKET is not set") {
		t.Errorf("without OSS_BUCKET: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	env := map[string]string{"OSS_BUCKET": "uploads-prod"}
	if code := printPolicy(&out, &errOut, func(k string) string { return env[k] }); code != 0 ||
		!strings.Contains(out.String(), `"acs:oss:*:*:uploads-prod/exampledir/*"`) {
		t.Errorf("with OSS_BUCKET: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
