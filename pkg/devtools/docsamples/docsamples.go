// Package docsamples holds samples of the provider formats the project
// parses or emits, each copied byte for byte from the provider's own
// documentation or SDK, never written by hand. Tests feed them to the
// parsers and compare the local emulators' output with them. [Samples]
// names each file's source.
package docsamples

import (
	"embed"
	"fmt"
)

//go:embed samples
var files embed.FS

// Sample is one file under samples/ and where it was copied from.
type Sample struct {
	File   string // name under samples/
	Format string // what it is an example of
	Source string // where it was copied from, verbatim
}

const (
	ossSDK = "github.com/aliyun/alibabacloud-oss-go-sdk-v2 v1.6.1 (module zip)"
	sdk    = "github.com/aliyun/fc-runtime-go-sdk v0.3.1 (module zip, go.sum h1:Qhd4W5DLxfhOcHeMzxAH/gxb65mvl4cYW81UPPaOoKU=)"
	fc3    = "github.com/devsapp/fc3 (the Serverless Devs fc3 component) at commit 4ca1c1b8c33e654438bb73b64cfc95a5c9d94f5a"
)

// Samples lists every file under samples/.
var Samples = []Sample{
	{File: "fc-oss-event.json", Format: "OSS trigger event (events.OssEvent)",
		Source: sdk + ", events/README_OSS.md, the JSON block under \"Event 格式\""},
	{File: "fc3-oss-event-template.json", Format: "OSS trigger event (events.OssEvent)",
		Source: fc3 + ", src/subCommands/trigger-template/event-template/oss.json"},
	{File: "fc3-http-event-template.json", Format: "FC3 HTTP trigger event (events.HTTPTriggerEvent)",
		Source: fc3 + ", src/subCommands/trigger-template/event-template/http.json"},
	{File: "fc-runtime-api-client-consts.go.txt", Format: "FC runtime API headers (x-fc-request-id etc.) and API version",
		Source: sdk + ", fc/runtime_api_client.go, its const block (lines 17-51)"},
	{File: "fc-http-trigger-response.go.txt", Format: "FC3 HTTP trigger response (events.HTTPTriggerResponse)",
		Source: sdk + ", events/README_HTTP_TRIGGER.md, the Go block under \"输出\""},
	{File: "oss-error-nosuchkey.xml", Format: "OSS XML error NoSuchKey (404)",
		Source: ossSDK + ", oss/client_mock_object_restore_test.go, the response body from line 320"},
	{File: "oss-error-signaturedoesnotmatch.xml", Format: "OSS XML error SignatureDoesNotMatch (403)",
		Source: ossSDK + ", oss/client_mock_misc_test.go, the response body from line 235"},
	{File: "oss-error-callbackfailed.xml", Format: "OSS XML error CallbackFailed (203, upload callback failed)",
		Source: ossSDK + ", oss/client_mock_object_basic_test.go, the response body from line 635"},
}

// Read returns the bytes of the sample file name; it panics on a name not
// in [Samples], a mistake in a test.
func Read(name string) []byte {
	for _, s := range Samples {
		if s.File == name {
			b, err := files.ReadFile("samples/" + name)
			if err != nil {
				panic(fmt.Sprintf("docsamples: %v", err))
			}
			return b
		}
	}
	panic("docsamples: no sample " + name)
}
