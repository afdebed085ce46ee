package uploadevent

import "testing"

// TestEventNames: the names FC puts in eventName (ObjectCreated:PutObject,
// as its documentation and SDK samples show) are the uploads for every
// trigger configuration name in Events; the configuration's oss:-prefixed
// spelling means the same; every other OSS event, in either spelling, is
// not an upload.
func TestEventNames(t *testing.T) {
	for _, e := range Events {
		if EventName(e) == e {
			t.Errorf("%s: the trigger configuration spells events with oss:", e)
		}
		for _, name := range []string{EventName(e), e} {
			if !isEvent(name) {
				t.Errorf("%q is not taken for an upload", name)
			}
		}
	}
	for _, name := range []string{"", "PutObject", "ObjectCreated:", "ObjectCreated:*", "ObjectCreated:UploadPart",
		"ObjectCreated:InitiateMultipartUpload", "ObjectCreated:CopyObject", "ObjectCreated:AppendObject",
		"ObjectCreated:PutSymlink", "ObjectRemoved:DeleteObject", "ObjectRemoved:DeleteObjects",
		"ObjectRemoved:AbortMultipartUpload", "ObjectModified:UpdateObjectMeta", "objectcreated:putobject",
		"oss:ObjectCreated:UploadPart", "oss:ObjectRemoved:DeleteObject", "oss:oss:ObjectCreated:PutObject",
		"acs:oss:ObjectCreated:PutObject", " ObjectCreated:PutObject"} {
		if isEvent(name) {
			t.Errorf("%q is taken for an upload", name)
		}
	}
}
